"""The supplier user's notification preferences page (``/notifications/``)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from notifications.forms import preferences_form_handled

from .views import supplier_required


@require_http_methods(["GET", "POST"])
@supplier_required
def notification_preferences_page(request):
    """GET: a checkbox per email the user receives, each on unless turned off. POST: save them
    (only the user's own, only those kinds), then back here with a message."""
    form, saved = preferences_form_handled(request)
    if saved:
        return redirect("portal:notifications")
    return render(request, "portal/notifications.html", {"form": form})
