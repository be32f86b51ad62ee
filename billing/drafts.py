"""Pricing many contracts' months into drafts with a constant number of queries.

Load → compute → save: the terms in force, the month's KPI values, the earlier months and
credits that earn-back needs are loaded for a whole chunk of contracts at once; each
contract is priced by the pure core; the drafts and their lines are written with two bulk
inserts (``COPY`` on PostgreSQL) in one transaction that holds the contracts' row locks
(taken in primary-key order).
"""

from __future__ import annotations

import decimal
import json
import logging
import operator
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from contracts.models import Contract, TermsVersion
from contracts.selectors import TermsInForce, terms_in_force_for_contracts, terms_of_version
from kpis.selectors import KpiMonthValue, kpi_month_values_for_periods
from pricing import PricingError, price_period
from pricing.period import Period
from pricing.result import PricedStatement
from pricing.terms import PricingInput, PriorCredit

from .models import AMOUNT, Statement, StatementLine
from .selectors import earn_back_months

logger = logging.getLogger(__name__)

NET_CHANGE_REVIEW = Decimal("0.25")
# The largest amount a statement or line column holds (``AMOUNT``: 20 digits, 4 after the
# point), checked before saving so that SQLite and PostgreSQL refuse the same statements.
LARGEST_AMOUNT = Decimal(10) ** (AMOUNT["max_digits"] - AMOUNT["decimal_places"]) - 1

# Whitespace is dropped by jsonb (and by json.loads), so it is not sent. One encoder for
# every value: ``json.dumps`` with arguments builds a new one per call.
_encode = json.JSONEncoder(separators=(",", ":")).encode


class BillingError(Exception):
    """A statement cannot be priced or moved to the asked state; the message says why."""


def contract_error(*, reference: str, period: Period, error: Exception, step: str = "priced") -> BillingError:
    """The ``BillingError`` that stands for anything raised while pricing or saving one
    contract's month: a ``BillingError`` as it is, anything else as a message an operator can
    act on (the traceback goes to the log, never to the user)."""
    if isinstance(error, BillingError):
        return error
    if isinstance(error, PricingError):
        return BillingError(f"{reference} {period}: {error}")
    logger.error("%s %s could not be %s", reference, period, step, exc_info=error)
    if isinstance(error, decimal.DecimalException):
        cause = (
            "an amount in its terms or KPI values is out of range "
            f"({type(error).__name__}); check the contract's terms version"
        )
    elif isinstance(error, DatabaseError):
        cause = f"the database refused it ({type(error).__name__}); see the log"
    else:
        cause = f"unexpected {type(error).__name__}; see the log"
    return BillingError(f"{reference} {period}: could not be {step}: {cause}")


def check_storable(reference: str, period: Period, priced: PricedStatement) -> None:
    """Raise ``BillingError`` when a priced amount has more digits than the columns hold
    (``LARGEST_AMOUNT``), instead of leaving it to the database, which would fail the whole
    chunk's insert (PostgreSQL) or store it as given (SQLite). About 4 µs for 8 lines: the
    names are built only for a refusal."""
    amounts = [priced.net, priced.tax, priced.gross, *(line.amount for line in priced.lines)]
    if all(amount.is_finite() and abs(amount) <= LARGEST_AMOUNT for amount in amounts):
        return
    names = ["net", "tax", "gross", *(f"line {line.component_id}" for line in priced.lines)]
    name, amount = next(
        (name, amount)
        for name, amount in zip(names, amounts, strict=True)
        if not amount.is_finite() or abs(amount) > LARGEST_AMOUNT
    )
    raise BillingError(
        f"{reference} {period}: {name} {amount:.6E} is larger than the largest storable "
        f"amount ({AMOUNT['max_digits'] - AMOUNT['decimal_places']} digits before the point); "
        "check the contract's terms version and the month's KPI values"
    )


@dataclass(frozen=True)
class MonthInputs:
    version_id: int
    inputs: PricingInput
    snapshot: dict
    snapshot_json: str | None = None  # ``snapshot`` serialised as ``_compact_json`` would


