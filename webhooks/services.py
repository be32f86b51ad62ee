"""Webhooks' writes: the outbox rows of an event, one attempt to deliver a message, resends.

Lock rules: a message's row is locked (``select_for_update``) only to read its state and
number the attempt, never across the HTTP request, so a slow receiver holds no lock.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook

from billing.models import Statement, StatementEvent

from .addresses import AddressRefused
from .models import TEST_EVENT, WebhookDelivery, WebhookEndpoint, WebhookMessage
from .payloads import event_type_of, sample_payload, statement_payload
from .sending import webhook_post

ERROR_MAX = 500


def webhook_messages_record(*, event: StatementEvent, statement: Statement) -> list[WebhookMessage]:
    """The outbox rows of ``event``: one per active endpoint of the document's buyer that
    subscribes to its type, written in the caller's transaction. None for an event that is
    not a webhook event (one query otherwise, two when the document adjusts another)."""
    event_type = event_type_of(event=event, statement=statement)
    if event_type is None:
        return []
    buyer_id = statement.buyer_id or statement.contract.buyer_id
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(buyer_id=buyer_id, active=True).order_by("pk")
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    payload = statement_payload(event_type=event_type, event=event, statement=statement)
    return WebhookMessage.objects.bulk_create(
        WebhookMessage(endpoint=endpoint, event_type=event_type, statement_id=statement.pk, payload=payload)
        for endpoint in endpoints
    )


def webhook_test_message_create(*, endpoint_id: int) -> WebhookMessage:
    """An outbox row of the ``webhook.test`` event for one endpoint (active or not)."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    return WebhookMessage.objects.create(
        endpoint=endpoint, event_type=TEST_EVENT, payload=sample_payload(endpoint_url=endpoint.url)
    )


def webhook_message_resend(*, message_id: int) -> WebhookMessage:
    """Make a message pending again (delivered or given up alike), for its task to send anew
    with the same ``webhook-id``. The caller queues the task after commit."""
    with transaction.atomic():
        message = WebhookMessage.objects.select_for_update().get(pk=message_id)
        message.status = WebhookMessage.Status.PENDING
        message.save(update_fields=["status"])
        return message


def retry_delay(attempt: int) -> int:
    """Seconds to wait after the ``attempt``-th (1-based) failed attempt of a sending:
    ``WEBHOOK_RETRY_BASE_SECONDS`` doubled for each earlier failure, at most
    ``WEBHOOK_RETRY_MAX_SECONDS``."""
    base = max(settings.WEBHOOK_RETRY_BASE_SECONDS, 0)
    return min(base * 2 ** max(attempt - 1, 0), settings.WEBHOOK_RETRY_MAX_SECONDS)


def signed_headers(*, secret: str, message_id: str, body: str, at) -> dict[str, str]:
    """The Standard Webhooks headers of ``body`` sent at ``at`` (an aware datetime)."""
    timestamp = at.astimezone(UTC)  # the package reads the clock face as UTC
    return {
        "Content-Type": "application/json",
        "User-Agent": "gainshare-webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body),
    }


def _claim_attempt(message_id: int) -> tuple[WebhookMessage, int] | None:
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.status != WebhookMessage.Status.PENDING:
            return None
        WebhookMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1)
        return message, message.attempts + 1


def webhook_message_deliver(*, message_id: int, sending_attempt: int) -> WebhookDelivery | None:
    """One attempt to deliver a pending message, logged as a ``WebhookDelivery``.

    ``sending_attempt`` (1-based) counts the attempts of this sending (its task's retries); a
    failure with fewer than ``WEBHOOK_MAX_ATTEMPTS`` made sets ``next_retry_at``
    (:func:`retry_delay`), the last one marks the message failed. A 2xx answer delivers it;
    any other answer, a refused address, a timeout or a connection error is a failure. Returns
    None, doing nothing, for a message that is not pending (delivered already, or given up) or
    no longer exists (its endpoint was deleted)."""
    claimed = _claim_attempt(message_id)
    if claimed is None:
        return None
    message, attempt = claimed
    endpoint = message.endpoint
    at = timezone.now()
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False)
    status_code, excerpt, error = None, "", ""
    started = time.monotonic()
    if not endpoint.active:
        error = "the endpoint is disabled"
    else:
        try:
            answer = webhook_post(
                url=endpoint.url,
                body=body.encode(),
                headers=signed_headers(
                    secret=endpoint.secret, message_id=message.message_id, body=body, at=at
                ),
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            )
            status_code, excerpt = answer.status_code, answer.body_excerpt
        except AddressRefused as refusal:
            error = f"refused: {refusal}"
        except Exception as failure:  # any failure to reach the receiver is logged, not raised
            error = f"{type(failure).__name__}: {failure}"
    duration_ms = round((time.monotonic() - started) * 1000)
    delivered = status_code is not None and 200 <= status_code < 300
    retry = not delivered and sending_attempt < settings.WEBHOOK_MAX_ATTEMPTS and endpoint.active
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            message=message,
            attempt=attempt,
            status_code=status_code,
            response_excerpt=excerpt[: WebhookDelivery.RESPONSE_EXCERPT_MAX],
            error=error[:ERROR_MAX],
            duration_ms=duration_ms,
            at=at,
            next_retry_at=at + timedelta(seconds=retry_delay(sending_attempt)) if retry else None,
        )
        if delivered:
            WebhookMessage.objects.filter(pk=message_id).update(
                status=WebhookMessage.Status.DELIVERED, delivered_at=timezone.now()
            )
        elif not retry:
            WebhookMessage.objects.filter(pk=message_id).update(status=WebhookMessage.Status.FAILED)
    return delivery
