"""Price one month of one contract: terms and KPI values in, a priced statement out."""

from __future__ import annotations

from .components.charges import price_fixed_fee, price_unit_rate
from .components.credits import price_earn_back, price_service_credit
from .components.experience import price_experience_bonus
from .components.shares import price_gain_share, price_outcome_fee, price_revenue_share
from .context import Month
from .money import ZERO
from .result import CHARGE_KINDS, FlagCode, Line, PricedStatement
from .terms import (
    ExperienceBonus,
    FixedFee,
    GainShare,
    OutcomeFee,
    PricingInput,
    RevenueShare,
    ServiceCredit,
    UnitRate,
)
from .totals import statement_of


def _charge_lines(inp: PricingInput, month: Month) -> list[Line]:
    lines = []
    for component in inp.terms.components:
        if isinstance(component, FixedFee):
            lines += price_fixed_fee(component, month)
        elif isinstance(component, UnitRate):
            lines += price_unit_rate(component, month)
    return lines


def _other_lines(inp: PricingInput, charges, month: Month) -> list[Line]:
    lines = []
    for component in inp.terms.components:
        if isinstance(component, GainShare):
            lines += price_gain_share(component, month)
        elif isinstance(component, RevenueShare):
            lines += price_revenue_share(component, month)
        elif isinstance(component, OutcomeFee):
            lines += price_outcome_fee(component, month)
        elif isinstance(component, ExperienceBonus):
            lines += price_experience_bonus(component, charges, month)
        elif isinstance(component, ServiceCredit):
            lines += price_service_credit(component, charges, month)
            lines += price_earn_back(component, month)
    return lines


def price_period(inp: PricingInput) -> PricedStatement:
    """Price ``inp.period`` for one contract.

    Charges (fixed fees, unit rates, minimum top-ups) come first; ``charges`` is the sum of
    those rounded lines and is the base of every percent-of-charges component. Each line is
    rounded once; ``net = Σ lines``, ``tax = round(net × tax_rate / 100)``,
    ``gross = net + tax``; a negative net is a credit note.

    Raises ``PricingError`` if the contract is not active in the period or the terms are
    inconsistent.
    """
    month = Month.of(inp)
    if month.prorated:
        month.flag(
            FlagCode.PRORATED,
            f"fixed amounts prorated for {month.active_days} of {month.days} days",
        )
    lines = _charge_lines(inp, month)
    charges = sum((line.amount for line in lines if line.kind in CHARGE_KINDS), ZERO)
    lines += _other_lines(inp, charges, month)
    return statement_of(lines, inp.terms, month.flags)
