"""The pricing core's output: priced lines with explanations, totals and review flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class LineKind(StrEnum):
    FIXED_FEE = "fixed_fee"
    UNIT_RATE = "unit_rate"
    MINIMUM_TOP_UP = "minimum_top_up"
    GAIN_SHARE = "gain_share"
    PAIN_SHARE = "pain_share"
    REVENUE_SHARE = "revenue_share"
    OUTCOME_FEE = "outcome_fee"
    OUTCOME_CLAWBACK = "outcome_clawback"
    EXPERIENCE_BONUS = "experience_bonus"
    SERVICE_CREDIT = "service_credit"
    EARN_BACK = "earn_back"
    TRUE_UP = "true_up"
    ANNUAL_CAP = "annual_cap"
    AGREED = "agreed"


# Lines whose sum is the month's "charges", the base for percent-of-charges components.
CHARGE_KINDS = frozenset({LineKind.FIXED_FEE, LineKind.UNIT_RATE, LineKind.MINIMUM_TOP_UP})


class FlagCode(StrEnum):
    KPI_NOT_MEASURED = "kpi_not_measured"
    CREDITS_AT_CAP = "credits_at_cap"
    BONUS_AT_MAXIMUM = "bonus_at_maximum"
    PRORATED = "prorated"
    INDEX_PROVISIONAL = "index_provisional"
    EARN_BACK_PENDING = "earn_back_pending"
    SETTLEMENT_PENDING = "settlement_pending"
    ROLLING_CAP_PENDING = "rolling_cap_pending"
    ANNUAL_CAP_REACHED = "annual_cap_reached"
    ROLLING_CAP_REACHED = "rolling_cap_reached"


# Flags of a month priced while an earlier month it reads had no issued document: the
# month is priced again when that one is issued.
WAITING_FLAGS = frozenset(
    {FlagCode.EARN_BACK_PENDING, FlagCode.SETTLEMENT_PENDING, FlagCode.ROLLING_CAP_PENDING}
)


class DocumentType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True, slots=True)
class Line:
    """One priced line, rounded once to the currency's minor unit.

    ``explanation`` is the arithmetic in words a supplier can check; ``detail`` holds the
    same inputs as strings for the statement snapshot. ``kpi`` names the KPI for lines that
    belong to one (service credits, earn-back).
    """

    component_id: str
    kind: LineKind
    amount: Decimal
    explanation: str
    detail: Mapping[str, str] = field(default_factory=dict)
    kpi: str | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    code: FlagCode
    message: str
    component_id: str | None = None
    kpi: str | None = None


@dataclass(frozen=True, slots=True)
class PricedStatement:
    """A priced month: ``net = Σ lines``, ``tax = round(net × rate / 100)``, ``gross = net + tax``.

    ``document_type`` is a credit note when ``net`` is negative.
    """

    lines: tuple[Line, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal
    document_type: DocumentType
    flags: tuple[Flag, ...] = ()
