"""The classic incentive traps, each a :class:`~pricing.alignment.report.Trap` with a sentence.

* ``volume_pay``: a contact volume is misaligned (fewer contacts, less pay) and no KPI that
  removes contacts (``demand_kpis``, e.g. FCR, repeat contacts, cost to serve: a contact avoided
  is a cost avoided) nor any volume is aligned.
* ``cap_binding``: a capped component (gain-share, revenue share, outcome fee) is at its cap
  in at least ``CAP_MONTHS_PERCENT`` (50 %) of the months priced: savings beyond it earn nothing.
* ``credits_exceed_bonus`` / ``bonus_exceeds_credits``: the service credits at risk on the
  reference month's charges against the most the supplier can earn on top (experience pools
  at their best payout, the caps of capped shares and outcome fees), when the larger is more
  than ``BALANCE_RATIO`` (2) times the smaller. A share without a cap has no maximum: the
  credits are then not said to exceed it.
* ``experience_buyable``: a scorecard without the ``all_thresholds`` gate in which one KPI at
  stretch makes up in full for another paying nothing (``wᵢ × (stretch payoutᵢ − 1) ≥ wⱼ``);
  ``experience_paid_below_threshold``: in the reference month such a scorecard paid a bonus
  although one of its KPIs paid nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from ..components import ExperienceBonus, GainShare, OutcomeFee, RevenueShare, ServiceCredit
from ..components.experience import payout_factor
from ..engine import price_period
from ..errors import PricingError
from ..money import HUNDRED, ZERO, percent_of, round_money
from ..result import CHARGE_KINDS, PricedStatement
from ..terms import PricingInput
from ..text import in_sentence, measure_text, money_text, number_text
from .report import KpiFacts, Sensitivity, Trap, Verdict

CAP_MONTHS_PERCENT = Decimal(50)
CAPPED = (GainShare, RevenueShare, OutcomeFee)  # the components whose upside a cap limits
BALANCE_RATIO = Decimal(2)


def _name(component) -> str:
    return getattr(component, "title", None) or component.id


def _kpi(inp: PricingInput, code: str) -> str:
    """The KPI's display name inside a sentence (the code when it has none)."""
    return in_sentence(inp.kpi_names.get(code) or code)


def volume_trap(
    inp: PricingInput,
    sensitivities: Sequence[Sensitivity],
    kpis: Mapping[str, KpiFacts],
    demand_kpis: frozenset[str],
) -> list[Trap]:
    """``volume_pay`` (module doc), naming the volume step that costs the supplier most."""
    volume = [s for s in sensitivities if (f := kpis.get(s.step.kpi)) is not None and f.volume]
    rewarded = [
        s
        for s in sensitivities
        if s.verdict == Verdict.ALIGNED and (s in volume or s.step.kpi in demand_kpis)
    ]
    misaligned = [s for s in volume if s.verdict == Verdict.MISALIGNED]
    if not misaligned or rewarded:
        return []
    worst = min(misaligned, key=lambda s: s.pay_change)
    message = (
        f"{number_text(abs(worst.step.step))} fewer {_kpi(inp, worst.step.kpi)} "
        f"({number_text(worst.step.reference)} → {number_text(worst.step.moved)}) cut the supplier's pay by "
        f"{money_text(-worst.pay_change, inp.terms.decimal_places)}, and nothing in the terms rewards fewer contacts "
        "or first-contact resolution."
    )
    numbers = {"kpi": worst.step.kpi, "step": str(worst.step.step), "pay_change": str(worst.pay_change)}
    return [Trap("volume_pay", message, numbers)]


def _at_cap(component, statement: PricedStatement, places: int, rounding) -> bool:
    cap = round_money(component.cap, decimal_places=places, rounding=rounding)
    return any(line.component_id == component.id and line.amount >= cap > 0 for line in statement.lines)


def _priced(history: Sequence[PricingInput]) -> list[tuple[PricingInput, PricedStatement]]:
    """The months of ``history`` priced; a month that cannot be priced is left out."""
    priced = []
    for month in history:
        try:
            priced.append((month, price_period(month)))
        except PricingError:
            continue
    return priced


def _cap_trap(component, at_cap: list[str], months: int, terms) -> Trap:
    places = terms.decimal_places
    share = len(at_cap) * HUNDRED / months
    message = (
        f"{_name(component)} was at its cap of {money_text(component.cap, places)} in {len(at_cap)} of "
        f"{months} months ({measure_text(share, 0)} %): anything beyond it earns the supplier nothing."
    )
    numbers = {
        "component": component.id,
        "cap": str(round_money(component.cap, decimal_places=places, rounding=terms.rounding)),
        "months_at_cap": str(len(at_cap)),
        "months": str(months),
        "periods_at_cap": ", ".join(at_cap),
    }
    return Trap("cap_binding", message, numbers)


def cap_traps(history: Sequence[PricingInput]) -> list[Trap]:
    """``cap_binding`` (module doc) for each capped component, on the months of ``history``
    that can be priced (a month that cannot is left out of the count)."""
    priced = _priced(history)
    if not priced:
        return []
    terms = priced[-1][0].terms
    traps = []
    for component in terms.components:
        if not isinstance(component, CAPPED) or component.cap is None:
            continue
        at_cap = [
            str(m.period) for m, s in priced if _at_cap(component, s, terms.decimal_places, terms.rounding)
        ]
        if at_cap and len(at_cap) * HUNDRED >= CAP_MONTHS_PERCENT * len(priced):
            traps.append(_cap_trap(component, at_cap, len(priced), terms))
    return traps


