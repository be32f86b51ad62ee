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

import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from contracts.models import Contract, Kpi
from contracts.selectors import kpi_default_sources
from core.databases import database_path
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
from .whole_file import WholeFile

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
    content: bytes | BinaryIO,
    source: str,
    uploaded_by=None,
    allowed_contracts: Iterable[int] | None = None,
    dry_run: bool = False,
    progress: Progress = _noop,
    chunk_rows: int = ingest.CHUNK_ROWS,
) -> IngestResult:
    """Ingest one KPI file (CSV or XLSX) as a batch, in chunks of ``chunk_rows`` rows.

    ``content`` is the file's bytes or a seekable binary file (an upload Django kept on disk):
    it is read a window and a chunk at a time, never whole (``kpis.reading``). Each chunk is
    checked, then stored under a ``loading`` batch that no reader sees; once the last chunk
    is stored and the checks across the whole file pass (``kpis.whole_file``), one short
    transaction switches the batch on. A file with any problem is refused whole, with every
    problem counted (the first 1,000 listed), and its stored chunks are deleted.

    ``allowed_contracts`` restricts the contracts the file may name (the caller's own, from
    ``kpis.access.kpi_submittable_contract_ids``; ``None``: every contract); rows for any
    other contract are reported exactly as unknown contracts, before the file is compared with
    earlier batches, so a caller learns nothing of another party's contracts or files.
    Never raises for a bad file: every refusal is a result.

    The submitter's party comes from ``uploaded_by``: a supplier user's rows of the buyer's
    KPIs are refused, and its file that changes an issued month is stored ``pending_review``.
    """
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    party, organisation_id = kpi_party(uploaded_by)
    kpi_loads_clean()
    progress("reading", 0, 1)
    batch_id = None
    try:
        scan = ingest.scan_kpi_file(file_name=file_name, stream=stream, max_bytes=settings.KPI_FILE_MAX_BYTES)
        contracts = _contract_refs(allowed_contracts, supplier=party == KpiBatch.Party.SUPPLIER)
        existing = _batch_with_checksum(scan.checksum)
        if existing is None:
            batch_id = _start_loading(
                file_name=file_name,
                checksum=scan.checksum,
                source=source,
                uploaded_by=uploaded_by,
                party=party,
                organisation_id=organisation_id,
            )
        whole = _read_and_store(
            stream,
            scan,
            contracts=contracts,
            kpis=_kpi_refs(),
            batch_id=batch_id,
            chunk_rows=chunk_rows,
            progress=progress,
        )
        if batch_id is None:
            # Same bytes as a stored batch, so the same contracts, every one of which the
            # caller acts for (``whole`` refused any other): that batch is this file's.
            existing = KpiBatch.objects.filter(checksum=scan.checksum).first()  # stored meanwhile?
            if existing is None:
                raise KpiFileRejected(
                    [
                        RowError(
                            0, "", "the same file is being ingested by another upload; try again when it ends"
                        )
                    ]
                )
            return IngestResult("duplicate", file_name, batch=existing, row_count=existing.row_count)
        whole.finish()
        return _switch_on(batch_id, whole, file_name=file_name, party=party, dry_run=dry_run)
    except KpiFileRejected as rejected:
        return IngestResult("rejected", file_name, errors=rejected.errors, error_count=rejected.error_count)
    finally:
        if batch_id is not None:
            _discard_loading(batch_id)  # nothing once the batch is switched on


def _batch_with_checksum(checksum: str) -> KpiBatch | None:
    return KpiBatch.objects.filter(checksum=checksum).first()


def _start_loading(*, file_name, checksum, source, uploaded_by, party, organisation_id) -> int | None:
    """The id of a new ``loading`` batch for the file (committed: its rows are stored in later
    transactions), or ``None`` when another upload of the same bytes holds the checksum."""
    try:
        with transaction.atomic():
            return KpiBatch.with_loading.create(
                file_name=file_name[-255:],
                checksum=checksum,
                source=source,
                uploaded_by=uploaded_by,
                party=party,
                organisation_id=organisation_id,
                status=KpiBatch.Status.LOADING,
                loading_seen_at=timezone.now(),
            ).pk
    except IntegrityError:
        return None


def _read_and_store(
    stream: BinaryIO,
    scan: ingest.Scan,
    *,
    contracts: dict[str, ContractRef],
    kpis: dict[str, KpiRef],
    batch_id: int | None,
    chunk_rows: int,
    progress: Progress,
) -> WholeFile:
    """Read and check every chunk; while the file has no problem, store each checked chunk
    under the loading batch ``batch_id`` (``None``: check only) in its own transaction.
    Raises ``KpiFileRejected`` for a chunk's file-level problem (a broken line, a workbook
    limit); the checks across the whole file are left to ``WholeFile.finish``."""
    whole, unknown_contracts = WholeFile(), False
    for frame in ingest.read_kpi_chunks(stream=stream, scan=scan, chunk_rows=chunk_rows):
        check = ingest.FileCheck(frame, contracts=contracts, kpis=kpis, across_rows=False)
        del frame
        whole.add(check)
        unknown_contracts = unknown_contracts or check.names_unknown_contracts()
        progress("checking", whole.rows, whole.rows)
        if batch_id is not None and not whole.error_count:
            _store_chunk(check, batch_id, whole.rows - check.size, progress)
    if batch_id is None and unknown_contracts:
        # Tenancy first: a file naming a contract the caller does not act for gets its report,
        # never a word of the batch that has the same bytes.
        whole.finish()
    return whole


