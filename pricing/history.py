"""Earlier priced months as the inputs multi-month terms read.

:func:`prior_history` turns earlier months' lines (the documents that count: issued or paid,
every revision) into ``PricingInput.prior_lines`` and ``prior_charges``. It takes plain
``(period, lines)`` pairs, so the billing side (rows of issued documents) and a simulation
that prices months in sequence from its own results derive them the same way.
:func:`months_needed` says how far back a terms version reads, so that a loader fetches
only those months.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .money import ZERO
from .period import Period
from .result import CHARGE_KINDS, LineKind
from .terms import ContractTerms, PriorCredit, PriorLine, ServiceCredit
from .windows import calendar_quarter, contract_year

ROLLING_MONTHS_BACK = 11  # the rolling twelve months: the month priced and the eleven before


class PricedLine(Protocol):
    """What :func:`prior_history` reads of a line (a ``pricing.result.Line`` has it all)."""

    component_id: str
    kind: str
    amount: Decimal
    kpi: str | None
    detail: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PriorHistory:
    """``PricingInput.prior_lines``, ``prior_charges`` and ``prior_credits`` (the credits
    levied, for earn-back), derived from earlier months."""

    lines: tuple[PriorLine, ...]
    charges: Mapping[Period, Decimal]

    @property
    def credits(self) -> tuple[PriorCredit, ...]:
        """Each month's service credits per component and KPI, those that are a credit (< 0)."""
        return tuple(
            PriorCredit(line.period, line.component_id, line.kpi, line.amount)
            for line in self.lines
            if line.kind == LineKind.SERVICE_CREDIT and line.kpi and line.amount < 0
        )


def prior_history(*, months: Iterable[tuple[Period, Iterable[PricedLine]]]) -> PriorHistory:
    """Earlier months' documents as pricing inputs.

    ``months``: ``(period, lines)`` of each document that counts, a month's original before
    its adjustments (a month may appear several times). Lines are summed per period,
    component, kind and KPI (net of corrections), each key's detail the union of theirs, a
    later line's keys over an earlier's (an adjustment's lines carry none);
    ``charges`` holds, for every period given (even one without lines), the sum of its
    charge lines (``CHARGE_KINDS``). Exact: amounts are added as given, never rounded.
    """
    totals: dict[tuple[Period, str, str, str], list] = {}
    charges: dict[Period, Decimal] = {}
    for period, lines in months:
        charges.setdefault(period, ZERO)
        for line in lines:
            kind, kpi = str(line.kind), line.kpi or ""
            if kind in CHARGE_KINDS:
                charges[period] += line.amount
            key = (period, line.component_id, kind, kpi)
            entry = totals.setdefault(key, [ZERO, {}])
            entry[0] += line.amount
            # An adjustment's lines carry no detail: the original's is kept under theirs.
            entry[1] = {**entry[1], **line.detail}
    prior = tuple(
        PriorLine(period, component_id, kind, amount, kpi, detail)
        for (period, component_id, kind, kpi), (amount, detail) in sorted(
            totals.items(), key=lambda item: item[0][0]
        )
    )
    return PriorHistory(prior, dict(sorted(charges.items())))


def months_needed(terms: ContractTerms, period: Period) -> tuple[int, int]:
    """How many months before ``period`` the terms read: ``(kpi_months, line_months)``.

    KPI values: the earn-back window and the settlement period's earlier months. Documents'
    lines and charges: those, and the contract year's earlier months for an annual cap, the
    eleven months before for a rolling cap. 0 and 0 for terms that read no earlier month.
    """
    start, end = terms.start_date, terms.end_date
    started = period >= Period.of(start)  # before it nothing is priced: no window to read
    kpi_months = line_months = 0
    for component in terms.components:
        settlement = getattr(component, "settlement", None)
        if settlement is not None and started:
            window = (calendar_quarter if settlement.period == "quarter" else contract_year)(
                period, start=start, end=end
            )
            kpi_months = max(kpi_months, _months_between(window.first, period))
        if getattr(component, "annual_cap", None) is not None and started:
            window = contract_year(period, start=start, end=end)
            line_months = max(line_months, _months_between(window.first, period))
        if isinstance(component, ServiceCredit):
            kpi_months = max(kpi_months, component.earn_back_months or 0)
            if component.rolling_cap_percent is not None:
                line_months = max(line_months, ROLLING_MONTHS_BACK)
    return kpi_months, max(kpi_months, line_months)


def _months_between(first: Period, last: Period) -> int:
    return max((last.year - first.year) * 12 + last.month - first.month, 0)
