"""Which function prices each component type, and in which phase of the month.

A month is priced in two phases. The ``CHARGES`` components (fixed fees, unit rates) come
first, in the order the terms list them; the sum of their rounded lines (of the kinds in
``pricing.result.CHARGE_KINDS``) is ``charges``, the base of every percent-of-charges component. The ``AFTER_CHARGES`` components follow, again
in the order the terms list them; those registered with ``takes_charges`` are given that sum.

Each component module declares its own entry with :func:`prices`, next to the terms
dataclass it prices; :mod:`pricing.components` imports every such module, so the registry is
complete once the package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..errors import PricingError

if TYPE_CHECKING:
    from ..result import Line


class Phase(Enum):
    CHARGES = "charges"
    AFTER_CHARGES = "after_charges"


@dataclass(frozen=True, slots=True)
class Pricer:
    """The pricing of one terms dataclass: ``price(component, month)``, or
    ``price(component, charges, month)`` when ``takes_charges``."""

    terms: type
    phase: Phase
    price: Callable[..., list[Line]]
    takes_charges: bool = False


PRICERS: dict[type, Pricer] = {}


def prices(terms: type, *, phase: Phase, takes_charges: bool = False):
    """Register the decorated function as the pricing of ``terms`` (a frozen dataclass).

    Raises ``ValueError`` if ``terms`` already has one, or if a charges-phase function asks
    for ``charges`` (which are not known until that phase is over).
    """
    if terms in PRICERS:
        raise ValueError(f"{terms.__name__} is priced twice")
    if takes_charges and phase is Phase.CHARGES:
        raise ValueError(f"{terms.__name__}: a charge cannot take the month's charges")

    def register(price: Callable[..., list[Line]]) -> Callable[..., list[Line]]:
        PRICERS[terms] = Pricer(terms, phase, price, takes_charges)
        return price

    return register


def pricer_for(component: Any) -> Pricer:
    """The entry for ``component``'s exact type. Raises ``PricingError`` for an unknown type."""
    try:
        return PRICERS[type(component)]
    except KeyError:
        raise PricingError(f"no pricing for a {type(component).__name__} component") from None
