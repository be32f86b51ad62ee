"""``experience_bonus``: a pool paid out by a weighted scorecard (priced by
:mod:`pricing.components.experience`)."""

from __future__ import annotations

from decimal import Decimal

from pricing.terms import ExperienceBonus, ExperienceKpi

from ..checks import KPI_VALUE, PAYOUT, WEIGHT
from .base import (
    MAX_SCORECARD_KPIS,
    ComponentType,
    ComponentValidator,
    KpiCatalogue,
    as_text,
    decimal_or_none,
    direction_of,
    kpi_rounding_of,
    register,
)
from .wording import Wording

SCORECARD_KEYS = ("kpi", "weight", "threshold", "target", "stretch")
SCORECARD_OPTIONAL = ("threshold_payout", "stretch_payout", "round")
# The payout factors a scorecard entry leaves out: what pricing pays and the rate card says.
SCORECARD_PAYOUTS = (("threshold_payout", "0.5"), ("stretch_payout", "1.5"))


def _validate_experience_bonus(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    validator.one_of(p, path, "pool_percent", "pool_amount")
    kpis = _scorecard(validator, p.get("kpis"), f"{path}.kpis") if "kpis" in p else None
    return {
        "kpis": kpis,
        "pool_percent": validator.optional(p, "pool_percent", path, check.percent),
        "pool_amount": validator.optional(p, "pool_amount", path, check.amount),
        "gate": check.choice(p["gate"], f"{path}.gate", ("all_thresholds",)) if p.get("gate") else None,
    }


def _scorecard(validator: ComponentValidator, entries, path: str) -> list:
    """At most ``MAX_SCORECARD_KPIS`` distinct KPIs whose weights add up to a positive total."""
    check = validator.check
    cleaned, seen, total_weight = [], set(), Decimal(0)
    for i, entry in enumerate(check.items(entries, path, max_items=MAX_SCORECARD_KPIS)):
        where = f"{path}[{i}]"
        if check.mapping(entry, where, required=SCORECARD_KEYS, optional=SCORECARD_OPTIONAL) is None:
            continue
        code = validator.kpi(entry, "kpi", where)
        if code in seen:
            check.error(f"{where}.kpi", f"{code} appears twice in this scorecard")
        seen.add(code)
        weight = check.decimal(entry.get("weight"), f"{where}.weight", WEIGHT)
        total_weight += weight or 0
        anchors = [
            check.decimal(entry.get(k), f"{where}.{k}", KPI_VALUE) for k in ("threshold", "target", "stretch")
        ]
        _ordered(validator, code, anchors, where)
        row = {
            "kpi": code,
            "weight": as_text(weight),
            **{k: as_text(a) for k, a in zip(SCORECARD_KEYS[2:], anchors, strict=True)},
        }
        for key in SCORECARD_OPTIONAL[:2]:
            if entry.get(key) is not None:
                row[key] = as_text(check.decimal(entry[key], f"{where}.{key}", PAYOUT))
        if entry.get("round") is not None:
            row["round"] = validator.kpi_rounding(entry["round"], f"{where}.round")
        cleaned.append(row)
    if cleaned and total_weight <= 0:
        check.error(path, "weights must add up to a positive total")
    return cleaned


def _ordered(validator: ComponentValidator, code: str | None, anchors: list, where: str) -> None:
    """Threshold, target and stretch in the KPI's direction (its catalogue entry)."""
    info = validator.catalogue.get(code) if code else None
    if info is None or None in anchors:
        return
    threshold, target, stretch = anchors
    if info.direction == "lower_is_better":
        if not threshold >= target >= stretch:
            validator.check.error(where, f"{code} is lower-is-better: needs threshold ≥ target ≥ stretch")
    elif not threshold <= target <= stretch:
        validator.check.error(where, f"{code} is higher-is-better: needs threshold ≤ target ≤ stretch")


def _describe_experience_bonus(p: dict, wording: Wording) -> list[str]:
    if p.get("pool_percent") is not None:
        pool = f"{wording.percent(p['pool_percent'])} of the month's charges"
    else:
        pool = f"{wording.money(p['pool_amount'])} a month"
    lines = [f"Experience bonus: a pool of {pool}, paid out by the weighted scorecard below"]
    for k in p["kpis"]:
        low, high = (wording.number(k.get(key, default)) for key, default in SCORECARD_PAYOUTS)
        lines.append(
            f"{wording.kpi(k['kpi'])} (weight {wording.number(k['weight'])}): threshold "
            f"{wording.number(k['threshold'])} pays {low}×, target {wording.number(k['target'])} pays 1×, "
            f"stretch {wording.number(k['stretch'])} pays {high}×" + wording.kpi_rounding(k.get("round"))
        )
    if p.get("gate") == "all_thresholds":
        lines.append("Gate: no bonus in a month when any KPI misses its threshold or is not measured")
    return lines


def _experience_bonus(component_id: str, p: dict, catalogue: KpiCatalogue) -> ExperienceBonus:
    return ExperienceBonus(
        id=component_id,
        kpis=tuple(
            [
                ExperienceKpi(
                    kpi=k["kpi"],
                    weight=Decimal(k["weight"]),
                    threshold=Decimal(k["threshold"]),
                    target=Decimal(k["target"]),
                    stretch=Decimal(k["stretch"]),
                    direction=direction_of(k["kpi"], catalogue),
                    threshold_payout=Decimal(k.get(*SCORECARD_PAYOUTS[0])),
                    stretch_payout=Decimal(k.get(*SCORECARD_PAYOUTS[1])),
                    rounding=kpi_rounding_of(k.get("round")),
                )
                for k in p["kpis"]
            ]
        ),
        pool_percent=decimal_or_none(p.get("pool_percent")),
        pool_amount=decimal_or_none(p.get("pool_amount")),
        gate=p.get("gate"),
    )


EXPERIENCE_BONUS = register(
    ComponentType(
        name="experience_bonus",
        terms=ExperienceBonus,
        required=("kpis",),
        optional=("pool_percent", "pool_amount", "gate"),
        validate=_validate_experience_bonus,
        to_pricing=_experience_bonus,
        describe=_describe_experience_bonus,
    )
)
