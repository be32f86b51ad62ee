"""Component parameters: validation into canonical form, and conversion to pricing terms.

Canonical parameters are what a ``Component`` row stores and what the contract file holds:
keys in a fixed order, decimals as their exact strings (``"3.00"``), ``None`` for an open
band. :func:`component_to_pricing` turns them into :mod:`pricing.terms` dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from pricing import terms as t

from .checks import BAND_LIMIT, KPI_VALUE, PAYOUT, PERCENT, QUANTITY, WEIGHT, Checker, is_text, shown

MAX_BANDS = 50
MAX_SCORECARD_KPIS = 20
EARN_BACK_MONTHS = (1, 24)


class KpiInfo(NamedTuple):
    unit: str
    direction: str
    aggregation: str


KpiCatalogue = Mapping[str, KpiInfo]

# Keys per component type, in canonical order: (required, optional).
KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fixed_fee": (("amount",), ()),
    "unit_rate": (("measure", "bands"), ("mode", "minimum_charge")),
    "gain_share": (
        ("actual_measure",),
        (
            "baseline_unit_cost",
            "volume_measure",
            "baseline_amount",
            "supplier_percent",
            "share_bands",
            "cap",
            "pain_percent",
            "pain_cap",
        ),
    ),
    "revenue_share": (("baseline_amount", "actual_measure", "supplier_percent"), ("cap",)),
    "outcome_fee": (("measure", "fee"), ("threshold", "cap", "clawback_measure")),
    "experience_bonus": (("kpis",), ("pool_percent", "pool_amount", "gate")),
    "service_credit": (("at_risk_percent", "kpis"), ("earn_back_months",)),
}


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class ComponentValidator:
    """Validates one component's parameters at ``path``, recording errors on ``checker``."""

    def __init__(self, checker: Checker, catalogue: KpiCatalogue):
        self.check = checker
        self.catalogue = catalogue

    def validate(self, type_: str, params: dict, path: str) -> dict | None:
        """Canonical parameters, or ``None`` if anything is wrong (errors recorded)."""
        required, optional = KEYS[type_]
        before = len(self.check.errors)
        self.check.mapping(params, path, required=required, optional=optional)
        canonical = getattr(self, f"_{type_}")(params, path)
        if len(self.check.errors) > before:
            return None
        order = required + optional
        return {
            key: canonical[key] for key in sorted(canonical, key=order.index) if canonical[key] is not None
        }

    # -- helpers -------------------------------------------------------------------------

    def kpi(
        self, params: dict, key: str, path: str, *, aggregation: str | None = None, units=()
    ) -> str | None:
        code = params.get(key)
        if code is None:
            return None
        where = f"{path}.{key}"
        info = self.catalogue.get(code) if is_text(code) else None
        if info is None:
            self.check.error(where, f"unknown KPI code {shown(code)}")
            return None
        if aggregation and info.aggregation != aggregation:
            self.check.error(where, f"{code} is a {info.aggregation} KPI; this needs a {aggregation} KPI")
        if units and info.unit not in units:
            self.check.error(where, f"{code} is measured in {info.unit}; this needs {' or '.join(units)}")
        return code

    def optional(self, params: dict, key: str, path: str, check) -> str | None:
        return _s(check(params[key], f"{path}.{key}")) if params.get(key) is not None else None

    def one_of(self, params: dict, path: str, first: str, second: str) -> None:
        if (params.get(first) is None) == (params.get(second) is None):
            self.check.error(path, f"give exactly one of {first} and {second}")

    def bands(self, bands: list, path: str, limit_key: str, value_key: str, check_limit, check_value) -> list:
        """Ascending bands with an inclusive upper limit each; only the last is open (null).

        At most ``MAX_BANDS`` bands.
        """
        cleaned, previous = [], None
        for i, band in enumerate(self.check.items(bands, path, max_items=MAX_BANDS)):
            where = f"{path}[{i}]"
            if self.check.mapping(band, where, required=(limit_key, value_key)) is None:
                continue
            last = i == len(bands) - 1
            limit = band.get(limit_key)
            if limit is None and not last:
                self.check.error(f"{where}.{limit_key}", "only the last band may be open-ended (null)")
            elif limit is not None and last:
                self.check.error(f"{where}.{limit_key}", "the last band must be open-ended (null)")
            elif limit is not None:
                limit = check_limit(limit, f"{where}.{limit_key}")
                if limit is not None and previous is not None and limit <= previous:
                    self.check.error(
                        f"{where}.{limit_key}",
                        f"bands must ascend without overlap: {limit} is not above {previous}",
                    )
                previous = limit if limit is not None else previous
            value = check_value(band.get(value_key), f"{where}.{value_key}")
            cleaned.append({limit_key: _s(limit), value_key: _s(value)})
        return cleaned

    # -- one method per component type ---------------------------------------------------

    def _fixed_fee(self, p: dict, path: str) -> dict:
        return {"amount": self.optional(p, "amount", path, self.check.amount)}

    def _unit_rate(self, p: dict, path: str) -> dict:
        limit = lambda v, w: self.check.decimal(v, w, BAND_LIMIT)  # noqa: E731
        return {
            "measure": self.kpi(p, "measure", path, aggregation="sum", units=("count",)),
            "bands": self.bands(p.get("bands"), f"{path}.bands", "up_to", "price", limit, self.check.price)
            if "bands" in p
            else None,
            "mode": self.check.choice(p["mode"], f"{path}.mode", ("graduated", "volume"))
            if "mode" in p
            else None,
            "minimum_charge": self.optional(p, "minimum_charge", path, self.check.amount),
        }

    def _gain_share(self, p: dict, path: str) -> dict:
        has_unit_cost = p.get("baseline_unit_cost") is not None
        if has_unit_cost == (p.get("baseline_amount") is not None):
            self.check.error(
                path, "give exactly one of baseline_unit_cost (with volume_measure) and baseline_amount"
            )
        if has_unit_cost and p.get("volume_measure") is None:
            self.check.error(f"{path}.volume_measure", "is required with baseline_unit_cost")
        self.one_of(p, path, "supplier_percent", "share_bands")
        if p.get("pain_cap") is not None and p.get("pain_percent") is None:
            self.check.error(f"{path}.pain_cap", "needs pain_percent")
        return {
            "actual_measure": self.kpi(p, "actual_measure", path, aggregation="sum", units=("money",)),
            "baseline_unit_cost": self.optional(p, "baseline_unit_cost", path, self.check.price),
            "volume_measure": self.kpi(p, "volume_measure", path, aggregation="sum", units=("count",)),
            "baseline_amount": self.optional(p, "baseline_amount", path, self.check.amount),
            "supplier_percent": self.optional(p, "supplier_percent", path, self.check.percent),
            "share_bands": self.bands(
                p["share_bands"],
                f"{path}.share_bands",
                "up_to_percent_of_baseline",
                "supplier_percent",
                self.check.percent,
                self.check.percent,
            )
            if p.get("share_bands") is not None
            else None,
            "cap": self.optional(p, "cap", path, self.check.amount),
            "pain_percent": self.optional(p, "pain_percent", path, self.check.percent),
            "pain_cap": self.optional(p, "pain_cap", path, self.check.amount),
        }

    def _revenue_share(self, p: dict, path: str) -> dict:
        return {
            "baseline_amount": self.optional(p, "baseline_amount", path, self.check.amount),
            "actual_measure": self.kpi(p, "actual_measure", path, aggregation="sum", units=("money",)),
            "supplier_percent": self.optional(p, "supplier_percent", path, self.check.percent),
            "cap": self.optional(p, "cap", path, self.check.amount),
        }

    def _outcome_fee(self, p: dict, path: str) -> dict:
        return {
            "measure": self.kpi(p, "measure", path, aggregation="sum", units=("count",)),
            "fee": self.optional(p, "fee", path, self.check.price),
            "threshold": self.optional(p, "threshold", path, lambda v, w: self.check.decimal(v, w, QUANTITY)),
            "cap": self.optional(p, "cap", path, self.check.amount),
            "clawback_measure": self.kpi(p, "clawback_measure", path, aggregation="sum", units=("count",)),
        }

    def _experience_bonus(self, p: dict, path: str) -> dict:
        self.one_of(p, path, "pool_percent", "pool_amount")
        kpis = self.scorecard(p.get("kpis"), f"{path}.kpis") if "kpis" in p else None
        return {
            "kpis": kpis,
            "pool_percent": self.optional(p, "pool_percent", path, self.check.percent),
            "pool_amount": self.optional(p, "pool_amount", path, self.check.amount),
            "gate": self.check.choice(p["gate"], f"{path}.gate", ("all_thresholds",))
            if p.get("gate")
            else None,
        }

    def scorecard(self, entries, path: str) -> list:
        cleaned, seen, total_weight = [], set(), Decimal(0)
        keys = ("kpi", "weight", "threshold", "target", "stretch")
        for i, entry in enumerate(self.check.items(entries, path, max_items=MAX_SCORECARD_KPIS)):
            where = f"{path}[{i}]"
            if (
                self.check.mapping(
                    entry, where, required=keys, optional=("threshold_payout", "stretch_payout")
                )
                is None
            ):
                continue
            code = self.kpi(entry, "kpi", where)
            if code in seen:
                self.check.error(f"{where}.kpi", f"{code} appears twice in this scorecard")
            seen.add(code)
            weight = self.check.decimal(entry.get("weight"), f"{where}.weight", WEIGHT)
            total_weight += weight or 0
            anchors = [
                self.check.decimal(entry.get(k), f"{where}.{k}", KPI_VALUE)
                for k in ("threshold", "target", "stretch")
            ]
            self.ordered(code, anchors, where)
            row = {
                "kpi": code,
                "weight": _s(weight),
                **{k: _s(a) for k, a in zip(keys[2:], anchors, strict=True)},
            }
            for key in ("threshold_payout", "stretch_payout"):
                if entry.get(key) is not None:
                    row[key] = _s(self.check.decimal(entry[key], f"{where}.{key}", PAYOUT))
            cleaned.append(row)
        if cleaned and total_weight <= 0:
            self.check.error(path, "weights must add up to a positive total")
        return cleaned

    def ordered(self, code: str | None, anchors: list, where: str) -> None:
        info = self.catalogue.get(code) if code else None
        if info is None or None in anchors:
            return
        threshold, target, stretch = anchors
        if info.direction == "lower_is_better":
            if not threshold >= target >= stretch:
                self.check.error(where, f"{code} is lower-is-better: needs threshold ≥ target ≥ stretch")
        elif not threshold <= target <= stretch:
            self.check.error(where, f"{code} is higher-is-better: needs threshold ≤ target ≤ stretch")

    def _service_credit(self, p: dict, path: str) -> dict:
        kpis, seen = [], set()
        entries = (
            self.check.items(p.get("kpis"), f"{path}.kpis", max_items=MAX_SCORECARD_KPIS)
            if "kpis" in p
            else []
        )
        for i, entry in enumerate(entries):
            where = f"{path}.kpis[{i}]"
            if (
                self.check.mapping(
                    entry, where, required=("kpi", "target"), optional=("credit_percent", "per_point_percent")
                )
                is None
            ):
                continue
            code = self.kpi(entry, "kpi", where)
            if code in seen:
                self.check.error(f"{where}.kpi", f"{code} appears twice in this component")
            seen.add(code)
            self.one_of(entry, where, "credit_percent", "per_point_percent")
            target = self.check.decimal(entry.get("target"), f"{where}.target", KPI_VALUE)
            row = {"kpi": code, "target": _s(target)}
            for key in ("credit_percent", "per_point_percent"):
                if entry.get(key) is not None:
                    row[key] = _s(self.check.decimal(entry[key], f"{where}.{key}", PERCENT))
            kpis.append(row)
        earn_back = p.get("earn_back_months")
        return {
            "at_risk_percent": self.optional(p, "at_risk_percent", path, self.check.percent),
            "kpis": kpis,
            "earn_back_months": self.check.integer(
                earn_back,
                f"{path}.earn_back_months",
                minimum=EARN_BACK_MONTHS[0],
                maximum=EARN_BACK_MONTHS[1],
            )
            if earn_back is not None
            else None,
        }


