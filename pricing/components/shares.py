"""Shared value: gain-share (and pain-share), revenue share, outcome fees."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..context import Month
from ..errors import PricingError
from ..money import ZERO, percent_of
from ..result import Line, LineKind
from ..text import number_text, percent_text
from .registry import Phase, prices
from .settlement import Settlement


@dataclass(frozen=True, slots=True)
class ShareBand:
    """A slice of a saving, measured as a percent of the baseline, shared at ``supplier_percent``."""

    up_to_percent_of_baseline: Decimal | None
    supplier_percent: Decimal


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
    title: str | None = None  # the contract file's display name; the id when absent
    pain_bands: tuple[ShareBand, ...] = ()  # instead of pain_percent: the overrun shared by band
    settlement: Settlement | None = None  # measured over a period, paid on account (settlement.py)
    annual_cap: Decimal | None = None  # per contract year (settlement.py)


@dataclass(frozen=True, slots=True)
class RevenueShare:
    id: str
    baseline_amount: Decimal  # prorated
    actual_measure: str  # a `money` KPI code
    supplier_percent: Decimal
    cap: Decimal | None = None
    title: str | None = None  # the contract file's display name; the id when absent
    settlement: Settlement | None = None  # measured over a period, paid on account (settlement.py)
    annual_cap: Decimal | None = None  # per contract year (settlement.py)


@dataclass(frozen=True, slots=True)
class OutcomeFee:
    id: str
    measure: str  # a `count` KPI code
    fee: Decimal  # per outcome
    threshold: Decimal | None = None  # only outcomes above it are paid
    cap: Decimal | None = None  # money cap on the positive line
    clawback_measure: str | None = None
    title: str | None = None  # the contract file's display name; the id when absent
    annual_cap: Decimal | None = None  # per contract year (settlement.py)


def _baseline(share: GainShare, month: Month) -> tuple[Decimal | None, str]:
    """The month's baseline (exact) and its explanation; ``None`` when its volume is not measured."""
    if (share.baseline_unit_cost is None) == (share.baseline_amount is None):
        raise PricingError(f"{share.id}: give either baseline_unit_cost or baseline_amount")
    if share.baseline_amount is not None:
        return month.prorate(share.baseline_amount), f"baseline {month.prorate_text(share.baseline_amount)}"
    if share.volume_measure is None:
        raise PricingError(f"{share.id}: baseline_unit_cost needs a volume_measure")
    volume = month.kpi(share.volume_measure, component_id=share.id)
    if volume is None:
        return None, ""
    baseline = share.baseline_unit_cost * volume
    text = (
        f"baseline {month.price(share.baseline_unit_cost)} × {number_text(volume)} "
        f"{month.kpi_phrase(share.volume_measure)} = {month.money(baseline)}"
    )
    return baseline, text


def banded_share(
    saving: Decimal, baseline: Decimal, bands: tuple[ShareBand, ...]
) -> tuple[Decimal, list[str]]:
    """Share each slice of ``saving`` (slices measured as percent of ``baseline``) at its band's rate."""
    share, lower, parts = ZERO, ZERO, []
    for band in bands:
        limit = (
            saving
            if band.up_to_percent_of_baseline is None
            else percent_of(baseline, band.up_to_percent_of_baseline)
        )
        upper = min(saving, limit)
        if upper <= lower:
            break
        share += percent_of(upper - lower, band.supplier_percent)
        parts.append(f"{number_text(upper - lower)} × {percent_text(band.supplier_percent)}")
        lower = upper
    return share, parts


def pain_band_share(
    overrun: Decimal, baseline: Decimal, bands: tuple[ShareBand, ...], month: Month
) -> tuple[Decimal, str]:
    """The supplier's part of ``overrun`` (positive) shared band by band, as tiered pricing
    slices units: the part of the overrun up to each band's ``up_to_percent_of_baseline`` of
    ``baseline`` is borne at that band's ``supplier_percent`` (NEC Option C/D share ranges).
    Exact (not rounded); the text names each band's slice, bound, percent and share."""
    borne, lower, parts = ZERO, ZERO, []
    for band in bands:
        limit = band.up_to_percent_of_baseline
        upper = overrun if limit is None else min(overrun, percent_of(baseline, limit))
        if upper <= lower:
            break
        part = percent_of(upper - lower, band.supplier_percent)
        where = "the rest" if limit is None else f"up to {percent_text(limit)} of baseline"
        parts.append(
            f"{month.money(upper - lower)} ({where}) × {percent_text(band.supplier_percent)} = {month.money(part)}"
        )
        borne, lower = borne + part, upper
    return borne, " + ".join(parts)


def _pain(share: GainShare, overrun: Decimal, baseline: Decimal, month: Month) -> tuple[Decimal, str]:
    """The pain line's exact amount (negative) and how it was reached, before ``pain_cap``."""
    if share.pain_bands and share.pain_percent is not None:
        raise PricingError(f"{share.id}: give either pain_percent or pain_bands")
    if share.pain_bands:
        borne, parts = pain_band_share(overrun, baseline, share.pain_bands, month)
        return -borne, f"overrun borne by band: {parts}"
    return -percent_of(overrun, share.pain_percent), f"overrun borne at {percent_text(share.pain_percent)}"


