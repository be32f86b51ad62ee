"""Notifications' answers to billing's signals (``billing.signals``): each queues one task.

The signals are sent after commit, with the statement and plain values; a receiver passes on
ids and plain values only. A failure to queue or (when tasks run in-process) to send is
logged and never raised: the change that sent the signal is already committed, and the
request that made it must not fail for an email.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from billing.dispatch import task_send
from billing.signals import query_answered, query_raised, statement_issued

from . import tasks
from .models import NotificationKind

logger = logging.getLogger(__name__)

# What of a query's words travels in the task (the email quotes fewer: ``QUOTED_TEXT_MAX``).
TEXT_MAX = 10_000


def _actor_name(actor) -> str:
    if actor is None:
        return ""
    return (actor.get_full_name() or actor.get_username())[:150]


def _queue(kind: str, statement_id: int, details: dict) -> None:
    try:
        task_send(tasks.notification_send, kind, statement_id, details)
    except Exception:
        logger.exception("notification %s for statement %s was not sent", kind, statement_id)


@receiver(statement_issued, dispatch_uid="notifications.statement_issued")
def on_statement_issued(sender, *, statement, actor=None, **kwargs) -> None:
    """Email the supplier's users that ``statement`` was issued."""
    _queue(NotificationKind.STATEMENT_ISSUED.value, statement.pk, {"actor": _actor_name(actor)})


def _query_details(query_id, subject, text, actor, resolution="") -> dict:
    return {
        "query_id": int(query_id),
        "subject": str(subject),
        "text": str(text)[:TEXT_MAX],
        "actor": _actor_name(actor),
        "resolution": str(resolution or ""),
    }


@receiver(query_raised, dispatch_uid="notifications.query_raised")
def on_query_raised(sender, *, statement, query_id, subject="", text="", actor=None, **kwargs) -> None:
    """Email the buyer's procurement users that a supplier user raised a query."""
    _queue(NotificationKind.QUERY_RAISED.value, statement.pk, _query_details(query_id, subject, text, actor))


@receiver(query_answered, dispatch_uid="notifications.query_answered")
def on_query_answered(
    sender, *, statement, query_id, subject="", text="", actor=None, resolution="", **kwargs
) -> None:
    """Email the supplier's users that procurement answered (or resolved) their query."""
    _queue(
        NotificationKind.QUERY_ANSWERED.value,
        statement.pk,
        _query_details(query_id, subject, text, actor, resolution),
    )
