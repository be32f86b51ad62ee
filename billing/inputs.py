"""Everything pricing a chunk of contracts' month needs, loaded in a constant number of queries.

One call (``contract_months``) takes the chunk's contract row locks (primary-key order) and
reads, for all of them at once: the month's and last month's statements, the terms (the
version in force for a draft, the version an issued month was issued with for a correction),
the KPI values of the month and of the earlier months its terms read (earn-back, settlement
period), the credits levied in those months, the issued documents' lines of the earlier
months that multi-month terms read (``pricing.history``), and for issued months what has
been billed so far. It returns one plain ``ContractMonth`` per contract; the pricing step
reads nothing else. A chunk with indexed terms also reads the index values they need (one
query).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Q

from contracts.models import Contract, IndexValue
from contracts.selectors import TermsInForce, kpi_names, terms_in_force_for_contracts, terms_of_versions
from core.databases import database_path
from kpis.consistency import KpiCheckFailure, kpi_checks_evaluate, kpi_units
from kpis.selectors import KpiMonthValue, kpi_month_values_for_periods
from pricing.correction import LineKey
from pricing.errors import PricingError
from pricing.history import PriorHistory, months_needed, prior_history
from pricing.indexation import uplift_in_force
from pricing.money import quantum
from pricing.period import Period
from pricing.result import Line
from pricing.terms import AgreedAmount, PricingInput, PriorCredit

from .bulk import encode_json
from .errors import BillingError
from .models import Statement, StatementLine
from .query_selectors import agreed_amounts, agreed_line_id
from .selectors import earn_back_months

ISSUED = (Statement.Status.ISSUED, Statement.Status.PAID)


class PreviousMonth(NamedTuple):
    """What the review flags need of last month's statement."""

    period: str
    net: Decimal


@dataclass(frozen=True)
class MonthInputs:
    """A contract's pricing inputs and the snapshot of them a statement keeps (``inputs``).

    ``components_json`` is ``snapshot["terms"]["components"]`` serialised, shared by the
    contracts whose terms share their stored components. ``kpi_check_failures`` are the
    contract's ``kpi_checks`` that the month's values fail (the draft's review flags)."""

    version_id: int
    inputs: PricingInput
    snapshot: dict
    components_json: str
    kpi_check_failures: tuple[KpiCheckFailure, ...] = ()


@dataclass(frozen=True)
class ContractMonth:
    """One contract of the chunk, locked, with what its month is priced from.

    ``live`` is the month's original statement that is not void (``None``: none yet);
    ``revision`` the next unused revision of the month; ``inputs`` is ``None`` for an approved
    month (left as it is) and a ``BillingError`` when the month cannot be priced; ``billed``
    is what issued documents billed per (component, kind, KPI), for an issued or paid month
    only (``None`` otherwise)."""

    contract: Contract
    live: Statement | None
    previous: PreviousMonth | None
    revision: int
    inputs: MonthInputs | BillingError | None
    billed: Mapping[LineKey, Decimal] | None


def contract_months(*, contract_ids: list[int], period: Period) -> list[ContractMonth]:
    """Lock the contracts (primary-key order) and load their month; call inside a transaction.

    Queries, whatever the number of contracts: the lock, the month's statements, the live
    ones, the terms in force, the issued months' terms versions and billed lines (when there
    are issued months), the amounts agreed on their queries (when there are issued months), the
    KPI values, the prior credits (one per earn-back window) and the earlier months' documents
    (one, when the terms read any)."""
    contracts = _locked_contracts(contract_ids)
    live, previous, revisions = _statements_of_months(contract_ids, period)
    issued = {cid: s for cid, s in live.items() if s.status in ISSUED}
    to_price = [c for c in contracts if c.pk not in live or live[c.pk].status != Statement.Status.APPROVED]
    terms = terms_in_force_for_contracts(contracts=[c for c in to_price if c.pk not in issued], period=period)
    terms |= terms_of_versions(
        contracts=[c for c in to_price if c.pk in issued],
        version_ids={cid: s.terms_version_id for cid, s in issued.items() if s.terms_version_id is not None},
    )
    # Amounts agreed on queries exist only for issued months: one more query when there are some.
    agreed = agreed_amounts(contract_ids=sorted(issued), period=str(period)) if issued else {}
    inputs = _month_inputs(to_price, terms, period, agreed)
    billed = _billed(issued)
    return [
        ContractMonth(
            contract=contract,
            live=live.get(contract.pk),
            previous=previous.get(contract.pk),
            revision=revisions.get(contract.pk, 0) + 1,
            inputs=inputs.get(contract.pk),
            billed=billed.get(contract.pk, {}) if contract.pk in issued else None,
        )
        for contract in contracts
    ]


