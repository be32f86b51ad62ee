"""The notification preferences form, one checkbox per kind the user can receive."""

from django import forms

from .models import NotificationKind


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
