"""Celery tasks for webhooks: a message's id in, one attempt of the service per run."""

from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, max_retries=None, soft_time_limit=120, time_limit=150)
def webhook_deliver(self, message_id: int) -> str:
    """Deliver one message; after a failed attempt, retry with the delay the service set
    (exponential backoff, ``WEBHOOK_MAX_ATTEMPTS`` attempts in all: the service decides when
    to stop). Run eagerly (no broker, or called with ``apply``) the attempts follow one
    another at once. Returns what became of the message: "delivered", "failed" or "skipped"
    (not pending: delivered already, or given up)."""
    attempt = self.request.retries + 1
    while True:
        delivery = services.webhook_message_deliver(message_id=message_id, sending_attempt=attempt)
        if delivery is None:
            return "skipped"
        if delivery.delivered:
            return "delivered"
        if delivery.next_retry_at is None:
            return "failed"
        if not self.request.is_eager:
            countdown = max((delivery.next_retry_at - delivery.at).total_seconds(), 0)
            raise self.retry(countdown=countdown)
        attempt += 1
