"""Experience bonus: a pool paid out by a weighted scorecard of experience KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..context import Month
from ..errors import PricingError
from ..money import ZERO, percent_of
from ..result import FlagCode, Line, LineKind
from ..text import measure_text, number_text, percent_text
from .direction import Direction
from .kpi_rounding import KpiRounding, kpi_value_text, round_kpi
from .registry import Phase, prices


@dataclass(frozen=True, slots=True)
class ExperienceKpi:
    kpi: str
    weight: Decimal
    threshold: Decimal
    target: Decimal
    stretch: Decimal
    direction: Direction = Direction.HIGHER_IS_BETTER
    threshold_payout: Decimal = Decimal("0.5")
    stretch_payout: Decimal = Decimal("1.5")
    rounding: KpiRounding | None = None  # the contract's rounding of the value before it is scored


@dataclass(frozen=True, slots=True)
class ExperienceBonus:
    """Exactly one pool form: ``pool_percent`` of charges or a fixed ``pool_amount``."""

    id: str
    kpis: tuple[ExperienceKpi, ...]
    pool_percent: Decimal | None = None
    pool_amount: Decimal | None = None  # prorated
    gate: str | None = None  # None or "all_thresholds"
    title: str | None = None  # the contract file's display name; the id when absent


def _between(low: Decimal, high: Decimal, position: Decimal, start: Decimal, end: Decimal) -> Decimal:
    """Linear interpolation from ``low`` at ``start`` to ``high`` at ``end``."""
    if end == start:
        return high
    return low + (high - low) * (position - start) / (end - start)


def payout_factor(spec: ExperienceKpi, value: Decimal) -> Decimal:
    """The payout for one KPI value on its threshold → target → stretch curve.

    Higher-is-better: below ``threshold`` 0; at threshold ``threshold_payout``; linear to 1 at
    ``target``; linear to ``stretch_payout`` at ``stretch``; flat above. Lower-is-better
    mirrors the comparisons (the values are negated, which mirrors the curve exactly).
    """
    sign = Decimal(1) if spec.direction == Direction.HIGHER_IS_BETTER else Decimal(-1)
    v, threshold, target, stretch = (sign * x for x in (value, spec.threshold, spec.target, spec.stretch))
    if v < threshold:
        return ZERO
    if v <= target:
        return _between(spec.threshold_payout, Decimal(1), v, threshold, target)
    if v <= stretch:
        return _between(Decimal(1), spec.stretch_payout, v, target, stretch)
    return spec.stretch_payout


def _pool(bonus: ExperienceBonus, charges: Decimal, month: Month) -> tuple[Decimal, str]:
    if (bonus.pool_percent is None) == (bonus.pool_amount is None):
        raise PricingError(f"{bonus.id}: give either pool_percent or pool_amount")
    if bonus.pool_percent is not None:
        pool = percent_of(charges, bonus.pool_percent)
        return (
            pool,
            f"pool {percent_text(bonus.pool_percent)} of charges {month.money(charges)} = {month.money(pool)}",
        )
    return month.prorate(bonus.pool_amount), f"pool {month.prorate_text(bonus.pool_amount)}"


def gate_reason(spec: ExperienceKpi, value: Decimal | None, payout: Decimal, month: Month) -> str | None:
    """Why ``spec`` closes an ``all_thresholds`` gate, naming the KPI (its display name) with
    its value and threshold, or ``None`` when it keeps the gate open (it pays more than 0)."""
    name = month.kpi_name(spec.kpi)
    if value is None:
        return f"{name} was not measured"
    if payout != 0:
        return None
    higher = spec.direction == Direction.HIGHER_IS_BETTER
    if (value < spec.threshold) if higher else (value > spec.threshold):
        side = "below" if higher else "above"
        return f"{name} {measure_text(value)} is {side} its threshold {number_text(spec.threshold)}"
    # At the threshold itself with a threshold payout of 0.
    return f"{name} {measure_text(value)} pays nothing at its threshold {number_text(spec.threshold)}"


def gate_text(reasons: list[str]) -> str:
    """``"; gate: A, B and C, so no bonus"`` for the KPIs that closed the gate."""
    listed = reasons[0] if len(reasons) == 1 else f"{', '.join(reasons[:-1])} and {reasons[-1]}"
    return f"; gate: {listed}, so no bonus"


@prices(ExperienceBonus, phase=Phase.AFTER_CHARGES, takes_charges=True)
def price_experience_bonus(bonus: ExperienceBonus, charges: Decimal, month: Month) -> list[Line]:
    """``pool × Σ weightᵢ × payoutᵢ / Σ weightᵢ``; one line (0 when nothing is earned).

    A KPI with a ``rounding`` is scored on its rounded value (the explanation shows both).
    A KPI that was not measured pays 0 and flags the statement. With ``gate:
    all_thresholds`` any KPI that pays 0 (below its threshold, or not measured) makes the
    bonus 0, and the explanation names each such KPI (:func:`gate_reason`).
    """
    pool, pool_text = _pool(bonus, charges, month)
    weighted, total_weight, parts, closed, at_maximum = ZERO, ZERO, [], [], True
    detail = {"pool": str(pool)}
    for spec in bonus.kpis:
        measured = month.kpi(spec.kpi, component_id=bonus.id)
        value = round_kpi(measured, spec.rounding)
        payout = ZERO if value is None else payout_factor(spec, value)
        shown = kpi_value_text(measured, value, spec.rounding)
        reason = gate_reason(spec, value, payout, month)
        closed += [reason] if reason else []
        at_maximum &= value is not None and payout == spec.stretch_payout
        parts.append(
            f"{month.kpi_name(spec.kpi)} {shown} → {measure_text(payout, 4)} × weight {number_text(spec.weight)}"
        )
        detail[f"payout.{spec.kpi}"] = str(payout)
        weighted += spec.weight * payout
        total_weight += spec.weight
    factor = weighted / total_weight
    gated = bonus.gate == "all_thresholds" and closed
    factor, gate = (ZERO, gate_text(closed)) if gated else (factor, "")
    amount = month.round(pool * factor)
    if at_maximum and bonus.kpis:
        month.flag(
            FlagCode.BONUS_AT_MAXIMUM, f"{bonus.id}: every KPI at or above stretch", component_id=bonus.id
        )
    detail["factor"] = str(factor)
    explanation = (
        f"{pool_text}; {'; '.join(parts)}; factor {measure_text(factor, 4)}{gate} → {month.money(amount)}"
    )
    return [Line(bonus.id, LineKind.EXPERIENCE_BONUS, amount, explanation, detail)]