class PreviousMonth(NamedTuple):
    """What the review flags need of last month's statement."""

    period: str
    net: Decimal


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


_CREDIT_LINES_SQL = """
SELECT s.contract_id, l.component_id, l.kpi, l.amount
FROM {statements} AS s JOIN {lines} AS l ON l.statement_id = s.id
WHERE s.contract_id = ANY(%s::bigint[]) AND s.period = %s AND s.status = ANY(%s) AND l.kind = %s
ORDER BY s.contract_id, s.revision, l.position
"""


def _credit_lines(contract_ids: list[int], levied: str) -> list[tuple]:
    """(contract, component, KPI, amount) of the service-credit lines on the contracts' issued
    and paid documents of month ``levied``, each contract's in revision and line order. On
    PostgreSQL the ids go as one array parameter (no per-id placeholders to build)."""
    statuses, kind = ["issued", "paid"], "service_credit"
    if connection.vendor == "postgresql":
        sql = _CREDIT_LINES_SQL.format(
            statements=connection.ops.quote_name(Statement._meta.db_table),
            lines=connection.ops.quote_name(StatementLine._meta.db_table),
        )  # fixed table names, no user input
        with connection.cursor() as cursor:
            cursor.execute(sql, [contract_ids, levied, statuses, kind])
            return cursor.fetchall()
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


def _prior_credits(contract_windows: dict[int, int], period: Period) -> dict[int, tuple[PriorCredit, ...]]:
    """Credits levied N months ago (N per contract) on issued documents, summed per component and KPI."""
    by_window = defaultdict(list)
    for contract_id, window in contract_windows.items():
        if window:
            by_window[window].append(contract_id)
    credits: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for window, ids in by_window.items():
        for contract_id, component_id, kpi, amount in _credit_lines(ids, str(period.shift(-window))):
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


def _components_snapshot(terms: TermsInForce) -> list:
    return [{"id": c.id, "type": c.type, "params": c.params} for c in terms.components]


def month_inputs_for_contracts(
    *, contracts: list[Contract], period: Period, versions: dict[int, TermsVersion] | None = None
) -> dict[int, MonthInputs | BillingError]:
    """Pricing inputs for each contract (or why it cannot be priced), with a constant number of
    queries: terms in force, the KPI values of the month and of the earn-back months before it
    (one query), prior credits. ``versions`` pins a contract to a terms version (re-pricing an
    issued month)."""
    ids = [c.pk for c in contracts]
    terms = terms_in_force_for_contracts(contracts=contracts, period=period)
    for contract in contracts:
        if versions and contract.pk in versions:
            terms[contract.pk] = terms_of_version(contract=contract, version=versions[contract.pk])
    windows = {cid: earn_back_months(t.terms) for cid, t in terms.items()}
    earlier = [period.shift(-back) for back in range(1, max(windows.values(), default=0) + 1)]
    months = kpi_month_values_for_periods(contract_ids=ids, periods=[period, *earlier])
    # (month, its text, its values by contract), most recent first: looked up once per chunk.
    earlier_months = [(month, str(month), months[month]) for month in earlier]
    current_month = months[period]
    credits = _prior_credits(windows, period)
    # Contracts set up from one template share their stored components (see
    # ``terms_in_force_for_contracts``): their part of the snapshot is built and serialised
    # once per distinct tuple of components.
    components: dict[tuple[int, ...], tuple[list, str]] = {}
    result: dict[int, MonthInputs | BillingError] = {}
    for contract in contracts:
        if contract.pk not in terms:
            result[contract.pk] = BillingError(f"{contract.reference}: no terms version in force in {period}")
            continue
        in_force = terms[contract.pk]
        key = tuple(map(id, in_force.components))
        if key not in components:
            listed = _components_snapshot(in_force)
            components[key] = (listed, _encode(listed))
        components_list, components_json = components[key]
        history, history_text = {}, {}
        for month, text, values in earlier_months[: windows[contract.pk]]:
            history[month] = month_values = {code: m.value for code, m in values[contract.pk].items()}
            history_text[text] = {
                code: None if value is None else str(value) for code, value in month_values.items()
            }
        current = current_month[contract.pk]
        inputs = PricingInput(
            period=period,
            terms=in_force.terms,
            kpis={c: m.value for c, m in current.items()},
            kpi_history=history,
            prior_credits=credits.get(contract.pk, ()),
        )
        kpis = _kpi_snapshot(current)
        prior_credits = [
            {"period": str(c.period), "component": c.component_id, "kpi": c.kpi, "amount": str(c.amount)}
            for c in inputs.prior_credits
        ]
        snapshot = {
            "terms": {
                "version_id": in_force.version_id,
                "effective_from": in_force.effective_from,
                "components": components_list,
            },
            "kpis": kpis,
            "kpi_history": history_text,
            "prior_credits": prior_credits,
        }
        # The same text as ``_compact_json(snapshot)``, with the components' part reused.
        snapshot_json = (
            f'{{"terms":{{"version_id":{_encode(in_force.version_id)},'
            f'"effective_from":{_encode(in_force.effective_from)},"components":{components_json}}},'
            f'"kpis":{_encode(kpis)},"kpi_history":{_encode(history_text)},'
            f'"prior_credits":{_encode(prior_credits)}}}'
        )
        result[contract.pk] = MonthInputs(in_force.version_id, inputs, snapshot, snapshot_json)
    return result


