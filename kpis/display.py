"""A KPI value as people read it: at its unit's precision, with thousands separators.

Month values are exact to ten places (``kpis.selectors.RATIO_PLACES``), which no one reads:
the month page and the consistency warnings show them rounded here, in one place, and the
page keeps the exact value beside (a ``title``).
"""

from __future__ import annotations

from decimal import Decimal

from core.formatting import number_display

# Decimal places shown per catalogue unit (``contracts.models.Kpi.Unit``).
PLACES = {"count": 0, "money": 2, "percent": 1, "score": 2, "seconds": 1}
NOT_MEASURED = "not measured"


def kpi_value_shown(value: Decimal | None, unit: str) -> str:
    """``value`` rounded half-up to its unit's places (``PLACES``; 2 for an unknown unit), with
    comma thousands separators: ``31,673`` for a count, ``84.6`` for a percentage,
    ``"not measured"`` for ``None``."""
    if value is None:
        return NOT_MEASURED
    return number_display(value, PLACES.get(unit, 2))
