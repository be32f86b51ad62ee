"""Service credits for missed service levels (a percent, per point of shortfall, or stepped
bands), the at-risk cap, and earn-back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from ..context import Month
from ..errors import PricingError
from ..money import ZERO, percent_of, quantum
from ..period import Period
from ..result import FlagCode, Line, LineKind
from ..text import number_text, percent_text
from .direction import Direction
from .kpi_rounding import KpiRounding, kpi_value_text, round_kpi
from .registry import Phase, prices
from .rolling import Excess


class Shortfall(StrEnum):
    """How a per-point credit measures the shortfall: in whole points rounded down (3.5 → 3),
    exactly (3.5), or per 0.1 point or part thereof (3.42 → 3.5)."""

    WHOLE_POINTS = "whole_points"
    EXACT = "exact"
    PER_TENTH_OR_PART = "per_tenth_or_part"


@dataclass(frozen=True, slots=True)
class CreditBand:
    """One step of a stepped credit: a value beyond ``limit`` (below it for a higher-is-better
    KPI, above it for a lower-is-better one; the limit itself is not beyond) credits
    ``credit_percent`` % of charges."""

    limit: Decimal
    credit_percent: Decimal


@dataclass(frozen=True, slots=True)
class CreditKpi:
    """Exactly one of ``credit_percent``, ``per_point_percent`` and ``bands`` is set.

    With ``bands`` the KPI is missed when a band is reached, and ``target`` is the mildest
    band's limit (the contracts layer sets it so). ``shortfall`` applies to
    ``per_point_percent`` only. ``rounding``: the contract's rounding of the KPI value before
    it is compared (:mod:`.kpi_rounding`).
    """

    kpi: str
    target: Decimal
    direction: Direction = Direction.HIGHER_IS_BETTER
    credit_percent: Decimal | None = None
    per_point_percent: Decimal | None = None
    bands: tuple[CreditBand, ...] = ()
    shortfall: Shortfall = Shortfall.WHOLE_POINTS
    rounding: KpiRounding | None = None


@dataclass(frozen=True, slots=True)
class ServiceCredit:
    id: str
    kpis: tuple[CreditKpi, ...]
    at_risk_percent: Decimal
    earn_back_months: int | None = None
    title: str | None = None  # the contract file's display name; the id when absent
    rolling_cap_percent: Decimal | None = None  # of the rolling 12 months' charges (rolling.py)
    excess: Excess = Excess.FORFEIT  # what becomes of credits above the rolling cap


def beyond(direction: Direction, value: Decimal, limit: Decimal) -> bool:
    """Worse than ``limit``: below it for higher-is-better, above it for lower-is-better."""
    return value < limit if direction == Direction.HIGHER_IS_BETTER else value > limit


def missed(spec: CreditKpi, value: Decimal | None) -> bool:
    """Below target for higher-is-better, above it for lower-is-better; not measured is missed.
    A stepped KPI is missed when it reaches a band."""
    if value is None:
        return True
    if spec.bands:
        return worst_band(spec, value) is not None
    return beyond(spec.direction, value, spec.target)


def _furthest(spec: CreditKpi, bands) -> CreditBand | None:
    """Of ``bands``, the one furthest from target (the lowest limit for higher-is-better)."""
    if not bands:
        return None
    pick = min if spec.direction == Direction.HIGHER_IS_BETTER else max
    return pick(bands, key=lambda band: band.limit)


def worst_band(spec: CreditKpi, value: Decimal) -> CreditBand | None:
    """The band reached furthest from target (the lowest limit the value is below, for a
    higher-is-better KPI), or ``None`` when no band is reached."""
    return _furthest(spec, [band for band in spec.bands if beyond(spec.direction, value, band.limit)])


def _band_credit(spec: CreditKpi, value: Decimal | None) -> tuple[Decimal, str]:
    """A stepped KPI's percent: its worst band reached; not measured, its worst band of all."""
    side = "below" if spec.direction == Direction.HIGHER_IS_BETTER else "above"
    if value is None:
        band = _furthest(spec, spec.bands)
        return band.credit_percent, f"not measured: the worst band, {percent_text(band.credit_percent)}"
    band = worst_band(spec, value)
    if band is None:
        return ZERO, "no band reached"
    return band.credit_percent, f"band {side} {number_text(band.limit)}: {percent_text(band.credit_percent)}"