def review_flags(
    priced: PricedStatement, snapshot: dict, previous: PreviousMonth | None, replaced: Statement | None
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
    *, contract, period, version_id, priced, snapshot, flags, run_id, revision, adjusts=None
) -> Statement:
    given = {
        "contract_id": contract.pk,
        "period": str(period),
        "revision": revision,
        "terms_version_id": version_id,
        "billing_run_id": run_id,
        "document_type": str(priced.document_type),
        "adjusts_id": None if adjusts is None else adjusts.pk,
        "currency": str(contract.currency),
        "net": priced.net,
        "tax": priced.tax,
        "gross": priced.gross,
        "tax_rate": contract.tax_rate,
        "flags": flags,
        "inputs": snapshot,
    }
    # Every column in order, the others at their defaults: Django's positional form, about
    # twice as fast as keyword arguments, which are matched against every field.
    statement = Statement(
        *[
            given[f.attname] if f.attname in given else f.get_default()
            for f in Statement._meta.concrete_fields
        ]
    )
    Statement.contract.field.set_cached_value(statement, contract)
    Statement.adjusts.field.set_cached_value(statement, adjusts)
    return statement


LINE_COLUMNS = ("statement_id", "position", "component_id", "kind", "kpi", "amount", "explanation", "detail")


def _line_rows(statements: list[Statement], pairs: list[tuple[Statement, tuple]]) -> list[tuple]:
    dumps = _compact_json
    return [
        (
            statement.pk,
            n,
            line.component_id,
            str(line.kind),
            line.kpi or "",
            line.amount,
            line.explanation,
            dumps(line.detail if type(line.detail) is dict else dict(line.detail)),
        )
        for statement, (_, priced_lines) in zip(statements, pairs, strict=True)
        for n, line in enumerate(priced_lines)
    ]


def _compact_json(value, cls=None) -> str:
    if cls is None:
        return _encode(value)
    return json.dumps(value, cls=cls, separators=(",", ":"))


# Columns whose Python value psycopg writes as PostgreSQL reads it (amounts are rounded by
# ``pricing`` before they get here).
SIMPLE_FIELDS = (
    models.CharField,
    models.TextField,
    models.PositiveIntegerField,
    models.IntegerField,
    models.DecimalField,
    models.DateField,
    models.DateTimeField,
)


