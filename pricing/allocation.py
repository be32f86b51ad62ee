"""Sharing an amount among lines so the shares sum to it exactly: the largest remainder.

Used to spread a document's tax over its lines in the journal (``billing.journal``): each
line's share is proportional to its amount, rounded down to the currency's minor unit, and
the units left over go one each to the lines whose exact shares lost most to the rounding.
The arithmetic is exact (fractions), so no share depends on the decimal context.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from .money import quantum


def largest_remainder(total: Decimal, weights: Sequence[Decimal], *, decimal_places: int) -> list[Decimal]:
    """``total`` shared among ``weights`` in proportion, in units of ``decimal_places``.

    The shares sum to ``total`` exactly and each has exactly ``decimal_places`` places; each
    differs from its exact proportional share by less than one unit. Weights may be negative
    (a service credit among charges): the proportion is of their sum. When the weights sum
    to zero they are taken by size (``abs``), and when all are zero, equally. Ties for a
    left-over unit go to the earlier weight, so the result depends only on the inputs.

    Raises ``ValueError`` when ``total`` is not a whole number of units or there is no
    weight to share a non-zero total among; an empty ``weights`` with a zero total is ``[]``.
    """
    unit = quantum(decimal_places)
    units = Fraction(total) / Fraction(unit)
    if units.denominator != 1:
        raise ValueError(f"{total} is not a whole number of {unit}")
    if not weights:
        if units:
            raise ValueError(f"no line to share {total} among")
        return []
    exact = [Fraction(weight) for weight in weights]
    if sum(exact) == 0:
        exact = [abs(weight) for weight in exact]
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(exact)
    whole = sum(exact)
    shares = [units * weight / whole for weight in exact]
    floors = [math.floor(share) for share in shares]
    left = int(units) - sum(floors)  # 0 <= left < len(weights): the fractions' sum
    by_loss = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in by_loss[:left]:
        floors[i] += 1
    return [(Decimal(units_of) * unit).quantize(unit) for units_of in floors]