def _shortfall_points(spec: CreditKpi, value: Decimal) -> tuple[Decimal, str]:
    """The points a per-point credit counts, and how they read."""
    shortfall = abs(spec.target - value)
    if spec.shortfall == Shortfall.EXACT:
        return shortfall, f"{number_text(shortfall)} points short"
    if spec.shortfall == Shortfall.PER_TENTH_OR_PART:
        points = (shortfall * 10).to_integral_value(rounding=ROUND_CEILING) / 10
        return (
            points,
            f"{number_text(shortfall)} short, {number_text(points)} points counting each 0.1 or part",
        )
    points = shortfall.to_integral_value(rounding=ROUND_FLOOR)
    return points, f"{number_text(points)} full points"


def credit_percent(spec: CreditKpi, value: Decimal | None, at_risk_percent: Decimal) -> tuple[Decimal, str]:
    """The percent of charges credited for a missed KPI, and how it was reached.

    Per-point credits count the shortfall as ``spec.shortfall`` says (whole points rounded
    down by default). A per-point KPI that was not measured credits the whole at-risk
    percentage: the shortfall cannot be known. A stepped KPI credits its worst band reached.
    Raises ``PricingError`` unless exactly one credit form is set.
    """
    forms = (spec.credit_percent is not None, spec.per_point_percent is not None, bool(spec.bands))
    if sum(forms) != 1:
        raise PricingError(f"{spec.kpi}: give one of credit_percent, per_point_percent and bands")
    if spec.credit_percent is not None:
        return spec.credit_percent, percent_text(spec.credit_percent)
    if spec.bands:
        return _band_credit(spec, value)
    if value is None:
        return at_risk_percent, f"not measured: the whole at-risk {percent_text(at_risk_percent)}"
    points, how = _shortfall_points(spec, value)
    percent = points * spec.per_point_percent
    return percent, f"{how} × {percent_text(spec.per_point_percent)} = {percent_text(percent)}"


def _scale_to_cap(credits: list[Decimal], cap: Decimal, month: Month) -> list[Decimal]:
    """Scale exact credits pro rata so their rounded total equals ``cap`` exactly: each but
    the last rounded like a line, the last taking the rest.

    When the rounded shares alone exceed the cap (tiny credits, each rounded up: 1.63 of
    charges at 1 % at risk, three shares of 0.006 rounded to 0.01), the rest would be negative,
    a credit paying the supplier; those shares are then rounded down, so every share and the
    rest are at least zero.
    """
    total = sum(credits, ZERO)
    exact = [credit * cap / total for credit in credits[:-1]]
    scaled = [month.round(share) for share in exact]
    if sum(scaled, ZERO) > cap:
        scaled = [share.quantize(quantum(month.places), rounding=ROUND_FLOOR) for share in exact]
    return [*scaled, cap - sum(scaled, ZERO)]


