"""Contractual rounding of a KPI value before a component uses it ("CSAT is taken to a whole
number"), and how the explanation says it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from ..text import measure_text, number_text


class KpiRoundingMode(StrEnum):
    """``half_up`` and ``half_even`` to the nearest; ``down`` and ``up`` towards the lower and the
    higher number (so a negative NPS of −3.4 rounds ``down`` to −4, ``up`` to −3)."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"


_MODES = {
    KpiRoundingMode.HALF_UP: ROUND_HALF_UP,
    KpiRoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    KpiRoundingMode.DOWN: ROUND_FLOOR,
    KpiRoundingMode.UP: ROUND_CEILING,
}


@dataclass(frozen=True, slots=True)
class KpiRounding:
    """Round a KPI value to ``decimals`` places (0 = a whole number) with ``mode``."""

    decimals: int
    mode: KpiRoundingMode = KpiRoundingMode.HALF_UP


def round_kpi(value: Decimal | None, rounding: KpiRounding | None) -> Decimal | None:
    """``value`` rounded as the contract says; ``None`` (not measured) and no rounding leave it
    as it is. Idempotent: a rounded value rounds to itself."""
    if value is None or rounding is None:
        return value
    with localcontext() as context:
        # Enough digits for the quantize step whatever the value's size.
        context.prec = max(context.prec, value.adjusted() + rounding.decimals + 2)
        return value.quantize(Decimal(1).scaleb(-rounding.decimals), rounding=_MODES[rounding.mode])


def kpi_value_text(value: Decimal | None, used: Decimal | None, rounding: KpiRounding | None) -> str:
    """A KPI value as a line shows it: ``"not measured"``, ``"87.6"``, or, when the contract's
    rounding changed it, ``"87.6, rounded to 88 as the contract says"``: the value as measured
    (to two decimals, or one more than the rounding keeps, so that the rounding can be seen),
    then the value used."""
    if value is None or used is None:
        return "not measured"
    if used == value or rounding is None:
        return measure_text(value)
    shown = measure_text(value, max(2, rounding.decimals + 1))
    return f"{shown}, rounded to {number_text(used)} as the contract says"
