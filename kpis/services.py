"""Writes: ingesting a KPI file as one batch, all or nothing.

The file is read and every row checked first (``kpis.ingest``); a file with any problem
writes nothing. Accepted rows are stored in bulk: ``COPY`` on PostgreSQL, large
``executemany`` batches on SQLite. The same file twice (by SHA-256) is recognised and
changes nothing. A dry run does the whole ingestion, computes what would change, and rolls
back.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from contracts.models import Contract
from pricing.period import Period

from . import ingest
from .ingest import ContractRef, KpiFileRejected, KpiRef, RowError
from .models import Kpi, KpiBatch, KpiResult
from .selectors import KpiMonthValue, kpi_month_values_for_contracts

Progress = Callable[[str, int, int], None]
CHUNK = 50_000
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
    status: str  # "accepted" | "rejected" | "duplicate" | "dry_run"
    file_name: str
    batch: KpiBatch | None = None
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[PreviewRow] = field(default_factory=list)

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

    ``allowed_contracts`` restricts the contracts the file may name (an API caller's own);
    rows for any other contract are reported as unknown contracts. Returns the result; a
    rejected file lists every bad row (the first 1,000, with ``error_count`` of all).
    """
    checksum = hashlib.sha256(content).hexdigest()
    existing = KpiBatch.objects.filter(checksum=checksum).first()
    if existing is not None:
        return IngestResult("duplicate", file_name, batch=existing, row_count=existing.row_count)
    progress("reading", 0, 1)
    try:
        frame = ingest.read_kpi_file(
            file_name=file_name, content=content, max_bytes=settings.KPI_FILE_MAX_BYTES
        )
        progress("checking", 0, len(frame))
        rows = ingest.check_rows(frame, contracts=_contract_refs(allowed_contracts), kpis=_kpi_refs())
    except KpiFileRejected as rejected:
        return IngestResult("rejected", file_name, errors=rejected.errors, error_count=rejected.error_count)
    with transaction.atomic():
        pairs = _pairs(rows)
        before = _month_values(pairs) if dry_run else {}
        batch = KpiBatch.objects.create(
            file_name=file_name[-255:],
            checksum=checksum,
            source=source,
            uploaded_by=uploaded_by,
            row_count=len(rows),
            contracts=sorted(
                Contract.objects.filter(pk__in={c for c, _ in pairs}).values_list("reference", flat=True)
            ),
            periods=sorted({p for _, p in pairs}),
        )
        _store(rows, batch.pk, progress)
        if not dry_run:
            return IngestResult("accepted", file_name, batch=batch, row_count=len(rows))
        preview = _preview(pairs, before, _month_values(pairs))
        transaction.set_rollback(True)
    return IngestResult("dry_run", file_name, row_count=len(rows), preview=preview)


def _contract_refs(allowed: Iterable[int] | None) -> dict[str, ContractRef]:
    contracts = Contract.objects.all()
    if allowed is not None:
        contracts = contracts.filter(pk__in=list(allowed))
    return {
        reference: ContractRef(pk, start, end)
        for pk, reference, start, end in contracts.values_list("pk", "reference", "start_date", "end_date")
    }


def _kpi_refs() -> dict[str, KpiRef]:
    return {k.code: KpiRef(k.pk, k.aggregation, k.scale, k.min_value, k.max_value) for k in Kpi.objects.all()}


def _pairs(rows) -> list[tuple[int, str]]:
    return sorted(set(zip(rows["contract_id"].tolist(), rows["period"].tolist(), strict=True)))


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


def _store(rows, batch_id: int, progress: Progress) -> None:
    rows = rows.assign(batch_id=batch_id)[list(COLUMNS)]
    total = len(rows)
    table = KpiResult._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, total, CHUNK):
            chunk = rows.iloc[start : start + CHUNK]
            if connection.vendor == "postgresql":
                _copy(cursor, table, chunk)
            else:
                placeholders = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608 (fixed names)
                    list(zip(*(chunk[column].tolist() for column in COLUMNS), strict=True)),
                )
            progress("storing", min(start + CHUNK, total), total)


def _copy(cursor, table: str, chunk) -> None:
    buffer = io.StringIO()
    chunk.to_csv(buffer, header=False, index=False, quoting=csv.QUOTE_MINIMAL, na_rep="")
    sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (channel, site))"
    with cursor.cursor.copy(sql) as copy:
        copy.write(buffer.getvalue())


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
