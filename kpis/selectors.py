"""Reads: a month's KPI values per contract, aggregated as PRICING.md says.

Supersession: for each (contract, period, KPI, channel, site) key, only the rows of the
latest *accepted* batch that carries the key count (a batch pending review, or rejected, counts
for nothing; accepted later, it takes its place by its number like any other batch). Sum KPIs add their rows; ratio KPIs are
``Σ numerator / Σ denominator × scale`` over every day, site and channel (never an average of
ratios); a ratio KPI given as one monthly ``value`` is used as it is. A KPI with no rows, or a
ratio whose denominators add up to 0, is *not measured* (``None``).

Sums are exact on every database (the path ``kpis.month_sums``): PostgreSQL adds ``numeric``
columns exactly in the query; portably (SQLite, where the columns are text) the rows are read
and added here without the 28-digit limit of Decimal's default context. The ratio itself is
always divided here, to ``RATIO_PLACES``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from typing import NamedTuple

from django.db import connection
from django.db.models import Max, QuerySet

from contracts.models import Contract, Kpi
from core.databases import database_path
from pricing.period import Period

from .models import KpiBatch, KpiResult

# Ratios are exact to this many places (far below any rounding the statement does).
RATIO_PLACES = Decimal("1e-10")
# Additions in this context are exact whatever the number of digits.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_IDS_PER_QUERY = 500
# A month is issued once a statement of it was issued (and is not void).
ISSUED_STATUSES = ("issued", "paid")


def uncounted_batches() -> QuerySet:
    """Ids of the batches whose rows do not count (pending review, rejected or still loading),
    as a subquery."""
    return KpiBatch.with_loading.exclude(status=KpiBatch.Status.ACCEPTED).values("pk")


def counted_results() -> QuerySet:
    """The KPI rows of accepted batches: every read of values starts here."""
    return KpiResult.objects.exclude(batch_id__in=uncounted_batches())


def issued_months(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (contract id, period) months of ``pairs`` with an issued statement, in order."""
    pairs = set(pairs)
    ids = sorted({c for c, _ in pairs})
    periods = sorted({p for _, p in pairs})
    issued = set()
    for start in range(0, len(ids), _IDS_PER_QUERY):
        issued.update(
            Contract.objects.filter(
                pk__in=ids[start : start + _IDS_PER_QUERY],
                statements__period__in=periods,
                statements__status__in=ISSUED_STATUSES,
            ).values_list("pk", "statements__period")
        )
    return sorted(pairs & issued)


@dataclass(frozen=True)
class KpiMonthValue:
    code: str
    value: Decimal | None  # None: not measured
    numerator: Decimal | None
    denominator: Decimal | None
    row_count: int
    batch_ids: tuple[int, ...]


class KpiSums(NamedTuple):
    """The current rows of one KPI month, added up (what both databases' paths produce)."""

    row_count: int
    value_count: int  # rows with a value
    value_sum: Decimal  # Σ value (0 without values)
    single_value: Decimal | None  # the value, when exactly one row has one
    ratio_count: int  # rows with a denominator
    numerator: Decimal  # Σ numerator of the rows with a denominator (0 without)
    denominator: Decimal  # Σ denominator (0 without)
    batch_ids: tuple[int, ...]  # ascending


def month_value(code: str, aggregation: str, scale: int, sums: KpiSums) -> KpiMonthValue:
    """The month's value of one KPI from its sums: a ``sum`` KPI is ``Σ value``; a ``ratio``
    KPI is one monthly value used as given, or ``Σ numerator × scale / Σ denominator``
    quantized to ``RATIO_PLACES`` (``None`` for a zero denominator, or for a monthly value
    mixed with other rows, which cannot be added up)."""
    batches, count = sums.batch_ids, sums.row_count
    if aggregation == "sum":
        return KpiMonthValue(code, sums.value_sum, None, None, count, batches)
    if sums.value_count == 1 and not sums.ratio_count:
        return KpiMonthValue(code, sums.single_value, None, None, count, batches)
    if sums.value_count:
        return KpiMonthValue(code, None, None, None, count, batches)
    numerator, denominator = sums.numerator, sums.denominator
    value = None if denominator == 0 else (numerator * scale / denominator).quantize(RATIO_PLACES)
    return KpiMonthValue(code, value, numerator, denominator, count, batches)


