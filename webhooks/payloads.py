"""What a webhook says: a Standard Webhooks payload ``{"type", "timestamp", "data"}``.

``data`` is the document as it stands after the event (amounts as strings with the currency's
places, dates ISO, times as the finance API writes them), plus the event's own facts.
"""

from __future__ import annotations

from django.utils import timezone

from billing.document_json import date_text, datetime_text
from billing.models import Statement, StatementEvent
from contracts.selectors import currency_decimal_places
from pricing.money import quantum

from .models import EventType

# StatementEvent kinds that are webhook events; an issue is an adjustment's when it adjusts one.
EVENT_KINDS = {
    StatementEvent.Kind.ISSUED: EventType.ISSUED,
    StatementEvent.Kind.VOIDED: EventType.VOIDED,
    StatementEvent.Kind.PAID: EventType.PAID,
}


def event_type_of(*, event: StatementEvent, statement: Statement) -> str | None:
    """The webhook event type of a statement event, or None when it is not one."""
    event_type = EVENT_KINDS.get(event.kind)
    if event_type == EventType.ISSUED and statement.adjusts_id is not None:
        return EventType.ADJUSTMENT_ISSUED.value
    return None if event_type is None else event_type.value


def statement_payload(*, event_type: str, event: StatementEvent, statement: Statement) -> dict:
    """The payload of ``event`` about ``statement`` (one query: the number of the document it
    adjusts, when it adjusts one)."""
    places = quantum(currency_decimal_places(str(statement.currency)))
    adjusts = None
    if statement.adjusts_id is not None:
        adjusts = Statement.objects.filter(pk=statement.adjusts_id).values_list("number", flat=True).first()
    return {
        "type": event_type,
        "timestamp": datetime_text(event.at),
        "data": {
            "number": statement.number,
            "document_type": statement.document_type,
            "status": statement.status,
            "contract": statement.contract.reference,
            "period": statement.period,
            "currency": str(statement.currency),
            "net": str(statement.net.quantize(places)),
            "tax": str(statement.tax.quantize(places)),
            "gross": str(statement.gross.quantize(places)),
            "issue_date": date_text(statement.issue_date),
            "due_date": date_text(statement.due_date),
            "issued_at": datetime_text(statement.issued_at),
            "paid_at": datetime_text(statement.paid_at),
            "voided_at": datetime_text(statement.voided_at),
            "void_reason": statement.void_reason or None,
            "adjusts": adjusts,
        },
    }


def sample_payload(*, endpoint_url: str) -> dict:
    """The payload of "Send test event": no document, only the endpoint it was sent to."""
    return {
        "type": "webhook.test",
        "timestamp": datetime_text(timezone.now()),
        "data": {"endpoint": endpoint_url},
    }
