"""Writes: ingesting a KPI file as one batch, all or nothing.

Every row of the file is checked (``kpis.ingest``); a file with any problem changes nothing
and its report lists every bad row. Rows are stored in bulk in one transaction by the
database path ``kpis.write_results``: portably, the file is checked first, then inserted with
large ``executemany`` batches; on PostgreSQL the first chunks are already streaming to the
server (``COPY``) while the file is checked, and a bad file cancels the ``COPY`` and rolls the
transaction back. The same file twice (by SHA-256) is recognised and changes nothing, once
the file has been read and found to name only contracts its submitter acts for. A dry run
checks the file first, does the whole ingestion, computes what would change, and rolls back.

Whose numbers count: each batch records the party that submitted it (``kpis.access.kpi_party``).
A supplier submits only its own figures (the buyer's KPIs of a contract are refused row by row,
``ContractRef.others_kpis``), and a supplier's file that would change a month already issued is
stored *pending review*: it changes nothing until procurement accepts it (``kpis.review``).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet

from contracts.models import Contract, Kpi
from contracts.selectors import kpi_default_sources
from core.databases import database_path, is_postgresql
from pricing.period import Period

from . import ingest
from .access import kpi_party
from .consistency import KpiCheckFailure, month_check_failures
from .ingest import ContractRef, KpiFileRejected, KpiRef, RowError
from .models import KpiBatch, KpiResult
from .selectors import (
    KpiMonthValue,
    issued_months,
    kpi_month_values_for_contracts,
    kpi_month_values_for_periods,
)

Progress = Callable[[str, int, int], None]
CHUNK = 100_000
CHECK_AFTER = 2  # chunks sent to PostgreSQL before the file's check runs
ROWS_PER_INSERT = 90  # x 11 columns: within SQLite's smallest limit of 999 variables
PREVIEW_LIMIT = 500


@dataclass(frozen=True)
class PreviewRow:
    contract: str
    period: str
    kpi: str
    current: KpiMonthValue | None
    new: KpiMonthValue | None


@dataclass
class IngestResult:
    status: str  # "accepted" | "pending_review" | "rejected" | "duplicate" | "dry_run"
    file_name: str
    batch: KpiBatch | None = None
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[PreviewRow] = field(default_factory=list)
    # The issued months the file changes (``KpiBatch.held_months``): a supplier's file that
    # has any waits for review (and a dry run says it would).
    held_months: list[dict] = field(default_factory=list)
    # A dry run's failed ``kpi_checks`` of the months the file touches, as they would be after it.
    warnings: list[KpiCheckFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


def _noop(stage: str, done: int, total: int) -> None:
    return None


def kpi_batch_ingest(
    *,
    file_name: str,
    content: bytes,
    source: str,
    uploaded_by=None,
    allowed_contracts: Iterable[int] | None = None,
    dry_run: bool = False,
    progress: Progress = _noop,
) -> IngestResult:
    """Ingest one KPI file (CSV or XLSX) as a batch.

    ``allowed_contracts`` restricts the contracts the file may name (the caller's own, from
    ``kpis.access.kpi_submittable_contract_ids``; ``None``: every contract); rows for any
    other contract are reported exactly as unknown contracts, before the file is compared with
    earlier batches, so a caller learns nothing of another party's contracts or files.
    Returns the result; a rejected file lists every bad row (the first 1,000, with
    ``error_count`` of all). Never raises for a bad file: every refusal is a result.

    The submitter's party comes from ``uploaded_by``: a supplier user's rows of the buyer's
    KPIs are refused, and its file that changes an issued month is stored ``pending_review``.
    """
    checksum = hashlib.sha256(content).hexdigest()
    party, organisation_id = kpi_party(uploaded_by)
    progress("reading", 0, 1)
    try:
        frame = ingest.read_kpi_file(
            file_name=file_name, content=content, max_bytes=settings.KPI_FILE_MAX_BYTES
        )
        progress("checking", 0, len(frame))
        check = ingest.FileCheck(
            frame,
            contracts=_contract_refs(allowed_contracts, supplier=party == KpiBatch.Party.SUPPLIER),
            kpis=_kpi_refs(),
        )
        del frame
        # Tenancy before anything else: a contract the caller does not act for is an unknown
        # contract, and the file's report is given before the duplicate check could name a batch.
        if check.names_unknown_contracts():
            check.verify()
        existing = _batch_with_checksum(checksum)
        if existing is not None:
            # Same bytes, so the same contracts, every one of which the caller acts for.
            return IngestResult("duplicate", file_name, batch=existing, row_count=existing.row_count)
        if dry_run or not is_postgresql():
            # Checked before the transaction opens: a dry run reads the values before storing,
            # and SQLite's transaction takes the writer's lock at once (IMMEDIATE), which the
            # check would hold. Only PostgreSQL's COPY checks while it streams.
            check.verify()
        try:
            return _write_batch(
                check.rows,
                check.verify,
                file_name=file_name,
                checksum=checksum,
                source=source,
                uploaded_by=uploaded_by,
                party=party,
                organisation_id=organisation_id,
                dry_run=dry_run,
                progress=progress,
            )
        except IntegrityError:
            # The same bytes stored by a parallel upload that committed first (the checksum is
            # unique): that batch is this file's, so the answer is the duplicate's.
            existing = KpiBatch.objects.filter(checksum=checksum).first()
            if existing is None:
                check.verify()
                raise
            return IngestResult("duplicate", file_name, batch=existing, row_count=existing.row_count)
        except Exception:
            check.verify()  # a bad file's own report explains a failure to store it
            raise
    except KpiFileRejected as rejected:
        return IngestResult("rejected", file_name, errors=rejected.errors, error_count=rejected.error_count)


def _batch_with_checksum(checksum: str) -> KpiBatch | None:
    return KpiBatch.objects.filter(checksum=checksum).first()


def _write_batch(
    rows: ingest.CheckedRows,
    verify: Callable[[], None],
    *,
    file_name: str,
    checksum: str,
    source: str,
    uploaded_by,
    party: str,
    organisation_id: int | None,
    dry_run: bool,
    progress: Progress,
) -> IngestResult:
    """Store the rows as one batch in one transaction (rolled back for a dry run, or when
    ``verify`` finds the file bad while the rows are being stored). A supplier's batch that
    changes an issued month's values is left ``pending`` review."""
    with transaction.atomic():
        pairs = rows.pairs()
        before = _month_values(pairs) if dry_run else {}
        issued = issued_months(pairs) if party == KpiBatch.Party.SUPPLIER else []
        issued_before = _measured(issued)
        references = dict(
            Contract.objects.filter(pk__in={c for c, _ in pairs}).values_list("pk", "reference")
        )
        batch = KpiBatch.objects.create(
            file_name=file_name[-255:],
            checksum=checksum,
            source=source,
            uploaded_by=uploaded_by,
            party=party,
            organisation_id=organisation_id,
            row_count=len(rows),
            contracts=sorted(references.values()),
            periods=sorted({p for _, p in pairs}),
        )
        write_results(rows, batch.pk, progress, verify)
        held = _changes(issued, issued_before, _measured(issued), references)
        if held and not dry_run:
            batch.status = KpiBatch.Status.PENDING
            batch.held_months = held
            batch.save(update_fields=["status", "held_months"])
            return IngestResult(
                "pending_review", file_name, batch=batch, row_count=len(rows), held_months=held
            )
        if not dry_run:
            return IngestResult("accepted", file_name, batch=batch, row_count=len(rows))
        after = _month_values(pairs)
        preview = _preview(pairs, before, after)
        warnings = month_check_failures(months=after)
        transaction.set_rollback(True)
    return IngestResult(
        "dry_run", file_name, row_count=len(rows), preview=preview, held_months=held, warnings=warnings
    )