def _current_rows(rows: Iterable[tuple]) -> dict[tuple, list[tuple]]:
    """Group rows by (contract, period, kpi) keeping, per channel/site key, the latest batch."""
    latest: dict[tuple, int] = {}
    rows = list(rows)
    for contract_id, period, kpi_id, channel, site, batch_id, *_ in rows:
        key = (contract_id, period, kpi_id, channel, site)
        latest[key] = max(latest.get(key, 0), batch_id)
    grouped: dict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        contract_id, period, kpi_id, channel, site, batch_id = row[:6]
        if latest[(contract_id, period, kpi_id, channel, site)] == batch_id:
            grouped[(contract_id, period, kpi_id)].append(row)
    return grouped


def sums_of_rows(rows: list[tuple]) -> KpiSums:
    """Add up current rows ``(…, batch, value, numerator, denominator)`` exactly."""
    values = [row[6] for row in rows if row[6] is not None]
    ratio_rows = [row for row in rows if row[8] is not None]
    with localcontext(_EXACT):
        value_sum = sum(values, Decimal(0))
        numerator = sum((row[7] for row in ratio_rows), Decimal(0))
        denominator = sum((row[8] for row in ratio_rows), Decimal(0))
    return KpiSums(
        row_count=len(rows),
        value_count=len(values),
        value_sum=value_sum,
        single_value=values[0] if len(values) == 1 else None,
        ratio_count=len(ratio_rows),
        numerator=numerator,
        denominator=denominator,
        batch_ids=tuple(sorted({row[5] for row in rows})),
    )


_FIELDS = (
    "contract_id",
    "period",
    "kpi_id",
    "channel",
    "site",
    "batch_id",
    "value",
    "numerator",
    "denominator",
)


MonthSums = list[tuple[int, str, int, KpiSums]]  # (contract, period, KPI, sums), in that order


def _sums_from_rows(contract_ids: list[int], periods: list[str]) -> MonthSums:
    rows = counted_results().filter(contract_id__in=contract_ids, period__in=periods).values_list(*_FIELDS)
    return [
        (contract_id, period, kpi_id, sums_of_rows(current))
        for (contract_id, period, kpi_id), current in sorted(_current_rows(rows).items())
    ]


# The latest batch per (contract, period, KPI, channel, site) key, then one group per KPI
# month. SUM of numeric is exact; NULLs are skipped as the Python path skips them.
_SUMS_SQL = """
SELECT contract_id, period, kpi_id,
       COUNT(*), COUNT(value), COALESCE(SUM(value), 0), MAX(value),
       COUNT(denominator),
       COALESCE(SUM(numerator) FILTER (WHERE denominator IS NOT NULL), 0),
       COALESCE(SUM(denominator), 0),
       ARRAY_AGG(DISTINCT batch_id ORDER BY batch_id)
FROM (
    SELECT contract_id, period, kpi_id, batch_id, value, numerator, denominator,
           MAX(batch_id) OVER (PARTITION BY contract_id, period, kpi_id, channel, site) AS latest
    FROM {table}
    WHERE contract_id = ANY(%s) AND period = ANY(%s)
      AND batch_id NOT IN (SELECT id FROM {batches} WHERE status <> %s)
) AS keyed
WHERE batch_id = latest
GROUP BY contract_id, period, kpi_id
ORDER BY contract_id, period, kpi_id
"""


def _sums_in_database(contract_ids: list[int], periods: list[str]) -> MonthSums:
    # Fixed table names, no user input.
    sql = _SUMS_SQL.format(table=KpiResult._meta.db_table, batches=KpiBatch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [contract_ids, periods, KpiBatch.Status.ACCEPTED.value])
        rows = cursor.fetchall()
    return [
        (contract_id, period, kpi_id, _queried_sums(*sums)) for contract_id, period, kpi_id, *sums in rows
    ]


def _queried_sums(
    count, value_count, value_sum, value, ratio_count, numerator, denominator, batches
) -> KpiSums:
    """One row of ``_SUMS_SQL`` past its key: ``MAX(value)`` is the single value when one row has one."""
    single = value if value_count == 1 else None
    return KpiSums(count, value_count, value_sum, single, ratio_count, numerator, denominator, tuple(batches))


