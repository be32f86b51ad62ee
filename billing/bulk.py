"""The one writer of new statements and their lines: ``COPY`` on PostgreSQL, ``bulk_create``
elsewhere, with the columns named here once (``STATEMENT_COLUMNS``, ``LINE_COLUMNS``).

The two paths are one ``core.databases`` path (``billing.write_statements``): on 10,000
contracts ``COPY`` writes the statements and lines several times faster than
``bulk_create``'s parameter lists, whose JSON snapshots psycopg quotes element by element.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from contracts.models import Contract
from core.databases import database_path
from pricing.period import Period
from pricing.result import PricedStatement

from .errors import BillingError
from .models import AMOUNT, Statement, StatementLine

# The largest amount a statement or line column holds (``AMOUNT``: 20 digits, 4 after the
# point), checked before saving so that SQLite and PostgreSQL refuse the same statements.
LARGEST_AMOUNT = Decimal(10) ** (AMOUNT["max_digits"] - AMOUNT["decimal_places"]) - 1

# Whitespace is dropped by jsonb (and by json.loads), so it is not sent. One encoder for
# every value: ``json.dumps`` with arguments builds a new one per call.
encode_json = json.JSONEncoder(separators=(",", ":")).encode


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


def _json_object(members: list[tuple[str, str]]) -> str:
    """The compact JSON text of an object from its (key, value already serialised) members."""
    return "{" + ",".join([f"{encode_json(key)}:{text}" for key, text in members]) + "}"


def snapshot_json(snapshot: dict, components_json: str) -> str:
    """``encode_json(snapshot)``, with ``snapshot["terms"]["components"]`` given already
    serialised (``components_json``): contracts on one template share that part, the
    largest, and it is serialised once per chunk instead of once per contract."""
    terms_json = _json_object(
        [
            (name, components_json if name == "components" else encode_json(part))
            for name, part in snapshot["terms"].items()
        ]
    )
    return _json_object(
        [(key, terms_json if key == "terms" else encode_json(value)) for key, value in snapshot.items()]
    )


@dataclass(frozen=True)
class NewStatement:
    """A priced month to insert as a draft: a statement (``adjusts``: the issued original it
    corrects) and its lines, with its ``inputs`` snapshot already serialised."""

    contract: Contract
    period: Period
    revision: int
    terms_version_id: int
    billing_run_id: int | None
    priced: PricedStatement
    flags: list
    inputs: dict
    inputs_json: str
    adjusts: Statement | None = None

    def statement(self) -> Statement:
        contract = self.contract
        return Statement(
            contract=contract,
            period=str(self.period),
            revision=self.revision,
            terms_version_id=self.terms_version_id,
            billing_run_id=self.billing_run_id,
            document_type=str(self.priced.document_type),
            adjusts=self.adjusts,
            currency=str(contract.currency),
            net=self.priced.net,
            tax=self.priced.tax,
            gross=self.priced.gross,
            tax_rate=contract.tax_rate,
            flags=self.flags,
            inputs=self.inputs,
        )


# Every column of a statement, as ``COPY`` writes a new one: read as they are, JSON
# serialised, the ``inputs`` snapshot given serialised, the file column by its name.
PLAIN_COLUMNS = (
    "contract_id",
    "period",
    "revision",
    "terms_version_id",
    "billing_run_id",
    "status",
    "document_type",
    "adjusts_id",
    "replaces_id",
    "number",
    "buyer_id",
    "supplier_id",
    "currency",
    "net",
    "tax",
    "gross",
    "tax_rate",
    "issue_date",
    "due_date",
    "void_reason",
    "api_representation",
    "pdf_sha256",
    "created_at",
    "updated_at",
    "approved_at",
    "issued_at",
    "paid_at",
    "voided_at",
    "approved_by_id",
    "issued_by_id",
    "voided_by_id",
    "paid_by_id",
)
JSON_COLUMNS = ("flags", "buyer_details", "supplier_details")
STATEMENT_COLUMNS = ("id", *PLAIN_COLUMNS, *JSON_COLUMNS, "inputs", "pdf")
STAMPED_COLUMNS = ("created_at", "updated_at")  # ``auto_now_add`` / ``auto_now``: set here
LINE_COLUMNS = ("statement_id", "position", "component_id", "kind", "kpi", "amount", "explanation", "detail")
_read_plain = operator.attrgetter(*PLAIN_COLUMNS)
_read_json = operator.attrgetter(*JSON_COLUMNS)


def _line_rows(statements: list[Statement], new: list[NewStatement]) -> list[tuple]:
    """``LINE_COLUMNS`` of every line of ``new`` (just inserted as ``statements``), detail as JSON."""
    return [
        (
            statement.pk,
            position,
            line.component_id,
            str(line.kind),
            line.kpi or "",
            line.amount,
            line.explanation,
            encode_json(line.detail if type(line.detail) is dict else dict(line.detail)),
        )
        for statement, month in zip(statements, new, strict=True)
        for position, line in enumerate(month.priced.lines)
    ]


def _copy(table: str, columns: Iterable[str], rows: Iterable[tuple]) -> None:
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with (
        connection.cursor() as cursor,
        # The raw cursor's errors come through Django's wrapper as ``IntegrityError`` and so on.
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _write_postgresql(new: list[NewStatement]) -> list[Statement]:
    """``COPY`` the statements, their ids taken from the table's sequence first and set on the
    objects as ``bulk_create`` would, then ``COPY`` their lines."""
    statements = [month.statement() for month in new]
    if not statements:
        return []
    now = timezone.now()
    meta = Statement._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(statements)],
        )
        for (pk,), statement in zip(cursor.fetchall(), statements, strict=True):
            statement.pk = pk
            for column in STAMPED_COLUMNS:
                setattr(statement, column, now)
    _copy(
        meta.db_table,
        STATEMENT_COLUMNS,
        (
            (s.pk, *_read_plain(s), *map(encode_json, _read_json(s)), month.inputs_json, s.pdf.name)
            for s, month in zip(statements, new, strict=True)
        ),
    )
    _copy(StatementLine._meta.db_table, LINE_COLUMNS, _line_rows(statements, new))
    for statement in statements:
        statement._state.adding = False
        statement._state.db = connection.alias
    return statements


def _write_portable(new: list[NewStatement]) -> list[Statement]:
    """Two ``bulk_create`` calls: the statements, then their lines."""
    statements = Statement.objects.bulk_create([month.statement() for month in new], batch_size=500)
    StatementLine.objects.bulk_create(
        (
            StatementLine(
                statement_id=statement.pk,
                position=position,
                component_id=line.component_id,
                kind=str(line.kind),
                kpi=line.kpi or "",
                amount=line.amount,
                explanation=line.explanation,
                detail=dict(line.detail),
            )
            for statement, month in zip(statements, new, strict=True)
            for position, line in enumerate(month.priced.lines)
        ),
        batch_size=2000,
    )
    return statements


# Insert new statements and their lines; returns the statements, saved, in the order given.
write_statements = database_path(
    "billing.write_statements", postgresql=_write_postgresql, portable=_write_portable
)


def drafts_delete(*, statement_ids: list[int], adjusting: list[int]) -> None:
    """Delete the drafts among ``statement_ids`` and the draft adjustments of the statements
    ``adjusting`` (with their lines); issued documents are never among what this deletes."""
    if statement_ids or adjusting:
        Statement.objects.filter(
            Q(pk__in=statement_ids) | Q(adjusts_id__in=adjusting), status=Statement.Status.DRAFT
        ).delete()
