"""Admin columns that show an amount or a KPI value as people read it (``core.formatting``).

The model field keeps its exact decimal (``100299.1800``); the column shows ``£100,299.18``
in the row's currency and still sorts by the field.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.contrib import admin
from django.utils.html import format_html

from .formatting import kpi_display, money_display


def money_column(field: str, *, description: str | None = None, currency: Callable | None = None):
    """A ``ModelAdmin``/inline method showing ``field`` of a row in its currency, sortable by
    ``field``. ``currency(row)`` gives the code; by default the row's own ``currency``.
    An empty amount shows as ``—``."""
    currency_of = currency or (lambda row: row.currency)

    @admin.display(description=description or field, ordering=field)
    def column(self, row):
        amount = getattr(row, field)
        return "—" if amount is None else money_display(amount, currency_of(row))

    column.__name__ = f"{field}_shown"
    return column


def kpi_with_exact(value: Decimal, unit: str, *, currency=None) -> str:
    """``value`` at its unit's display precision (``81.60%``) with the exact value as the hover
    title (``81.6023738872``), as safe HTML."""
    return format_html('<span title="{}">{}</span>', value, kpi_display(value, unit, currency=currency))