# -- canonical parameters → pricing dataclasses ------------------------------------------


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _direction(code: str, catalogue: KpiCatalogue) -> t.Direction:
    return t.Direction(catalogue[code].direction)


def component_to_pricing(
    *, component_id: str, type_: str, params: dict, catalogue: KpiCatalogue
) -> t.Component:
    """The :mod:`pricing.terms` dataclass for one validated component.

    ``params`` must be canonical (as stored on ``Component.params``); KPI directions come
    from ``catalogue``. Raises ``KeyError`` for an unknown type or KPI.
    """
    p = params
    if type_ == "fixed_fee":
        return t.FixedFee(component_id, _d(p["amount"]))
    if type_ == "unit_rate":
        bands = tuple(t.Band(_d(b["up_to"]), _d(b["price"])) for b in p["bands"])
        return t.UnitRate(
            component_id,
            p["measure"],
            bands,
            t.BandMode(p.get("mode", "graduated")),
            _d(p.get("minimum_charge")),
        )
    if type_ == "gain_share":
        bands = tuple(
            t.ShareBand(_d(b["up_to_percent_of_baseline"]), _d(b["supplier_percent"]))
            for b in p.get("share_bands", ())
        )
        return t.GainShare(
            component_id,
            p["actual_measure"],
            _d(p.get("baseline_unit_cost")),
            p.get("volume_measure"),
            _d(p.get("baseline_amount")),
            _d(p.get("supplier_percent")),
            bands,
            _d(p.get("cap")),
            _d(p.get("pain_percent")),
            _d(p.get("pain_cap")),
        )
    if type_ == "revenue_share":
        return t.RevenueShare(
            component_id,
            _d(p["baseline_amount"]),
            p["actual_measure"],
            _d(p["supplier_percent"]),
            _d(p.get("cap")),
        )
    if type_ == "outcome_fee":
        return t.OutcomeFee(
            component_id,
            p["measure"],
            _d(p["fee"]),
            _d(p.get("threshold")),
            _d(p.get("cap")),
            p.get("clawback_measure"),
        )
    if type_ == "experience_bonus":
        kpis = tuple(
            t.ExperienceKpi(
                k["kpi"],
                _d(k["weight"]),
                _d(k["threshold"]),
                _d(k["target"]),
                _d(k["stretch"]),
                _direction(k["kpi"], catalogue),
                _d(k.get("threshold_payout", "0.5")),
                _d(k.get("stretch_payout", "1.5")),
            )
            for k in p["kpis"]
        )
        return t.ExperienceBonus(
            component_id, kpis, _d(p.get("pool_percent")), _d(p.get("pool_amount")), p.get("gate")
        )
    if type_ == "service_credit":
        kpis = tuple(
            t.CreditKpi(
                k["kpi"],
                _d(k["target"]),
                _direction(k["kpi"], catalogue),
                _d(k.get("credit_percent")),
                _d(k.get("per_point_percent")),
            )
            for k in p["kpis"]
        )
        return t.ServiceCredit(component_id, kpis, _d(p["at_risk_percent"]), p.get("earn_back_months"))
    raise KeyError(f"unknown component type {type_!r}")
