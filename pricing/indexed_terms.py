"""The uplift of :mod:`pricing.indexation` applied to a month's terms, and said on its lines.

Only money amounts that are prices or fees are uplifted, never percentages, thresholds,
quantities, baselines or caps: a ``fixed_fee``'s ``amount``, a ``unit_rate``'s band prices and
``minimum_charge``, an ``outcome_fee``'s ``fee``. Each uplifted amount is ``amount × factor``
rounded with the contract's rounding mode to the currency's minor unit, or to the places the
contract states the amount with when it has more (a rate of ``0.0125`` keeps 4 places). The
components are then priced as usual, and every line of an uplifted component says the
index, the values read, the sensitivity, cap and floor, the factor and each price's change.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .components import FixedFee, OutcomeFee, UnitRate
from .indexation import IndexRead, Uplift, UpliftStep, uplift_in_force
from .money import Rounding, round_money
from .result import Flag, FlagCode, Line
from .terms import PricingInput
from .text import money_text, number_text

# The component types that carry prices or fees, by their name in the contract file.
INDEXABLE_KINDS = {"fixed_fee": FixedFee, "unit_rate": UnitRate, "outcome_fee": OutcomeFee}
KIND_OF = {terms: kind for kind, terms in INDEXABLE_KINDS.items()}


@dataclasses.dataclass(frozen=True, slots=True)
class IndexedMonth:
    """The month's input with uplifted prices, what each uplifted component's lines append,
    and the flags of index values read provisionally."""

    inp: PricingInput
    notes: dict[str, str]
    flags: tuple[Flag, ...]
    uplift: Uplift | None


def indexed_month(inp: PricingInput) -> IndexedMonth:
    """``inp`` with the prices of the components its indexation applies to uplifted by the
    factor in force in ``inp.period`` (unchanged without indexation or before the first
    anniversary). Raises ``PricingError`` when an index value needed is missing altogether."""
    indexation = inp.terms.indexation
    if indexation is None:
        return IndexedMonth(inp, {}, (), None)
    uplift = uplift_in_force(
        indexation=indexation,
        values=inp.index_values.get(indexation.index, {}),
        period=inp.period,
        rounding=inp.terms.rounding,
    )
    flags = tuple(_provisional_flag(indexation.index, read) for read in uplift.reads if read.provisional)
    if not uplift.steps:
        return IndexedMonth(inp, {}, flags, uplift)
    components, notes = [], {}
    for component in inp.terms.components:
        if _applies(component, uplift):
            component, changes = _uplifted(component, uplift.factor, inp)
            notes[component.id] = _note(uplift, changes, inp.terms.decimal_places)
        components.append(component)
    terms = dataclasses.replace(inp.terms, components=tuple(components))
    return IndexedMonth(dataclasses.replace(inp, terms=terms), notes, flags, uplift)


def annotated(lines: list[Line], month: IndexedMonth) -> list[Line]:
    """Each line of an uplifted component with the indexation note after its explanation
    and the factor in its detail; the others as they are."""
    if not month.notes:
        return lines
    factor = str(month.uplift.factor)
    return [
        dataclasses.replace(
            line,
            explanation=f"{line.explanation.rstrip('.')}. {month.notes[line.component_id]}",
            detail={**line.detail, "indexation_factor": factor},
        )
        if line.component_id in month.notes
        else line
        for line in lines
    ]


def _applies(component, uplift: Uplift) -> bool:
    kind = KIND_OF.get(type(component))
    indexation = uplift.indexation
    return kind is not None and (
        component.id in indexation.applies_to_ids or kind in indexation.applies_to_kinds
    )


def _uplifted(component, factor: Decimal, inp: PricingInput):
    """The component with its prices uplifted, and ``(label, was, now)`` for each price."""
    changes: list[tuple[str, Decimal, Decimal]] = []

    def up(amount: Decimal | None, label: str = "") -> Decimal | None:
        if amount is None:
            return None
        now = uplifted_amount(amount, factor, inp.terms.decimal_places, inp.terms.rounding)
        changes.append((label, amount, now))
        return now

    if isinstance(component, FixedFee):
        return dataclasses.replace(component, amount=up(component.amount)), changes
    if isinstance(component, OutcomeFee):
        return dataclasses.replace(component, fee=up(component.fee)), changes
    bands = tuple(
        dataclasses.replace(band, price=up(band.price), flat_fee=up(band.flat_fee, "flat fee "))
        for band in component.bands
    )
    minimum = up(component.minimum_charge, "minimum charge ")
    return dataclasses.replace(component, bands=bands, minimum_charge=minimum), changes


def uplifted_amount(amount: Decimal, factor: Decimal, decimal_places: int, rounding: Rounding) -> Decimal:
    """``amount × factor`` rounded with ``rounding`` to ``decimal_places``, or to the places
    ``amount`` is written with when it has more."""
    places = max(decimal_places, -amount.as_tuple().exponent)
    return round_money(amount * factor, decimal_places=places, rounding=rounding)


def _provisional_flag(code: str, read: IndexRead) -> Flag:
    return Flag(
        code=FlagCode.INDEX_PROVISIONAL,
        message=(
            f"index {code} {read.wanted} is not yet published: the last known value, "
            f"{read.read} ({number_text(read.value)}), is used until it is"
        ),
    )


def _value_text(code: str, read: IndexRead) -> str:
    shown = f"{code} {read.read} {number_text(read.value)}"
    return shown if not read.provisional else f"{shown} (provisional, for {read.wanted})"


def _step_text(step: UpliftStep, uplift: Uplift) -> str:
    """``2026-03: CPI 2026-01 139.6 / 2025-01 135.4 = +3.10 % × 65 % = +2.02 % (cap 4 %,
    floor 0 %)``; a step held by a limit ends ``…, held at the cap: +4.00 %``."""
    indexation = uplift.indexation
    values = f"{_value_text(indexation.index, step.current)} / {_value_text('', step.previous).lstrip()}"
    text = (
        f"{step.anniversary}: {values} = {step.change:+.2f} % × "
        f"{number_text(indexation.sensitivity_percent)} % = {step.sensitised:+.2f} %"
    )
    if step.limit is not None:
        return f"{text}, held at the {step.limit}: {step.percent:+.2f} %"
    limits = [
        f"{name} {number_text(value)} %"
        for name, value in (("cap", indexation.cap_percent), ("floor", indexation.floor_percent))
        if value is not None
    ]
    return f"{text} ({', '.join(limits)})" if limits else text


def _note(uplift: Uplift, changes: list[tuple[str, Decimal, Decimal]], decimal_places: int) -> str:
    """``Indexed × 1.0313 (CPI, compound; 2026-01: CPI 2026-01 128.4 / 2025-01 124.5 =
    +3.13 % × 100 % = +3.13 % (cap 4 %)): 2.40 → 2.48.``"""
    steps = "; ".join(_step_text(step, uplift) for step in uplift.steps)
    prices = ", ".join(
        f"{label}{_amount_text(was, decimal_places)} → {_amount_text(now, decimal_places)}"
        for label, was, now in changes
    )
    factor = number_text(uplift.factor)
    return (
        f"Indexed × {factor} ({uplift.indexation.index}, {uplift.indexation.compounding}; {steps}): {prices}."
    )


def _amount_text(amount: Decimal, decimal_places: int) -> str:
    if -amount.as_tuple().exponent <= decimal_places:
        return money_text(amount, decimal_places)
    return number_text(amount)
