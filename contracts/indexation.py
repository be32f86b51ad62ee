"""The contract file's ``indexation`` block of a terms version: its keys, validation,
canonical form and conversion into :class:`pricing.indexation.Indexation`.

The canonical block is what ``TermsVersion.indexation`` stores and an export writes: the keys
the file gave, in :data:`KEYS` order, decimals as their exact strings. That the series exists
is checked by the import (:func:`contracts.services.contract_import_content`), which reads the
database; this module reads none.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pricing.indexation import DEFAULT_REFERENCE_LAG_MONTHS, Compounding, Indexation
from pricing.indexed_terms import INDEXABLE_KINDS
from pricing.period import Period

from .checks import HUNDRED, Checker, NumberBound, is_text, shown

REQUIRED = ("index", "base_month", "anniversary_month", "applies_to")
OPTIONAL = ("sensitivity_percent", "cap_percent", "floor_percent", "compounding", "reference_lag_months")
KEYS = REQUIRED + OPTIONAL
APPLIES_TO_KEYS = ("components", "kinds")
SERIES_CODE_RE = re.compile(r"[A-Z][A-Z0-9_]{0,19}")
PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
# Steps are rounded to 0.01 % (pricing.indexation.STEP_PLACES): a cap or floor has as many places.
CAP = NumberBound(Decimal(0), HUNDRED, 2)
FLOOR = NumberBound(-HUNDRED, HUNDRED, 2)
SENSITIVITY = NumberBound(Decimal(0), HUNDRED, 4)
MAX_REFERENCE_LAG_MONTHS = 12
MAX_APPLIES_TO = 50  # a version has at most 50 components


def indexation_validate(check: Checker, value, path: str, components: dict[str, str]) -> dict | None:
    """The canonical block, or ``None`` with every problem recorded on ``check`` under ``path``.
    ``components`` maps the version's component ids to their types: ``applies_to.components``
    names some of them, of a kind that has prices (``INDEXABLE_KINDS``)."""
    if check.mapping(value, path, required=REQUIRED, optional=OPTIONAL) is None:
        return None
    errors = len(check.errors)
    block = {
        "index": _series_code(check, value.get("index"), f"{path}.index") if "index" in value else None,
        "base_month": _month(check, value.get("base_month"), f"{path}.base_month")
        if "base_month" in value
        else None,
        "anniversary_month": check.integer(
            value.get("anniversary_month"), f"{path}.anniversary_month", minimum=1, maximum=12
        )
        if "anniversary_month" in value
        else None,
        "applies_to": _applies_to(check, value.get("applies_to"), f"{path}.applies_to", components)
        if "applies_to" in value
        else None,
    }
    for key, bound in (("sensitivity_percent", SENSITIVITY), ("cap_percent", CAP), ("floor_percent", FLOOR)):
        if key in value:
            number = check.decimal(value[key], f"{path}.{key}", bound)
            block[key] = None if number is None else str(number)
    if "compounding" in value:
        block["compounding"] = check.choice(value["compounding"], f"{path}.compounding", tuple(Compounding))
    if "reference_lag_months" in value:
        block["reference_lag_months"] = check.integer(
            value["reference_lag_months"], f"{path}.reference_lag_months", maximum=MAX_REFERENCE_LAG_MONTHS
        )
    cap, floor = block.get("cap_percent"), block.get("floor_percent")
    if cap is not None and floor is not None and Decimal(floor) > Decimal(cap):
        check.error(f"{path}.floor_percent", f"the floor ({floor} %) is above the cap ({cap} %)")
    return block if len(check.errors) == errors else None


def _series_code(check: Checker, value, path: str) -> str | None:
    if not (is_text(value) and SERIES_CODE_RE.fullmatch(value)):
        check.error(
            path, f"expected an index series code (1–20 upper-case letters, digits or _), got {shown(value)}"
        )
        return None
    return value


def _month(check: Checker, value, path: str) -> str | None:
    if not (is_text(value) and PERIOD_RE.fullmatch(value)):
        check.error(path, f"expected a month YYYY-MM, got {shown(value)}")
        return None
    return value


def _applies_to(check: Checker, value, path: str, components: dict[str, str]) -> dict | None:
    if check.mapping(value, path, required=(), optional=APPLIES_TO_KEYS) is None:
        return None
    if not any(value.get(key) for key in APPLIES_TO_KEYS):
        check.error(path, "names no component: give components (ids) or kinds (component types)")
        return None
    result = {}
    for key in APPLIES_TO_KEYS:
        if key in value:
            names = check.items(value[key], f"{path}.{key}", min_items=1, max_items=MAX_APPLIES_TO)
            result[key] = [
                name
                for i, name in enumerate(names)
                if _target(check, key, name, f"{path}.{key}[{i}]", components)
            ]
    return result


def _target(check: Checker, key: str, name, path: str, components: dict[str, str]) -> bool:
    kinds = ", ".join(INDEXABLE_KINDS)
    if key == "kinds":
        if not (is_text(name) and name in INDEXABLE_KINDS):
            check.error(path, f"expected a component type with prices ({kinds}), got {shown(name)}")
            return False
        return True
    if not (is_text(name) and name in components):
        check.error(path, f"no component {shown(name)} in this terms version")
        return False
    if components[name] not in INDEXABLE_KINDS:
        check.error(path, f"{name} is a {components[name]}, which has no prices to index (only {kinds})")
        return False
    return True


def indexation_to_pricing(block: dict) -> Indexation:
    """The pricing core's ``Indexation`` of a canonical block (defaults: sensitivity 100 %,
    no cap or floor, compound, a reference lag of ``DEFAULT_REFERENCE_LAG_MONTHS``)."""
    applies_to = block["applies_to"]

    def percent(key: str) -> Decimal | None:
        return None if block.get(key) is None else Decimal(block[key])

    return Indexation(
        index=block["index"],
        base_month=Period.parse(block["base_month"]),
        anniversary_month=block["anniversary_month"],
        applies_to_ids=frozenset(applies_to.get("components", ())),
        applies_to_kinds=frozenset(applies_to.get("kinds", ())),
        sensitivity_percent=Decimal(block.get("sensitivity_percent", "100")),
        cap_percent=percent("cap_percent"),
        floor_percent=percent("floor_percent"),
        compounding=Compounding(block.get("compounding", Compounding.COMPOUND)),
        reference_lag_months=block.get("reference_lag_months", DEFAULT_REFERENCE_LAG_MONTHS),
    )


def canonical_indexation(block: dict) -> dict:
    """``block`` with its keys in :data:`KEYS` order (PostgreSQL's ``jsonb`` sorts them)."""
    ordered = {key: block[key] for key in KEYS if key in block}
    ordered["applies_to"] = {
        key: block["applies_to"][key] for key in APPLIES_TO_KEYS if key in block["applies_to"]
    }
    return ordered


def indexation_rate_card(block: dict) -> list[str]:
    """A canonical block in words, for the terms version's rate card."""
    indexation = indexation_to_pricing(block)
    month = Period(2000, indexation.anniversary_month).first_day.strftime("%B")
    limits = [
        f"{name} {value} % per uplift"
        for name, value in (("cap", indexation.cap_percent), ("floor", indexation.floor_percent))
        if value is not None
    ]
    targets = [
        *sorted(indexation.applies_to_ids),
        *(f"every {kind}" for kind in sorted(indexation.applies_to_kinds)),
    ]
    return [
        f"Prices indexed on {indexation.index} each {month}: the index {indexation.reference_lag_months} "
        f"month(s) before, against {indexation.base_month} at first",
        f"{indexation.sensitivity_percent.normalize():f} % of the index change"
        + (f", {', '.join(limits)}" if limits else "")
        + f", {indexation.compounding}",
        f"Applies to: {', '.join(targets)}",
    ]