def _changes(months, before, after, references) -> list[dict]:
    """The months whose figures differ, each with its KPIs' values before and after the file
    (as text; ``None``: not measured): what a reviewer and the supplier read."""
    held = []
    for key in months:
        old, new = before[key], after[key]
        changes = [
            {"kpi": code, "was": _text(old.get(code)), "now": _text(new.get(code))}
            for code in sorted(set(old) | set(new))
            if old.get(code) != new.get(code)
        ]
        if changes:
            held.append({"contract": references[key[0]], "period": key[1], "changes": changes})
    return held


def _text(measured: tuple | None) -> str | None:
    return None if measured is None or measured[0] is None else str(measured[0])


def _measured(months: list[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """What each (contract, period) month measures, KPI by KPI: the figures a statement is
    priced from (which batches they come from does not matter)."""
    if not months:
        return {}
    values = kpi_month_values_for_periods(
        contract_ids=sorted({c for c, _ in months}), periods=[Period.parse(p) for p in {p for _, p in months}]
    )
    return {
        (c, p): {
            code: (v.value, v.numerator, v.denominator) for code, v in values[Period.parse(p)][c].items()
        }
        for c, p in months
    }


def _contract_refs(allowed: Iterable[int] | None, *, supplier: bool = False) -> dict[str, ContractRef]:
    """The contracts a file may name, by reference; for a supplier each names the KPIs that
    are the buyer's figures (``others_kpis``): the catalogue's, unless the contract's
    ``kpi_sources`` says otherwise."""
    contracts = Contract.objects.all()
    if allowed is not None:
        contracts = contracts.filter(pk__in=allowed if isinstance(allowed, QuerySet) else list(allowed))
    others = _buyer_kpis(supplier)
    return {
        reference: ContractRef(pk, start, end, others(kpi_sources))
        for pk, reference, start, end, kpi_sources in contracts.values_list(
            "pk", "reference", "start_date", "end_date", "kpi_sources"
        )
    }


def _buyer_kpis(supplier: bool) -> Callable[[dict], frozenset[int]]:
    """A contract's ``kpi_sources`` → the ids of its buyer-sourced KPIs (none for anyone but
    a supplier, who may not submit them)."""
    if not supplier:
        return lambda overrides: frozenset()
    ids = dict(Kpi.objects.values_list("code", "pk"))
    defaults = kpi_default_sources()
    default = frozenset(ids[code] for code, party in defaults.items() if party == "buyer")

    def others(overrides: dict) -> frozenset[int]:
        if not overrides:
            return default
        sources = {**defaults, **{c: p for c, p in overrides.items() if c in defaults}}
        return frozenset(ids[code] for code, party in sources.items() if party == "buyer")

    return others


def _kpi_refs() -> dict[str, KpiRef]:
    return {k.code: KpiRef(k.pk, k.aggregation, k.scale, k.min_value, k.max_value) for k in Kpi.objects.all()}


COLUMNS = (
    "batch_id",
    "contract_id",
    "period",
    "kpi_id",
    "date",
    "value",
    "numerator",
    "denominator",
    "channel",
    "site",
    "source_row",
)


def _insert_results(
    rows: ingest.CheckedRows, batch_id: int, progress: Progress, verify: Callable[[], None]
) -> None:
    """Check the file, then insert its rows with ``executemany`` of statements that insert
    ``ROWS_PER_INSERT`` rows each: SQLite then runs one statement per ninety rows instead of
    one per row (about half the time)."""
    verify()
    rows = rows.stored_order()
    total = len(rows)
    one = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    head = f"INSERT INTO {KpiResult._meta.db_table} ({', '.join(COLUMNS)}) VALUES "  # noqa: S608 (fixed names)
    many = head + ", ".join([one] * ROWS_PER_INSERT)
    width = ROWS_PER_INSERT * len(COLUMNS)
    with connection.cursor() as cursor:
        for start, stop in _chunks(total):
            values = rows.tuples(batch_id, COLUMNS, start, stop)
            whole = len(values) - len(values) % ROWS_PER_INSERT
            flat = list(itertools.chain.from_iterable(values[:whole]))
            if flat:
                cursor.executemany(many, [flat[i : i + width] for i in range(0, len(flat), width)])
            if whole < len(values):
                cursor.executemany(head + one, values[whole:])
            progress("storing", stop, total)


def _chunks(total: int) -> list[tuple[int, int]]:
    return [(start, min(start + CHUNK, total)) for start in range(0, total, CHUNK)]


def _copy_results(
    rows: ingest.CheckedRows, batch_id: int, progress: Progress, verify: Callable[[], None]
) -> None:
    """``COPY`` the rows in chunks while the file is checked.

    A writer thread sends the chunks, so the server parses and indexes rows while Python
    checks the file (after ``CHECK_AFTER`` chunks) and formats the rest. A bad file raises
    ``KpiFileRejected`` from ``verify``, which cancels the ``COPY``; the caller's transaction
    rolls back whatever was sent. If the server refuses a row first (a bad number or date
    it cannot parse), the caller reports the file's own problems instead of the server's error.
    """
    from psycopg.copy import QueuedLibpqWriter

    rows = rows.stored_order()
    total = len(rows)
    chunks = _chunks(total)
    data, form = rows.copy_text(batch_id, COLUMNS, *chunks[0])
    options = "FORMAT text" if form == "text" else "FORMAT csv, FORCE_NOT_NULL (channel, site)"
    sql = f"COPY {KpiResult._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN WITH ({options})"
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
            for number, (start, stop) in enumerate(chunks):
                if number == CHECK_AFTER:
                    verify()
                if number:
                    data, _ = rows.copy_text(batch_id, COLUMNS, start, stop)
                copy.write(data)
                progress("storing", stop, total)
            verify()


# Store a batch's rows (``rows``, checked by ``verify``, which raises ``KpiFileRejected`` for a
# bad file before anything is committed), inside the caller's transaction.
write_results = database_path("kpis.write_results", postgresql=_copy_results, portable=_insert_results)


def _month_values(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], dict[str, KpiMonthValue]]:
    values = {}
    for period in sorted({p for _, p in pairs})[:PREVIEW_LIMIT]:
        ids = [c for c, p in pairs if p == period]
        for contract_id, months in kpi_month_values_for_contracts(
            contract_ids=ids, period=Period.parse(period)
        ).items():
            values[(contract_id, period)] = months
    return values


def _preview(pairs, before, after) -> list[PreviewRow]:
    references = dict(Contract.objects.filter(pk__in={c for c, _ in pairs}).values_list("pk", "reference"))
    preview = []
    for key in pairs[:PREVIEW_LIMIT]:
        old, new = before.get(key, {}), after.get(key, {})
        for code in sorted(set(old) | set(new)):
            preview.append(PreviewRow(references[key[0]], key[1], code, old.get(code), new.get(code)))
    return preview