def _statement_row_writer():
    """The columns ``COPY`` writes for a new statement, and a function giving one row:
    plain attributes read at C speed, JSON serialised once, anything else converted as
    Django's ``bulk_create`` would (``get_db_prep_save``)."""
    fields = [f for f in Statement._meta.concrete_fields if not f.primary_key]
    plain = [
        f
        for f in fields
        if type(f) in SIMPLE_FIELDS
        or (isinstance(f, models.ForeignKey) and type(f.target_field) is models.BigAutoField)
    ]
    inputs = Statement._meta.get_field("inputs")
    json_fields = [f for f in fields if isinstance(f, models.JSONField) and f is not inputs]
    others = [f for f in fields if f not in plain and f not in json_fields and f is not inputs]
    read_plain = operator.attrgetter(*(f.attname for f in plain))

    def row(statement: Statement, inputs_json: str | None) -> tuple:
        if inputs_json is None:
            inputs_json = _compact_json(statement.inputs, cls=inputs.encoder)
        return (
            statement.pk,
            *read_plain(statement),
            inputs_json,
            *(_compact_json(getattr(statement, f.attname), cls=f.encoder) for f in json_fields),
            *(f.get_db_prep_save(getattr(statement, f.attname), connection) for f in others),
        )

    return [Statement._meta.pk, *plain, inputs, *json_fields, *others], row


def _copy_statements(statements: list[Statement], inputs_json: list[str | None]) -> None:
    """Insert new statements with ``COPY`` on PostgreSQL: their ids are taken from the table's
    sequence first, and set on the objects as ``bulk_create`` would. ``inputs_json`` gives
    each statement's ``inputs`` already serialised (``None``: serialised here)."""
    meta = Statement._meta
    now = timezone.now()
    stamped = [
        f.attname
        for f in meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(statements)],
        )
        for (pk,), statement in zip(cursor.fetchall(), statements, strict=True):
            statement.pk = pk
            for attname in stamped:
                setattr(statement, attname, now)
        fields, row = _statement_row_writer()
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        # The raw cursor's errors come through Django's wrapper as ``IntegrityError`` and so on.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for statement, text in zip(statements, inputs_json, strict=True):
                copy.write_row(row(statement, text))
    for statement in statements:
        statement._state.adding = False
        statement._state.db = connection.alias


def save_statements(
    pairs: list[tuple[Statement, tuple]], inputs_json: list[str | None] | None = None
) -> list[Statement]:
    """Insert statements and their lines: with ``COPY`` on PostgreSQL (several times faster
    than ``bulk_create``'s parameter arrays, whose JSON snapshots psycopg quotes element by
    element), with two bulk inserts elsewhere. ``inputs_json``, when given, is each
    statement's ``inputs`` already serialised (``MonthInputs.snapshot_json``)."""
    if not pairs:
        return []
    if connection.vendor != "postgresql":
        statements = Statement.objects.bulk_create([statement for statement, _ in pairs], batch_size=500)
        StatementLine.objects.bulk_create(
            (
                StatementLine(**dict(zip(LINE_COLUMNS, row[:-1], strict=False)), detail=json.loads(row[-1]))
                for row in _line_rows(statements, pairs)
            ),
            batch_size=2000,
        )
        return statements
    statements = [statement for statement, _ in pairs]
    _copy_statements(statements, inputs_json or [None] * len(statements))
    _copy_lines(statements, pairs)
    return statements


def _copy_lines(statements: list[Statement], pairs: list[tuple[Statement, tuple]]) -> None:
    """Insert the lines of ``statements`` (just inserted) with ``COPY`` on PostgreSQL."""
    table = connection.ops.quote_name(StatementLine._meta.db_table)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in _line_rows(statements, pairs):
            copy.write_row(row)


def _lock_contracts(contract_ids: list[int]) -> list[Contract]:
    return list(Contract.objects.filter(pk__in=contract_ids).order_by("pk").select_for_update())


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


