"""Webhooks: the buyers' endpoints, the outbox of messages to them, and every attempt.

``WebhookMessage`` is the outbox: one row per (event, subscribed endpoint), written in the
transaction of the change it reports (``webhooks.receivers``), so a change that rolls back
leaves none and a committed one always has its rows, whatever happens to the worker.
``WebhookDelivery`` is the append-only log of each attempt to deliver one.
"""

import base64
import secrets
import uuid

from django.db import models

from .addresses import validate_webhook_url


class EventType(models.TextChoices):
    ISSUED = "statement.issued", "A document is issued"
    ADJUSTMENT_ISSUED = "statement.adjustment_issued", "An adjustment (credit note or invoice) is issued"
    VOIDED = "statement.voided", "A document is voided"
    PAID = "statement.paid", "A document is paid"


# Sent by "Send test event" only: no endpoint subscribes to it.
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_message_id() -> str:
    """A ``webhook-id``: ``msg_`` and 32 hex digits, unique per message."""
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    """Where a buyer's finance systems receive its documents' events."""

    buyer = models.ForeignKey("contracts.Organisation", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(
        max_length=500,
        validators=[validate_webhook_url],
        help_text="https:// and a public address; the host is resolved and checked at each delivery.",
    )
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    event_types = models.JSONField(default=list, help_text="The event types it receives (EventType values).")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    """One event for one endpoint (the outbox row); ``payload`` is the JSON sent, frozen when
    the event happened. Every attempt (retries and resends alike) sends the same
    ``message_id`` as ``webhook-id``, so a receiver can drop what it has already processed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (sending or waiting to retry)"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up; resend from the admin)"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=40, unique=True, default=new_message_id, editable=False)
    event_type = models.CharField(max_length=40)
    # The statement's id, not a foreign key: only issued documents, never deleted, have events.
    statement_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("resend_webhookmessage", "Can resend a webhook message")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type}"


class WebhookDelivery(models.Model):
    """One attempt to deliver a message: the receiver's status code (None when no answer
    came), the first ``RESPONSE_EXCERPT_MAX`` characters of its body, or the error; and when
    the next attempt is due (None: delivered, or no attempt is left)."""

    RESPONSE_EXCERPT_MAX = 500

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=RESPONSE_EXCERPT_MAX, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField()
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "attempt"], name="webhook_delivery_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.message.message_id} #{self.attempt}: {self.status_code or self.error[:40]}"

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