def price_service_credit(credit: ServiceCredit, charges: Decimal, month: Month) -> list[Line]:
    """One negative line per missed KPI, their total limited to the rounded at-risk amount."""
    misses = []
    for spec in credit.kpis:
        measured = month.kpi(spec.kpi, component_id=credit.id)
        value = round_kpi(measured, spec.rounding)
        if missed(spec, value):
            percent, how = credit_percent(spec, value, credit.at_risk_percent)
            if percent > 0:
                misses.append((spec, (measured, value), percent, how))
    if not misses:
        return []
    exact = [percent_of(charges, percent) for _, _, percent, _ in misses]
    cap = month.round(percent_of(charges, credit.at_risk_percent))
    # Over the cap for certain when the exact total exceeds it by more than rounding each line
    # could take back (half a minor unit a line, a minor unit being at most 1). Such credits
    # (many points × a per-point percent) may be too large to round, so they are scaled first.
    capped = sum(exact, ZERO) > cap + len(exact)
    if not capped:
        amounts = [month.round(x) for x in exact]
        capped = sum(amounts, ZERO) > cap
    if capped:
        amounts = _scale_to_cap(exact, cap, month)
        month.flag(
            FlagCode.CREDITS_AT_CAP,
            f"{credit.id}: credits limited to the at-risk {month.money(cap)}",
            component_id=credit.id,
        )
    lines = []
    for (spec, (measured, value), _percent, how), amount in zip(misses, amounts, strict=True):
        shown = kpi_value_text(measured, value, spec.rounding)
        explanation = (
            f"{month.kpi_name(spec.kpi)} {shown} missed target {number_text(spec.target)}; {how} of charges "
            f"{month.money(charges)}"
            + (
                f"; scaled to the at-risk cap {percent_text(credit.at_risk_percent)} = {month.money(cap)}"
                if capped
                else ""
            )
            + f" → {month.money(-amount)}"
        )
        detail = {"charges": str(charges), "value": str(value), "target": str(spec.target), "cap": str(cap)}
        lines.append(Line(credit.id, LineKind.SERVICE_CREDIT, -amount, explanation, detail, kpi=spec.kpi))
    return lines


def _met_every_month(spec: CreditKpi, months: list[Period], month: Month) -> bool:
    for period in months:
        values = month.inp.kpis if period == month.inp.period else month.inp.kpi_history.get(period, {})
        if missed(spec, round_kpi(values.get(spec.kpi), spec.rounding)):
            return False
    return True


def price_earn_back(credit: ServiceCredit, month: Month) -> list[Line]:
    """Credits levied ``earn_back_months`` (N) ago, paid back if the KPI met its target in each
    of the N months since. A month missing from the history counts as not met.
    """
    n = credit.earn_back_months
    if not n:
        return []
    levied_in = month.inp.period.shift(-n)
    window = [levied_in.shift(i) for i in range(1, n + 1)]
    specs = {spec.kpi: spec for spec in credit.kpis}
    lines = []
    for prior in month.inp.prior_credits:
        spec = specs.get(prior.kpi)
        if prior.component_id != credit.id or prior.period != levied_in or spec is None:
            continue
        if _met_every_month(spec, window, month):
            amount = -prior.amount
            explanation = (
                f"Earn-back of the {month.kpi_phrase(prior.kpi)} credit of {prior.period} ({month.money(prior.amount)}): "
                f"target {number_text(spec.target)} met in each of {window[0]}…{window[-1]} → {month.money(amount)}"
            )
            lines.append(
                Line(
                    credit.id,
                    LineKind.EARN_BACK,
                    amount,
                    explanation,
                    {"levied_in": str(prior.period)},
                    kpi=prior.kpi,
                )
            )
    return lines


@prices(ServiceCredit, phase=Phase.AFTER_CHARGES, takes_charges=True)
def price_service_level(credit: ServiceCredit, charges: Decimal, month: Month) -> list[Line]:
    """This month's credits (:func:`price_service_credit`), then the earn-back of the credits
    levied ``earn_back_months`` ago (:func:`price_earn_back`)."""
    return price_service_credit(credit, charges, month) + price_earn_back(credit, month)


def earn_back_window(components) -> int:
    """The longest ``earn_back_months`` of the service credits among ``components`` (0 without
    earn-back): how many months before a month its earn-back reads (credits levied, KPI values)."""
    return max((c.earn_back_months or 0 for c in components if isinstance(c, ServiceCredit)), default=0)