def _pool_maximum(bonus: ExperienceBonus, charges: Decimal, inp: PricingInput) -> Decimal:
    """The pool × the best factor the scorecard can reach (every KPI at its stretch payout)."""
    if bonus.pool_percent is not None:
        pool = percent_of(charges, bonus.pool_percent)
    else:
        active = inp.period.active_days(inp.terms.start_date, inp.terms.end_date)
        pool = bonus.pool_amount * active / inp.period.days
    weights = sum((k.weight for k in bonus.kpis), ZERO)
    best = sum((k.weight * k.stretch_payout for k in bonus.kpis), ZERO)
    return pool * best / weights if weights else ZERO


def upside(inp: PricingInput, charges: Decimal) -> tuple[Decimal, list[str]]:
    """The most the supplier can earn on top of its charges in the month, and the components
    whose upside has no maximum (shares and outcome fees without a cap)."""
    maximum, uncapped = ZERO, []
    for component in inp.terms.components:
        if isinstance(component, ExperienceBonus):
            maximum += _pool_maximum(component, charges, inp)
        elif isinstance(component, CAPPED):
            if component.cap is None:
                uncapped.append(_name(component))
            else:
                maximum += component.cap
    return maximum, uncapped


def balance_traps(inp: PricingInput, reference: PricedStatement) -> list[Trap]:
    """``credits_exceed_bonus`` or ``bonus_exceeds_credits`` (module doc)."""
    places = inp.terms.decimal_places
    charges = sum((line.amount for line in reference.lines if line.kind in CHARGE_KINDS), ZERO)
    at_risk = sum(
        (
            percent_of(charges, c.at_risk_percent)
            for c in inp.terms.components
            if isinstance(c, ServiceCredit)
        ),
        ZERO,
    )
    bonus, uncapped = upside(inp, charges)
    numbers = {
        "at_risk": str(round_money(at_risk, decimal_places=places, rounding=inp.terms.rounding)),
        "maximum_bonus": str(round_money(bonus, decimal_places=places, rounding=inp.terms.rounding)),
        "uncapped": ", ".join(uncapped),
    }
    risk, most = money_text(at_risk, places), money_text(bonus, places)
    if at_risk > BALANCE_RATIO * bonus and not uncapped:
        message = (
            f"Credits at risk ({risk} on charges of {money_text(charges, places)}) are more than "
            f"{number_text(BALANCE_RATIO)} times the most the supplier can earn on top ({most}): "
            "the terms punish more than they reward."
        )
        return [Trap("credits_exceed_bonus", message, numbers)]
    if bonus > BALANCE_RATIO * at_risk:
        message = (
            f"The most the supplier can earn on top ({most}) is more than "
            f"{number_text(BALANCE_RATIO)} times the credits at risk ({risk}): missing a service "
            "level costs little against what over-delivery earns."
        )
        return [Trap("bonus_exceeds_credits", message, numbers)]
    return []


def _buying_pair(bonus: ExperienceBonus):
    """The KPIs (at stretch, paying nothing) where the first makes up most for the second,
    when it makes up in full: ``wᵢ × (stretch payoutᵢ − 1) ≥ wⱼ``; else ``None``."""
    pairs = [(a, b) for a in bonus.kpis for b in bonus.kpis if a is not b]
    best = max(pairs, key=lambda p: p[0].weight * (p[0].stretch_payout - 1) - p[1].weight, default=None)
    if best is None or best[0].weight * (best[0].stretch_payout - 1) < best[1].weight:
        return None
    return best


def experience_traps(inp: PricingInput, reference: PricedStatement) -> list[Trap]:
    """``experience_buyable`` and ``experience_paid_below_threshold`` (module doc), for each
    scorecard without the ``all_thresholds`` gate."""
    traps, places = [], inp.terms.decimal_places
    for bonus in inp.terms.components:
        if not isinstance(bonus, ExperienceBonus) or bonus.gate == "all_thresholds" or len(bonus.kpis) < 2:
            continue
        pair = _buying_pair(bonus)
        if pair is not None:
            high, low = pair
            message = (
                f"{_name(bonus)} has no gate: {_kpi(inp, high.kpi)} at stretch (weight {number_text(high.weight)}, payout "
                f"{number_text(high.stretch_payout)}) buys the full target bonus with {_kpi(inp, low.kpi)} below its "
                f"threshold (weight {number_text(low.weight)})."
            )
            numbers = {"component": bonus.id, "over_delivered": high.kpi, "under_delivered": low.kpi}
            traps.append(Trap("experience_buyable", message, numbers))
        paid = sum((line.amount for line in reference.lines if line.component_id == bonus.id), ZERO)
        zero = [
            k.kpi for k in bonus.kpis if inp.kpis.get(k.kpi) is None or payout_factor(k, inp.kpis[k.kpi]) == 0
        ]
        if paid > 0 and zero:
            message = (
                f"{_name(bonus)} paid {money_text(paid, places)} in {inp.period} although "
                f"{', '.join(_kpi(inp, code) for code in zero)} paid nothing (below threshold or not measured): there is no gate."
            )
            numbers = {"component": bonus.id, "paid": str(paid), "kpis_paying_nothing": ", ".join(zero)}
            traps.append(Trap("experience_paid_below_threshold", message, numbers))
    return traps


def traps_of(
    inp: PricingInput,
    reference: PricedStatement,
    sensitivities: Sequence[Sensitivity],
    *,
    history: Sequence[PricingInput],
    kpis: Mapping[str, KpiFacts],
    demand_kpis: frozenset[str],
) -> list[Trap]:
    """Every trap of ``inp.terms`` (module doc), in the order listed there. ``reference`` is
    ``inp`` priced; ``history`` the months the cap count is made on."""
    return [
        *volume_trap(inp, sensitivities, kpis, demand_kpis),
        *cap_traps(history),
        *balance_traps(inp, reference),
        *experience_traps(inp, reference),
    ]
