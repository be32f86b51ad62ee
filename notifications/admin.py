"""Notifications in the admin: each staff user's own email choices (``mine/``), and, for
superusers only, read-only lists of choices and of the emails sent."""

from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import path

from contracts.admin import ReadOnlyAdmin

from .forms import preferences_form_handled
from .models import NotificationDelivery, NotificationPreference


class SuperuserReadOnlyAdmin(ReadOnlyAdmin):
    """Superusers read the rows; no one adds, edits or deletes them here."""

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(SuperuserReadOnlyAdmin):
    list_display = ["user", "kind", "enabled", "updated_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__username"]

    def get_urls(self):
        mine = path(
            "mine/",
            self.admin_site.admin_view(self.mine_view),
            name="notifications_notificationpreference_mine",
        )
        return [mine, *super().get_urls()]

    def mine_view(self, request):
        """The signed-in staff user's own choices, and nobody else's: a checkbox per email it
        receives (procurement: a supplier's query), saved with a message."""
        form, saved = preferences_form_handled(request)
        if saved:
            return redirect("admin:notifications_notificationpreference_mine")
        context = {
            **self.admin_site.each_context(request),
            "title": "My email notifications",
            "form": form,
        }
        return render(request, "admin/notifications/mine.html", context)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(SuperuserReadOnlyAdmin):
    list_display = ["event_key", "user", "status", "attempts", "claimed_at", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["event_key", "user__username"]
    list_select_related = ["user"]
