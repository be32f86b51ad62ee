"""The supplier user's notification preferences page (``/notifications/``)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from notifications.forms import NotificationPreferencesForm
from notifications.selectors import notification_preferences
from notifications.services import notification_preferences_set

from .views import supplier_required


@require_http_methods(["GET", "POST"])
@supplier_required
def notification_preferences_page(request):
    """GET: a checkbox per email the user receives, each on unless turned off. POST: save them
    (only the user's own, only those kinds), then back here with a message."""
    current = notification_preferences(user=request.user)
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, kinds=list(current), initial_choices=current
    )
    if request.method == "POST" and form.fields and form.is_valid():
        notification_preferences_set(user=request.user, enabled=form.choices())
        messages.success(request, "Your email notification choices are saved.")
        return redirect("portal:notifications")
    return render(request, "portal/notifications.html", {"form": form})
