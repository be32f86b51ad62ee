"""The statements export (``manage.py export_statements``): the JSON finance systems read."""

from pricing.period import Period

from .documents import StatementDocument, documents
from .selectors import statements_for_period


def export_entry(document: StatementDocument) -> dict:
    """``document`` as the export lists it: amounts as strings with exactly the currency's
    decimal places (``"62500.00"``), ``adjusts`` only on adjustment documents, ``approved_by``
    and ``issued_by`` as usernames (``null`` when no user was named)."""
    amount = document.amount_text
    entry = {
        "contract": document.contract.reference,
        "period": document.period,
        "status": document.status,
        "number": document.number,
        "document_type": document.document_type,
        "currency": document.currency,
        "lines": [
            {
                "component": line.component,
                "kind": line.kind,
                "amount": amount(line.amount),
                "explanation": line.explanation,
            }
            for line in document.lines
        ],
        "net": amount(document.net),
        "tax": amount(document.tax),
        "gross": amount(document.gross),
        "flags": list(document.flags),
        "approved_by": document.approved_by,
        "issued_by": document.issued_by,
    }
    if document.adjusts is not None:
        entry["adjusts"] = document.adjusts
    return entry


def statements_export(*, period: Period, status: str = "all") -> list[dict]:
    """Statements of ``period`` ordered by contract reference (originals before their
    adjustments); four queries whatever their number."""
    ids = list(statements_for_period(period=period, status=status).values_list("pk", flat=True))
    by_id = documents(ids)
    return [export_entry(by_id[pk]) for pk in ids]
