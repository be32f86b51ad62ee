"""Pricing many contracts' months into drafts with a constant number of queries.

Load → compute → save: the terms in force, the month's KPI values, the earlier months and
credits that earn-back needs are loaded for a whole chunk of contracts at once; each
contract is priced by the pure core; the drafts and their lines are written with two bulk
inserts in one transaction that holds the contracts' row locks (taken in primary-key order).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max

from contracts.models import Contract, TermsVersion
from contracts.selectors import contract_terms_for_contracts, contract_terms_for_period
from kpis.selectors import KpiMonthValue, kpi_month_values_for_contracts
from pricing import PricingError, price_period
from pricing.period import Period
from pricing.result import PricedStatement
from pricing.terms import ContractTerms, PricingInput, PriorCredit

from .models import Statement, StatementLine
from .selectors import earn_back_months

NET_CHANGE_REVIEW = Decimal("0.25")


class BillingError(Exception):
    """A statement cannot be priced or moved to the asked state; the message says why."""


@dataclass(frozen=True)
class MonthInputs:
    version: TermsVersion
    inputs: PricingInput
    snapshot: dict


def _kpi_snapshot(months: dict[str, KpiMonthValue]) -> dict:
    text = lambda value: None if value is None else str(value)  # noqa: E731
    return {
        code: {
            "value": text(m.value),
            "numerator": text(m.numerator),
            "denominator": text(m.denominator),
            "batch_ids": list(m.batch_ids),
        }
        for code, m in sorted(months.items())
    }


def _prior_credits(contract_windows: dict[int, int], period: Period) -> dict[int, tuple[PriorCredit, ...]]:
    """Credits levied N months ago (N per contract) on issued documents, summed per component and KPI."""
    by_window = defaultdict(list)
    for contract_id, window in contract_windows.items():
        if window:
            by_window[window].append(contract_id)
    credits: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for window, ids in by_window.items():
        levied = str(period.shift(-window))
        lines = StatementLine.objects.filter(
            statement__contract_id__in=ids,
            statement__period=levied,
            kind="service_credit",
            statement__status__in=["issued", "paid"],
        ).values_list("statement__contract_id", "component_id", "kpi", "amount")
        for contract_id, component_id, kpi, amount in lines:
            key = (component_id, kpi)
            credits[contract_id][key] = credits[contract_id].get(key, Decimal(0)) + amount
    return {
        contract_id: tuple(
            PriorCredit(period.shift(-contract_windows[contract_id]), component_id, kpi, amount)
            for (component_id, kpi), amount in totals.items()
            if amount < 0
        )
        for contract_id, totals in credits.items()
    }


def month_inputs_for_contracts(
    *, contracts: list[Contract], period: Period, versions: dict[int, TermsVersion] | None = None
) -> dict[int, MonthInputs | BillingError]:
    """Pricing inputs for each contract (or why it cannot be priced), with a constant number of
    queries. ``versions`` pins a contract to a terms version (re-pricing an issued month)."""
    ids = [c.pk for c in contracts]
    terms: dict[int, tuple[TermsVersion, ContractTerms]] = contract_terms_for_contracts(
        contract_ids=ids, period=period
    )
    for contract in contracts:
        if versions and contract.pk in versions:
            version = versions[contract.pk]
            terms[contract.pk] = (
                version,
                contract_terms_for_period(contract=contract, period=period, version=version),
            )
    months = kpi_month_values_for_contracts(contract_ids=ids, period=period)
    windows = {cid: earn_back_months(t) for cid, (_v, t) in terms.items()}
    history: dict[int, dict[Period, dict]] = defaultdict(dict)
    for back in range(1, max(windows.values(), default=0) + 1):
        earlier = period.shift(-back)
        needing = [cid for cid, window in windows.items() if window >= back]
        for cid, values in kpi_month_values_for_contracts(contract_ids=needing, period=earlier).items():
            history[cid][earlier] = {code: m.value for code, m in values.items()}
    credits = _prior_credits(windows, period)
    result: dict[int, MonthInputs | BillingError] = {}
    for contract in contracts:
        if contract.pk not in terms:
            result[contract.pk] = BillingError(f"{contract.reference}: no terms version in force in {period}")
            continue
        version, contract_terms = terms[contract.pk]
        inputs = PricingInput(
            period=period,
            terms=contract_terms,
            kpis={c: m.value for c, m in months[contract.pk].items()},
            kpi_history=history.get(contract.pk, {}),
            prior_credits=credits.get(contract.pk, ()),
        )
        snapshot = {
            "terms": {
                "version_id": version.pk,
                "effective_from": version.effective_from,
                "components": [
                    {"id": c.component_id, "type": c.type, "params": c.params}
                    for c in version.components.all()
                ],
            },
            "kpis": _kpi_snapshot(months[contract.pk]),
            "kpi_history": {
                str(p): {c: None if v is None else str(v) for c, v in vals.items()}
                for p, vals in history.get(contract.pk, {}).items()
            },
            "prior_credits": [
                {"period": str(c.period), "component": c.component_id, "kpi": c.kpi, "amount": str(c.amount)}
                for c in inputs.prior_credits
            ],
        }
        result[contract.pk] = MonthInputs(version, inputs, snapshot)
    return result


def review_flags(
    priced: PricedStatement, snapshot: dict, previous: Statement | None, replaced: Statement | None
) -> list:
    """The pricing's flags, plus a net change over 25 % from last month and changed inputs."""
    flags = [
        {"code": str(f.code), "message": f.message, "component": f.component_id, "kpi": f.kpi}
        for f in priced.flags
    ]
    if (
        previous is not None
        and previous.net
        and abs(priced.net - previous.net) > abs(previous.net) * NET_CHANGE_REVIEW
    ):
        change = (priced.net - previous.net) / abs(previous.net) * 100
        flags.append({"code": "net_changed", "message": f"net changed {change:+.1f}% from {previous.period}"})
    if replaced is not None and replaced.inputs.get("kpis") != snapshot["kpis"]:
        flags.append({"code": "inputs_changed", "message": "KPI inputs changed since the previous draft"})
    return flags


