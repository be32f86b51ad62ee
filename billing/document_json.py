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
# After it: the parties as issued and the buyer's reference, read when served from the row's
# ``buyer_details`` and ``supplier_details`` (frozen at issue like the kept text, so reading
# them rewrites nothing, and documents issued before the text had them have them too), then the
# absolute URL of the document's PDF on the API (built from the request).
ISSUED_PARTY_FIELDS = ("buyer_details", "supplier_details", "buyer_reference")
PDF_URL_FIELD = "pdf_url"
# A party's keys in the JSON, in order; "" where the document kept none (a registration number
# of a document issued before numbers were kept).
PARTY_JSON_KEYS = ("name", "address", "country", "vat_number", "registration_number")
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


def party_json(details: dict | None) -> dict:
    """A party's JSON object from its details as kept at issue (``PARTY_JSON_KEYS``)."""
    details = details or {}
    return {key: details.get(key) or "" for key in PARTY_JSON_KEYS}


def issued_parties_text(buyer_details: dict | None, supplier_details: dict | None) -> str:
    """``ISSUED_PARTY_FIELDS`` as the JSON text that follows ``queried`` (a leading comma)."""
    reference = (buyer_details or {}).get("buyer_reference") or ""
    return (
        f',"buyer_details":{render_json(party_json(buyer_details))}'
        f',"supplier_details":{render_json(party_json(supplier_details))}'
        f',"buyer_reference":{render_json(reference)}'
    )


def invoice_text(
    frozen: str,
    status: str,
    paid_at: datetime | None,
    actors: tuple = (None, None, None),
    queried: bool = False,
    parties: str = "",
    pdf_url: str | None = None,
) -> str:
    """A document's JSON: its frozen text (a JSON object of ``frozen_data``) followed by the
    fields that change after issue, ``LIVE_FIELDS`` in that order, from their current values,
    then ``ACTOR_FIELDS`` from ``actors`` (usernames or ``None``, in that order), then
    ``QUERIED_FIELD`` (whether a query of the supplier is open), then ``parties`` (the text of
    :func:`issued_parties_text`) and ``PDF_URL_FIELD`` (``None``: left out, for a caller with
    no request)."""
    paid = "null" if paid_at is None else json.dumps(datetime_text(paid_at))
    who = "".join(
        f",{json.dumps(key)}:{json.dumps(name)}" for key, name in zip(ACTOR_FIELDS, actors, strict=True)
    )
    flag = f',"{QUERIED_FIELD}":{"true" if queried else "false"}'
    link = "" if pdf_url is None else f',"{PDF_URL_FIELD}":{render_json(pdf_url)}'
    return f"{frozen[:-1]}{_STATUS_KEYS[status]}{paid}{who}{flag}{parties}{link}}}"


def document_parties_text(document: StatementDocument) -> str:
    """:func:`issued_parties_text` of ``document``'s parties (as issued, or live on a draft)."""
    buyer = {key: getattr(document.buyer, key) for key in PARTY_JSON_KEYS}
    supplier = {key: getattr(document.supplier, key) for key in PARTY_JSON_KEYS}
    return issued_parties_text({**buyer, "buyer_reference": document.buyer_reference}, supplier)


def invoice_data(document: StatementDocument, *, queried: bool = False, pdf_url: str | None = None) -> dict:
    """``document``'s JSON as the API serves it, as a dict (``queried``: whether a query of its
    supplier is open, which the document does not hold; ``pdf_url``: its PDF's address)."""
    return json.loads(
        invoice_text(
            render_json(frozen_data(document)),
            document.status,
            document.paid_at,
            actors_of(document),
            queried,
            document_parties_text(document),
            pdf_url,
        )
    )


def actors_of(document: StatementDocument) -> tuple:
    """``ACTOR_FIELDS`` of ``document``, in that order."""
    return (document.approved_by, document.issued_by, document.paid_by)


def frozen_representation(statement: Statement) -> str:
    """The frozen text to keep on the row at issue: ``statement`` is being issued, with its
    number, dates and parties set."""
    return render_json(frozen_data(document(statement)))
