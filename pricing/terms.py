"""The pricing core's inputs: frozen dataclasses, exact decimals, no framework types.

Selectors outside ``pricing`` build these from database rows; the contract-file validator
builds them from YAML. Amounts are ``Decimal`` in the contract currency; percentages are
``Decimal`` in percent (``Decimal("12")`` means 12 %).

Each component type's dataclass lives with its pricing function in :mod:`pricing.components`;
they are re-exported here, so that this module stays the one import for the whole input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .components import (
    Band,
    BandMode,
    Component,
    CreditBand,
    CreditKpi,
    Direction,
    Excess,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    GainShare,
    KpiRounding,
    KpiRoundingMode,
    OutcomeFee,
    RevenueShare,
    ServiceCredit,
    Settlement,
    SettlementPeriod,
    ShareBand,
    Shortfall,
    UnitRate,
)
from .indexation import Compounding, Indexation
from .money import Rounding
from .period import Period

__all__ = [
    "AgreedAmount",
    "Band",
    "BandMode",
    "Component",
    "Compounding",
    "ContractTerms",
    "CreditBand",
    "CreditKpi",
    "Direction",
    "Excess",
    "ExperienceBonus",
    "ExperienceKpi",
    "FixedFee",
    "GainShare",
    "Indexation",
    "KpiRounding",
    "KpiRoundingMode",
    "OutcomeFee",
    "PricingInput",
    "PriorCredit",
    "PriorLine",
    "RevenueShare",
    "ServiceCredit",
    "Settlement",
    "SettlementPeriod",
    "ShareBand",
    "Shortfall",
    "UnitRate",
]


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """What pricing needs of the contract itself. ``start_date``/``end_date`` are inclusive.
    ``indexation``: the terms version's indexation block (:mod:`pricing.indexation`), if any."""

    currency: str  # ISO 4217
    decimal_places: int  # the currency's minor unit
    rounding: Rounding
    tax_rate: Decimal  # percent, applied to net
    start_date: date
    end_date: date | None
    components: tuple[Component, ...]
    indexation: Indexation | None = None


@dataclass(frozen=True, slots=True)
class PriorCredit:
    """A service credit levied in an earlier month, a candidate for earn-back.

    ``amount`` is the credit line as it was levied (negative).
    """

    period: Period
    component_id: str
    kpi: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PriorLine:
    """A line of an earlier month's documents that count (issued or paid, every revision of
    the month summed per component, kind and KPI: net of corrections).

    ``kind`` is a :class:`pricing.result.LineKind` value; ``amount`` is in the currency as
    billed (credits negative); ``kpi`` is ``""`` for lines of no KPI; ``detail`` is the
    latest revision's detail of the line (multi-month terms keep their state there, e.g. the
    credits carried forward).
    """

    period: Period
    component_id: str
    kind: str
    amount: Decimal
    kpi: str = ""
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgreedAmount:
    """An amount the buyer and the supplier agreed for the month (settling a query): priced
    as a line of its own, ``component_id`` naming what it settles, its explanation as given.
    ``amount`` is in the currency, positive owed to the supplier, negative owed back."""

    component_id: str
    amount: Decimal
    explanation: str


@dataclass(frozen=True, slots=True)
class PricingInput:
    """Everything one month's pricing reads.

    ``kpis``: the month's value per KPI code; a code that is absent (or maps to ``None``)
    is *not measured*. ``kpi_history``: earlier months' values, keyed by period, for
    earn-back. ``prior_credits``: credits levied in earlier months (for earn-back).
    ``kpi_names``: the display name of each KPI code, which explanations use; a code without
    one is shown as the code (the core's default, so the core prices without a catalogue).
    ``agreed``: amounts agreed for the month, each priced as one ``agreed`` line.
    ``index_values``: the monthly values of each index series by code (those on or before the
    period are enough), read when the terms have an indexation block.

    ``prior_lines`` and ``prior_charges`` are the earlier months that multi-month terms read
    (settlement periods, annual caps, rolling caps, earn-back): the lines of their documents
    that count, and the charges of each earlier month that has one (a month absent from
    ``prior_charges`` has no issued document yet). ``prior_charges=None`` means the caller
    gives no history at all: nothing is then flagged as pending (see :mod:`pricing.history`,
    which derives both from earlier priced months).
    """

    period: Period
    terms: ContractTerms
    kpis: Mapping[str, Decimal | None]
    kpi_history: Mapping[Period, Mapping[str, Decimal | None]] = field(default_factory=dict)
    prior_credits: tuple[PriorCredit, ...] = ()
    kpi_names: Mapping[str, str] = field(default_factory=dict)
    agreed: tuple[AgreedAmount, ...] = ()
    index_values: Mapping[str, Mapping[Period, Decimal]] = field(default_factory=dict)
    prior_lines: tuple[PriorLine, ...] = ()
    prior_charges: Mapping[Period, Decimal] | None = None
