"""Component parameters: one entry per component type, from contract-file keys to pricing terms.

Canonical parameters are what a ``Component`` row stores and what the contract file holds:
keys in a fixed order, decimals as their exact strings (``"3.00"``), ``None`` for an open
band. Each type is one :class:`ComponentType` in :data:`COMPONENT_TYPES`: its keys, its
validation (:meth:`ComponentValidator.validate` looks the entry up) and its conversion by
keyword into the :mod:`pricing.terms` dataclass (:func:`component_to_pricing`).

Adding a component type touches two places:

1. in ``pricing/components/``, one module (or the module of its family) with the frozen
   dataclass and its pricing function registered with ``@prices(TheType, phase=...)``,
   imported by ``pricing/components/__init__.py`` and added to its ``Component`` union;
2. here, one ``register(ComponentType(...))`` entry in a module of this package (imported
   below): its name in the file, its required and optional keys in canonical order, its
   validation and its conversion into the dataclass of step 1.

Tests check that both registries list the same types and that each entry's conversion
gives the dataclass its pricing is registered for (``tests/unit/contracts/test_registry.py``,
which also adds a throwaway type to both and prices a month with it). The admin offers the
types of ``Component.Type`` (``contracts/models.py``), a column's choices with their
migration; a test checks that they are the registered types.
"""

from __future__ import annotations

import dataclasses

from pricing.terms import Component

# Each module registers its entries on import, in this order: the order in which messages about
# an unknown type list the known ones (charges first, as the contract file lists them).
from . import charges, shares, experience, credits  # noqa: F401  # isort: skip
from .base import (
    COMMON_OPTIONAL,
    COMPONENT_TITLE,
    COMPONENT_TYPES,
    MAX_BANDS,
    MAX_SCORECARD_KPIS,
    ComponentType,
    ComponentValidator,
    KpiCatalogue,
    KpiInfo,
    register,
)
from .credits import EARN_BACK_MONTHS, kpi_entry_target
from .wording import Wording

__all__ = [
    "COMMON_OPTIONAL",
    "COMPONENT_TITLE",
    "COMPONENT_TYPES",
    "EARN_BACK_MONTHS",
    "MAX_BANDS",
    "MAX_SCORECARD_KPIS",
    "ComponentType",
    "ComponentValidator",
    "KpiCatalogue",
    "KpiInfo",
    "Wording",
    "component_rate_card",
    "component_to_pricing",
    "kpi_entry_target",
    "register",
]


def component_to_pricing(
    *, component_id: str, type_: str, params: dict, catalogue: KpiCatalogue
) -> Component:
    """The :mod:`pricing.terms` dataclass for one validated component.

    ``params`` must be canonical (as stored on ``Component.params``); KPI directions come
    from ``catalogue``; the common ``title`` key, when present, is carried on the dataclass
    for every type alike. Raises ``KeyError`` for an unknown type or KPI.
    """
    entry = COMPONENT_TYPES.get(type_)
    if entry is None:
        raise KeyError(f"unknown component type {type_!r}")
    terms = entry.to_pricing(component_id, params, catalogue)
    title = params.get("title")
    return terms if title is None else dataclasses.replace(terms, title=title)


def component_rate_card(*, type_: str, params: dict, wording: Wording) -> list[str]:
    """One component's terms in words: its type's ``describe`` lines (see :mod:`.wording`).

    ``params`` should be canonical. A row that is not (edited by hand in the database, or
    stored before a rule tightened) is shown as its raw keys and values, never an error: the
    rate card is read to find such a row. Raises ``KeyError`` for an unknown type or a type
    without a describer, which the registry's tests rule out.
    """
    describe = COMPONENT_TYPES[type_].describe
    if describe is None:
        raise KeyError(f"component type {type_!r} has no rate-card wording")
    try:
        return describe(params, wording)
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        return ["Not in canonical form: " + "; ".join(f"{key} = {value!r}" for key, value in params.items())]
