"""Webhooks' answer to billing's ``statement_event_recorded``: the outbox, then the tasks.

The signal is sent inside the change's transaction, so the outbox rows commit or roll back
with the change; the delivery tasks are queued once it commits. A failure to queue is logged
and never raised (the rows stay pending: resend them from the admin).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from billing.dispatch import task_send
from billing.signals import statement_event_recorded

from . import services, tasks

logger = logging.getLogger(__name__)


def webhook_messages_queue(message_ids: list[int]) -> None:
    """Send the delivery task of each message; a failure is logged, never raised."""
    for message_id in message_ids:
        try:
            task_send(tasks.webhook_deliver, message_id)
        except Exception:
            logger.exception("webhook message %s was not queued", message_id)


@receiver(statement_event_recorded, dispatch_uid="webhooks.statement_event_recorded")
def on_statement_event_recorded(sender, *, event, statement, **kwargs) -> None:
    """Write the event's outbox rows now, and queue their delivery after commit."""
    messages = services.webhook_messages_record(event=event, statement=statement)
    if messages:
        ids = [message.pk for message in messages]
        transaction.on_commit(lambda: webhook_messages_queue(ids))