def _locked_contracts(contract_ids: list[int]) -> list[Contract]:
    return list(Contract.objects.filter(pk__in=contract_ids).order_by("pk").select_for_update())


# --- the month's statements ---------------------------------------------------------------

# OFFSET 0 keeps the subquery apart, so each contract is one probe of the unique index.
_STATEMENT_ROWS_SQL = """
SELECT s.*
FROM unnest(%s::bigint[]) AS c(id)
CROSS JOIN LATERAL (
    SELECT id, contract_id, period, revision, status, adjusts_id, net
    FROM {table}
    WHERE contract_id = c.id AND period = ANY(%s)
    OFFSET 0
) AS s
"""


def _statement_rows_postgresql(contract_ids: list[int], months: list[str]) -> list[tuple]:
    """One index probe per contract on (contract, period, revision): a month that fills up
    during a run is not yet in the planner's statistics, and with ``contract_id IN (...)`` or
    a plain join it would read the whole month's statements through the (period, status)
    index instead, a little more with every chunk."""
    sql = _STATEMENT_ROWS_SQL.format(table=connection.ops.quote_name(Statement._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(contract_ids), months])  # a fixed table name, no user input
        return cursor.fetchall()


def _statement_rows_portable(contract_ids: list[int], months: list[str]) -> list[tuple]:
    return list(
        Statement.objects.filter(contract_id__in=contract_ids, period__in=months).values_list(
            "pk", "contract_id", "period", "revision", "status", "adjusts_id", "net"
        )
    )


# (id, contract, period, revision, status, adjusts, net) of the contracts' statements of ``months``.
statement_rows = database_path(
    "billing.statement_rows", postgresql=_statement_rows_postgresql, portable=_statement_rows_portable
)


def _statements_of_months(
    contract_ids: list[int], period: Period
) -> tuple[dict[int, Statement], dict[int, PreviousMonth], dict[int, int]]:
    """The month's live statements (originals that are not void), last month's, and the last
    revision used in the month per contract, from one query (plus one to load the live
    statements when there are any)."""
    month, last_month = str(period), str(period.previous())
    live_ids, previous, revisions = [], {}, {}
    for pk, contract_id, of_month, revision, status, adjusts_id, net in statement_rows(
        contract_ids, [month, last_month]
    ):
        is_live = adjusts_id is None and status != Statement.Status.VOID
        if of_month == month:
            revisions[contract_id] = max(revisions.get(contract_id, 0), revision)
            if is_live:
                live_ids.append(pk)
        elif is_live:
            previous[contract_id] = PreviousMonth(of_month, net)
    live = {}
    if live_ids:
        live = {
            s.contract_id: s for s in Statement.objects.filter(pk__in=live_ids).select_related("contract")
        }
    return live, previous, revisions


def _billed(issued: dict[int, Statement]) -> dict[int, dict[LineKey, Decimal]]:
    """What has been billed per contract and (component, kind, KPI): the issued originals'
    lines plus their issued and paid adjustments', in one query, keys in the order they were
    first billed (the original's lines, then each adjustment's by revision)."""
    if not issued:
        return {}
    originals = [s.pk for s in issued.values()]
    rows = (
        StatementLine.objects.filter(
            Q(statement_id__in=originals)
            | Q(statement__adjusts_id__in=originals, statement__status__in=ISSUED)
        )
        .order_by("statement__contract_id", "statement__revision", "position")
        .values_list("statement__contract_id", "component_id", "kind", "kpi", "amount")
    )
    billed: dict[int, dict[LineKey, Decimal]] = defaultdict(dict)
    for contract_id, component_id, kind, kpi, amount in rows:
        totals = billed[contract_id]
        key = (component_id, kind, kpi)
        totals[key] = totals.get(key, Decimal(0)) + amount
    return billed


