"""Webhooks in the admin, scoped to the user's buyer (``contracts.tenancy``): its endpoints
(add, change, "Send test event"), the messages sent to them and every delivery attempt
(read-only), and "Resend" on messages and attempts."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from contracts.admin import ReadOnlyAdmin
from contracts.models import Organisation
from contracts.tenancy import EVERYTHING, BuyerScopedAdminMixin, buyer_scope, procurement_buyer_id

from . import services
from .models import EventType, WebhookDelivery, WebhookEndpoint, WebhookMessage
from .receivers import webhook_messages_queue

# Rows one action may act on: a resend queues one task each.
ACTION_MAX = 100


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", label="URL")
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, help_text="At least one."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["buyer", "url", "event_types", "description", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(BuyerScopedAdminMixin, admin.ModelAdmin):
    """A procurement user's endpoints are its buyer's, set on save; a superuser chooses the
    buyer. The signing secret is generated on creation and shown on the endpoint's page only."""

    form = WebhookEndpointForm
    list_display = ["url", "buyer", "event_list", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    list_select_related = ["buyer"]
    actions = ["send_test_event"]

    def get_fields(self, request, obj=None):
        fields = ["url", "event_types", "description", "active"]
        if buyer_scope(request.user) is EVERYTHING:
            fields.insert(0, "buyer")
        if obj is not None:
            fields.append("secret")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ["secret"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "buyer":
            kwargs["queryset"] = Organisation.objects.order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if buyer_scope(request.user) is not EVERYTHING:
            obj.buyer_id = procurement_buyer_id(request.user)
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        scoped = buyer_scope(request.user) is not None
        return scoped and super().has_add_permission(request)

    @admin.display(description="events")
    def event_list(self, endpoint):
        return ", ".join(endpoint.event_types)

    @admin.action(description="Send a test event to the selected endpoints", permissions=["change"])
    def send_test_event(self, request, queryset):
        ids = [
            services.webhook_test_message_create(endpoint_id=pk).pk
            for pk in _bounded(self, request, queryset)
        ]
        transaction.on_commit(lambda: webhook_messages_queue(ids))
        self.message_user(
            request, f"{len(ids)} test event(s) queued: see Webhook messages.", messages.SUCCESS
        )


def _bounded(model_admin, request, queryset) -> list[int]:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: ACTION_MAX + 1])
    if len(ids) > ACTION_MAX:
        model_admin.message_user(
            request, f"At most {ACTION_MAX} at once: the first {ACTION_MAX} were taken.", messages.WARNING
        )
    return ids[:ACTION_MAX]


def _resend(model_admin, request, message_ids: list[int]) -> None:
    ids = [services.webhook_message_resend(message_id=pk).pk for pk in dict.fromkeys(message_ids)]
    transaction.on_commit(lambda: webhook_messages_queue(ids))
    model_admin.message_user(request, f"{len(ids)} message(s) queued to be sent again.", messages.SUCCESS)


class DeliveryInline(BuyerScopedAdminMixin, admin.TabularInline):
    model = WebhookDelivery
    buyer_path = "message__endpoint__buyer_id"
    fields = ["attempt", "at", "status_code", "response_excerpt", "error", "duration_ms", "next_retry_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(BuyerScopedAdminMixin, ReadOnlyAdmin):
    buyer_path = "endpoint__buyer_id"
    list_display = [
        "message_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id"]
    list_select_related = ["endpoint"]
    fields = [
        "message_id",
        "endpoint",
        "event_type",
        "statement_id",
        "status",
        "attempts",
        "created_at",
        "delivered_at",
        "payload",
    ]
    readonly_fields = fields
    inlines = [DeliveryInline]
    actions = ["resend"]

    @admin.action(description="Resend the selected messages", permissions=["resend"])
    def resend(self, request, queryset):
        _resend(self, request, _bounded(self, request, queryset))

    def has_resend_permission(self, request):
        return request.user.has_perm("webhooks.resend_webhookmessage")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(BuyerScopedAdminMixin, ReadOnlyAdmin):
    buyer_path = "message__endpoint__buyer_id"
    list_display = [
        "message",
        "endpoint",
        "attempt",
        "at",
        "status_code",
        "error",
        "duration_ms",
        "next_retry_at",
    ]
    list_filter = ["status_code"]
    search_fields = ["message__message_id"]
    list_select_related = ["message__endpoint"]

    @admin.display(description="endpoint")
    def endpoint(self, delivery):
        return delivery.message.endpoint.url

    actions = ["resend"]

    @admin.action(description="Resend the messages of the selected attempts", permissions=["resend"])
    def resend(self, request, queryset):
        deliveries = queryset.order_by("pk")[:ACTION_MAX]
        _resend(self, request, list(deliveries.values_list("message_id", flat=True)))

    def has_resend_permission(self, request):
        return request.user.has_perm("webhooks.resend_webhookmessage")
