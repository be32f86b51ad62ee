"""Accruals: each contract's month estimated before its KPIs are final, and, once the month is
issued, what was accrued against what was billed. A selector: it reads and writes nothing.

A month is priced exactly as a billing run prices it (``billing.inputs.month_inputs``: the
terms in force, earn-back history, prior credits, KPI names; then ``pricing.price_period``),
except that the month's KPI values are *estimated* from earlier months by one of
``METHODS``. The month's own KPI rows are never used, even where some exist: an accrual is
the estimate finance books before the KPIs are final, and comparing it with the issued
statement is what measures the method.

- ``last``: per KPI, the latest month before the period with a measured value.
- ``average_3``: per KPI, the last three months before the period with a measured value
  (fewer when fewer exist). A ``sum`` KPI is the mean of the values; a ``ratio`` KPI the ratio
  of the summed numerators and denominators (× its scale) when every one of those months has
  them, else the mean of the values (a KPI given as one monthly value).
- ``target``: per KPI, its target in the terms (an experience bonus KPI's ``target``, a
  service credit KPI's ``target``; the first the terms list); a KPI without one is estimated
  as ``last``, and says so.

Months are looked for up to ``LOOKBACK_MONTHS`` before the period; a KPI with no measured
value in them is *not measured*, priced as a billing run prices a missing KPI.

Queries, whatever the number of contracts: the contracts, their terms (two or three), the
loaded inputs (as a billing run's load), the earlier months' KPI values (one per 500
contracts), the catalogue's aggregations, and the month's issued documents and their lines.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from contracts.models import Contract, Kpi, Membership
from contracts.selectors import TermsInForce, contracts_active_in_period, terms_in_force_for_contracts
from contracts.tenancy import EVERYTHING, buyer_scope
from kpis.selectors import RATIO_PLACES, KpiMonthValue, kpi_month_values_for_periods
from pricing.components import CreditKpi, ExperienceBonus, ExperienceKpi, ServiceCredit
from pricing.engine import price_period
from pricing.errors import PricingError
from pricing.money import ZERO, quantum
from pricing.period import Period
from pricing.terms import ContractTerms

from .errors import BillingError
from .inputs import MonthInputs, month_inputs
from .models import Statement, StatementLine

ACCRUALS_VERSION = 1  # the JSON form's version (docs/api.md); a change of shape raises it
METHODS = ("last", "average_3", "target")
LOOKBACK_MONTHS = 12
AVERAGE_MONTHS = 3
ISSUED = (Statement.Status.ISSUED, Statement.Status.PAID)
# The fields of the pricing dataclasses that name a KPI code (``measure``, ``actual_measure``...).
_MEASURE_SUFFIX = "measure"


@dataclass(frozen=True)
class KpiEstimate:
    """One KPI's estimated value (``None``: not measured), how (``source``: a method, or
    ``"not measured"``) and from which months (``YYYY-MM``, most recent first)."""

    kpi: str
    value: Decimal | None
    source: str
    months: tuple[str, ...] = ()
    note: str = ""


# Periods accrued: years 1900 to 9999, so that the months looked back at are periods too.
FIRST_YEAR = 1900


def accrual_period(text: str) -> Period:
    """The period ``text`` (``YYYY-MM``) to accrue. Raises ``ValueError`` naming the text when
    it is not a period or its year is before ``FIRST_YEAR``."""
    period = Period.parse(text)
    if period.year < FIRST_YEAR:
        raise ValueError(f"accruals start in {FIRST_YEAR}: {text!r}")
    return period


class AccrualScopeError(Exception):
    """The user may see no buyer's accruals."""


def accrual_buyer_id(user) -> int | None:
    """The buyer whose contracts ``user`` may accrue: a finance user's or a procurement user's
    buyer; ``None`` (every buyer) for a superuser. Raises ``AccrualScopeError`` for anyone
    else (a supplier's user, a user of no organisation)."""
    membership = getattr(user, "membership", None)
    if membership is not None and membership.role == Membership.Role.FINANCE:
        return membership.organisation_id
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return None
    if scope is None:
        raise AccrualScopeError("only the buyer's finance and procurement users see accruals")
    return scope


# --- which KPIs, and their targets ---------------------------------------------------------


