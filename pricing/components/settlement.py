"""Settlement periods and annual caps for shared value (``gain_share``, ``revenue_share``).

With ``settlement`` a share is measured over a quarter or a contract year: each month pays
``provisional_percent`` of the month's own share *on account*; the period's last month adds a
*true-up* line, the share priced once over the whole period (the sums of the period's KPI
values and baselines, never the sum of monthly shares) minus everything paid on account in
the period (earlier months from ``PricingInput.prior_lines``, and this month's). The
component's ``cap`` and ``pain_cap`` limit the period, not each month.

``annual_cap`` limits what a component pays in a contract year: a month whose lines would
take the year's total above it gets an ``annual_cap`` line bringing the total to the cap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..context import Month
from ..money import ZERO, percent_of
from ..period import Period
from ..result import FlagCode, Line, LineKind
from ..text import percent_text
from ..windows import Window, calendar_quarter, contract_year
from .registry import Pricer


class SettlementPeriod(StrEnum):
    QUARTER = "quarter"  # calendar quarters, clipped to the contract's start and end
    CONTRACT_YEAR = "contract_year"  # twelve months from the contract's start month


@dataclass(frozen=True, slots=True)
class Settlement:
    """Pay ``provisional_percent`` % of each month's share on account; true up at ``period``'s end."""

    period: SettlementPeriod
    provisional_percent: Decimal


def settlement_window(settlement: Settlement, month: Month) -> Window:
    """The settlement period holding the month being priced."""
    terms, period = month.inp.terms, month.inp.period
    if settlement.period is SettlementPeriod.QUARTER:
        return calendar_quarter(period, start=terms.start_date, end=terms.end_date)
    return contract_year(period, start=terms.start_date, end=terms.end_date)


def priced_lines(component: Any, pricer: Pricer, month: Month, charges: Decimal | None) -> list[Line]:
    """``component``'s lines as its registered pricing gives them."""
    if pricer.takes_charges:
        return pricer.price(component, charges, month)
    return pricer.price(component, month)


def component_paid(month: Month, component_id: str, window: Window) -> list[tuple[Period, Decimal]]:
    """What the earlier months of ``window`` (before the month priced) paid on the component's
    lines, month by month (months without a line are left out)."""
    paid: dict[Period, Decimal] = {}
    for line in month.inp.prior_lines:
        if line.component_id == component_id and window.first <= line.period < month.inp.period:
            paid[line.period] = paid.get(line.period, ZERO) + line.amount
    return sorted(paid.items())


def flag_pending(month: Month, code: FlagCode, component_id: str, window: Window, what: str) -> None:
    """Flag the earlier months of ``window`` with no issued document (when the input gives
    history at all): what they paid cannot be counted yet."""
    known = month.inp.prior_charges
    if known is None:
        return
    missing = [p for p in window.months(until=month.inp.period.previous()) if p not in known]
    if missing:
        months = ", ".join(map(str, missing))
        month.flag(
            code,
            f"{component_id}: {what} counts {months} once issued (not issued yet); re-priced then",
            component_id=component_id,
        )


def _paid_text(month: Month, paid: list[tuple[Period, Decimal]]) -> str:
    if not paid:
        return "nothing"
    return " + ".join(f"{p} {month.money(amount)}" for p, amount in paid)


def _within_period_caps(component: Any, exact: Decimal, paid_before: Decimal) -> Decimal:
    """Limit an on-account amount so the period's payments stay within ``cap`` and ``pain_cap``."""
    cap, pain_cap = getattr(component, "cap", None), getattr(component, "pain_cap", None)
    if cap is not None and exact > 0:
        exact = min(exact, max(cap - paid_before, ZERO))
    if pain_cap is not None and exact < 0:
        exact = max(exact, min(-pain_cap - paid_before, ZERO))
    return exact


def price_settled(component: Any, pricer: Pricer, month: Month, charges: Decimal | None) -> list[Line]:
    """The month's on-account line and, in the period's last month, the true-up line.

    On account: ``provisional_percent`` × the month's share priced without ``cap`` (exact,
    then rounded once), limited so the period's payments stay within ``cap``/``pain_cap``;
    no line when the month's share has none. The on-account line keeps the month's kind
    (``gain_share``, ``pain_share``, ``revenue_share``)."""
    settlement = component.settlement
    window = settlement_window(settlement, month)
    flag_pending(month, FlagCode.SETTLEMENT_PENDING, component.id, window, f"the {window.label} settlement")
    monthly = priced_lines(_unsettled(component, cap=None), pricer, month, charges)
    paid = component_paid(month, component.id, window)
    paid_before = sum((amount for _, amount in paid), ZERO)
    lines = []
    if monthly:
        share = sum((line.amount for line in monthly), ZERO)
        exact = _within_period_caps(component, percent_of(share, settlement.provisional_percent), paid_before)
        amount = month.round(exact)
        limited = (
            ""
            if amount == month.round(percent_of(share, settlement.provisional_percent))
            else (f", limited by the period's cap to {month.money(amount)}")
        )
        explanation = (
            f"{'; '.join(line.explanation for line in monthly)} (this month's share); on account for "
            f"{window.label}: {percent_text(settlement.provisional_percent)} of {month.money(share)}{limited}"
            f" → {month.money(amount)}"
        )
        detail = {
            **monthly[0].detail,
            "settlement": "on_account",
            "window": window.label,
            "month_share": str(share),
        }
        lines.append(Line(component.id, monthly[0].kind, amount, explanation, detail))
    if month.inp.period == window.last:
        lines += _true_up(component, pricer, month, window, paid, lines)
    return lines


