"""Money arithmetic: exact decimals, rounded once per line in one place.

The core never sees a float. Values come in as ``Decimal`` (or strings parsed here), stay
exact through the arithmetic, and are rounded once, by :func:`round_money`, to the
currency's minor unit with the contract's rounding mode.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from .errors import PricingError


class Rounding(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"


_DECIMAL_ROUNDING = {Rounding.HALF_UP: ROUND_HALF_UP, Rounding.HALF_EVEN: ROUND_HALF_EVEN}
HUNDRED = Decimal(100)
ZERO = Decimal(0)
# The largest line, net or tax the core produces, exclusive. A statement keeps amounts in
# 20 digits with 4 decimals (below 10^16), and gross = net + tax stays below 2 × 10^15; the
# quantize step needs at most 19 of the context's 28 digits. Contract-file bounds keep every
# contract-stated amount far below it; only extreme KPI values can reach it.
MAX_AMOUNT = Decimal(10) ** 15


def to_decimal(value: Decimal | str | int) -> Decimal:
    """An exact ``Decimal`` from a ``Decimal``, ``int`` or numeric string.

    Raises ``TypeError`` for a float (floats are never money) and ``ValueError`` for text
    that is not a finite number.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(f"refusing {type(value).__name__} {value!r}: use a string or Decimal")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def quantum(decimal_places: int) -> Decimal:
    """The minor unit for ``decimal_places`` (2 → ``Decimal('0.01')``, 0 → ``Decimal('1')``)."""
    return Decimal(1).scaleb(-decimal_places)


def round_money(amount: Decimal, *, decimal_places: int, rounding: Rounding) -> Decimal:
    """Round ``amount`` to ``decimal_places`` with ``rounding`` (half-up or half-even).

    Always returns a value with exactly ``decimal_places`` places, ``-0`` normalised to ``0``.
    Raises ``TypeError`` for anything but a ``Decimal`` (a float must never reach a line), and
    ``PricingError`` when ``|amount|`` is ``MAX_AMOUNT`` (10^15) or more, or not finite: a
    statement could not hold it, and quantizing it could overflow the decimal context.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"refusing {type(amount).__name__} {amount!r}: money is Decimal")
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise PricingError(
            f"an amount of {amount:.6E} is beyond what a statement holds (below 10^15 in magnitude): "
            "check the KPI values and the terms"
        )
    rounded = amount.quantize(quantum(decimal_places), rounding=_DECIMAL_ROUNDING[Rounding(rounding)])
    return rounded + 0 if rounded.is_zero() else rounded  # drop a negative zero's sign


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """``amount × percent / 100``, exact (not rounded)."""
    return amount * percent / HUNDRED
