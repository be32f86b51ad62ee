from decimal import Decimal

from django import template

from contracts.selectors import currency_decimal_places
from pricing.text import money_text

register = template.Library()


@register.filter
def money(amount: Decimal, currency) -> str:
    """``13300`` and ``GBP`` → ``"GBP 13,300.00"``: thousands separators, the currency's places."""
    code = str(currency)
    return f"{code} {money_text(amount, currency_decimal_places(code))}"


@register.filter
def minutes(duration) -> int:
    """A ``timedelta`` as whole minutes, rounded up (a 90-second wait reads "2 minutes")."""
    return -(-int(duration.total_seconds()) // 60)
