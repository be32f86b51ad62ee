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


@dataclass(frozen=True, slots=True)
class ExperienceBonus:
    """Exactly one pool form: ``pool_percent`` of charges or a fixed ``pool_amount``."""

    id: str
    kpis: tuple[ExperienceKpi, ...]
    pool_percent: Decimal | None = None
    pool_amount: Decimal | None = None  # prorated
    gate: str | None = None  # None or "all_thresholds"


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


@prices(ExperienceBonus, phase=Phase.AFTER_CHARGES, takes_charges=True)
def price_experience_bonus(bonus: ExperienceBonus, charges: Decimal, month: Month) -> list[Line]:
    """``pool × Σ weightᵢ × payoutᵢ / Σ weightᵢ``; one line (0 when nothing is earned).

    A KPI that was not measured pays 0 and flags the statement. With ``gate:
    all_thresholds`` any KPI below its threshold (or not measured) makes the bonus 0.
    """
    pool, pool_text = _pool(bonus, charges, month)
    weighted, total_weight, parts, gate_failed, at_maximum = ZERO, ZERO, [], False, True
    detail = {"pool": str(pool)}
    for spec in bonus.kpis:
        value = month.kpi(spec.kpi, component_id=bonus.id)
        payout = ZERO if value is None else payout_factor(spec, value)
        shown = "not measured" if value is None else measure_text(value)
        gate_failed |= value is None or payout == 0
        at_maximum &= value is not None and payout == spec.stretch_payout
        parts.append(f"{spec.kpi} {shown} → {measure_text(payout, 4)} × weight {number_text(spec.weight)}")
        detail[f"payout.{spec.kpi}"] = str(payout)
        weighted += spec.weight * payout
        total_weight += spec.weight
    factor = weighted / total_weight
    if bonus.gate == "all_thresholds" and gate_failed:
        factor, gate_text = ZERO, "; gate: a KPI is below its threshold or not measured, so no bonus"
    else:
        gate_text = ""
    amount = month.round(pool * factor)
    if at_maximum and bonus.kpis:
        month.flag(
            FlagCode.BONUS_AT_MAXIMUM, f"{bonus.id}: every KPI at or above stretch", component_id=bonus.id
        )
    detail["factor"] = str(factor)
    explanation = (
        f"{pool_text}; {'; '.join(parts)}; factor {measure_text(factor, 4)}"
        f"{gate_text} → {month.money(amount)}"
    )
    return [Line(bonus.id, LineKind.EXPERIENCE_BONUS, amount, explanation, detail)]