# --- the pricing inputs -------------------------------------------------------------------

_CREDIT_LINES_SQL = """
SELECT s.contract_id, l.component_id, l.kpi, l.amount
FROM {statements} AS s JOIN {lines} AS l ON l.statement_id = s.id
WHERE s.contract_id = ANY(%s::bigint[]) AND s.period = %s AND s.status = ANY(%s) AND l.kind = %s
ORDER BY s.contract_id, s.revision, l.position
"""
_CREDITED = (["issued", "paid"], "service_credit")


def _credit_lines_postgresql(contract_ids: list[int], levied: str) -> list[tuple]:
    """The ids go as one array parameter (no per-id placeholders to build)."""
    statuses, kind = _CREDITED
    sql = _CREDIT_LINES_SQL.format(
        statements=connection.ops.quote_name(Statement._meta.db_table),
        lines=connection.ops.quote_name(StatementLine._meta.db_table),
    )  # fixed table names, no user input
    with connection.cursor() as cursor:
        cursor.execute(sql, [contract_ids, levied, statuses, kind])
        return cursor.fetchall()


def _credit_lines_portable(contract_ids: list[int], levied: str) -> list[tuple]:
    statuses, kind = _CREDITED
    return list(
        StatementLine.objects.filter(
            statement__contract_id__in=contract_ids,
            statement__period=levied,
            kind=kind,
            statement__status__in=statuses,
        )
        .order_by("statement__contract_id", "statement__revision", "position")
        .values_list("statement__contract_id", "component_id", "kpi", "amount")
    )


# (contract, component, KPI, amount) of the service-credit lines on the contracts' issued and
# paid documents of month ``levied``, each contract's in revision and line order.
credit_lines = database_path(
    "billing.credit_lines", postgresql=_credit_lines_postgresql, portable=_credit_lines_portable
)


def _prior_credits(contract_windows: dict[int, int], period: Period) -> dict[int, tuple[PriorCredit, ...]]:
    """Credits levied N months ago (N per contract) on issued documents, summed per component and KPI."""
    by_window = defaultdict(list)
    for contract_id, window in contract_windows.items():
        if window:
            by_window[window].append(contract_id)
    credits: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for window, ids in by_window.items():
        for contract_id, component_id, kpi, amount in credit_lines(ids, str(period.shift(-window))):
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


def _index_values(terms: dict[int, TermsInForce], period: Period) -> dict[str, dict[Period, Decimal]]:
    """The monthly values, on or before ``period``, of every index series the chunk's terms
    read: one query when one of them is indexed, none otherwise."""
    codes = {t.terms.indexation.index for t in terms.values() if t.terms.indexation is not None}
    return index_values_for(codes=codes, last=period)


def index_values_for(*, codes: set[str], last: Period) -> dict[str, dict[Period, Decimal]]:
    """The monthly values, on or before ``last``, of the index series ``codes``, by code: one
    query, none for no code."""
    if not codes:
        return {}
    values: dict[str, dict[Period, Decimal]] = {code: {} for code in codes}
    for code, month, value in IndexValue.objects.filter(
        series__code__in=codes, period__lte=str(last)
    ).values_list("series__code", "period", "value"):
        values[code][Period.parse(month)] = value
    return values


def _index_snapshot(inputs: PricingInput) -> dict:
    """What the statement keeps of the index values its pricing reads: the series, and for
    each month wanted the month read and its value (``read`` differs while ``wanted`` is not
    yet published). Raises ``PricingError`` when a value needed is missing altogether."""
    indexation = inputs.terms.indexation
    uplift = uplift_in_force(
        indexation=indexation,
        values=inputs.index_values.get(indexation.index, {}),
        period=inputs.period,
        rounding=inputs.terms.rounding,
    )
    return {
        "index": indexation.index,
        "factor": str(uplift.factor),
        "reads": [
            {"wanted": str(read.wanted), "read": str(read.read), "value": str(read.value)}
            for read in uplift.reads
        ],
    }


def indexation_months(snapshot: dict) -> tuple[str, set[str]]:
    """The series and the months (wanted and read) of a statement's index snapshot; ``("", set())``
    for a statement that read no index."""
    indexation = snapshot.get("indexation") or {}
    months = {read[key] for read in indexation.get("reads", ()) for key in ("wanted", "read")}
    return indexation.get("index", ""), months


