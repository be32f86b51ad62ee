"""Money and KPI values in admin templates, through the one formatter (``core.formatting``)."""

from decimal import Decimal, InvalidOperation

from django import template

from core.admin_columns import kpi_with_exact
from core.formatting import money_display

register = template.Library()


def _decimal(value) -> Decimal | None:
    """A snapshot's value (a string, as stored) as a ``Decimal``; ``None`` for none or for text
    that is not a number, which is then shown as it is."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@register.filter
def money(amount, currency) -> str:
    """``{{ amount|money:currency }}`` → ``£100,299.18``; ``—`` for no amount."""
    number = _decimal(amount)
    return "—" if number is None else money_display(number, currency)


@register.simple_tag
def kpi_value(value, unit, currency=None):
    """``{% kpi_value value unit currency %}``: the value at its unit's precision, with the exact
    value as the hover title; ``not measured`` for none."""
    number = _decimal(value)
    if number is None:
        return "not measured" if value in (None, "") else value
    return kpi_with_exact(number, unit or "", currency=currency)
