"""Service credits for missed service levels, the at-risk cap, and earn-back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from ..context import Month
from ..errors import PricingError
from ..money import ZERO, percent_of, quantum
from ..period import Period
from ..result import FlagCode, Line, LineKind
from ..text import measure_text, number_text, percent_text
from .direction import Direction
from .registry import Phase, prices


@dataclass(frozen=True, slots=True)
class CreditKpi:
    """Exactly one of ``credit_percent`` and ``per_point_percent`` is set."""

    kpi: str
    target: Decimal
    direction: Direction = Direction.HIGHER_IS_BETTER
    credit_percent: Decimal | None = None
    per_point_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServiceCredit:
    id: str
    kpis: tuple[CreditKpi, ...]
    at_risk_percent: Decimal
    earn_back_months: int | None = None
    title: str | None = None  # the contract file's display name; the id when absent


def missed(spec: CreditKpi, value: Decimal | None) -> bool:
    """Below target for higher-is-better, above it for lower-is-better; not measured is missed."""
    if value is None:
        return True
    if spec.direction == Direction.HIGHER_IS_BETTER:
        return value < spec.target
    return value > spec.target


def credit_percent(spec: CreditKpi, value: Decimal | None, at_risk_percent: Decimal) -> tuple[Decimal, str]:
    """The percent of charges credited for a missed KPI, and how it was reached.

    Per-point credits count whole points of shortfall (rounded down). A per-point KPI that was
    not measured credits the whole at-risk percentage: the shortfall cannot be known.
    """
    if (spec.credit_percent is None) == (spec.per_point_percent is None):
        raise PricingError(f"{spec.kpi}: give either credit_percent or per_point_percent")
    if spec.credit_percent is not None:
        return spec.credit_percent, percent_text(spec.credit_percent)
    if value is None:
        return at_risk_percent, f"not measured: the whole at-risk {percent_text(at_risk_percent)}"
    shortfall = abs(spec.target - value)
    points = shortfall.to_integral_value(rounding=ROUND_FLOOR)
    percent = points * spec.per_point_percent
    return (
        percent,
        f"{number_text(points)} full points × {percent_text(spec.per_point_percent)} = {percent_text(percent)}",
    )


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
        value = month.kpi(spec.kpi, component_id=credit.id)
        if missed(spec, value):
            percent, how = credit_percent(spec, value, credit.at_risk_percent)
            if percent > 0:
                misses.append((spec, value, percent, how))
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
    for (spec, value, _percent, how), amount in zip(misses, amounts, strict=True):
        shown = "not measured" if value is None else measure_text(value)
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
        if missed(spec, values.get(spec.kpi)):
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
