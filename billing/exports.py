"""The statements export (``manage.py export_statements``): the JSON finance systems read."""

from decimal import Decimal

from contracts.selectors import currency_decimal_places
from pricing.money import quantum
from pricing.period import Period

from .selectors import statements_for_period


def format_amount(amount: Decimal, currency: str) -> str:
    """An amount as a string with exactly the currency's decimal places (``"62500.00"``)."""
    return str(amount.quantize(quantum(currency_decimal_places(currency))))


def statement_document(statement) -> dict:
    currency = str(statement.currency)
    document = {
        "contract": statement.contract.reference,
        "period": statement.period,
        "status": statement.status,
        "number": statement.number,
        "document_type": statement.document_type,
        "currency": currency,
        "lines": [
            {
                "component": line.component_id,
                "kind": line.kind,
                "amount": format_amount(line.amount, currency),
                "explanation": line.explanation,
            }
            for line in statement.lines.all()
        ],
        "net": format_amount(statement.net, currency),
        "tax": format_amount(statement.tax, currency),
        "gross": format_amount(statement.gross, currency),
        "flags": [flag["code"] for flag in statement.flags],
    }
    if statement.adjusts_id:
        document["adjusts"] = statement.adjusts.number
    return document


def statements_export(*, period: Period, status: str = "all") -> list[dict]:
    """Statements of ``period`` ordered by contract reference (originals before their adjustments)."""
    return [statement_document(s) for s in statements_for_period(period=period, status=status)]