def _unsettled(component: Any, **changes: Any) -> Any:
    """``component`` priced as one plain month: no settlement, no annual cap (applied apart)."""
    return dataclasses.replace(component, settlement=None, annual_cap=None, **changes)


def _measures(component: Any) -> list[str]:
    """The KPI codes the component reads: its ``*_measure`` fields."""
    return [
        getattr(component, f.name)
        for f in dataclasses.fields(component)
        if f.name.endswith("_measure") and getattr(component, f.name) is not None
    ]


def _month_values(month: Month, period: Period) -> dict:
    return month.inp.kpis if period == month.inp.period else month.inp.kpi_history.get(period, {})


def _period_month(component: Any, month: Month, window: Window) -> tuple[Any, Month] | None:
    """The component and a one-off month holding the period's sums: each KPI the component
    reads summed over the period's months, a fixed ``baseline_amount`` summed as each month
    prorates it. ``None`` (and a not-measured flag naming the month) when a month lacks a value."""
    sums: dict[str, Decimal] = {}
    for code in _measures(component):
        total = ZERO
        for period in window.months():
            value = _month_values(month, period).get(code)
            if value is None:
                month.flag(
                    FlagCode.KPI_NOT_MEASURED,
                    f"{code} was not measured in {period}: no true-up for {window.label}",
                    component_id=component.id,
                    kpi=code,
                )
                return None
            total += value
        sums[code] = total
    changes = {}
    baseline = getattr(component, "baseline_amount", None)
    if baseline is not None:
        terms = month.inp.terms
        changes["baseline_amount"] = sum(
            (baseline * p.active_days(terms.start_date, terms.end_date) / p.days for p in window.months()),
            ZERO,
        )
    inp = dataclasses.replace(month.inp, kpis=sums)
    return _unsettled(component, **changes), Month(inp=inp, active_days=month.days, days=month.days)


def _true_up(
    component: Any, pricer: Pricer, month: Month, window: Window, paid: list, on_account: list[Line]
) -> list[Line]:
    """The period's share (priced once over the period's sums, caps applying to the period)
    less what was paid on account in it, as one ``true_up`` line (0.00 when they agree)."""
    priced = _period_month(component, month, window)
    if priced is None:
        return []
    period_component, period_month = priced
    period_lines = priced_lines(period_component, pricer, period_month, None)
    share = sum((line.amount for line in period_lines), ZERO)
    this_month = sum((line.amount for line in on_account), ZERO)
    total_paid = sum((amount for _, amount in paid), ZERO) + this_month
    amount = share - total_paid
    over = "; ".join(line.explanation for line in period_lines) or "no share"
    paid_text = _paid_text(month, [*paid, (month.inp.period, this_month)])
    explanation = (
        f"True-up for {window.label}: over the period {over} (the period's share {month.money(share)}); "
        f"paid on account {paid_text} = {month.money(total_paid)}; "
        f"{month.money(share)} − {month.money(total_paid)} → {month.money(amount)}"
    )
    detail = {
        "settlement": "true_up",
        "window": window.label,
        "period_share": str(share),
        "paid": str(total_paid),
    }
    return [Line(component.id, LineKind.TRUE_UP, amount, explanation, detail)]


def annual_limit(component: Any, lines: list[Line], month: Month) -> list[Line]:
    """An ``annual_cap`` line when the month's lines would take the contract year's total
    (earlier months' lines of the component, from ``prior_lines``, plus this month's) above
    ``component.annual_cap``: it brings the total to the cap, never below what was paid
    before this month (a month is never clawed back for an earlier month's excess)."""
    terms = month.inp.terms
    window = contract_year(month.inp.period, start=terms.start_date, end=terms.end_date)
    flag_pending(month, FlagCode.SETTLEMENT_PENDING, component.id, window, "the annual cap")
    paid = component_paid(month, component.id, window)
    paid_before = sum((amount for _, amount in paid), ZERO)
    total = sum((line.amount for line in lines), ZERO)
    room = max(component.annual_cap - paid_before, ZERO)
    if total <= room:
        return []
    amount = month.round(max(room, ZERO) - total)
    explanation = (
        f"Annual cap {month.money(component.annual_cap)} for {window.label}: paid so far this year "
        f"{_paid_text(month, paid)} = {month.money(paid_before)}; room {month.money(room)}; "
        f"this month's lines {month.money(total)} limited to {month.money(room)} → {month.money(amount)}"
    )
    detail = {"window": window.label, "annual_cap": str(component.annual_cap), "paid": str(paid_before)}
    month.flag(
        FlagCode.ANNUAL_CAP_REACHED, f"{component.id}: limited by the annual cap", component_id=component.id
    )
    return [Line(component.id, LineKind.ANNUAL_CAP, amount, explanation, detail)]