def terms_kpi_codes(terms: ContractTerms) -> list[str]:
    """The KPI codes the terms' components read, each once, in the terms' order."""
    codes: list[str] = []
    for component in terms.components:
        for field in dataclasses.fields(component):
            value = getattr(component, field.name)
            if field.name.endswith(_MEASURE_SUFFIX) and isinstance(value, str):
                codes.append(value)
            elif field.name == "kpis":
                codes += [kpi.kpi for kpi in value]
    return list(dict.fromkeys(codes))


def kpi_targets(terms: ContractTerms) -> dict[str, Decimal]:
    """Each KPI's target in the terms: an experience bonus KPI's ``target`` or a service
    credit KPI's ``target``, the first the terms list where several name the same KPI."""
    targets: dict[str, Decimal] = {}
    for component in terms.components:
        if isinstance(component, (ExperienceBonus, ServiceCredit)):
            for kpi in component.kpis:
                if isinstance(kpi, (ExperienceKpi, CreditKpi)):
                    targets.setdefault(kpi.kpi, kpi.target)
    return targets


# --- estimating a KPI ---------------------------------------------------------------------

History = list[tuple[str, Mapping[str, KpiMonthValue]]]  # (YYYY-MM, values by code), most recent first


def _measured(code: str, history: History, count: int) -> list[tuple[str, KpiMonthValue]]:
    found = []
    for month, values in history:
        value = values.get(code)
        if value is not None and value.value is not None:
            found.append((month, value))
            if len(found) == count:
                break
    return found


def _not_measured(code: str) -> KpiEstimate:
    return KpiEstimate(
        code, None, "not measured", (), f"no measured value in the {LOOKBACK_MONTHS} months before"
    )


def estimate_last(code: str, history: History) -> KpiEstimate:
    """The latest measured value of ``code`` in ``history``, or not measured."""
    found = _measured(code, history, 1)
    if not found:
        return _not_measured(code)
    month, value = found[0]
    return KpiEstimate(code, value.value, "last", (month,))


def estimate_average(code: str, history: History, aggregation: str, scale: int) -> KpiEstimate:
    """The mean of the last ``AVERAGE_MONTHS`` measured values of ``code`` (fewer when fewer
    exist), to ``RATIO_PLACES``; for a ratio KPI whose months all have numerators and
    denominators, Σ numerator × scale / Σ denominator instead."""
    found = _measured(code, history, AVERAGE_MONTHS)
    if not found:
        return _not_measured(code)
    months = tuple(month for month, _ in found)
    note = "" if len(found) == AVERAGE_MONTHS else f"only {len(found)} measured month(s)"
    ratios = [v for _, v in found if v.numerator is not None and v.denominator]
    if aggregation == "ratio" and len(ratios) == len(found):
        numerator = sum((v.numerator for v in ratios), ZERO)
        denominator = sum((v.denominator for v in ratios), ZERO)
        value = (numerator * scale / denominator).quantize(RATIO_PLACES)
        return KpiEstimate(code, value, "average_3", months, _joined(note, "Σ numerators / Σ denominators"))
    value = (sum((v.value for _, v in found), ZERO) / len(found)).quantize(RATIO_PLACES)
    how = "mean of monthly values" if aggregation == "ratio" else ""
    return KpiEstimate(code, value, "average_3", months, _joined(note, how))


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def kpi_estimates(
    *, terms: ContractTerms, history: History, method: str, aggregations: Mapping[str, tuple[str, int]]
) -> list[KpiEstimate]:
    """The estimate of every KPI the terms read, by ``method`` (one of ``METHODS``), from
    ``history`` (months before the period, most recent first). ``aggregations`` gives each
    KPI's (aggregation, scale). Raises ``ValueError`` for an unknown method."""
    if method not in METHODS:
        raise ValueError(f"not an accrual method: {method!r} (one of {', '.join(METHODS)})")
    targets = kpi_targets(terms) if method == "target" else {}
    estimates = []
    for code in terms_kpi_codes(terms):
        if method == "target" and code in targets:
            estimates.append(KpiEstimate(code, targets[code], "target", (), "the target in the terms"))
        elif method == "average_3":
            aggregation, scale = aggregations.get(code, ("sum", 1))
            estimates.append(estimate_average(code, history, aggregation, scale))
        else:
            estimate = estimate_last(code, history)
            if method == "target":
                estimate = dataclasses.replace(
                    estimate, note=_joined("no target in the terms", estimate.note)
                )
            estimates.append(estimate)
    return estimates


