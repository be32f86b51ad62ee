"""Shared value: ``gain_share``, ``revenue_share``, ``outcome_fee`` (priced by
:mod:`pricing.components.shares`)."""

from __future__ import annotations

from decimal import Decimal

from pricing.terms import GainShare, OutcomeFee, RevenueShare, ShareBand

from ..checks import QUANTITY
from .base import ComponentType, ComponentValidator, KpiCatalogue, decimal_or_none, register
from .periodic import describe_periodic, settlement_of, validate_annual_cap, validate_settlement
from .wording import Wording


def _validate_gain_share(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    has_unit_cost = p.get("baseline_unit_cost") is not None
    if has_unit_cost == (p.get("baseline_amount") is not None):
        check.error(path, "give exactly one of baseline_unit_cost (with volume_measure) and baseline_amount")
    if has_unit_cost and p.get("volume_measure") is None:
        check.error(f"{path}.volume_measure", "is required with baseline_unit_cost")
    validator.one_of(p, path, "supplier_percent", "share_bands")
    if p.get("pain_percent") is not None and p.get("pain_bands") is not None:
        check.error(path, "give at most one of pain_percent and pain_bands")
    if p.get("pain_cap") is not None and p.get("pain_percent") is None and p.get("pain_bands") is None:
        check.error(f"{path}.pain_cap", "needs pain_percent or pain_bands")
    return {
        "actual_measure": validator.kpi(p, "actual_measure", path, aggregation="sum", units=("money",)),
        "baseline_unit_cost": validator.optional(p, "baseline_unit_cost", path, check.price),
        "volume_measure": validator.kpi(p, "volume_measure", path, aggregation="sum", units=("count",)),
        "baseline_amount": validator.optional(p, "baseline_amount", path, check.amount),
        "supplier_percent": validator.optional(p, "supplier_percent", path, check.percent),
        "share_bands": validator.bands(
            p["share_bands"],
            f"{path}.share_bands",
            "up_to_percent_of_baseline",
            "supplier_percent",
            check.percent,
            check.percent,
        )
        if p.get("share_bands") is not None
        else None,
        "cap": validator.optional(p, "cap", path, check.amount),
        "pain_percent": validator.optional(p, "pain_percent", path, check.percent),
        "pain_cap": validator.optional(p, "pain_cap", path, check.amount),
        "pain_bands": validator.bands(
            p["pain_bands"],
            f"{path}.pain_bands",
            "up_to_percent_of_baseline",
            "supplier_percent",
            check.percent,
            check.percent,
        )
        if p.get("pain_bands") is not None
        else None,
        "settlement": validate_settlement(validator, p, path),
        "annual_cap": validate_annual_cap(validator, p, path),
    }


def _describe_gain_share(p: dict, wording: Wording) -> list[str]:
    if p.get("baseline_amount") is not None:
        baseline = f"baseline {wording.money(p['baseline_amount'])} a month"
    else:
        baseline = f"baseline {wording.money(p['baseline_unit_cost'])} per unit of {wording.kpi(p['volume_measure'])}"
    if p.get("supplier_percent") is not None:
        shares = f"supplier keeps {wording.percent(p['supplier_percent'])} of savings"
    else:
        shares = "supplier keeps " + wording.bands(
            p["share_bands"],
            "up_to_percent_of_baseline",
            lambda band: f"{wording.percent(band['supplier_percent'])} of savings",
            lambda limit: f"{wording.percent(limit)} of baseline",
        ).replace("; ", ", ")
    head = f"Shared savings on {wording.kpi(p['actual_measure'])}: {baseline}; {shares}"
    lines = [head + (f"; capped at {wording.money(p['cap'])}" if p.get("cap") is not None else "")]
    pain = None
    if p.get("pain_percent") is not None:
        pain = f"Pain share: supplier pays {wording.percent(p['pain_percent'])} of any overrun above the baseline"
    elif p.get("pain_bands") is not None:
        pain = "Pain share: supplier pays " + wording.bands(
            p["pain_bands"],
            "up_to_percent_of_baseline",
            lambda band: f"{wording.percent(band['supplier_percent'])} of an overrun",
            lambda limit: f"{wording.percent(limit)} of baseline",
        ).replace("; ", ", ")
    if pain is not None:
        lines.append(
            pain + (f", at most {wording.money(p['pain_cap'])}" if p.get("pain_cap") is not None else "")
        )
    return lines + describe_periodic(p, wording)


def _gain_share(component_id: str, p: dict, catalogue: KpiCatalogue) -> GainShare:
    return GainShare(
        id=component_id,
        actual_measure=p["actual_measure"],
        baseline_unit_cost=decimal_or_none(p.get("baseline_unit_cost")),
        volume_measure=p.get("volume_measure"),
        baseline_amount=decimal_or_none(p.get("baseline_amount")),
        supplier_percent=decimal_or_none(p.get("supplier_percent")),
        share_bands=tuple(
            [
                ShareBand(
                    up_to_percent_of_baseline=decimal_or_none(b["up_to_percent_of_baseline"]),
                    supplier_percent=Decimal(b["supplier_percent"]),
                )
                for b in p.get("share_bands", ())
            ]
        ),
        cap=decimal_or_none(p.get("cap")),
        pain_percent=decimal_or_none(p.get("pain_percent")),
        pain_cap=decimal_or_none(p.get("pain_cap")),
        pain_bands=tuple(
            [
                ShareBand(
                    up_to_percent_of_baseline=decimal_or_none(b["up_to_percent_of_baseline"]),
                    supplier_percent=Decimal(b["supplier_percent"]),
                )
                for b in p.get("pain_bands", ())
            ]
        ),
        settlement=settlement_of(p),
        annual_cap=decimal_or_none(p.get("annual_cap")),
    )


GAIN_SHARE = register(
    ComponentType(
        name="gain_share",
        terms=GainShare,
        required=("actual_measure",),
        optional=(
            "baseline_unit_cost",
            "volume_measure",
            "baseline_amount",
            "supplier_percent",
            "share_bands",
            "cap",
            "pain_percent",
            "pain_cap",
            "pain_bands",
            "settlement",
            "annual_cap",
        ),
        validate=_validate_gain_share,
        to_pricing=_gain_share,
        describe=_describe_gain_share,
    )
)


def _validate_revenue_share(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    return {
        "baseline_amount": validator.optional(p, "baseline_amount", path, check.amount),
        "actual_measure": validator.kpi(p, "actual_measure", path, aggregation="sum", units=("money",)),
        "supplier_percent": validator.optional(p, "supplier_percent", path, check.percent),
        "cap": validator.optional(p, "cap", path, check.amount),
        "settlement": validate_settlement(validator, p, path),
        "annual_cap": validate_annual_cap(validator, p, path),
    }


def _describe_revenue_share(p: dict, wording: Wording) -> list[str]:
    line = (
        f"Revenue share: supplier receives {wording.percent(p['supplier_percent'])} of "
        f"{wording.kpi(p['actual_measure'])} above a baseline of {wording.money(p['baseline_amount'])} a month"
    )
    line += f"; capped at {wording.money(p['cap'])}" if p.get("cap") is not None else ""
    return [line, *describe_periodic(p, wording)]


def _revenue_share(component_id: str, p: dict, catalogue: KpiCatalogue) -> RevenueShare:
    return RevenueShare(
        id=component_id,
        baseline_amount=Decimal(p["baseline_amount"]),
        actual_measure=p["actual_measure"],
        supplier_percent=Decimal(p["supplier_percent"]),
        cap=decimal_or_none(p.get("cap")),
        settlement=settlement_of(p),
        annual_cap=decimal_or_none(p.get("annual_cap")),
    )


REVENUE_SHARE = register(
    ComponentType(
        name="revenue_share",
        terms=RevenueShare,
        required=("baseline_amount", "actual_measure", "supplier_percent"),
        optional=("cap", "settlement", "annual_cap"),
        validate=_validate_revenue_share,
        to_pricing=_revenue_share,
        describe=_describe_revenue_share,
    )
)


def _validate_outcome_fee(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    return {
        "measure": validator.kpi(p, "measure", path, aggregation="sum", units=("count",)),
        "fee": validator.optional(p, "fee", path, check.price),
        "threshold": validator.optional(p, "threshold", path, lambda v, w: check.decimal(v, w, QUANTITY)),
        "cap": validator.optional(p, "cap", path, check.amount),
        "clawback_measure": validator.kpi(p, "clawback_measure", path, aggregation="sum", units=("count",)),
        "annual_cap": validate_annual_cap(validator, p, path),
    }


def _describe_outcome_fee(p: dict, wording: Wording) -> list[str]:
    line = f"{wording.kpi(p['measure'])}: {wording.money(p['fee'])} each"
    if p.get("threshold") is not None:
        line += f" above {wording.number(p['threshold'])} a month"
    if p.get("cap") is not None:
        line += f"; capped at {wording.money(p['cap'])}"
    lines = [line]
    if p.get("clawback_measure") is not None:
        lines.append(f"Clawback: {wording.money(p['fee'])} back per {wording.kpi(p['clawback_measure'])}")
    return lines + describe_periodic(p, wording)


def _outcome_fee(component_id: str, p: dict, catalogue: KpiCatalogue) -> OutcomeFee:
    return OutcomeFee(
        id=component_id,
        measure=p["measure"],
        fee=Decimal(p["fee"]),
        threshold=decimal_or_none(p.get("threshold")),
        cap=decimal_or_none(p.get("cap")),
        clawback_measure=p.get("clawback_measure"),
        annual_cap=decimal_or_none(p.get("annual_cap")),
    )


OUTCOME_FEE = register(
    ComponentType(
        name="outcome_fee",
        terms=OutcomeFee,
        required=("measure", "fee"),
        optional=("threshold", "cap", "clawback_measure", "annual_cap"),
        validate=_validate_outcome_fee,
        to_pricing=_outcome_fee,
        describe=_describe_outcome_fee,
    )
)
