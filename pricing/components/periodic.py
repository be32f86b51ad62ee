"""The terms that read earlier months, applied around each component's own pricing:
settlement periods and annual caps (:mod:`.settlement`), rolling caps (:mod:`.rolling`)
and the earn-back that waits for an earlier month's document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..context import Month
from ..period import Period
from ..result import FlagCode, Line
from .credits import ServiceCredit, missed
from .registry import Pricer
from .rolling import rolling_limit
from .settlement import annual_limit, price_settled, priced_lines


def component_lines(component: Any, pricer: Pricer, month: Month, charges: Decimal | None) -> list[Line]:
    """The component's lines for the month: its pricing (on account and true-up under a
    ``settlement``), limited by a rolling cap, then by an ``annual_cap``; an earn-back that
    depends on a month not issued yet is flagged."""
    if getattr(component, "settlement", None) is not None:
        lines = price_settled(component, pricer, month, charges)
    else:
        lines = priced_lines(component, pricer, month, charges)
    if isinstance(component, ServiceCredit):
        flag_earn_back_pending(component, month)
        if component.rolling_cap_percent is not None:
            lines = rolling_limit(component, lines, charges, month)
    if getattr(component, "annual_cap", None) is not None:
        lines += annual_limit(component, lines, month)
    return lines


def flag_earn_back_pending(credit: ServiceCredit, month: Month) -> None:
    """Flag ``earn_back_pending`` when the month whose credits this month may earn back
    (``earn_back_months`` ago, inside the contract) has no issued document yet and its KPI
    values (when known: a month with none measured has nothing to bill) missed a target: its
    credits cannot be read until it is issued.
    Nothing is flagged when the input gives no history (``prior_charges`` is ``None``)."""
    n, known = credit.earn_back_months, month.inp.prior_charges
    if not n or known is None:
        return
    levied_in = month.inp.period.shift(-n)
    if levied_in < Period.of(month.inp.terms.start_date) or levied_in in known:
        return
    values = month.inp.kpi_history.get(levied_in)
    # Nothing measured that month (no month to bill), or every target met: no credit to wait for.
    if values is not None and (
        not values or not any(missed(spec, values.get(spec.kpi)) for spec in credit.kpis)
    ):
        return
    month.flag(
        FlagCode.EARN_BACK_PENDING,
        f"{credit.id}: the earn-back of {levied_in}'s credits waits for {levied_in} to be issued; "
        "this month is re-priced when it is",
        component_id=credit.id,
    )