def _capped(amount: Decimal, cap: Decimal | None, month: Month) -> tuple[Decimal, str]:
    if cap is not None and amount > cap:
        return cap, f", capped at {month.money(cap)}"
    return amount, ""


@prices(GainShare, phase=Phase.AFTER_CHARGES)
def price_gain_share(share: GainShare, month: Month) -> list[Line]:
    """Supplier's share of ``baseline − actual``; pain-share of an overrun when ``pain_percent``
    (one percent) or ``pain_bands`` (:func:`pain_band_share`) is set.

    No line when the saving is zero, when there is an overrun without pain-share, or when an
    input is not measured (the statement is flagged instead).
    """
    if (share.supplier_percent is None) == (not share.share_bands):
        raise PricingError(f"{share.id}: give either supplier_percent or share_bands")
    baseline, baseline_text = _baseline(share, month)
    actual = month.kpi(share.actual_measure, component_id=share.id)
    if baseline is None or actual is None:
        return []
    saving = baseline - actual
    head = f"{baseline_text} − actual {month.kpi_phrase(share.actual_measure)} {month.money(actual)} = saving {month.money(saving)}"
    detail = {"baseline": str(baseline), "actual": str(actual), "saving": str(saving)}
    if saving > 0:
        if share.share_bands:
            exact, parts = banded_share(saving, baseline, share.share_bands)
            how = " + ".join(parts)
        else:
            exact, how = percent_of(saving, share.supplier_percent), percent_text(share.supplier_percent)
        exact, cap_text = _capped(exact, share.cap, month)
        amount = month.round(exact)
        return [
            Line(
                share.id,
                LineKind.GAIN_SHARE,
                amount,
                f"{head}; {how}{cap_text} → {month.money(amount)}",
                detail,
            )
        ]
    if saving < 0 and (share.pain_percent is not None or share.pain_bands):
        exact, how = _pain(share, -saving, baseline, month)
        cap_text = ""
        if share.pain_cap is not None and exact < -share.pain_cap:
            exact, cap_text = -share.pain_cap, f", limited to −{month.money(share.pain_cap)}"
        amount = month.round(exact)
        explanation = f"{head}; {how}{cap_text} → {month.money(amount)}"
        return [Line(share.id, LineKind.PAIN_SHARE, amount, explanation, detail)]
    return []


@prices(RevenueShare, phase=Phase.AFTER_CHARGES)
def price_revenue_share(share: RevenueShare, month: Month) -> list[Line]:
    """``supplier_percent`` of ``actual − baseline`` when positive, limited by ``cap``."""
    actual = month.kpi(share.actual_measure, component_id=share.id)
    if actual is None:
        return []
    baseline = month.prorate(share.baseline_amount)
    uplift = actual - baseline
    if uplift <= 0:
        return []
    exact, cap_text = _capped(percent_of(uplift, share.supplier_percent), share.cap, month)
    amount = month.round(exact)
    explanation = (
        f"{month.kpi_name(share.actual_measure)} {month.money(actual)} − baseline {month.prorate_text(share.baseline_amount)} "
        f"= uplift {month.money(uplift)}; {percent_text(share.supplier_percent)}{cap_text} → {month.money(amount)}"
    )
    detail = {"baseline": str(baseline), "actual": str(actual), "uplift": str(uplift)}
    return [Line(share.id, LineKind.REVENUE_SHARE, amount, explanation, detail)]


@prices(OutcomeFee, phase=Phase.AFTER_CHARGES)
def price_outcome_fee(fee: OutcomeFee, month: Month) -> list[Line]:
    """``fee`` per outcome above ``threshold`` (limited by ``cap``), and a clawback per reversal."""
    lines = []
    outcomes = month.kpi(fee.measure, component_id=fee.id)
    if outcomes is not None:
        threshold = fee.threshold or ZERO
        paid = outcomes - threshold
        if paid > 0:
            exact, cap_text = _capped(paid * fee.fee, fee.cap, month)
            amount = month.round(exact)
            above = f" − threshold {number_text(threshold)} = {number_text(paid)}" if fee.threshold else ""
            explanation = f"{number_text(outcomes)} {month.kpi_phrase(fee.measure)}{above} × {month.money(fee.fee)}{cap_text} → {month.money(amount)}"
            detail = {"outcomes": str(outcomes), "paid_outcomes": str(paid), "fee": str(fee.fee)}
            lines.append(Line(fee.id, LineKind.OUTCOME_FEE, amount, explanation, detail))
    if fee.clawback_measure is not None:
        reversed_ = month.kpi(fee.clawback_measure, component_id=fee.id)
        if reversed_ is not None and reversed_ > 0:
            amount = month.round(-reversed_ * fee.fee)
            explanation = (
                f"{number_text(reversed_)} {month.kpi_phrase(fee.clawback_measure)} × {month.money(fee.fee)} charged back "
                f"→ {month.money(amount)}"
            )
            lines.append(
                Line(fee.id, LineKind.OUTCOME_CLAWBACK, amount, explanation, {"reversed": str(reversed_)})
            )
    return lines
