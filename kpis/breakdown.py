"""Reads: one KPI month of a priced statement, broken down by channel, by site or by file.

A statement keeps, per KPI, the batches its value came from (``inputs["kpis"][code]
["batch_ids"]``). The breakdown reads only the rows of those batches, so it shows the month
as it was priced, whatever arrived since: for each (channel, site) key the rows of the
latest of those batches that has the key count, exactly as :mod:`kpis.selectors` chose them
when the month was priced (a later batch is not among them; a superseded one loses its key to
the later one that is). Each group is aggregated like the month itself
(:func:`kpis.selectors.month_value`): a sum KPI's groups add up to the month's value, a ratio
KPI's group is ``Σ numerator / Σ denominator × scale`` of its own rows.

The path ``kpis.breakdown_sums``: on PostgreSQL the rows are grouped and added in one query
(``numeric`` sums are exact) and only the first ``limit`` groups come back; portably (SQLite,
where the columns are text) the rows are streamed once and added here per group, never held.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext

from django.db import connection
from django.db.models import Max

from contracts.models import Kpi
from core.databases import database_path

from .models import KpiBatch, KpiResult
from .selectors import KpiMonthValue, KpiSums, month_value

# What a breakdown may group by: a column of the rows, never text from a request.
DIMENSIONS = ("channel", "site", "batch_id")
# Groups shown per breakdown at most; the rest are counted, not listed.
MAX_GROUPS = 50
# Additions in this context are exact whatever the number of digits (as kpis.selectors adds).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
# Batch ids one breakdown reads at most (a snapshot names a handful: one per file of the month).
MAX_BATCHES = 1000


@dataclass(frozen=True)
class KpiGroup:
    """One channel, site or batch of a KPI month: its key (``""`` for rows without a channel
    or site) and its value aggregated as the KPI's month value is."""

    key: str | int
    month: KpiMonthValue


@dataclass(frozen=True)
class KpiBreakdown:
    """The first ``MAX_GROUPS`` groups by key, and how many groups there are in all."""

    dimension: str
    groups: tuple[KpiGroup, ...]
    group_count: int

    @property
    def truncated(self) -> bool:
        return self.group_count > len(self.groups)


BreakdownSums = tuple[list[tuple[str | int, KpiSums]], int]  # (key, sums) in key order, all groups


_BREAKDOWN_SQL = """
SELECT {dimension},
       COUNT(*), COUNT(value), COALESCE(SUM(value), 0), MAX(value),
       COUNT(denominator),
       COALESCE(SUM(numerator) FILTER (WHERE denominator IS NOT NULL), 0),
       COALESCE(SUM(denominator), 0),
       ARRAY_AGG(DISTINCT batch_id ORDER BY batch_id),
       COUNT(*) OVER ()
FROM (
    SELECT channel, site, batch_id, value, numerator, denominator,
           MAX(batch_id) OVER (PARTITION BY channel, site) AS latest
    FROM {table}
    WHERE contract_id = %s AND period = %s AND kpi_id = %s AND batch_id = ANY(%s)
) AS keyed
WHERE batch_id = latest
GROUP BY {dimension}
ORDER BY {order}
LIMIT %s
"""


def _breakdown_postgresql(
    contract_id: int, period: str, kpi_id: int, batch_ids: list[int], dimension: str, limit: int
) -> BreakdownSums:
    """One aggregate query over the (contract, period) index; ``COUNT(*) OVER ()`` counts the
    groups before the limit cuts them."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot group KPI rows by {dimension!r}")
    # A fixed table name and a column from DIMENSIONS: no text from a request.
    # Text keys in code-point order ("C"), as Python sorts them on the portable path.
    order = dimension if dimension == "batch_id" else f'{dimension} COLLATE "C"'
    sql = _BREAKDOWN_SQL.format(dimension=dimension, order=order, table=KpiResult._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [contract_id, period, kpi_id, list(batch_ids), limit])
        rows = cursor.fetchall()
    groups = [
        (
            key,
            KpiSums(
                count, values, value_sum, value if values == 1 else None, ratios, num, den, tuple(batches)
            ),
        )
        for key, count, values, value_sum, value, ratios, num, den, batches, _ in rows
    ]
    return groups, rows[0][-1] if rows else 0


class _Group:
    """Running exact sums of one group's rows, as :func:`kpis.selectors.sums_of_rows` adds them."""

    def __init__(self):
        self.rows = self.values = self.ratios = 0
        self.value_sum = self.numerator = self.denominator = Decimal(0)
        self.single: Decimal | None = None
        self.batches: set[int] = set()

    def add(self, batch_id: int, value, numerator, denominator) -> None:
        self.rows += 1
        self.batches.add(batch_id)
        if value is not None:
            self.values += 1
            self.value_sum += value
            self.single = value
        if denominator is not None:
            self.ratios += 1
            self.numerator += numerator if numerator is not None else 0
            self.denominator += denominator

    def sums(self) -> KpiSums:
        single = self.single if self.values == 1 else None
        return KpiSums(
            self.rows,
            self.values,
            self.value_sum,
            single,
            self.ratios,
            self.numerator,
            self.denominator,
            tuple(sorted(self.batches)),
        )