def _own_index(in_force: TermsInForce, values: dict[str, dict[Period, Decimal]]) -> dict:
    """The values of the one series a contract's terms read (none when not indexed)."""
    indexation = in_force.terms.indexation
    return {} if indexation is None else {indexation.index: values.get(indexation.index, {})}


def _prior_documents(
    line_windows: dict[int, int], places: dict[int, int], period: Period
) -> dict[int, PriorHistory]:
    """The issued and paid documents (originals and adjustments) of each contract's earlier
    months (``line_windows``: how many months back, per contract), as
    ``pricing.history.prior_history`` derives them, in one query for the chunk: statements
    left-joined to their lines, so a document without lines still counts as issued. Amounts
    are given with the contract currency's places (``places``), as they were priced: the
    column keeps four."""
    wanted = {cid: months for cid, months in line_windows.items() if months}
    if not wanted:
        return {}
    periods = {str(period.shift(-back)): period.shift(-back) for back in range(1, max(wanted.values()) + 1)}
    rows = (
        Statement.objects.filter(contract_id__in=sorted(wanted), period__in=list(periods), status__in=ISSUED)
        .order_by("contract_id", "period", "revision", "lines__position")
        .values_list(
            "contract_id",
            "period",
            "lines__component_id",
            "lines__kind",
            "lines__kpi",
            "lines__amount",
            "lines__detail",
        )
    )
    months: dict[int, dict[Period, list[Line]]] = defaultdict(dict)
    for contract_id, text, component_id, kind, kpi, amount, detail in rows:
        of_month = periods[text]
        if of_month < period.shift(-wanted[contract_id]):
            continue  # further back than this contract's terms read
        lines = months[contract_id].setdefault(of_month, [])
        if component_id is not None:
            amount = amount.quantize(quantum(places[contract_id]))  # stored rounded: exact
            lines.append(Line(component_id, kind, amount, "", detail or {}, kpi or None))
    return {cid: prior_history(months=by_month.items()) for cid, by_month in months.items()}


def _prior_snapshot(history: PriorHistory) -> dict:
    return {
        "prior_lines": [
            {
                "period": str(line.period),
                "component": line.component_id,
                "kind": line.kind,
                "kpi": line.kpi,
                "amount": str(line.amount),
                "detail": dict(line.detail),
            }
            for line in history.lines
        ],
        "prior_charges": {str(p): str(amount) for p, amount in history.charges.items()},
    }


def _kpi_snapshot(months: dict[str, KpiMonthValue]) -> dict:
    snapshot = {}
    for code in sorted(months):
        m = months[code]
        snapshot[code] = {
            "value": None if m.value is None else str(m.value),
            "numerator": None if m.numerator is None else str(m.numerator),
            "denominator": None if m.denominator is None else str(m.denominator),
            "batch_ids": list(m.batch_ids),
        }
    return snapshot


def month_inputs(
    *, contracts: list[Contract], terms: dict[int, TermsInForce], period: Period
) -> dict[int, MonthInputs | BillingError]:
    """Each contract's pricing inputs for ``period`` on ``terms``, loaded as a billing run loads
    them (the month's and earn-back months' KPI values, prior credits, KPI names), without
    amounts agreed on queries; a ``BillingError`` for a contract without terms. Reads only: no
    lock is taken. The accruals (``billing.accruals``) price estimates from these."""
    return _month_inputs(contracts, terms, period)