# The current rows of each (contract, period, KPI) month of the given contracts and periods,
# added up: in one aggregate query on PostgreSQL, from the rows anywhere.
month_sums = database_path("kpis.month_sums", postgresql=_sums_in_database, portable=_sums_from_rows)


def kpi_month_values_for_periods(
    *, contract_ids: Iterable[int], periods: Iterable[Period]
) -> dict[Period, dict[int, dict[str, KpiMonthValue]]]:
    """Month values of several periods for many contracts: one query per 500 contracts,
    aggregated in the database on PostgreSQL. Every asked contract and period has an entry,
    empty when nothing was measured."""
    ids = list(contract_ids)
    by_text = {str(period): period for period in periods}
    catalogue = {
        pk: (code, aggregation, scale)
        for pk, code, aggregation, scale in Kpi.objects.values_list("pk", "code", "aggregation", "scale")
    }
    # Keyed by the period's text while rows come in (the rows carry it), by ``Period`` after.
    result = {text: {cid: {} for cid in ids} for text in by_text}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        for contract_id, period, kpi_id, sums in month_sums(
            ids[start : start + _IDS_PER_QUERY], list(by_text)
        ):
            code, aggregation, scale = catalogue[kpi_id]
            result[period][contract_id][code] = month_value(code, aggregation, scale, sums)
    return {by_text[text]: values for text, values in result.items()}


def kpi_month_values_for_contracts(
    *, contract_ids: Iterable[int], period: Period
) -> dict[int, dict[str, KpiMonthValue]]:
    """Month values for many contracts with a constant number of queries (chunks of 500 ids)."""
    return kpi_month_values_for_periods(contract_ids=contract_ids, periods=[period])[period]


def kpi_month_values(*, contract_id: int, period: Period) -> dict[str, KpiMonthValue]:
    """The month's value of every KPI with rows for ``contract_id`` in ``period``."""
    return kpi_month_values_for_contracts(contract_ids=[contract_id], period=period)[contract_id]


def kpi_month_rows(*, contract_id: int, period: Period, kpi_id: int | None = None) -> QuerySet:
    """Every row of a contract's month (of one KPI with ``kpi_id``, filtered in the database),
    with its KPI and batch, in the order a reader follows: KPI, channel, site, newest batch
    first, then date and file row. Lazy: slice or paginate it to bound what is read."""
    rows = KpiResult.objects.filter(contract_id=contract_id, period=str(period))
    if kpi_id is not None:
        rows = rows.filter(kpi_id=kpi_id)
    return rows.select_related("kpi", "batch").order_by(
        "kpi__code", "channel", "site", "-batch_id", "date", "source_row", "pk"
    )


def kpi_current_batches(*, contract_id: int, period: Period, kpi_id: int | None = None) -> dict[tuple, int]:
    """The batch whose rows count for each (KPI id, channel, site) key of the month: the latest
    accepted one (one aggregate query, one row per key)."""
    rows = counted_results().filter(contract_id=contract_id, period=str(period))
    if kpi_id is not None:
        rows = rows.filter(kpi_id=kpi_id)
    return {
        (kpi, channel, site): latest
        for kpi, channel, site, latest in rows.values("kpi_id", "channel", "site")
        .annotate(latest=Max("batch_id"))
        .values_list("kpi_id", "channel", "site", "latest")
    }


def marked_rows(rows: Iterable[KpiResult], current: dict[tuple, int]) -> list[dict]:
    """``rows`` as ``{"row", "current"}``: current when its batch is its key's in ``current``
    (:func:`kpi_current_batches`); otherwise superseded, or of a batch pending review or
    rejected (``row.batch.status`` says which)."""
    return [
        {"row": row, "current": current.get((row.kpi_id, row.channel, row.site)) == row.batch_id}
        for row in rows
    ]


def kpi_results_history(*, contract_id: int, period: Period) -> list[dict]:
    """Every row of a contract's month, newest batch first, marked current or not (superseded,
    or of a batch pending review or rejected: ``row.batch.status`` says which)."""
    return marked_rows(
        kpi_month_rows(contract_id=contract_id, period=period),
        kpi_current_batches(contract_id=contract_id, period=period),
    )
