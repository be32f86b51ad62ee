"""``service_credit``: credits for missed service levels, with earn-back (priced by
:mod:`pricing.components.credits`)."""

from __future__ import annotations

from decimal import Decimal

from pricing.terms import CreditBand, CreditKpi, Excess, ServiceCredit, Shortfall

from ..checks import KPI_VALUE, PERCENT
from .base import (
    MAX_BANDS,
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
from .periodic import describe_periodic, validate_rolling_cap
from .wording import Wording

EARN_BACK_MONTHS = (1, 24)
CREDIT_FORMS = ("credit_percent", "per_point_percent", "bands")
SHORTFALLS = tuple(shortfall.value for shortfall in Shortfall)


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
    """Distinct KPIs, each with exactly one of the three credit forms: ``credit_percent`` or
    ``per_point_percent`` with a ``target`` (and, per point, an optional ``shortfall``), or
    stepped ``bands`` (whose mildest band is the target); an optional ``round`` each."""
    check = validator.check
    kpis, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"{path}[{i}]"
        optional = ("target", *CREDIT_FORMS, "shortfall", "round")
        if check.mapping(entry, where, required=("kpi",), optional=optional) is None:
            continue
        code = validator.kpi(entry, "kpi", where)
        if code in seen:
            check.error(f"{where}.kpi", f"{code} appears twice in this component")
        seen.add(code)
        given = [key for key in CREDIT_FORMS if entry.get(key) is not None]
        if len(given) != 1:
            check.error(where, "give exactly one of credit_percent, per_point_percent and bands")
        stepped = given == ["bands"]
        row = {"kpi": code, "target": _target(check, entry, where, stepped=stepped)}
        for key in ("credit_percent", "per_point_percent"):
            if entry.get(key) is not None:
                row[key] = as_text(check.decimal(entry[key], f"{where}.{key}", PERCENT))
        if entry.get("bands") is not None:
            row["bands"] = _credit_bands(validator, code, entry["bands"], f"{where}.bands")
        if entry.get("shortfall") is not None:
            row["shortfall"] = _shortfall(check, entry, where)
        row["round"] = validator.kpi_rounding(entry.get("round"), f"{where}.round")
        kpis.append({key: value for key, value in row.items() if value is not None})
    return kpis


def _target(check, entry: dict, where: str, *, stepped: bool) -> str | None:
    """The target of a KPI credited by percent or per point; none for stepped bands."""
    if stepped:
        if "target" in entry:
            check.error(f"{where}.target", "not with bands: the first band's limit is where credits start")
        return None
    if "target" not in entry:
        check.error(f"{where}.target", "is required")
        return None
    return as_text(check.decimal(entry.get("target"), f"{where}.target", KPI_VALUE))


def _shortfall(check, entry: dict, where: str) -> str | None:
    if entry.get("per_point_percent") is None:
        check.error(f"{where}.shortfall", "only with per_point_percent")
        return None
    return check.choice(entry["shortfall"], f"{where}.shortfall", SHORTFALLS)


def _credit_bands(validator: ComponentValidator, code: str | None, bands, path: str) -> list:
    """Stepped bands ``[{below|above: X, credit_percent: Y}]``, from the mildest to the worst:
    ``below`` for a higher-is-better KPI (limits descending), ``above`` for a lower-is-better
    one (ascending), each credit at least the one before. At most ``MAX_BANDS``."""
    check = validator.check
    info = validator.catalogue.get(code) if code else None
    if info is None:
        return []  # the unknown KPI is the entry's error; its bands' side cannot be known
    side = "above" if info.direction == "lower_is_better" else "below"
    cleaned, previous = [], None
    for i, band in enumerate(check.items(bands, path, max_items=MAX_BANDS)):
        where = f"{path}[{i}]"
        if check.mapping(band, where, required=("credit_percent",), optional=("below", "above")) is None:
            continue
        other = "below" if side == "above" else "above"
        if other in band:
            check.error(
                f"{where}.{other}", f"{code} is {info.direction.replace('_', '-')}: its bands are '{side}'"
            )
            continue
        if side not in band:
            check.error(f"{where}.{side}", "is required")
            continue
        limit = check.decimal(band[side], f"{where}.{side}", KPI_VALUE)
        percent = check.decimal(band.get("credit_percent"), f"{where}.credit_percent", PERCENT)
        if None not in (limit, percent) and previous is not None:
            _band_order(check, where, side, (limit, percent), previous)
        previous = (limit, percent) if None not in (limit, percent) else previous
        cleaned.append({side: as_text(limit), "credit_percent": as_text(percent)})
    return cleaned


def _band_order(check, where: str, side: str, band: tuple, previous: tuple) -> None:
    (limit, percent), (last_limit, last_percent) = band, previous
    if (limit >= last_limit) if side == "below" else (limit <= last_limit):
        order = "descend" if side == "below" else "ascend"
        check.error(
            f"{where}.{side}", f"bands must {order} from the mildest to the worst: {limit} after {last_limit}"
        )
    elif percent < last_percent:
        check.error(
            f"{where}.credit_percent", f"a worse band cannot credit less: {percent} after {last_percent}"
        )


def _describe_service_credit(p: dict, wording: Wording) -> list[str]:
    head = f"Service credit: {wording.percent(p['at_risk_percent'])} of the month's charges at risk"
    if p.get("earn_back_months") is not None:
        months = p["earn_back_months"]
        span = "the next month" if months == 1 else f"each of the next {months} months"
        head += f"; a credit is earned back when its KPI meets the target in {span}"
    lines = [head]
    for k in p["kpis"]:
        lines.append(_describe_credit_kpi(k, wording) + wording.kpi_rounding(k.get("round")))
    return lines + describe_periodic(p, wording)


SHORTFALL_WORDS = {
    "whole_points": "per full point",
    "exact": "per point, counted exactly",
    "per_tenth_or_part": "per point, counted per 0.1 point or part",
}


def _describe_credit_kpi(k: dict, wording: Wording) -> str:
    name = wording.kpi(k["kpi"])
    if k.get("bands") is not None:
        steps = ", ".join(
            f"{side} {wording.number(band[side])} → {wording.percent(band['credit_percent'])}"
            for band in k["bands"]
            for side in ("below", "above")
            if side in band
        )
        return f"{name}, stepped (the worst band reached): {steps} credit"
    missed = "above" if wording.lower_is_better(k["kpi"]) else "below"
    if k.get("credit_percent") is not None:
        credit = f"{wording.percent(k['credit_percent'])} credit"
    else:
        credit = f"{wording.percent(k['per_point_percent'])} credit {SHORTFALL_WORDS[k.get('shortfall', 'whole_points')]}"
    return f"{name} {missed} {wording.number(k['target'])} → {credit}"


def _service_credit(component_id: str, p: dict, catalogue: KpiCatalogue) -> ServiceCredit:
    return ServiceCredit(
        id=component_id,
        kpis=tuple(
            [
                CreditKpi(
                    kpi=k["kpi"],
                    target=Decimal(kpi_entry_target(k)),
                    direction=direction_of(k["kpi"], catalogue),
                    credit_percent=decimal_or_none(k.get("credit_percent")),
                    per_point_percent=decimal_or_none(k.get("per_point_percent")),
                    bands=tuple(
                        CreditBand(
                            limit=Decimal(b.get("below", b.get("above"))),
                            credit_percent=Decimal(b["credit_percent"]),
                        )
                        for b in k.get("bands", ())
                    ),
                    shortfall=Shortfall(k.get("shortfall", "whole_points")),
                    rounding=kpi_rounding_of(k.get("round")),
                )
                for k in p["kpis"]
            ]
        ),
        at_risk_percent=Decimal(p["at_risk_percent"]),
        earn_back_months=p.get("earn_back_months"),
        rolling_cap_percent=decimal_or_none(p.get("rolling_cap_percent")),
        excess=Excess(p.get("excess", Excess.FORFEIT)),
    )


def kpi_entry_target(entry: dict) -> str:
    """The target of a canonical scorecard or service-credit KPI entry: its ``target``, or for
    a stepped credit its first (mildest) band's limit, where credits start."""
    if "target" in entry:
        return entry["target"]
    first = entry["bands"][0]
    return first.get("below", first.get("above"))


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
