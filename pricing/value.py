"""The value each side gets: pay buckets by line kind, shared value and the outcome mix.

Pure arithmetic over lines already priced (amounts rounded, ``detail`` as the pricing stored
it). Nothing here prices anything: it sorts and adds what the statements hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .money import HUNDRED, ZERO, Rounding, round_money, to_decimal
from .result import LineKind


class PayBucket(StrEnum):
    """What a line pays the supplier for. ``other`` holds amounts agreed on queries and any
    line kind this module does not know (a kind added later lands there until it is mapped)."""

    FIXED = "fixed"
    PER_UNIT = "per_unit"
    SHARED_VALUE = "shared_value"
    OUTCOMES = "outcomes"
    EXPERIENCE = "experience"
    CREDITS = "credits"
    OTHER = "other"


BUCKET_OF_KIND: Mapping[str, PayBucket] = {
    LineKind.FIXED_FEE: PayBucket.FIXED,
    # The minimum top-up guarantees a unit rate's revenue: transactional pay.
    LineKind.UNIT_RATE: PayBucket.PER_UNIT,
    LineKind.MINIMUM_TOP_UP: PayBucket.PER_UNIT,
    LineKind.GAIN_SHARE: PayBucket.SHARED_VALUE,
    LineKind.PAIN_SHARE: PayBucket.SHARED_VALUE,
    LineKind.REVENUE_SHARE: PayBucket.SHARED_VALUE,
    LineKind.OUTCOME_FEE: PayBucket.OUTCOMES,
    LineKind.OUTCOME_CLAWBACK: PayBucket.OUTCOMES,
    LineKind.EXPERIENCE_BONUS: PayBucket.EXPERIENCE,
    # Earn-back returns credits levied earlier: credits net of what was earned back.
    LineKind.SERVICE_CREDIT: PayBucket.CREDITS,
    LineKind.EARN_BACK: PayBucket.CREDITS,
    # A settlement period's true-up settles a gain or revenue share paid on account.
    LineKind.TRUE_UP: PayBucket.SHARED_VALUE,
    # An annual cap limits a share or an outcome fee (the kind does not say which): shown
    # apart, with the amounts agreed on queries.
    LineKind.ANNUAL_CAP: PayBucket.OTHER,
    LineKind.AGREED: PayBucket.OTHER,
}

# The line kinds that share value, and the ``detail`` key holding the value they shared:
# baseline − actual cost for a gain share (negative for a pain share's overrun), revenue −
# baseline for a revenue share.
VALUE_KEY_OF_KIND: Mapping[str, str] = {
    LineKind.GAIN_SHARE: "saving",
    LineKind.PAIN_SHARE: "saving",
    LineKind.REVENUE_SHARE: "uplift",
}

# The buckets that pay for results rather than for activity or presence.
OUTCOME_BUCKETS = frozenset({PayBucket.SHARED_VALUE, PayBucket.OUTCOMES, PayBucket.EXPERIENCE})
# The buckets of the mix's whole: all pay before credits and agreed amounts.
MIX_BUCKETS = frozenset({PayBucket.FIXED, PayBucket.PER_UNIT, *OUTCOME_BUCKETS})
MIX_PLACES = Decimal("0.1")


def pay_bucket(kind: str) -> PayBucket:
    """The bucket of a line ``kind``; ``other`` for a kind not in :data:`BUCKET_OF_KIND`."""
    return BUCKET_OF_KIND.get(kind, PayBucket.OTHER)


def line_value(kind: str, detail: Mapping[str, str] | None) -> Decimal | None:
    """The value a share line shared (exact, as its ``detail`` holds it), or ``None`` for a
    line of another kind or without the key (an adjustment line keeps no detail).

    Raises ``ValueError`` when the stored text is not a finite number."""
    key = VALUE_KEY_OF_KIND.get(kind)
    if key is None or not detail or detail.get(key) is None:
        return None
    return to_decimal(detail[key])


def pay_by_bucket(amounts: Iterable[tuple[str, Decimal]]) -> dict[PayBucket, Decimal]:
    """``(line kind, amount)`` pairs summed per bucket; every bucket present (zero when none).
    Exact sums: the amounts are already rounded lines."""
    buckets = dict.fromkeys(PayBucket, ZERO)
    for kind, amount in amounts:
        buckets[pay_bucket(kind)] += amount
    return buckets


@dataclass(frozen=True, slots=True)
class ValueSplit:
    """Value created, in the currency's minor unit, and who got it: ``buyer_retained =
    value − supplier_share``. ``value`` is ``None`` when no share line recorded one."""

    value: Decimal | None
    supplier_share: Decimal
    buyer_retained: Decimal | None


def value_split(
    *, value: Decimal | None, supplier_share: Decimal, decimal_places: int, rounding: Rounding
) -> ValueSplit:
    """``value`` (exact) rounded once to ``decimal_places`` with ``rounding``, and the buyer's
    part of it after ``supplier_share`` (rounded lines, so the subtraction is exact)."""
    if value is None:
        return ValueSplit(None, supplier_share, None)
    rounded = round_money(value, decimal_places=decimal_places, rounding=rounding)
    return ValueSplit(rounded, supplier_share, rounded - supplier_share)


def outcome_mix(pay: Mapping[PayBucket, Decimal]) -> Decimal | None:
    """The percent of pay (fixed, per-unit, shared value, outcomes and experience; credits and
    agreed amounts left out) that pays for results (shared value, outcomes, experience),
    rounded half-up to 0.1; ``None`` when that pay is not positive."""
    whole = sum((pay.get(bucket, ZERO) for bucket in MIX_BUCKETS), ZERO)
    if whole <= 0:
        return None
    results = sum((pay.get(bucket, ZERO) for bucket in OUTCOME_BUCKETS), ZERO)
    return (results * HUNDRED / whole).quantize(MIX_PLACES, rounding=ROUND_HALF_UP)
