"""Template filters for billing's admin pages (billing may not use the portal's)."""

from decimal import Decimal

from django import template

from contracts.selectors import currency_decimal_places
from pricing.text import money_text

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency) -> str:
    """``13300`` and ``GBP`` → ``"GBP 13,300.00"``: thousands separators, the currency's
    places; "—" for no amount."""
    if amount is None:
        return "—"
    code = str(currency)
    return f"{code} {money_text(amount, currency_decimal_places(code))}"
