"""One step of one KPI in the buyer's better direction, and the month priced with it (the
rules are in :mod:`pricing.alignment`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from decimal import ROUND_HALF_UP, Decimal

from ..components import Direction
from ..engine import price_period
from ..money import HUNDRED
from ..terms import PricingInput
from .report import KpiFacts, KpiStep, Sensitivity, Unchecked

PERCENT_POINT = Decimal(1)
SCORE_RANGE_PERCENT = Decimal("2.5")
RELATIVE_STEP_PERCENT = Decimal(5)


def kpis_used(components: Sequence) -> tuple[str, ...]:
    """The KPI codes the components read, in the terms' order, each once: every field named
    ``measure`` or ``…_measure``, and the ``kpi`` of every item of a tuple field (scorecards,
    service levels). Read from the dataclasses' fields, so a new component type that follows
    these names is covered without a change here."""
    codes: list[str] = []
    for component in components:
        for spec in fields(component):
            value = getattr(component, spec.name)
            if spec.name == "measure" or spec.name.endswith("_measure"):
                codes += [value] if isinstance(value, str) else []
            elif isinstance(value, tuple):
                codes += [item.kpi for item in value if isinstance(getattr(item, "kpi", None), str)]
    return tuple(dict.fromkeys(codes))


def checked_kpis(
    inp: PricingInput, kpis: Mapping[str, KpiFacts], demand_kpis: frozenset[str]
) -> tuple[str, ...]:
    """The KPIs the terms use (:func:`kpis_used`), then the contact volumes and ``demand_kpis``
    measured in the month that the terms do not use, in code order."""
    used = kpis_used(inp.terms.components)
    headline = {code for code, facts in kpis.items() if facts.volume} | demand_kpis
    measured = sorted(code for code in headline - set(used) if inp.kpis.get(code) is not None)
    return (*used, *measured)


def step_size(value: Decimal, facts: KpiFacts, override: Decimal | None = None) -> tuple[Decimal, str]:
    """The size (≥ 0) of one step of a KPI at ``value``, and the rule in words (module doc)."""
    if override is not None:
        return abs(override), f"{abs(override).normalize():f} (given)"
    if facts.unit == "percent":
        return PERCENT_POINT, "1 percentage point"
    if facts.unit == "score" and facts.min_value is not None and facts.max_value is not None:
        size = (facts.max_value - facts.min_value) * SCORE_RANGE_PERCENT / HUNDRED
        return size, "2.5 % of the score's range"
    size = abs(value) * RELATIVE_STEP_PERCENT / HUNDRED
    if facts.unit == "count":
        return max(
            size.to_integral_value(rounding=ROUND_HALF_UP), Decimal(1)
        ), "5 % of the value, whole units"
    return size, "5 % of the value"


def _bounded(moved: Decimal, facts: KpiFacts) -> Decimal:
    if facts.max_value is not None and moved > facts.max_value:
        return facts.max_value
    if facts.min_value is not None and moved < facts.min_value:
        return facts.min_value
    return moved


def _moved_along(
    code: str, reference: Decimal, moved: Decimal, kpis: Mapping, parts: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[str, Decimal, Decimal], ...]:
    """The totals a part adds to (moved by the same amount) or the parts of a total (moved in
    proportion), those that are measured."""
    along = []
    for total, summed in parts.items():
        if code in summed and kpis.get(total) is not None:
            along.append((total, kpis[total], kpis[total] + moved - reference))
    if code in parts and reference != 0:
        for part in parts[code]:
            if kpis.get(part) is not None:
                along.append((part, kpis[part], kpis[part] * moved / reference))
    return tuple(along)


def kpi_step(
    code: str,
    kpis: Mapping[str, Decimal | None],
    facts: KpiFacts | None,
    *,
    override: Decimal | None = None,
    parts: Mapping[str, tuple[str, ...]] | None = None,
) -> KpiStep | Unchecked:
    """One step of ``code`` in its buyer-better direction, or why it cannot be taken."""
    value = kpis.get(code)
    if facts is None:
        return Unchecked(code, "no catalogue entry says which way is better for the buyer")
    if value is None:
        return Unchecked(code, "not measured in the reference month")
    size, rule = step_size(value, facts, override)
    sign = Decimal(1) if facts.better == Direction.HIGHER_IS_BETTER else Decimal(-1)
    moved = _bounded(value + sign * size, facts)
    if moved == value:
        best = facts.max_value if sign > 0 else facts.min_value
        reason = "already at its best bound" if value == best else "a step of 5 % of 0 is no step"
        return Unchecked(code, reason)
    return KpiStep(code, value, moved, rule, _moved_along(code, value, moved, kpis, parts or {}))


def sensitivity(inp: PricingInput, step: KpiStep, reference_net: Decimal) -> Sensitivity:
    """Price ``inp`` again with ``step`` applied (the KPI and what moves along with it)."""
    kpis = dict(inp.kpis)
    kpis[step.kpi] = step.moved
    kpis.update({code: moved for code, _, moved in step.moved_with})
    return Sensitivity(step, reference_net, price_period(replace(inp, kpis=kpis)).net)