# --- the report ---------------------------------------------------------------------------


def accruals_report(
    *, period: Period, method: str, buyer_id: int | None = None, now: datetime | None = None
) -> dict:
    """The accruals of ``period`` by ``method`` for the contracts active in it (of ``buyer_id``
    only when given), as the JSON form of docs/api.md: ``{"version", "period", "method",
    "generated_at", "contracts", "skipped", "totals"}``. Amounts are decimal strings in each
    contract's currency, rounded as its statements are; totals are per currency, never summed
    across currencies. Writes nothing. Raises ``ValueError`` for an unknown method."""
    if method not in METHODS:
        raise ValueError(f"not an accrual method: {method!r} (one of {', '.join(METHODS)})")
    contracts = contracts_active_in_period(period=period).select_related("supplier").order_by("reference")
    if buyer_id is not None:
        contracts = contracts.filter(buyer_id=buyer_id)
    contracts = list(contracts)
    terms = terms_in_force_for_contracts(contracts=contracts, period=period)
    priced = [c for c in contracts if c.pk in terms]
    inputs = month_inputs(contracts=priced, terms=terms, period=period) if priced else {}
    history = _history([c.pk for c in priced], period)
    aggregations = {
        code: (aggregation, scale)
        for code, aggregation, scale in Kpi.objects.values_list("code", "aggregation", "scale")
    }
    actuals = _actuals([c.pk for c in priced], period)
    rows: list[dict] = []
    skipped = [
        {"contract": c.reference, "reason": f"no terms version in force in {period}"}
        for c in contracts
        if c.pk not in terms
    ]
    for contract in priced:
        loaded = inputs[contract.pk]
        try:
            if isinstance(loaded, BillingError):
                raise loaded
            estimates = kpi_estimates(
                terms=loaded.inputs.terms,
                history=history[contract.pk],
                method=method,
                aggregations=aggregations,
            )
            rows.append(
                _contract_row(
                    contract, terms[contract.pk], loaded, estimates, method, actuals.get(contract.pk)
                )
            )
        except (BillingError, PricingError) as error:
            skipped.append({"contract": contract.reference, "reason": str(error)})
    return {
        "version": ACCRUALS_VERSION,
        "period": str(period),
        "method": method,
        "generated_at": (now or timezone.now()).isoformat(),
        "contracts": rows,
        "skipped": skipped,
        "totals": _totals(rows),
    }


def _history(contract_ids: list[int], period: Period) -> dict[int, History]:
    earlier = [period.shift(-back) for back in range(1, LOOKBACK_MONTHS + 1)]
    values = kpi_month_values_for_periods(contract_ids=contract_ids, periods=earlier) if contract_ids else {}
    return {cid: [(str(month), values[month][cid]) for month in earlier] for cid in contract_ids}


@dataclass
class _Actual:
    documents: list[str]
    net: Decimal = ZERO
    tax: Decimal = ZERO
    gross: Decimal = ZERO
    components: dict[str, Decimal] = dataclasses.field(default_factory=dict)


def _actuals(contract_ids: list[int], period: Period) -> dict[int, _Actual]:
    """What the month's issued documents billed per contract: its issued or paid original and
    that original's issued or paid adjustments (two queries: documents, lines)."""
    if not contract_ids:
        return {}
    documents = list(
        Statement.objects.filter(contract_id__in=contract_ids, period=str(period), status__in=ISSUED)
        .filter(Q(adjusts__isnull=True) | Q(adjusts__status__in=ISSUED))
        .order_by("contract_id", "revision")
        .values_list("pk", "contract_id", "number", "net", "tax", "gross")
    )
    actuals: dict[int, _Actual] = {}
    for _, contract_id, number, net, tax, gross in documents:
        actual = actuals.setdefault(contract_id, _Actual([]))
        actual.documents.append(number)
        actual.net, actual.tax, actual.gross = actual.net + net, actual.tax + tax, actual.gross + gross
    contract_of = {pk: contract_id for pk, contract_id, *_ in documents}
    lines = StatementLine.objects.filter(statement_id__in=list(contract_of)).order_by(
        "statement_id", "position"
    )
    for statement_id, component_id, amount in lines.values_list("statement_id", "component_id", "amount"):
        components = actuals[contract_of[statement_id]].components
        components[component_id] = components.get(component_id, ZERO) + amount
    return actuals


