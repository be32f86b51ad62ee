"""Reads: a month's KPI values per contract, aggregated as PRICING.md says.

Supersession: for each (contract, period, KPI, channel, site) key, only the rows of the
latest batch that carries the key count. Sum KPIs add their rows; ratio KPIs are
``Σ numerator / Σ denominator × scale`` over every day, site and channel (never an average of
ratios); a ratio KPI given as one monthly ``value`` is used as it is. A KPI with no rows, or a
ratio whose denominators add up to 0, is *not measured* (``None``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pricing.period import Period

from .models import Kpi, KpiResult

# Ratios are exact to this many places (far below any rounding the statement does).
RATIO_PLACES = Decimal("1e-10")


@dataclass(frozen=True)
class KpiMonthValue:
    code: str
    value: Decimal | None  # None: not measured
    numerator: Decimal | None
    denominator: Decimal | None
    row_count: int
    batch_ids: tuple[int, ...]


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


def aggregate(code: str, aggregation: str, scale: int, rows: list[tuple]) -> KpiMonthValue:
    """The month's value of one KPI from its current rows ``(…, value, numerator, denominator)``."""
    batches = tuple(sorted({row[5] for row in rows}))
    values = [row[6] for row in rows if row[6] is not None]
    if aggregation == "sum":
        total = sum(values, Decimal(0))
        return KpiMonthValue(code, total, None, None, len(rows), batches)
    ratio_rows = [row for row in rows if row[8] is not None]
    if values and not ratio_rows and len(values) == 1:
        return KpiMonthValue(code, values[0], None, None, len(rows), batches)
    if values:  # a monthly value mixed with other rows cannot be added up
        return KpiMonthValue(code, None, None, None, len(rows), batches)
    numerator = sum((row[7] for row in ratio_rows), Decimal(0))
    denominator = sum((row[8] for row in ratio_rows), Decimal(0))
    value = None if denominator == 0 else (numerator * scale / denominator).quantize(RATIO_PLACES)
    return KpiMonthValue(code, value, numerator, denominator, len(rows), batches)


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


def kpi_month_values_for_contracts(
    *, contract_ids: Iterable[int], period: Period
) -> dict[int, dict[str, KpiMonthValue]]:
    """Month values for many contracts with a constant number of queries (chunks of 500 ids)."""
    ids = list(contract_ids)
    catalogue = {k.pk: k for k in Kpi.objects.all()}
    result: dict[int, dict[str, KpiMonthValue]] = {cid: {} for cid in ids}
    for start in range(0, len(ids), 500):
        rows = KpiResult.objects.filter(
            contract_id__in=ids[start : start + 500], period=str(period)
        ).values_list(*_FIELDS)
        for (contract_id, _period, kpi_id), current in _current_rows(rows).items():
            kpi = catalogue[kpi_id]
            result[contract_id][kpi.code] = aggregate(kpi.code, kpi.aggregation, kpi.scale, current)
    return result


def kpi_month_values(*, contract_id: int, period: Period) -> dict[str, KpiMonthValue]:
    """The month's value of every KPI with rows for ``contract_id`` in ``period``."""
    return kpi_month_values_for_contracts(contract_ids=[contract_id], period=period)[contract_id]


def kpi_history(*, contract_id: int, periods: Iterable[Period]) -> dict[Period, dict[str, Decimal | None]]:
    """Values of earlier months (for earn-back), keyed by period."""
    return {
        period: {
            code: month.value
            for code, month in kpi_month_values(contract_id=contract_id, period=period).items()
        }
        for period in periods
    }


def kpi_results_history(*, contract_id: int, period: Period) -> list[dict]:
    """Every row of a contract's month, newest batch first, marked current or superseded."""
    rows = list(
        KpiResult.objects.filter(contract_id=contract_id, period=str(period))
        .select_related("kpi", "batch")
        .order_by("kpi__code", "channel", "site", "-batch_id", "date", "source_row")
    )
    latest: dict[tuple, int] = {}
    for row in rows:
        key = (row.kpi_id, row.channel, row.site)
        latest[key] = max(latest.get(key, 0), row.batch_id)
    return [
        {"row": row, "current": latest[(row.kpi_id, row.channel, row.site)] == row.batch_id} for row in rows
    ]
