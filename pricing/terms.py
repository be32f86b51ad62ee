"""The pricing core's inputs: frozen dataclasses, exact decimals, no framework types.

Selectors outside ``pricing`` build these from database rows; the contract-file validator
builds them from YAML. Amounts are ``Decimal`` in the contract currency; percentages are
``Decimal`` in percent (``Decimal("12")`` means 12 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .money import Rounding
from .period import Period


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class BandMode(StrEnum):
    GRADUATED = "graduated"
    VOLUME = "volume"


@dataclass(frozen=True, slots=True)
class Band:
    """A price band: units up to ``up_to`` (inclusive; ``None`` = no upper bound) at ``price``."""

    up_to: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True)
class ShareBand:
    """A slice of a saving, measured as a percent of the baseline, shared at ``supplier_percent``."""

    up_to_percent_of_baseline: Decimal | None
    supplier_percent: Decimal


@dataclass(frozen=True, slots=True)
class FixedFee:
    id: str
    amount: Decimal  # per month, prorated


@dataclass(frozen=True, slots=True)
class UnitRate:
    id: str
    measure: str  # a `sum` KPI code
    bands: tuple[Band, ...]
    mode: BandMode = BandMode.GRADUATED
    minimum_charge: Decimal | None = None  # prorated


@dataclass(frozen=True, slots=True)
class GainShare:
    """Shared savings. Exactly one baseline form: unit cost × volume, or a fixed amount.

    Exactly one share form: ``supplier_percent`` or ``share_bands``.
    """

    id: str
    actual_measure: str  # a `money` KPI code
    baseline_unit_cost: Decimal | None = None
    volume_measure: str | None = None
    baseline_amount: Decimal | None = None  # prorated
    supplier_percent: Decimal | None = None
    share_bands: tuple[ShareBand, ...] = ()
    cap: Decimal | None = None
    pain_percent: Decimal | None = None
    pain_cap: Decimal | None = None  # positive; the pain line is >= -pain_cap


@dataclass(frozen=True, slots=True)
class RevenueShare:
    id: str
    baseline_amount: Decimal  # prorated
    actual_measure: str  # a `money` KPI code
    supplier_percent: Decimal
    cap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OutcomeFee:
    id: str
    measure: str  # a `count` KPI code
    fee: Decimal  # per outcome
    threshold: Decimal | None = None  # only outcomes above it are paid
    cap: Decimal | None = None  # money cap on the positive line
    clawback_measure: str | None = None


@dataclass(frozen=True, slots=True)
class ExperienceKpi:
    kpi: str
    weight: Decimal
    threshold: Decimal
    target: Decimal
    stretch: Decimal
    direction: Direction = Direction.HIGHER_IS_BETTER
    threshold_payout: Decimal = Decimal("0.5")
    stretch_payout: Decimal = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class ExperienceBonus:
    """Exactly one pool form: ``pool_percent`` of charges or a fixed ``pool_amount``."""

    id: str
    kpis: tuple[ExperienceKpi, ...]
    pool_percent: Decimal | None = None
    pool_amount: Decimal | None = None  # prorated
    gate: str | None = None  # None or "all_thresholds"


@dataclass(frozen=True, slots=True)
class CreditKpi:
    """Exactly one of ``credit_percent`` and ``per_point_percent`` is set."""

    kpi: str
    target: Decimal
    direction: Direction = Direction.HIGHER_IS_BETTER
    credit_percent: Decimal | None = None
    per_point_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServiceCredit:
    id: str
    kpis: tuple[CreditKpi, ...]
    at_risk_percent: Decimal
    earn_back_months: int | None = None


Component = FixedFee | UnitRate | GainShare | RevenueShare | OutcomeFee | ExperienceBonus | ServiceCredit

COMPONENT_TYPES: dict[str, type] = {
    "fixed_fee": FixedFee,
    "unit_rate": UnitRate,
    "gain_share": GainShare,
    "revenue_share": RevenueShare,
    "outcome_fee": OutcomeFee,
    "experience_bonus": ExperienceBonus,
    "service_credit": ServiceCredit,
}


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """What pricing needs of the contract itself. ``start_date``/``end_date`` are inclusive."""

    currency: str  # ISO 4217
    decimal_places: int  # the currency's minor unit
    rounding: Rounding
    tax_rate: Decimal  # percent, applied to net
    start_date: date
    end_date: date | None
    components: tuple[Component, ...]


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
class PricingInput:
    """Everything one month's pricing reads.

    ``kpis``: the month's value per KPI code; a code that is absent (or maps to ``None``)
    is *not measured*. ``kpi_history``: earlier months' values, keyed by period, for
    earn-back. ``prior_credits``: credits levied in earlier months (for earn-back).
    """

    period: Period
    terms: ContractTerms
    kpis: Mapping[str, Decimal | None]
    kpi_history: Mapping[Period, Mapping[str, Decimal | None]] = field(default_factory=dict)
    prior_credits: tuple[PriorCredit, ...] = ()