def _month_inputs(
    contracts: list[Contract],
    terms: dict[int, TermsInForce],
    period: Period,
    agreed: Mapping[int, list[tuple[int, Decimal, str]]] | None = None,
) -> dict[int, MonthInputs | BillingError]:
    """Pricing inputs for each contract on its ``terms`` (or why it cannot be priced): the KPI
    values of the month and of the earn-back months before it (one query), prior credits, the
    KPI names the explanations use (one query), and the amounts ``agreed`` on queries of the
    month (by contract: query id, amount, subject)."""
    agreed = agreed or {}
    windows = {cid: earn_back_months(t.terms) for cid, t in terms.items()}
    # Months back each contract reads: (KPI values, documents' lines), see pricing.history.
    needed = {cid: months_needed(t.terms, period) for cid, t in terms.items()}
    kpi_windows = {cid: max(windows[cid], kpi_months) for cid, (kpi_months, _) in needed.items()}
    earlier = [period.shift(-back) for back in range(1, max(kpi_windows.values(), default=0) + 1)]
    months = kpi_month_values_for_periods(contract_ids=list(terms), periods=[period, *earlier])
    # (month, its text, its values by contract), most recent first: looked up once per chunk.
    earlier_months = [(month, str(month), months[month]) for month in earlier]
    current_month = months[period]
    credits = _prior_credits(windows, period)
    documents = _prior_documents(
        {cid: lines for cid, (_, lines) in needed.items()},
        {cid: t.terms.decimal_places for cid, t in terms.items()},
        period,
    )
    names = kpi_names()  # the explanations' names for the KPIs, shared by the chunk
    index_values = _index_values(terms, period)
    # Contracts set up from one template share their stored components (see
    # ``terms_in_force_for_contracts``): their part of the snapshot is built and serialised
    # once per distinct tuple of components.
    components: dict[tuple[int, ...], tuple[list, str]] = {}
    # Only a chunk with consistency rules reads the units their messages are shown in.
    units = kpi_units() if any(c.kpi_checks for c in contracts) else {}
    result: dict[int, MonthInputs | BillingError] = {}
    for contract in contracts:
        if contract.pk not in terms:
            result[contract.pk] = BillingError(f"{contract.reference}: no terms version in force in {period}")
            continue
        in_force = terms[contract.pk]
        key = tuple(map(id, in_force.components))
        if key not in components:
            listed = [{"id": c.id, "type": c.type, "params": c.params} for c in in_force.components]
            components[key] = (listed, encode_json(listed))
        components_list, components_json = components[key]
        history, history_text = {}, {}
        for month, text, values in earlier_months[: kpi_windows[contract.pk]]:
            history[month] = month_values = {code: m.value for code, m in values[contract.pk].items()}
            history_text[text] = {
                code: None if value is None else str(value) for code, value in month_values.items()
            }
        current = current_month[contract.pk]
        reads_documents = needed[contract.pk][1] > 0
        documents_read = documents.get(contract.pk, PriorHistory((), {}))
        inputs = PricingInput(
            period=period,
            terms=in_force.terms,
            kpis={c: m.value for c, m in current.items()},
            kpi_history=history,
            prior_credits=credits.get(contract.pk, ()),
            kpi_names=names,
            agreed=tuple(
                AgreedAmount(agreed_line_id(query_id), amount, f"Agreed on query {query_id}: {subject}.")
                for query_id, amount, subject in agreed.get(contract.pk, ())
            ),
            index_values=_own_index(in_force, index_values),
            prior_lines=documents_read.lines,
            prior_charges=documents_read.charges if reads_documents else None,
        )
        snapshot = {
            "terms": {
                "version_id": in_force.version_id,
                "effective_from": in_force.effective_from,
                "components": components_list,
            },
            "kpis": _kpi_snapshot(current),
            "kpi_history": history_text,
            "prior_credits": [
                {"period": str(c.period), "component": c.component_id, "kpi": c.kpi, "amount": str(c.amount)}
                for c in inputs.prior_credits
            ],
        }
        if inputs.terms.indexation is not None:  # absent otherwise, as for agreed amounts
            snapshot["terms"] = {**snapshot["terms"], "indexation": in_force.indexation}
            try:
                snapshot["indexation"] = _index_snapshot(inputs)
            except PricingError as error:
                result[contract.pk] = BillingError(f"{contract.reference} {period}: {error}")
                continue
        if reads_documents:  # absent otherwise: terms that read no earlier document are unchanged
            snapshot |= _prior_snapshot(documents_read)
        if inputs.agreed:  # absent otherwise: snapshots of months without one are unchanged
            snapshot["agreed"] = [
                {"component": a.component_id, "amount": str(a.amount), "explanation": a.explanation}
                for a in inputs.agreed
            ]
        failures = kpi_checks_evaluate(
            rules=contract.kpi_checks, values=inputs.kpis, units=units, where=f"{contract.reference} {period}"
        )
        result[contract.pk] = MonthInputs(
            in_force.version_id, inputs, snapshot, components_json, tuple(failures)
        )
    return result
