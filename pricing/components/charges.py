"""Charges: fixed fees, unit rates in bands, minimum-charge top-ups."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ..context import Month
from ..money import ZERO
from ..result import Line, LineKind
from ..text import number_text
from .registry import Phase, prices


class BandMode(StrEnum):
    GRADUATED = "graduated"
    VOLUME = "volume"


@dataclass(frozen=True, slots=True)
class Band:
    """A price band: units up to ``up_to`` (inclusive; ``None`` = no upper bound) at ``price``."""

    up_to: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class FixedFee:
    id: str
    amount: Decimal  # per month, prorated
    title: str | None = None  # the contract file's display name; the id when absent


@dataclass(frozen=True, slots=True)
class UnitRate:
    id: str
    measure: str  # a `sum` KPI code
    bands: tuple[Band, ...]
    mode: BandMode = BandMode.GRADUATED
    minimum_charge: Decimal | None = None  # prorated
    title: str | None = None  # the contract file's display name; the id when absent


@prices(FixedFee, phase=Phase.CHARGES)
def price_fixed_fee(fee: FixedFee, month: Month) -> list[Line]:
    """``amount`` per month, prorated for a partial month; one line."""
    amount = month.round(month.prorate(fee.amount))
    explanation = f"Fixed fee {month.prorate_text(fee.amount)} for the month → {month.money(amount)}"
    return [
        Line(
            fee.id,
            LineKind.FIXED_FEE,
            amount,
            explanation,
            {"amount": str(fee.amount), "prorated": str(amount)},
        )
    ]


def band_slices(quantity: Decimal, bands: tuple[Band, ...], mode: BandMode) -> list[tuple[Decimal, Decimal]]:
    """Split ``quantity`` into ``(units, price)`` slices.

    Graduated: each unit is priced in the band it falls in (``up_to`` inclusive).
    Volume: the band the whole quantity reaches prices every unit.
    """
    if mode == BandMode.VOLUME:
        band = next(b for b in bands if b.up_to is None or quantity <= b.up_to)
        return [(quantity, band.price)]
    slices, lower = [], ZERO
    for band in bands:
        upper = quantity if band.up_to is None else min(quantity, band.up_to)
        if upper <= lower:
            break
        slices.append((upper - lower, band.price))
        lower = upper
    return slices


@prices(UnitRate, phase=Phase.CHARGES)
def price_unit_rate(rate: UnitRate, month: Month) -> list[Line]:
    """Units of ``measure`` priced in bands, plus a top-up line when below ``minimum_charge``.

    A measure that was not measured prices 0 units (and flags the statement for review).
    """
    measured = month.kpi(rate.measure, component_id=rate.id)
    quantity = ZERO if measured is None else measured
    slices = band_slices(quantity, rate.bands, rate.mode)
    amount = month.round(sum((units * price for units, price in slices), ZERO))
    parts = " + ".join(
        f"{number_text(units)} × {month.price(price)} = {month.money(units * price)}"
        for units, price in slices
    )
    note = " (not measured: no units)" if measured is None else ""
    explanation = f"{number_text(quantity)} {month.kpi_phrase(rate.measure)}{note}, {rate.mode} bands: {parts or '0'} → {month.money(amount)}"
    detail = {"quantity": str(quantity), "mode": str(rate.mode), "amount": str(amount)}
    lines = [Line(rate.id, LineKind.UNIT_RATE, amount, explanation, detail)]
    if rate.minimum_charge is not None:
        minimum = month.round(month.prorate(rate.minimum_charge))
        if amount < minimum:
            top_up = minimum - amount
            lines.append(
                Line(
                    rate.id,
                    LineKind.MINIMUM_TOP_UP,
                    top_up,
                    f"Minimum charge {month.prorate_text(rate.minimum_charge)} − charged "
                    f"{month.money(amount)} = top-up {month.money(top_up)}",
                    {"minimum": str(minimum), "charged": str(amount)},
                )
            )
    return lines
