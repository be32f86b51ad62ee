"""Price one month of one contract: terms and KPI values in, a priced statement out."""

from __future__ import annotations

from decimal import Decimal

from .components import Phase, pricer_for
from .context import Month
from .money import ZERO
from .result import CHARGE_KINDS, FlagCode, Line, PricedStatement
from .terms import PricingInput
from .totals import statement_of


def _phase_lines(priced: list, phase: Phase, month: Month, charges: Decimal | None) -> list[Line]:
    """The lines of the components priced in ``phase``, in the order the terms list them."""
    lines = []
    for component, pricer in priced:
        if pricer.phase is phase:
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
    priced = [(component, pricer_for(component)) for component in inp.terms.components]
    lines = _phase_lines(priced, Phase.CHARGES, month, None)
    charges = sum((line.amount for line in lines if line.kind in CHARGE_KINDS), ZERO)
    lines += _phase_lines(priced, Phase.AFTER_CHARGES, month, charges)
    return statement_of(lines, inp.terms, month.flags)
