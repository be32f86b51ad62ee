"""The contract file's ``kpi_checks``: consistency rules on a month's KPI values.

A contract may declare what its KPI figures must satisfy, so that a file whose totals do not
add up is noticed before it prices a statement instead of passing silently:

* a sum rule, ``{kpi: contacts_total, equals_sum_of: [contacts_voice, contacts_chat],
  tolerance_percent: "1"}``: the KPI's month value is the sum of the others' within the
  tolerance (default ``"0"``: exactly);
* a range rule, ``{kpi: service_level, min: "0", max: "100"}`` (either bound may be left out).

This module only validates the rules into their canonical form (what the ``Contract`` stores
and the export writes back): every KPI catalogued, the summed KPIs in the unit of the total,
decimals through the :class:`~contracts.checks.Checker` like every other key, and the lists
bounded. Evaluating them on month values is :mod:`kpis.consistency`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .checks import KPI_VALUE, MAX_REPORTED, PERCENT, Checker, is_text, shown
from .components import KpiCatalogue

MAX_KPI_CHECKS = 50
MAX_SUMMED_KPIS = 20
SUM_KEYS = ("kpi", "equals_sum_of", "tolerance_percent")
RANGE_KEYS = ("kpi", "min", "max")


def kpi_checks_validate(check: Checker, value, catalogue: KpiCatalogue) -> list[dict]:
    """The canonical rules of ``kpi_checks`` (a list of at most ``MAX_KPI_CHECKS`` mappings),
    problems recorded on ``check`` with their key path (``kpi_checks[2].min``).

    A canonical rule holds its decimals as exact strings: ``{"kpi", "equals_sum_of",
    "tolerance_percent"}`` (the tolerance always present) or ``{"kpi", "min"?, "max"?}`` with
    at least one bound. A rule with any problem is left out (the file is refused anyway).
    """
    rules = []
    for i, rule in enumerate(check.items(value, "kpi_checks", min_items=0, max_items=MAX_KPI_CHECKS)):
        path = f"kpi_checks[{i}]"
        before = len(check.errors)
        canonical = _rule(check, rule, path, catalogue)
        if canonical is not None and len(check.errors) == before:
            rules.append(canonical)
    return rules


def validate_kpi_checks(value) -> None:
    """The validator of ``Contract.kpi_checks``: a form that edits the field directly (the
    admin's contract page) stores only rules a contract file could give, in the canonical form
    the evaluation reads. Raises ``ValidationError`` with every problem, by key path."""
    from .selectors import kpi_catalogue  # the selectors import the models, which use this

    check = Checker()
    rules = kpi_checks_validate(check, value, kpi_catalogue())
    if not check.errors and rules != value:
        check.error("kpi_checks", f"write the rules as an export writes them: {rules}")
    if check.errors:
        raise ValidationError([str(error) for error in check.errors[:MAX_REPORTED]])


def _rule(check: Checker, rule, path: str, catalogue: KpiCatalogue) -> dict | None:
    if not isinstance(rule, dict):
        check.error(path, f"expected a mapping, got {shown(rule)}")
        return None
    is_sum = "equals_sum_of" in rule
    keys = SUM_KEYS if is_sum else RANGE_KEYS
    if check.mapping(rule, path, required=("kpi",), optional=keys[1:]) is None:
        return None
    code = _kpi(check, rule.get("kpi"), f"{path}.kpi", catalogue) if "kpi" in rule else None
    if is_sum:
        return _sum_rule(check, rule, path, code, catalogue)
    return _range_rule(check, rule, path, code)


def _sum_rule(check: Checker, rule: dict, path: str, code: str | None, catalogue: KpiCatalogue) -> dict:
    where = f"{path}.equals_sum_of"
    summed = []
    for j, part in enumerate(check.items(rule["equals_sum_of"], where, max_items=MAX_SUMMED_KPIS)):
        part_code = _kpi(check, part, f"{where}[{j}]", catalogue)
        if part_code is None:
            continue
        if part_code == code:
            check.error(f"{where}[{j}]", f"{part_code} cannot be part of its own sum")
        elif part_code in summed:
            check.error(f"{where}[{j}]", f"{part_code} is listed twice")
        elif code is not None and catalogue[part_code].unit != catalogue[code].unit:
            check.error(
                f"{where}[{j}]",
                f"{part_code} is measured in {catalogue[part_code].unit}; {code} in {catalogue[code].unit}",
            )
        summed.append(part_code)
    tolerance = check.decimal(rule.get("tolerance_percent", "0"), f"{path}.tolerance_percent", PERCENT)
    return {"kpi": code, "equals_sum_of": summed, "tolerance_percent": str(tolerance)}


def _range_rule(check: Checker, rule: dict, path: str, code: str | None) -> dict | None:
    present = [key for key in ("min", "max") if key in rule]
    if not present:
        check.error(path, "give equals_sum_of, or min and/or max")
        return None
    bounds = {key: check.decimal(rule[key], f"{path}.{key}", KPI_VALUE) for key in present}
    if bounds.get("min") is not None and bounds.get("max") is not None and bounds["min"] > bounds["max"]:
        check.error(f"{path}.max", f"must be at least min ({bounds['min']}), got {bounds['max']}")
    return {"kpi": code, **{key: str(bound) for key, bound in bounds.items()}}


def _kpi(check: Checker, code, path: str, catalogue: KpiCatalogue) -> str | None:
    if not is_text(code) or code not in catalogue:
        check.error(path, f"unknown KPI {shown(code)}")
        return None
    return code
