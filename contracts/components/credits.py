"""``service_credit``: credits for missed service levels, with earn-back (priced by
:mod:`pricing.components.credits`)."""

from __future__ import annotations

from decimal import Decimal

from pricing.terms import CreditKpi, Excess, ServiceCredit

from ..checks import KPI_VALUE, PERCENT
from .base import (
    MAX_SCORECARD_KPIS,
    ComponentType,
    ComponentValidator,
    KpiCatalogue,
    as_text,
    decimal_or_none,
    direction_of,
    register,
)
from .periodic import describe_periodic, validate_rolling_cap
from .wording import Wording

EARN_BACK_MONTHS = (1, 24)


def _validate_service_credit(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    entries = check.items(p.get("kpis"), f"{path}.kpis", max_items=MAX_SCORECARD_KPIS) if "kpis" in p else []
    kpis = _service_levels(validator, entries, f"{path}.kpis")
    earn_back = p.get("earn_back_months")
    return {
        "at_risk_percent": validator.optional(p, "at_risk_percent", path, check.percent),
        "kpis": kpis,
        "earn_back_months": check.integer(
            earn_back,
            f"{path}.earn_back_months",
            minimum=EARN_BACK_MONTHS[0],
            maximum=EARN_BACK_MONTHS[1],
        )
        if earn_back is not None
        else None,
        **validate_rolling_cap(validator, p, path),
    }


def _service_levels(validator: ComponentValidator, entries: list, path: str) -> list:
    """Distinct KPIs, each with a target and exactly one of the two credit forms."""
    check = validator.check
    kpis, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"{path}[{i}]"
        if (
            check.mapping(
                entry, where, required=("kpi", "target"), optional=("credit_percent", "per_point_percent")
            )
            is None
        ):
            continue
        code = validator.kpi(entry, "kpi", where)
        if code in seen:
            check.error(f"{where}.kpi", f"{code} appears twice in this component")
        seen.add(code)
        validator.one_of(entry, where, "credit_percent", "per_point_percent")
        target = check.decimal(entry.get("target"), f"{where}.target", KPI_VALUE)
        row = {"kpi": code, "target": as_text(target)}
        for key in ("credit_percent", "per_point_percent"):
            if entry.get(key) is not None:
                row[key] = as_text(check.decimal(entry[key], f"{where}.{key}", PERCENT))
        kpis.append(row)
    return kpis


def _describe_service_credit(p: dict, wording: Wording) -> list[str]:
    head = f"Service credit: {wording.percent(p['at_risk_percent'])} of the month's charges at risk"
    if p.get("earn_back_months") is not None:
        months = p["earn_back_months"]
        span = "the next month" if months == 1 else f"each of the next {months} months"
        head += f"; a credit is earned back when its KPI meets the target in {span}"
    lines = [head]
    for k in p["kpis"]:
        missed = "above" if wording.lower_is_better(k["kpi"]) else "below"
        if k.get("credit_percent") is not None:
            credit = f"{wording.percent(k['credit_percent'])} credit"
        else:
            credit = f"{wording.percent(k['per_point_percent'])} credit per full point"
        lines.append(f"{wording.kpi(k['kpi'])} {missed} {wording.number(k['target'])} → {credit}")
    return lines + describe_periodic(p, wording)


def _service_credit(component_id: str, p: dict, catalogue: KpiCatalogue) -> ServiceCredit:
    return ServiceCredit(
        id=component_id,
        kpis=tuple(
            [
                CreditKpi(
                    kpi=k["kpi"],
                    target=Decimal(k["target"]),
                    direction=direction_of(k["kpi"], catalogue),
                    credit_percent=decimal_or_none(k.get("credit_percent")),
                    per_point_percent=decimal_or_none(k.get("per_point_percent")),
                )
                for k in p["kpis"]
            ]
        ),
        at_risk_percent=Decimal(p["at_risk_percent"]),
        earn_back_months=p.get("earn_back_months"),
        rolling_cap_percent=decimal_or_none(p.get("rolling_cap_percent")),
        excess=Excess(p.get("excess", Excess.FORFEIT)),
    )


SERVICE_CREDIT = register(
    ComponentType(
        name="service_credit",
        terms=ServiceCredit,
        required=("at_risk_percent", "kpis"),
        optional=("earn_back_months", "rolling_cap_percent", "excess"),
        validate=_validate_service_credit,
        to_pricing=_service_credit,
        describe=_describe_service_credit,
    )
)
