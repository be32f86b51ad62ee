"""A statement document's JSON: the text kept on an issued row and the finance API's answer.

No framework here: the write services keep the text at issue without importing the API layer
(``billing.serializers`` reads and serves it). Values are written as DRF writes them (money
as strings with the currency's places, the tax rate with 2, ISO dates, times in the current
time zone with ``Z`` for UTC) and the text as DRF's compact JSON renderer writes it; a test
holds both to DRF's own fields and renderer.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from .documents import StatementDocument, document
from .models import Statement

# The fields that change after issue, in the order they follow the frozen text.
LIVE_FIELDS = ("status", "paid_at")
# Who acted, as usernames, after the live fields: read from the row's actor columns when
# served. ``approved_by`` and ``issued_by`` are frozen with the row at issue (the statement
# guard refuses to change them), so reading them is as fixed as the kept text, and texts kept
# before the columns existed are served with the row's ``null`` (no one was recorded);
# ``paid_by`` is live, set with ``paid_at``.
ACTOR_FIELDS = ("approved_by", "issued_by", "paid_by")
# Last: whether the document has a query of its supplier still open (live, read when served).
QUERIED_FIELD = "queried"
TAX_RATE_PLACES = Decimal("0.01")  # Statement.tax_rate: decimal_places=2

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def render_json(data) -> str:
    """``data`` as compact JSON text, as DRF's ``JSONRenderer`` writes it (UTF-8, no NaN,
    U+2028 and U+2029 escaped so the text is also valid JavaScript)."""
    return _encode(data).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def datetime_text(value: datetime | None) -> str | None:
    """An instant in the current time zone, ISO 8601, ``Z`` for UTC (DRF's ``DateTimeField``)."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


def frozen_data(document: StatementDocument) -> dict:
    """The fields of ``document``'s JSON that never change once it is issued, in response order."""
    amount = document.amount_text
    return {
        "number": document.number,
        "document_type": document.document_type,
        "contract": document.contract.reference,
        "buyer": document.buyer.code,
        "supplier": document.supplier.code,
        "period": document.period,
        "currency": document.currency,
        "net": amount(document.net),
        "tax": amount(document.tax),
        "gross": amount(document.gross),
        "tax_rate": str(document.tax_rate.quantize(TAX_RATE_PLACES)),
        "issue_date": date_text(document.issue_date),
        "due_date": date_text(document.due_date),
        "adjusts": document.adjusts,
        "lines": [
            {
                "position": line.position,
                "component": line.component,
                "kind": line.kind,
                "kpi": line.kpi,
                "amount": amount(line.amount),
                "explanation": line.explanation,
            }
            for line in document.lines
        ],
    }


# ``,"status":"issued","paid_at":`` for each status: a page repeats a few.
_STATUS_KEYS = {status: f',"status":{json.dumps(status)},"paid_at":' for status in Statement.Status.values}


def invoice_text(
    frozen: str,
    status: str,
    paid_at: datetime | None,
    actors: tuple = (None, None, None),
    queried: bool = False,
) -> str:
    """A document's JSON: its frozen text (a JSON object of ``frozen_data``) followed by the
    fields that change after issue, ``LIVE_FIELDS`` in that order, from their current values,
    then ``ACTOR_FIELDS`` from ``actors`` (usernames or ``None``, in that order), then
    ``QUERIED_FIELD`` (whether a query of the supplier is open)."""
    paid = "null" if paid_at is None else json.dumps(datetime_text(paid_at))
    who = "".join(
        f",{json.dumps(key)}:{json.dumps(name)}" for key, name in zip(ACTOR_FIELDS, actors, strict=True)
    )
    flag = f',"{QUERIED_FIELD}":{"true" if queried else "false"}'
    return f"{frozen[:-1]}{_STATUS_KEYS[status]}{paid}{who}{flag}}}"


def invoice_data(document: StatementDocument, *, queried: bool = False) -> dict:
    """``document``'s JSON as the API serves it, as a dict (``queried``: whether a query of its
    supplier is open, which the document does not hold)."""
    return json.loads(
        invoice_text(
            render_json(frozen_data(document)),
            document.status,
            document.paid_at,
            actors_of(document),
            queried,
        )
    )


def actors_of(document: StatementDocument) -> tuple:
    """``ACTOR_FIELDS`` of ``document``, in that order."""
    return (document.approved_by, document.issued_by, document.paid_by)


def frozen_representation(statement: Statement) -> str:
    """The frozen text to keep on the row at issue: ``statement`` is being issued, with its
    number, dates and parties set."""
    return render_json(frozen_data(document(statement)))
