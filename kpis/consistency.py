"""A contract's ``kpi_checks`` evaluated on a month's KPI values.

The rules are validated by :mod:`contracts.consistency`; here they meet the figures. A
violation is never a refusal (the file may be right and the rule too strict): it is a warning
in a KPI upload's dry run and a ``kpi_check_failed`` flag on the month's draft, so that it is
seen before a statement is approved.

* A sum rule compares the KPI's value ``x`` with the sum ``s`` of the listed KPIs' values.
  They are ``|x − s| / max(|x|, |s|) × 100`` percent apart (0 when both are 0, 100 when one of
  them is 0 and the other not); the rule fails when that is more than ``tolerance_percent``.
* A range rule fails when the value is below ``min`` or above ``max`` (both inclusive).
* A rule is evaluated only when every KPI it names is measured in the month: a KPI without
  rows, or a ratio whose denominators add up to 0, leaves the rule unevaluated (a missing
  KPI is flagged on the draft already, as ``missing_kpi`` where its terms need it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, localcontext

from contracts.models import Contract, Kpi

from .display import kpi_value_shown
from .selectors import KpiMonthValue

HUNDRED = Decimal(100)
FLAG_CODE = "kpi_check_failed"


@dataclass(frozen=True)
class KpiCheckFailure:
    """One failed rule of one contract's month: the KPI the rule is about, and the message,
    which names the contract and the month (``ACME-TEL-001 2026-03: contacts_total …``)."""

    kpi: str
    message: str


def kpi_checks_evaluate(
    *, rules: list[dict], values: Mapping[str, Decimal | None], units: Mapping[str, str], where: str
) -> list[KpiCheckFailure]:
    """The failed rules among ``rules`` (canonical, as ``Contract.kpi_checks`` holds them) on
    the month's ``values`` by KPI code (``None`` or absent: not measured), in rule order;
    ``units`` by KPI code set the precision of the figures shown; ``where`` begins each
    message. Pure: reads nothing."""
    failures = []
    for rule in rules:
        code = rule["kpi"]
        if "equals_sum_of" in rule:
            problem = _sum_problem(rule, values, units.get(code, ""))
        else:
            problem = _range_problem(rule, values.get(code), units.get(code, ""))
        if problem is not None:
            failures.append(KpiCheckFailure(code, f"{where}: {problem}"))
    return failures


def _sum_problem(rule: dict, values: Mapping[str, Decimal | None], unit: str) -> str | None:
    code, parts = rule["kpi"], rule["equals_sum_of"]
    total, summed = values.get(code), [values.get(part) for part in parts]
    if total is None or None in summed:
        return None
    with localcontext(prec=80):  # month values can have more digits than the default 28
        expected = sum(summed, Decimal(0))
        largest = max(abs(total), abs(expected))
        apart = Decimal(0) if largest == 0 else abs(total - expected) / largest * HUNDRED
    tolerance = Decimal(rule["tolerance_percent"])
    if apart <= tolerance:
        return None
    # Rounded up: a failure never reads as within its tolerance (1.01 % apart shows 1.1 %).
    apart_shown = apart.quantize(Decimal("0.1"), rounding=ROUND_UP)
    return (
        f"{code} {kpi_value_shown(total, unit)} is not {' + '.join(parts)} "
        f"{kpi_value_shown(expected, unit)} ({apart_shown} % apart; tolerance {_plain(tolerance)} %)"
    )


def _range_problem(rule: dict, value: Decimal | None, unit: str) -> str | None:
    if value is None:
        return None
    minimum = Decimal(rule["min"]) if "min" in rule else None
    maximum = Decimal(rule["max"]) if "max" in rule else None
    if minimum is not None and value < minimum:
        return f"{rule['kpi']} {_beyond(value, unit, minimum, below=True)} is below the minimum {_plain(minimum)}"
    if maximum is not None and value > maximum:
        return f"{rule['kpi']} {_beyond(value, unit, maximum, below=False)} is above the maximum {_plain(maximum)}"
    return None


def _beyond(value: Decimal, unit: str, bound: Decimal, *, below: bool) -> str:
    """The value at its unit's precision, or exactly when rounding would carry it onto or past
    the bound it crosses (100.04 % is not shown as "100.0 is above the maximum 100")."""
    shown = kpi_value_shown(value, unit)
    rounded = Decimal(shown.replace(",", ""))
    if (rounded < bound) if below else (rounded > bound):
        return shown
    return f"{value.normalize():,f}"


def _plain(number: Decimal) -> str:
    """A rule's own decimal as written, without trailing zeros: ``1``, ``0.5``."""
    return f"{number.normalize():f}"


def kpi_units() -> dict[str, str]:
    """Every catalogued KPI's unit, by code (one query)."""
    return dict(Kpi.objects.values_list("code", "unit"))


def month_check_failures(
    *, months: Mapping[tuple[int, str], Mapping[str, KpiMonthValue]]
) -> list[KpiCheckFailure]:
    """The failed rules of each (contract id, period) month of ``months`` (its values by KPI
    code), in contract reference then period order. Two queries (the contracts' rules, the
    units) when any contract has rules, one otherwise."""
    contracts = {
        pk: (reference, rules)
        for pk, reference, rules in Contract.objects.filter(pk__in={c for c, _ in months}).values_list(
            "pk", "reference", "kpi_checks"
        )
        if rules
    }
    if not contracts:
        return []
    units = kpi_units()
    failures = []
    for (contract_id, period), values in sorted(
        months.items(), key=lambda item: (contracts.get(item[0][0], ("",))[0], item[0][1])
    ):
        if contract_id not in contracts:
            continue
        reference, rules = contracts[contract_id]
        failures += kpi_checks_evaluate(
            rules=rules,
            values={code: month.value for code, month in values.items()},
            units=units,
            where=f"{reference} {period}",
        )
    return failures
