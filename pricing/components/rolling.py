"""Rolling caps on service credits: at most ``rolling_cap_percent`` % of the charges of the
rolling twelve months (the month priced and the eleven before it, from the contract's start
month at the earliest) is levied in them.

Each month's room is ``round(rolling_cap_percent % × Σ charges of the window)`` less the
credits levied in the window's earlier months (their ``service_credit`` lines; earn-back
lines do not make room). Credits beyond the room are, by ``excess``:

- ``forfeit``: dropped, and the line says how much;
- ``carry_forward``: carried to later months and levied, oldest first and before the
  month's own credits, when room appears. The balance still carried is kept on the detail
  of every line of the component (``carried``), which the next month reads back from
  ``PricingInput.prior_lines``; a month that carries a balance always has a line (0.00 when
  nothing is levied), so that the chain is never broken.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..context import Month
from ..errors import PricingError
from ..money import ZERO, percent_of
from ..period import Period
from ..result import FlagCode, Line, LineKind
from ..text import percent_text
from ..windows import Window, rolling_twelve
from .settlement import flag_pending

CARRIED_KEY = "carried"


class Excess(StrEnum):
    CARRY_FORWARD = "carry_forward"
    FORFEIT = "forfeit"


Carried = list[tuple[Period, str, Decimal]]  # (month of origin, KPI, amount still owed), oldest first


def carried_text(carried: Carried) -> str:
    """The carried balance as a line's detail holds it: ``2026-01|service_level|1200.00;…``."""
    return ";".join(f"{origin}|{kpi}|{amount}" for origin, kpi, amount in carried)


def parse_carried(text: str) -> Carried:
    """The balance :func:`carried_text` wrote. Raises ``PricingError`` for anything else."""
    carried = []
    for item in filter(None, text.split(";")):
        try:
            origin, kpi, amount = item.split("|")
            carried.append((Period.parse(origin), kpi, Decimal(amount)))
        except (ValueError, ArithmeticError):
            raise PricingError(f"a carried credit balance that cannot be read: {item!r}") from None
    return carried


def carried_in(credit: Any, month: Month) -> Carried:
    """The balance left by the latest earlier month whose lines of the component record one."""
    latest = None
    for line in month.inp.prior_lines:
        recorded = line.component_id == credit.id and CARRIED_KEY in line.detail
        if recorded and (latest is None or line.period >= latest.period):
            latest = line
    return [] if latest is None else parse_carried(latest.detail[CARRIED_KEY])


def _levied_before(credit: Any, month: Month, window: Window) -> Decimal:
    """Credits levied in the window's earlier months (a positive amount)."""
    return -sum(
        (
            line.amount
            for line in month.inp.prior_lines
            if line.component_id == credit.id
            and line.kind == LineKind.SERVICE_CREDIT
            and window.first <= line.period < month.inp.period
        ),
        ZERO,
    )


def _window_charges(month: Month, window: Window, charges: Decimal) -> Decimal:
    known = month.inp.prior_charges or {}
    earlier = window.months(until=month.inp.period.previous())
    return charges + sum((known.get(p, ZERO) for p in earlier), ZERO)


def rolling_limit(credit: Any, lines: list[Line], charges: Decimal, month: Month) -> list[Line]:
    """``lines`` (the month's credits after the at-risk cap, and earn-back) with the credits
    limited to the rolling cap's room: balances carried from earlier months first (oldest
    first), then the month's credits in order. Amounts stay rounded: the cap is rounded like
    a line and every part of a credit is a difference of rounded amounts."""
    window = rolling_twelve(month.inp.period, start=month.inp.terms.start_date)
    flag_pending(month, FlagCode.ROLLING_CAP_PENDING, credit.id, window, "the rolling cap")
    base = _window_charges(month, window, charges)
    cap = month.round(percent_of(base, credit.rolling_cap_percent))
    levied = _levied_before(credit, month, window)
    room = max(cap - levied, ZERO)
    cap_text = (
        f"{window.label} cap {percent_text(credit.rolling_cap_percent)} of charges {month.money(base)} "
        f"= {month.money(cap)}, levied before this month {month.money(levied)}"
    )
    carry = credit.excess is Excess.CARRY_FORWARD
    still: Carried = []
    levies = []
    for origin, kpi, owed in carried_in(credit, month) if carry else []:
        take = min(owed, room)
        levies.append((origin, kpi, owed, take, room))
        room -= take
        if owed > take:
            still.append((origin, kpi, owed - take))
    own = []
    for line in lines:
        if line.kind == LineKind.SERVICE_CREDIT:
            take = min(-line.amount, room)
            own.append((line, take, room))
            room -= take
            if -line.amount > take and carry:
                still.append((month.inp.period, line.kpi or "", -line.amount - take))
    state = {CARRIED_KEY: carried_text(still)} if carry else {}
    result = [_carried_line(credit, month, levy, cap_text, state) for levy in levies if levy[3] > 0]
    result += [_own_line(credit, month, entry, cap_text, state) for entry in own]
    result += [line for line in lines if line.kind != LineKind.SERVICE_CREDIT]
    if carry and still and not result:
        owed = ", ".join(f"{month.money(amount)} from {origin}" for origin, _, amount in still)
        explanation = (
            f"Credits carried forward: {owed}; {cap_text}, room 0.00: nothing levied → {month.money(ZERO)}"
        )
        result.append(Line(credit.id, LineKind.SERVICE_CREDIT, ZERO, explanation, dict(state)))
    return result


def _carried_line(credit: Any, month: Month, levy: tuple, cap_text: str, state: dict) -> Line:
    origin, kpi, owed, take, room = levy
    amount = month.round(-take)
    explanation = (
        f"Credit for {month.kpi_phrase(kpi) if kpi else 'service levels'} carried forward from {origin}: "
        f"{month.money(owed)} owed; {cap_text}, room {month.money(room)}: {month.money(take)} levied"
        f"{'' if take == owed else f', {month.money(owed - take)} still carried'} → {month.money(amount)}"
    )
    detail = {"origin": str(origin), "owed": str(owed), "rolling_cap": cap_text, **state}
    return Line(credit.id, LineKind.SERVICE_CREDIT, amount, explanation, detail, kpi=kpi or None)


def _own_line(credit: Any, month: Month, entry: tuple, cap_text: str, state: dict) -> Line:
    line, take, room = entry
    raw = -line.amount
    amount = month.round(-take)
    head = line.explanation.rpartition(" → ")[0] or line.explanation
    if take == raw:
        tail = f"; within the {cap_text}, room {month.money(room)}"
    else:
        fate = "carried forward" if credit.excess is Excess.CARRY_FORWARD else "forfeited"
        tail = f"; {cap_text}, room {month.money(room)}: {month.money(take)} levied, {month.money(raw - take)} {fate}"
        month.flag(
            FlagCode.ROLLING_CAP_REACHED,
            f"{credit.id}: credits above the rolling 12-month cap {fate}",
            component_id=credit.id,
        )
    detail = {**line.detail, "raw": str(raw), "excess": str(raw - take), "rolling_cap": cap_text, **state}
    return Line(
        line.component_id, line.kind, amount, f"{head}{tail} → {month.money(amount)}", detail, kpi=line.kpi
    )
