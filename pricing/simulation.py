"""Months priced one after another on proposed terms: the pure part of a terms simulation.

Each month is priced with ``price_period`` as a billing run prices it, except that the inputs
a month reads of earlier months (the KPI history, the credits levied for earn-back, and the
earlier months' lines and charges that settlement periods, annual and rolling caps read) come
from the months simulated before it, not from stored statements: :func:`carried_inputs` is the
one place that derives them, so a new multi-month input is added there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .components.credits import earn_back_window
from .engine import price_period
from .errors import PricingError
from .history import months_needed, prior_history
from .period import Period
from .result import LineKind, PricedStatement
from .terms import ContractTerms, PricingInput, PriorCredit


@dataclass(frozen=True, slots=True)
class MonthToPrice:
    """One month of a simulation: its KPI values (what-ifs applied) and the terms in force
    (``None``: no terms in force, so the month is not priced but its values are history)."""

    period: Period
    terms: ContractTerms | None
    kpis: Mapping[str, Decimal | None]
    index_values: Mapping[str, Mapping[Period, Decimal]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SimulatedMonth:
    """A simulated month: ``statement`` is ``None`` when it was not priced, with ``error``
    saying why when pricing refused it; ``inputs`` is what it was priced from."""

    period: Period
    kpis: Mapping[str, Decimal | None]
    statement: PricedStatement | None
    inputs: PricingInput | None = None
    error: str = ""


def carried_inputs(*, period: Period, terms: ContractTerms, earlier: Mapping[Period, SimulatedMonth]) -> dict:
    """The ``PricingInput`` fields of ``period`` that come from earlier months, derived from the
    simulated ``earlier`` months (by period) as a billing run derives them from stored
    documents: ``kpi_history``, the KPI values of each month the earn-back window and the
    settlement period reach back (empty for a month not simulated); ``prior_credits``, the
    service credits the month the earn-back window's length before ``period`` levied, summed
    per component and KPI, the negative sums only; and, for terms that read earlier documents
    (settlement periods, annual and rolling caps: ``pricing.history.months_needed``),
    ``prior_lines`` and ``prior_charges`` of the priced months in that reach."""
    window = earn_back_window(terms.components)
    kpi_months, line_months = months_needed(terms, period)
    history = {}
    for back in range(1, max(window, kpi_months) + 1):
        month = earlier.get(period.shift(-back))
        history[period.shift(-back)] = {} if month is None else dict(month.kpis)
    carried = {"kpi_history": history, "prior_credits": _prior_credits(period, window, earlier)}
    if line_months:
        priced = [earlier.get(period.shift(-back)) for back in range(line_months, 0, -1)]
        documents = prior_history(
            months=[(month.period, month.statement.lines) for month in priced if month and month.statement]
        )
        carried |= {"prior_lines": documents.lines, "prior_charges": documents.charges}
    return carried


def _prior_credits(
    period: Period, window: int, earlier: Mapping[Period, SimulatedMonth]
) -> tuple[PriorCredit, ...]:
    levied = earlier.get(period.shift(-window)) if window else None
    if levied is None or levied.statement is None:
        return ()
    totals: dict[tuple[str, str], Decimal] = {}
    for line in levied.statement.lines:
        if line.kind is LineKind.SERVICE_CREDIT:
            key = (line.component_id, line.kpi or "")
            totals[key] = totals.get(key, Decimal(0)) + line.amount
    return tuple(
        PriorCredit(levied.period, component_id, kpi, amount)
        for (component_id, kpi), amount in totals.items()
        if amount < 0
    )


def simulate_months(*, months: Sequence[MonthToPrice], kpi_names: Mapping[str, str]) -> list[SimulatedMonth]:
    """Price ``months`` (ascending periods) one after another, each with the multi-month inputs
    :func:`carried_inputs` derives from the months before it. A month without terms is not
    priced; a month ``price_period`` refuses (``PricingError``: the contract not active in it)
    is kept with the error's text. Amounts are as ``price_period`` rounds them."""
    done: dict[Period, SimulatedMonth] = {}
    for month in months:
        if month.terms is None:
            done[month.period] = SimulatedMonth(month.period, month.kpis, None)
            continue
        inputs = PricingInput(
            period=month.period,
            terms=month.terms,
            kpis=month.kpis,
            kpi_names=kpi_names,
            index_values=month.index_values,
            **carried_inputs(period=month.period, terms=month.terms, earlier=done),
        )
        try:
            statement = price_period(inputs)
        except PricingError as error:
            done[month.period] = SimulatedMonth(month.period, month.kpis, None, inputs, str(error))
            continue
        done[month.period] = SimulatedMonth(month.period, month.kpis, statement, inputs)
    return list(done.values())
