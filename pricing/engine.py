"""Price one month of one contract: terms and KPI values in, a priced statement out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .components import Phase, Pricer, pricer_for
from .context import Month
from .money import ZERO
from .result import CHARGE_KINDS, FlagCode, Line, PricedStatement
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
        if pricer.takes_charges:
            lines += pricer.price(component, charges, month)
        else:
            lines += pricer.price(component, month)
    return lines


def price_period(inp: PricingInput) -> PricedStatement:
    """Price ``inp.period`` for one contract.

    Charges (fixed fees, unit rates, minimum top-ups) come first; ``charges`` is the sum of
    those rounded lines and is the base of every percent-of-charges component. Each line is
    rounded once; ``net = Σ lines``, ``tax = round(net × tax_rate / 100)``,
    ``gross = net + tax``; a negative net is a credit note.

    Each component is priced by the function registered for its type
    (:mod:`pricing.components.registry`): the charges phase first, then the others, each
    phase in the order the terms list the components.

    Raises ``PricingError`` if the contract is not active in the period, the terms are
    inconsistent or a component's type has no pricing.
    """
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
    return statement_of(lines, inp.terms, month.flags)
