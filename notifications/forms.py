"""The notification preferences form, one checkbox per kind the user can receive."""

from django import forms
from django.contrib import messages

from .models import NotificationKind
from .selectors import notification_preferences
from .services import notification_preferences_set


class NotificationPreferencesForm(forms.Form):
    """A checkbox per kind in ``kinds``, checked when the user receives it. Fields for other
    kinds are not read: a posted name that is not one of them changes nothing."""

    def __init__(self, *args, kinds: list[str], initial_choices: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[str(kind)] = forms.BooleanField(
                required=False,
                label=NotificationKind(kind).label,
                initial=initial_choices.get(str(kind), True),
            )

    def choices(self) -> dict[str, bool]:
        """Kind → on, from a valid form."""
        return {name: bool(self.cleaned_data[name]) for name in self.fields}


def preferences_form_handled(request) -> tuple[NotificationPreferencesForm, bool]:
    """The signed-in user's own preferences form, and whether a valid POST of it was saved
    (with a success message: the caller redirects). Only the user's own choices, only the
    kinds it receives, are read or written."""
    current = notification_preferences(user=request.user)
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, kinds=list(current), initial_choices=current
    )
    if request.method == "POST" and form.fields and form.is_valid():
        notification_preferences_set(user=request.user, enabled=form.choices())
        messages.success(request, "Your email notification choices are saved.")
        return form, True
    return form, False