def next_revisions(contract_ids: list[int], period: Period) -> dict[int, int]:
    """Revisions count every statement of the month, so a replaced draft's number is never reused."""
    rows = (
        Statement.objects.filter(contract_id__in=contract_ids, period=str(period))
        .values("contract_id")
        .annotate(last=Max("revision"))
        .values_list("contract_id", "last")
    )
    last = dict(rows)
    return {cid: last.get(cid, 0) + 1 for cid in contract_ids}


def new_statement(
    *, contract, period, version, priced, snapshot, flags, run_id, revision, adjusts=None
) -> Statement:
    return Statement(
        contract=contract,
        period=str(period),
        revision=revision,
        terms_version=version,
        billing_run_id=run_id,
        document_type=str(priced.document_type),
        adjusts=adjusts,
        currency=str(contract.currency),
        net=priced.net,
        tax=priced.tax,
        gross=priced.gross,
        tax_rate=contract.tax_rate,
        flags=flags,
        inputs=snapshot,
    )


LINE_COLUMNS = ("statement_id", "position", "component_id", "kind", "kpi", "amount", "explanation", "detail")


def save_statements(pairs: list[tuple[Statement, tuple]]) -> list[Statement]:
    """Insert statements with one bulk insert and their lines with another (``COPY`` on
    PostgreSQL, where it is several times faster than ``bulk_create``'s parameter arrays)."""
    statements = Statement.objects.bulk_create([statement for statement, _ in pairs], batch_size=500)
    rows = [
        (
            statement.pk,
            n,
            line.component_id,
            str(line.kind),
            line.kpi or "",
            line.amount,
            line.explanation,
            json.dumps(dict(line.detail)),
        )
        for statement, (_, priced_lines) in zip(statements, pairs, strict=True)
        for n, line in enumerate(priced_lines)
    ]
    if connection.vendor == "postgresql":
        table = StatementLine._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {table} ({', '.join(LINE_COLUMNS)}) FROM STDIN"  # fixed names, no user input
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        StatementLine.objects.bulk_create(
            (
                StatementLine(**dict(zip(LINE_COLUMNS, row[:-1], strict=False)), detail=json.loads(row[-1]))
                for row in rows
            ),
            batch_size=2000,
        )
    return statements


def _lock_contracts(contract_ids: list[int]) -> list[Contract]:
    contracts = (
        Contract.objects.filter(pk__in=contract_ids).order_by("pk").select_related("buyer", "supplier")
    )
    if connection.features.has_select_for_update_of:
        return list(contracts.select_for_update(of=("self",)))
    return list(contracts.select_for_update())


def statements_price_drafts(
    *, contract_ids: list[int], period: Period, billing_run_id: int | None = None, adjust=None
) -> dict[int, Statement | BillingError | None]:
    """Price ``period`` into drafts for each contract, in one transaction.

    Per contract: an existing draft is replaced; an approved statement is left (returned);
    an issued or paid month goes to ``adjust(original=...)`` (late corrections). A contract
    that cannot be priced maps to its ``BillingError``; the others are still priced.
    """
    result: dict[int, Statement | BillingError | None] = {}
    with transaction.atomic():
        contracts = _lock_contracts(contract_ids)
        live = {
            s.contract_id: s
            for s in Statement.objects.filter(
                contract_id__in=contract_ids, period=str(period), adjusts__isnull=True
            )
            .exclude(status=Statement.Status.VOID)
            .select_related("contract", "terms_version")
        }
        previous = {
            s.contract_id: s
            for s in Statement.objects.filter(
                contract_id__in=contract_ids, period=str(period.previous()), adjusts__isnull=True
            ).exclude(status=Statement.Status.VOID)
        }
        to_price = []
        for contract in contracts:
            current = live.get(contract.pk)
            if current is not None and current.status == Statement.Status.APPROVED:
                result[contract.pk] = current
            elif current is not None and current.status in ("issued", "paid"):
                result[contract.pk] = adjust(original=current, billing_run_id=billing_run_id)
            else:
                to_price.append(contract)
        inputs = month_inputs_for_contracts(contracts=to_price, period=period)
        revisions = next_revisions([c.pk for c in to_price], period)
        pairs, replaced = [], []
        for contract in to_price:
            loaded = inputs[contract.pk]
            if isinstance(loaded, BillingError):
                result[contract.pk] = loaded
                continue
            try:
                priced = price_period(loaded.inputs)
            except PricingError as error:
                result[contract.pk] = BillingError(f"{contract.reference} {period}: {error}")
                continue
            current = live.get(contract.pk)
            flags = review_flags(priced, loaded.snapshot, previous.get(contract.pk), current)
            statement = new_statement(
                contract=contract,
                period=period,
                version=loaded.version,
                priced=priced,
                snapshot=loaded.snapshot,
                flags=flags,
                run_id=billing_run_id,
                revision=revisions[contract.pk],
            )
            pairs.append((statement, priced.lines))
            if current is not None:
                replaced.append(current.pk)
        Statement.objects.filter(pk__in=replaced, status=Statement.Status.DRAFT).delete()
        for statement in save_statements(pairs):
            result[statement.contract_id] = statement
    return result
