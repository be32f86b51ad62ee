"""The value axis a KPI is drawn on, one rule for the PDF's scorecard and the portal's charts.

The rule: a KPI is drawn on its natural scale where the catalogue gives one (its
``min_value`` to ``max_value``: 0–100 for percentages, −100 to 100 for NPS, 1–7 for customer
effort); otherwise from its ``min_value`` or zero up to 1.25 × the largest value drawn,
rounded up to 1, 2, 2.5 or 5 × 10ⁿ. So counts, seconds and money always start at zero, and a
small change never fills the height and reads as a collapse. A value outside the catalogue's
bounds (which ingestion refuses) widens the scale rather than being clipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

HEADROOM = Decimal("1.25")
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (``93.75`` → ``100``,
    ``0.3`` → ``0.5``); 1 for zero or less."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    return next(step.scaleb(exponent) for step in NICE_STEPS if step.scaleb(exponent) >= value)


def kpi_scale(
    values: Iterable[Decimal | None], *, scale_min: Decimal | None, scale_max: Decimal | None
) -> tuple[Decimal, Decimal]:
    """(low, high) of the axis for ``values`` (``None`` ignored) under the module's rule,
    inclusive at both ends; ``low < high`` always."""
    drawn = [value for value in values if value is not None]
    low = Decimal(0) if scale_min is None else scale_min
    if scale_max is not None:
        high = scale_max
    else:
        high = nice_ceiling(max([*drawn, low]) * HEADROOM) if max([*drawn, low]) > 0 else low + 1
    low, high = min([low, *drawn]), max([high, *drawn])
    return (low, high) if low < high else (low, low + 1)