def _statement_rows(contract_ids: list[int], months: list[str]) -> list[tuple]:
    """(id, contract, period, revision, status, adjusts, net) of the contracts' statements of
    ``months``. On PostgreSQL one index probe per contract on (contract, period, revision):
    a month that fills up during a run is not yet in the planner's statistics, and with
    ``contract_id IN (...)`` or a plain join it would read the whole month's statements
    through the (period, status) index instead, a little more with every chunk."""
    if connection.vendor != "postgresql":
        return list(
            Statement.objects.filter(contract_id__in=contract_ids, period__in=months).values_list(
                "pk", "contract_id", "period", "revision", "status", "adjusts_id", "net"
            )
        )
    sql = _STATEMENT_ROWS_SQL.format(table=connection.ops.quote_name(Statement._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(contract_ids), months])  # a fixed table name, no user input
        return cursor.fetchall()


def _statements_of_months(
    contract_ids: list[int], period: Period
) -> tuple[dict[int, Statement], dict[int, PreviousMonth], dict[int, int]]:
    """The month's live statements (originals that are not void), last month's, and the last
    revision used in the month per contract, from one query (plus one to load the live
    statements when there are any)."""
    month, last_month = str(period), str(period.previous())
    live_ids, previous, revisions = [], {}, {}
    for pk, contract_id, of_month, revision, status, adjusts_id, net in _statement_rows(
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
            s.contract_id: s
            for s in Statement.objects.filter(pk__in=live_ids).select_related("contract", "terms_version")
        }
    return live, previous, revisions


def statements_price_drafts(
    *, contract_ids: list[int], period: Period, billing_run_id: int | None = None, adjust=None
) -> dict[int, Statement | BillingError | None]:
    """Price ``period`` into drafts for each contract, in one transaction.

    Per contract: an existing draft is replaced; an approved statement is left (returned);
    an issued or paid month goes to ``adjust(original=...)`` (late corrections). A contract
    whose pricing raises anything (``PricingError``, a ``decimal`` error from an absurd
    amount, an amount too large to store, a failing adjustment) maps to a ``BillingError``
    naming it; the others are still priced. Loading the chunk's inputs and the bulk insert
    are shared: if they raise, the exception propagates and nothing is saved (the run then
    prices the chunk's contracts one by one, see ``billing_run_price_chunk``).
    """
    result: dict[int, Statement | BillingError | None] = {}
    with transaction.atomic():
        contracts = _lock_contracts(contract_ids)
        live, previous, revisions = _statements_of_months(contract_ids, period)
        to_price = []
        for contract in contracts:
            current = live.get(contract.pk)
            if current is not None and current.status == Statement.Status.APPROVED:
                result[contract.pk] = current
            elif current is not None and current.status in ("issued", "paid"):
                try:
                    # A savepoint, so a failing adjustment leaves the chunk's transaction usable.
                    with transaction.atomic():
                        result[contract.pk] = adjust(original=current, billing_run_id=billing_run_id)
                except Exception as error:
                    result[contract.pk] = contract_error(
                        reference=contract.reference, period=period, error=error
                    )
            else:
                to_price.append(contract)
        inputs = month_inputs_for_contracts(contracts=to_price, period=period)
        pairs, texts, replaced = [], [], []
        for contract in to_price:
            loaded = inputs[contract.pk]
            if isinstance(loaded, BillingError):
                result[contract.pk] = loaded
                continue
            current = live.get(contract.pk)
            try:
                priced = price_period(loaded.inputs)
                check_storable(contract.reference, period, priced)
                flags = review_flags(priced, loaded.snapshot, previous.get(contract.pk), current)
            except Exception as error:  # one contract's failure is its own, not the chunk's
                result[contract.pk] = contract_error(reference=contract.reference, period=period, error=error)
                continue
            statement = new_statement(
                contract=contract,
                period=period,
                version_id=loaded.version_id,
                priced=priced,
                snapshot=loaded.snapshot,
                flags=flags,
                run_id=billing_run_id,
                revision=revisions.get(contract.pk, 0) + 1,
            )
            pairs.append((statement, priced.lines))
            texts.append(loaded.snapshot_json)
            if current is not None:
                replaced.append(current.pk)
        if replaced:
            Statement.objects.filter(pk__in=replaced, status=Statement.Status.DRAFT).delete()
        for statement in save_statements(pairs, texts):
            result[statement.contract_id] = statement
    return result