def _store_chunk(check: ingest.FileCheck, batch_id: int, offset: int, progress: Progress) -> None:
    """One checked chunk's rows, stored in one transaction that first locks the loading batch:
    a batch removed as crashed (``kpi_loads_clean``) is never written to again."""
    with transaction.atomic():
        if (
            not KpiBatch.with_loading.select_for_update()
            .filter(pk=batch_id, status=KpiBatch.Status.LOADING)
            .exists()
        ):
            raise RuntimeError(f"KPI batch {batch_id} is no longer loading: it was removed as stale")
        write_results(
            check.rows,
            batch_id,
            lambda stage, done, total: progress(stage, offset + done, offset + total),
            check.verify,
        )
        KpiBatch.with_loading.filter(pk=batch_id).update(loading_seen_at=timezone.now())


def _switch_on(batch_id: int, whole: WholeFile, *, file_name: str, party: str, dry_run: bool) -> IngestResult:
    """Make the loading batch count, in one short transaction: ``accepted``, or ``pending``
    review for a supplier's file that changes an issued month; a dry run computes what would
    change and rolls back (its rows are then deleted with the batch)."""
    pairs = sorted(whole.pairs)
    with transaction.atomic():
        batch = KpiBatch.with_loading.select_for_update().get(pk=batch_id, status=KpiBatch.Status.LOADING)
        before = _month_values(pairs) if dry_run else {}
        issued = issued_months(pairs) if party == KpiBatch.Party.SUPPLIER else []
        issued_before = _measured(issued)
        references = dict(
            Contract.objects.filter(pk__in={c for c, _ in pairs}).values_list("pk", "reference")
        )
        batch.status = KpiBatch.Status.ACCEPTED
        batch.loading_seen_at = None
        batch.row_count = whole.rows
        batch.contracts = sorted(references.values())
        batch.periods = sorted({p for _, p in pairs})
        batch.save(update_fields=["status", "loading_seen_at", "row_count", "contracts", "periods"])
        held = _changes(issued, issued_before, _measured(issued), references)
        if held and not dry_run:
            batch.status = KpiBatch.Status.PENDING
            batch.held_months = held
            batch.save(update_fields=["status", "held_months"])
            return IngestResult(
                "pending_review", file_name, batch=batch, row_count=whole.rows, held_months=held
            )
        if not dry_run:
            return IngestResult("accepted", file_name, batch=batch, row_count=whole.rows)
        after = _month_values(pairs)
        preview = _preview(pairs, before, after)
        warnings = month_check_failures(months=after)
        transaction.set_rollback(True)
    return IngestResult(
        "dry_run", file_name, row_count=whole.rows, preview=preview, held_months=held, warnings=warnings
    )


def _discard_loading(batch_id: int) -> None:
    """Delete a batch that is still loading, with its rows (a refused file, a dry run, an
    error mid-file); a batch already switched on is left alone."""
    with transaction.atomic():
        batch = KpiBatch.with_loading.select_for_update().filter(pk=batch_id, status=KpiBatch.Status.LOADING)
        if batch.exists():
            _delete_rows(batch_id)
            batch.delete()


def _delete_rows(batch_id: int) -> None:
    with connection.cursor() as cursor:
        # A fixed table name; the rows of one loading batch, which nothing reads or refers to.
        cursor.execute(f"DELETE FROM {KpiResult._meta.db_table} WHERE batch_id = %s", [batch_id])  # noqa: S608


def kpi_loads_clean(*, stale_after: int | None = None) -> int:
    """Delete the batches left ``loading`` by an ingestion that died (no chunk stored for
    ``stale_after`` seconds, ``settings.KPI_LOAD_STALE_AFTER`` by default), with their rows;
    returns how many. Run before every ingestion and by ``manage.py clean_kpi_loads``. A batch
    whose ingestion holds its lock (storing a chunk) is skipped."""
    stale_after = settings.KPI_LOAD_STALE_AFTER if stale_after is None else stale_after
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    removed = 0
    stale = KpiBatch.with_loading.filter(status=KpiBatch.Status.LOADING, loading_seen_at__lt=cutoff)
    for batch_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            locked = stale.filter(pk=batch_id).select_for_update(skip_locked=True)
            if locked.exists():
                _delete_rows(batch_id)
                locked.delete()
                removed += 1
    return removed


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
