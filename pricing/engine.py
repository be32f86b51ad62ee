"""Price one month of one contract: terms and KPI values in, a priced statement out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .components import Phase, Pricer, pricer_for
from .components.periodic import component_lines
from .context import Month
from .indexed_terms import annotated, indexed_month
from .money import ZERO, round_money
from .result import CHARGE_KINDS, FlagCode, Line, LineKind, PricedStatement
from .terms import PricingInput
from .totals import statement_of


def _by_phase(components: tuple) -> tuple[list[tuple[Any, Pricer]], list[tuple[Any, Pricer]]]:
    """Each component with its pricing, the charges apart from the rest, in the terms' order."""
    charges, others = [], []
    for component in components:
        pricer = pricer_for(component)
        (charges if pricer.phase is Phase.CHARGES else others).append((component, pricer))
    return charges, others


def _lines(priced: list[tuple[Any, Pricer]], month: Month, charges: Decimal | None) -> list[Line]:
    lines = []
    for component, pricer in priced:
        lines += component_lines(component, pricer, month, charges)
    return lines


def price_period(inp: PricingInput) -> PricedStatement:
    """Price ``inp.period`` for one contract.

    Charges (fixed fees, unit rates, minimum top-ups) come first; ``charges`` is the sum of
    those rounded lines and is the base of every percent-of-charges component. Each line is
    rounded once; ``net = Σ lines``, ``tax = round(net × tax_rate / 100)``,
    ``gross = net + tax``; a negative net is a credit note.

    Each component is priced by the function registered for its type
    (:mod:`pricing.components.registry`): the charges phase first, then the others, each
    phase in the order the terms list the components; then one line per agreed amount.
    Terms that read earlier months (settlement periods, annual and rolling caps) are applied
    around each component's pricing (:mod:`pricing.components.periodic`).

    With an indexation block in the terms, the prices it applies to are uplifted first
    (:mod:`pricing.indexed_terms`), those components' lines say so, and a value of the index
    read before it is published flags the statement ``index_provisional``.

    Raises ``PricingError`` if the contract is not active in the period, the terms are
    inconsistent, a component's type has no pricing or an index value needed is missing.
    """
    indexed = indexed_month(inp)
    inp = indexed.inp
    month = Month.of(inp)
    if month.prorated:
        month.flag(
            FlagCode.PRORATED,
            f"fixed amounts prorated for {month.active_days} of {month.days} days",
        )
    charge_components, other_components = _by_phase(inp.terms.components)
    lines = _lines(charge_components, month, None)
    charges = sum((line.amount for line in lines if line.kind in CHARGE_KINDS), ZERO)
    lines += _lines(other_components, month, charges)
    lines += _agreed_lines(inp)
    month.flags.extend(flag for flag in indexed.flags if flag not in month.flags)
    return statement_of(annotated(lines, indexed), inp.terms, month.flags)


def _agreed_lines(inp: PricingInput) -> list[Line]:
    """One ``agreed`` line per agreed amount, last, rounded as every line is; not a charge, so
    no percent-of-charges component reads it."""
    terms = inp.terms
    return [
        Line(
            agreed.component_id,
            LineKind.AGREED,
            round_money(agreed.amount, decimal_places=terms.decimal_places, rounding=terms.rounding),
            agreed.explanation,
            {"agreed": str(agreed.amount)},
        )
        for agreed in inp.agreed
    ]