def _breakdown_portable(
    contract_id: int, period: str, kpi_id: int, batch_ids: list[int], dimension: str, limit: int
) -> BreakdownSums:
    """The latest batch per key in one aggregate query, then the rows streamed once and added
    per group (memory per group, not per row)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot group KPI rows by {dimension!r}")
    rows = KpiResult.objects.filter(
        contract_id=contract_id, period=period, kpi_id=kpi_id, batch_id__in=batch_ids
    )
    latest = {
        (channel, site): batch
        for channel, site, batch in rows.values("channel", "site")
        .annotate(latest=Max("batch_id"))
        .values_list("channel", "site", "latest")
    }
    groups: dict[str | int, _Group] = {}
    fields = ("channel", "site", "batch_id", "value", "numerator", "denominator")
    position = fields.index(dimension)
    with localcontext(_EXACT):
        for row in rows.order_by().values_list(*fields).iterator(chunk_size=2000):
            channel, site, batch_id, value, numerator, denominator = row
            if latest[(channel, site)] == batch_id:
                groups.setdefault(row[position], _Group()).add(batch_id, value, numerator, denominator)
    ordered = sorted(groups)
    return [(key, groups[key].sums()) for key in ordered[:limit]], len(ordered)


# The groups of one KPI month of a statement's batches, by one dimension, the first ``limit``
# in key order, and the number of groups in all.
breakdown_sums = database_path(
    "kpis.breakdown_sums", postgresql=_breakdown_postgresql, portable=_breakdown_portable
)


def kpi_breakdown(
    *, contract_id: int, period: str, kpi: Kpi, batch_ids: list[int], dimension: str, limit: int = MAX_GROUPS
) -> KpiBreakdown:
    """``kpi``'s month of ``contract_id`` in ``period`` (``YYYY-MM``) from the rows of
    ``batch_ids`` only, grouped by ``dimension`` (one of ``DIMENSIONS``): at most ``limit``
    groups in key order (``""``, no channel or site, first), with the count of all groups.
    No batch ids: no groups. Raises ``ValueError`` for another dimension or more than
    ``MAX_BATCHES`` batch ids (a snapshot never names so many)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot group KPI rows by {dimension!r}")
    if len(batch_ids) > MAX_BATCHES:
        raise ValueError(f"at most {MAX_BATCHES} batches, got {len(batch_ids)}")
    if not batch_ids:
        return KpiBreakdown(dimension, (), 0)
    sums, count = breakdown_sums(contract_id, period, kpi.pk, sorted(batch_ids), dimension, limit)
    groups = tuple(
        KpiGroup(key, month_value(kpi.code, kpi.aggregation, kpi.scale, group)) for key, group in sums
    )
    return KpiBreakdown(dimension, groups, count)


def batches_by_id(batch_ids: list[int]) -> dict[int, KpiBatch]:
    """The batches of ``batch_ids`` (at most ``MAX_BATCHES``), by id, without their users:
    who uploaded a file is said by its party, never by a person's name here."""
    if len(batch_ids) > MAX_BATCHES:
        raise ValueError(f"at most {MAX_BATCHES} batches, got {len(batch_ids)}")
    return {
        batch.pk: batch
        for batch in KpiBatch.objects.filter(pk__in=batch_ids).only(
            "pk", "file_name", "uploaded_at", "row_count", "party", "status"
        )
    }