def _money(amount: Decimal | None, places: int) -> str | None:
    return None if amount is None else str(amount.quantize(quantum(places)))


def _contract_row(
    contract: Contract,
    in_force: TermsInForce,
    loaded: MonthInputs,
    estimates: list[KpiEstimate],
    method: str,
    actual: _Actual | None,
) -> dict:
    estimated = {e.kpi: e.value for e in estimates if e.value is not None}
    priced = price_period(dataclasses.replace(loaded.inputs, kpis=estimated))
    places = loaded.inputs.terms.decimal_places
    accrued: dict[str, Decimal] = {}
    for line in priced.lines:
        accrued[line.component_id] = accrued.get(line.component_id, ZERO) + line.amount
    params = {spec.id: spec.params for spec in in_force.components}
    component_ids = list(dict.fromkeys([*(spec.id for spec in in_force.components), *accrued]))
    if actual is not None:
        component_ids += [cid for cid in actual.components if cid not in component_ids]
    components = []
    for component_id in component_ids:
        amount = accrued.get(component_id, ZERO)
        billed = None if actual is None else actual.components.get(component_id, ZERO)
        spec = params.get(component_id, {})
        components.append(
            {
                "component": component_id,
                "gl_code": str(spec.get("gl_code") or ""),
                "cost_centre": str(spec.get("cost_centre") or ""),
                "estimate": True,
                "method": method,
                "accrued": _money(amount, places),
                "actual": _money(billed, places),
                "difference": None if billed is None else _money(billed - amount, places),
            }
        )
    totals = {"net": priced.net, "tax": priced.tax, "gross": priced.gross}
    return {
        "contract": contract.reference,
        "title": contract.title,
        "supplier": contract.supplier.name,
        "currency": loaded.inputs.terms.currency,
        "estimate": True,
        "method": method,
        "terms_version_id": in_force.version_id,
        "kpis": [
            {
                "kpi": e.kpi,
                "value": None if e.value is None else str(e.value),
                "source": e.source,
                "months": list(e.months),
                "note": e.note,
            }
            for e in estimates
        ],
        "components": components,
        "accrued": {key: _money(value, places) for key, value in totals.items()},
        "flags": [flag.code.value for flag in priced.flags],
        "actual": None
        if actual is None
        else {
            "documents": actual.documents,
            **{key: _money(getattr(actual, key), places) for key in totals},
        },
        "difference": None
        if actual is None
        else {key: _money(getattr(actual, key) - value, places) for key, value in totals.items()},
    }


def _totals(rows: Iterable[dict]) -> dict[str, dict]:
    """Per currency: the contracts, what was accrued, and for the contracts whose month is
    issued what was accrued and billed, the difference to reverse (actual − accrued) and the
    method's error (Σ |difference| / Σ |actual| of the net, in percent to two places; ``None``
    when nothing was billed)."""
    by_currency: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_currency[row["currency"]].append(row)
    totals = {}
    for currency in sorted(by_currency):
        of_currency = by_currency[currency]
        compared = [row for row in of_currency if row["actual"] is not None]

        def summed(items, part, key):
            return sum((Decimal(row[part][key]) for row in items), ZERO)

        absolute = sum((abs(Decimal(row["difference"]["net"])) for row in compared), ZERO)
        billed = sum((abs(Decimal(row["actual"]["net"])) for row in compared), ZERO)
        totals[currency] = {
            "contracts": len(of_currency),
            "accrued": {key: str(summed(of_currency, "accrued", key)) for key in ("net", "tax", "gross")},
            "compared": {
                "contracts": len(compared),
                "accrued": {key: str(summed(compared, "accrued", key)) for key in ("net", "tax", "gross")},
                "actual": {key: str(summed(compared, "actual", key)) for key in ("net", "tax", "gross")},
                "difference": {
                    key: str(summed(compared, "difference", key)) for key in ("net", "tax", "gross")
                },
                "absolute_difference": str(absolute),
                "error_percent": None
                if not billed
                else str((absolute * 100 / billed).quantize(Decimal("0.01"))),
            },
        }
    return totals
