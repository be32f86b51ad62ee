"""Incentive alignment: does the supplier's pay move the way the buyer wants it to?

For each KPI the terms use, :func:`alignment_check` moves the reference month's value one
step in the direction that is better for the buyer, holding every other KPI (but the parts or
the total it adds up with, below), prices the month again with
:func:`pricing.engine.price_period` and compares the nets: pay that rises is *aligned*, pay
that falls is *misaligned*, pay that stays is *indifferent*. It is a one-step sensitivity on
one month, not an optimiser: a term can look indifferent to a step and still bite further on.

The step (:func:`step_size`), unless the caller gives one per KPI (``steps``, its size):

* ``percent`` KPIs: 1 percentage point;
* ``score`` KPIs with both bounds: 2.5 % of their range (NPS, −100…100: 5 points; effort,
  1…7: 0.15);
* every other unit (counts, money, seconds; scores without bounds): 5 % of the reference
  value, whole units for counts (at least 1).

A step never crosses the KPI's bounds; a KPI already at its best bound, not measured, or
whose step is 0 (5 % of 0) is reported as not checked, with the reason.

Parts and totals: ``parts`` maps a total to the KPIs it is the sum of
(``contacts_total`` → voice, chat…). A contact removed from a part is removed from the total
too, so a part's step moves its total (when measured) by the same amount; a total's step moves
each measured part in proportion to its share, so the parts still add up to it.

Besides the KPIs the terms use, the contact volumes and the ``demand_kpis`` (FCR, repeat
contacts, cost to serve…) measured in the reference month are always checked: terms that do
not read them show as indifferent to them, which is what the buyer needs to see.

The traps the terms may hold are in :mod:`pricing.alignment.traps`. Nothing here reads a
catalogue: the caller passes each KPI's facts (:class:`KpiFacts`) as plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from ..engine import price_period
from ..errors import PricingError
from ..terms import PricingInput
from .report import AlignmentReport, KpiFacts, KpiStep, Sensitivity, Trap, Unchecked, Verdict
from .steps import checked_kpis, kpi_step, kpis_used, sensitivity, step_size
from .traps import traps_of

__all__ = [
    "AlignmentReport",
    "KpiFacts",
    "KpiStep",
    "Sensitivity",
    "Trap",
    "Unchecked",
    "Verdict",
    "alignment_check",
    "checked_kpis",
    "kpi_step",
    "kpis_used",
    "sensitivity",
    "step_size",
    "traps_of",
]


def alignment_check(
    inp: PricingInput,
    *,
    kpis: Mapping[str, KpiFacts],
    parts: Mapping[str, tuple[str, ...]] | None = None,
    steps: Mapping[str, Decimal] | None = None,
    history: Sequence[PricingInput] = (),
    demand_kpis: frozenset[str] = frozenset(),
) -> AlignmentReport:
    """The alignment of ``inp.terms`` on the reference month ``inp`` (module doc): one
    :class:`Sensitivity` per KPI the terms use that can be moved, an :class:`Unchecked` for
    the others, and the traps (:func:`pricing.alignment.traps.traps_of`) judged on ``history``
    (earlier months' inputs on the same terms; the reference month alone when empty) and
    ``demand_kpis`` (the KPIs whose improvement removes contacts: FCR, repeat contacts…).

    Amounts are the statement's rounded nets. Raises ``PricingError`` only when the reference
    month itself cannot be priced; a step whose pricing fails is reported as not checked.
    """
    reference = price_period(inp)
    sensitivities, unchecked = [], []
    for code in checked_kpis(inp, kpis, demand_kpis):
        step = kpi_step(code, inp.kpis, kpis.get(code), override=(steps or {}).get(code), parts=parts)
        if isinstance(step, Unchecked):
            unchecked.append(step)
            continue
        try:
            sensitivities.append(sensitivity(inp, step, reference.net))
        except PricingError as error:
            unchecked.append(Unchecked(code, f"the moved month cannot be priced: {error}"))
    traps = traps_of(
        inp, reference, sensitivities, history=tuple(history) or (inp,), kpis=kpis, demand_kpis=demand_kpis
    )
    return AlignmentReport(inp.period, reference.net, tuple(sensitivities), tuple(unchecked), tuple(traps))
