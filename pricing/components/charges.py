"""Charges: fixed fees, unit rates in bands, minimum-charge top-ups."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
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
    """A price band: units up to ``up_to`` (inclusive; ``None`` = no upper bound) at ``price``,
    plus ``flat_fee`` once when the band is reached (:func:`flat_fees`)."""

    up_to: Decimal | None
    price: Decimal
    flat_fee: Decimal | None = None


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
    package_size: Decimal | None = None  # units per package; bands then count packages


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


def packages(units: Decimal, package_size: Decimal) -> Decimal:
    """The packages ``units`` start: ``ceil(units / package_size)`` (0 units, 0 packages)."""
    return (units / package_size).to_integral_value(rounding=ROUND_CEILING)


def flat_fees(quantity: Decimal, bands: tuple[Band, ...], mode: BandMode) -> list[Decimal | None]:
    """The flat fee due with each slice of :func:`band_slices` (``None`` for a band without one).

    A band is reached when at least one unit falls in it, so 0 units reach none. Graduated:
    the flat fee of every band reached; volume: that of the one band the quantity reaches (as
    Stripe's ``flat_amount`` and Lago's flat fee per tier work in those two modes).
    """
    slices = band_slices(quantity, bands, mode)
    if mode == BandMode.VOLUME:
        reached = [next(b for b in bands if b.up_to is None or quantity <= b.up_to)]
    else:
        reached = list(bands[: len(slices)])
    return [band.flat_fee if units > 0 else None for (units, _), band in zip(slices, reached, strict=True)]


def _slice_text(units: Decimal, price: Decimal, flat_fee: Decimal | None, month: Month) -> str:
    text = f"{number_text(units)} × {month.price(price)} = {month.money(units * price)}"
    return text if flat_fee is None else f"{text} + flat fee {month.money(flat_fee)}"


def _billed_units(rate: UnitRate, quantity: Decimal) -> tuple[Decimal, str]:
    """The quantity the bands price: the units, or the packages they start."""
    if rate.package_size is None:
        return quantity, ""
    billed = packages(quantity, rate.package_size)
    return billed, f" in packages of {number_text(rate.package_size)} = {number_text(billed)} packages"


@prices(UnitRate, phase=Phase.CHARGES)
def price_unit_rate(rate: UnitRate, month: Month) -> list[Line]:
    """Units of ``measure`` priced in bands, plus a top-up line when below ``minimum_charge``.

    With ``package_size`` the bands price the packages started (each started package whole)
    and their ``up_to`` counts packages. A band's ``flat_fee`` is added as :func:`flat_fees`
    says. A measure that was not measured prices 0 units (and flags the statement for review).
    """
    measured = month.kpi(rate.measure, component_id=rate.id)
    quantity = ZERO if measured is None else measured
    billed, package_text = _billed_units(rate, quantity)
    slices = band_slices(billed, rate.bands, rate.mode)
    flats = flat_fees(billed, rate.bands, rate.mode)
    exact = sum((units * price for units, price in slices), ZERO) + sum((f for f in flats if f), ZERO)
    amount = month.round(exact)
    parts = " + ".join(
        _slice_text(units, price, flat, month) for (units, price), flat in zip(slices, flats, strict=True)
    )
    note = " (not measured: no units)" if measured is None else ""
    explanation = f"{number_text(quantity)} {month.kpi_phrase(rate.measure)}{note}{package_text}, {rate.mode} bands: {parts or '0'} → {month.money(amount)}"
    detail = {"quantity": str(quantity), "mode": str(rate.mode), "amount": str(amount)}
    if rate.package_size is not None:
        detail["packages"] = str(billed)
    return [
        Line(rate.id, LineKind.UNIT_RATE, amount, explanation, detail),
        *_minimum_top_up(rate, amount, month),
    ]


def _minimum_top_up(rate: UnitRate, amount: Decimal, month: Month) -> list[Line]:
    """A top-up line bringing ``amount`` (the rounded unit-rate line) to the prorated
    ``minimum_charge``; none without a minimum or at or above it."""
    if rate.minimum_charge is None:
        return []
    minimum = month.round(month.prorate(rate.minimum_charge))
    if amount >= minimum:
        return []
    top_up = minimum - amount
    explanation = (
        f"Minimum charge {month.prorate_text(rate.minimum_charge)} − charged "
        f"{month.money(amount)} = top-up {month.money(top_up)}"
    )
    detail = {"minimum": str(minimum), "charged": str(amount)}
    return [Line(rate.id, LineKind.MINIMUM_TOP_UP, top_up, explanation, detail)]
