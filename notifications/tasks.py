"""Celery tasks for notifications: ids and plain values in, one idempotent service each."""

import uuid

from celery import shared_task

from . import services

# Exponential backoff between attempts (1 s, 2 s, 4 s … at most 10 minutes, jittered), up to
# MAX_RETRIES retries; eager (no broker), the retries run at once, one after the other.
MAX_RETRIES = 6


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=services.SEND_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def notification_send(self, kind: str, statement_id: int, details: dict) -> int:
    """Send one event's emails (``services.notification_event_send``), claimed under this
    task's id, which its retries keep: a retry sends only what this task has not sent. Called
    directly (no task id), it claims under an id of its own."""
    return services.notification_event_send(
        kind=kind, statement_id=statement_id, details=details, owner=self.request.id or uuid.uuid4().hex
    )
