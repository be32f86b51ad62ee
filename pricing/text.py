"""Number formatting for explanations: what a supplier reads on a statement line."""

from decimal import ROUND_HALF_UP, Decimal, localcontext


def money_text(amount: Decimal, decimal_places: int) -> str:
    """``1234567.5`` → ``"1,234,567.50"`` (thousands separators, the currency's places)."""
    return f"{amount:,.{decimal_places}f}"


def number_text(value: Decimal) -> str:
    """A count, percentage or rate without trailing zeros: ``27500`` → ``"27,500"``, ``5.20`` → ``"5.2"``."""
    if value == value.to_integral_value():
        # Formatting, unlike quantize, needs no context digits: a 30-digit KPI value prints.
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"


def percent_text(value: Decimal) -> str:
    """``Decimal("12.5")`` → ``"12.5%"``."""
    return f"{number_text(value)}%"


def measure_text(value: Decimal, places: int = 2) -> str:
    """A KPI value or factor for reading, at most ``places`` decimals (display only: the
    arithmetic keeps every digit)."""
    with localcontext() as context:
        # Enough digits for the quantize step whatever the value's size.
        context.prec = max(context.prec, value.adjusted() + places + 2)
        return number_text(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def in_sentence(name: str) -> str:
    """A KPI's display name as it reads inside a sentence: ``"All contacts handled"`` →
    ``"all contacts handled"``; a name that starts with an acronym (``"CSAT score"``) or is a
    code (``"contacts_total"``) is left as it is."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name
