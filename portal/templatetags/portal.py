from decimal import Decimal

from django import template

from core.formatting import money_display

register = template.Library()


@register.filter
def money(amount: Decimal, currency) -> str:
    """``13300`` and ``GBP`` → ``"£13,300.00"``: the same text as the statement page and its PDF."""
    return money_display(amount, currency)


@register.filter
def minutes(duration) -> int:
    """A ``timedelta`` as whole minutes, rounded up (a 90-second wait reads "2 minutes")."""
    return -(-int(duration.total_seconds()) // 60)
