"""Indexation: prices and fees uplifted at each anniversary by the change of a published index.

The rule, for a terms version with an ``Indexation`` block:

- **Anniversaries** are the months numbered ``anniversary_month``. The first is the first
  such month whose *reference month* (the anniversary minus ``reference_lag_months``) is at
  least 12 months after ``base_month``; the later ones follow every 12 months.
- At anniversary *k* the change is ``index(reference_k) / index(reference_k−1) − 1`` (the
  first one against ``base_month``, the month the contract's prices are stated at), as a
  percentage × ``sensitivity_percent`` / 100, rounded to 0.01 % with the contract's rounding
  mode, then held within ``[floor_percent, cap_percent]`` (each optional).
- The factor in force in a month is ``Π (1 + stepₖ)`` (``compound``) or ``1 + Σ stepₖ``
  (``simple``) over the anniversaries up to and including the month: an uplift applies
  from its anniversary month. Before the first anniversary the factor is 1 and nothing changes.
- An index value not yet published is read as the last value known before it, and the
  ``IndexRead`` says so (``provisional``); with no value at all on or before the month
  wanted, ``PricingError`` names the index and the month.

:mod:`pricing.indexed_terms` applies the factor to the components' prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .errors import PricingError
from .money import HUNDRED, ZERO, Rounding, round_money
from .period import Period

# "The index published for the month two months before the anniversary": by the time an
# anniversary month is billed (early the month after), that value is normally published.
DEFAULT_REFERENCE_LAG_MONTHS = 2
STEP_PLACES = 2  # each step, in percent, to 0.01 %


class Compounding(StrEnum):
    COMPOUND = "compound"
    SIMPLE = "simple"


@dataclass(frozen=True, slots=True)
class Indexation:
    """A terms version's indexation block. Percentages are in percent (``Decimal("65")``).

    ``applies_to_ids`` and ``applies_to_kinds`` (component type names such as ``"unit_rate"``)
    select the components uplifted: a component is when its id or its kind is listed.
    """

    index: str  # the index series code
    base_month: Period
    anniversary_month: int  # 1–12
    applies_to_ids: frozenset[str] = frozenset()
    applies_to_kinds: frozenset[str] = frozenset()
    sensitivity_percent: Decimal = HUNDRED
    cap_percent: Decimal | None = None
    floor_percent: Decimal | None = None
    compounding: Compounding = Compounding.COMPOUND
    reference_lag_months: int = DEFAULT_REFERENCE_LAG_MONTHS


@dataclass(frozen=True, slots=True)
class IndexRead:
    """One index value looked up: the month ``wanted``, the month ``read`` (the last one
    known when ``wanted`` is not yet published) and its ``value``."""

    wanted: Period
    read: Period
    value: Decimal

    @property
    def provisional(self) -> bool:
        return self.read != self.wanted


@dataclass(frozen=True, slots=True)
class UpliftStep:
    """One anniversary's uplift: ``change`` is the index change in percent (exact),
    ``sensitised`` that × sensitivity rounded to 0.01 %, ``percent`` the step applied (the
    sensitised change held within cap and floor), ``limit`` ``"cap"`` or ``"floor"`` when one
    held it."""

    anniversary: Period
    previous: IndexRead
    current: IndexRead
    change: Decimal
    sensitised: Decimal
    percent: Decimal
    limit: str | None = None


@dataclass(frozen=True, slots=True)
class Uplift:
    """The factor in force in a month (exact: a product or sum of 0.01 % steps) and its steps."""

    indexation: Indexation
    steps: tuple[UpliftStep, ...]
    factor: Decimal

    @property
    def reads(self) -> tuple[IndexRead, ...]:
        """Every index value read, in the order the steps read them (each month once)."""
        seen: dict[Period, IndexRead] = {}
        for step in self.steps:
            seen.setdefault(step.previous.wanted, step.previous)
            seen.setdefault(step.current.wanted, step.current)
        return tuple(seen.values())


def anniversaries(indexation: Indexation, period: Period) -> list[Period]:
    """The anniversary months on or before ``period``, oldest first (see the module's rule)."""
    lag = indexation.reference_lag_months
    earliest = indexation.base_month.shift(12 + lag)  # its reference is 12 months after base
    first = Period(earliest.year, indexation.anniversary_month)
    if first < earliest:
        first = first.shift(12)
    result = []
    while first <= period:
        result.append(first)
        first = first.shift(12)
    return result


def index_read(*, code: str, values: Mapping[Period, Decimal], wanted: Period) -> IndexRead:
    """The value of ``wanted``, or the last one known before it. Raises ``PricingError``
    naming ``code`` when there is none on or before ``wanted``, or when it is not positive."""
    if wanted in values:
        read = wanted
    else:
        known = [month for month in values if month < wanted]
        if not known:
            raise PricingError(f"index {code} has no value for {wanted} or any month before it")
        read = max(known)
    value = values[read]
    if value <= ZERO:
        raise PricingError(f"index {code} {read} is {value}: an index value must be positive")
    return IndexRead(wanted=wanted, read=read, value=value)


def _step(
    indexation: Indexation, anniversary: Period, previous: IndexRead, current: IndexRead, rounding: Rounding
) -> UpliftStep:
    """The step of one anniversary: the change × sensitivity rounded to 0.01 %, then held
    within ``[floor, cap]``."""
    change = (current.value / previous.value - 1) * HUNDRED
    sensitised = round_money(
        change * indexation.sensitivity_percent / HUNDRED, decimal_places=STEP_PLACES, rounding=rounding
    )
    percent, limit = sensitised, None
    if indexation.cap_percent is not None and sensitised > indexation.cap_percent:
        percent, limit = indexation.cap_percent, "cap"
    elif indexation.floor_percent is not None and sensitised < indexation.floor_percent:
        percent, limit = indexation.floor_percent, "floor"
    return UpliftStep(anniversary, previous, current, change, sensitised, percent, limit)


def uplift_in_force(
    *, indexation: Indexation, values: Mapping[Period, Decimal], period: Period, rounding: Rounding
) -> Uplift:
    """The uplift of ``period``: its steps, one per anniversary on or before it, and the factor
    (1 with no step). ``values`` are the index's monthly values. Raises ``PricingError`` as
    :func:`index_read` does."""
    steps, previous = [], None
    for anniversary in anniversaries(indexation, period):
        if previous is None:
            previous = index_read(code=indexation.index, values=values, wanted=indexation.base_month)
        current = index_read(
            code=indexation.index, values=values, wanted=anniversary.shift(-indexation.reference_lag_months)
        )
        steps.append(_step(indexation, anniversary, previous, current, rounding))
        previous = current
    return Uplift(indexation, tuple(steps), factor_of([s.percent for s in steps], indexation.compounding))


def factor_of(percents: list[Decimal], compounding: Compounding) -> Decimal:
    """``Π (1 + p/100)`` when compounding, ``1 + Σ p/100`` when simple; exact."""
    if compounding == Compounding.SIMPLE:
        return 1 + sum(percents, ZERO) / HUNDRED
    factor = Decimal(1)
    for percent in percents:
        factor *= 1 + percent / HUNDRED
    return factor
