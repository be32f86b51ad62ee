"""Reads for procurement's month page: one line per KPI of a contract's month, as priced.

The page used to list every daily row (thousands for a month of daily files); here each KPI
is its month value at its unit's precision, how many rows make it up (and how many do not
count: superseded, pending review, rejected), and the batches it comes from with who
submitted them. The rows themselves are the drill-down's (:func:`kpis.selectors.kpi_month_rows`,
one KPI and one page at a time).

Queries, whatever the number of rows: the month values (two), the rows grouped by key and
batch, the current batch of each key, the KPIs, the batches. Nothing reads the rows one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from contracts.models import Contract, Kpi
from pricing.period import Period

from .consistency import KpiCheckFailure, kpi_checks_evaluate
from .display import kpi_value_shown
from .models import KpiBatch, KpiResult
from .selectors import KpiMonthValue, kpi_current_batches, kpi_month_values

MAX_PERIODS_LISTED = 120


@dataclass(frozen=True)
class KpiMonthLine:
    """One KPI of the month: ``month`` is ``None`` when none of its rows count (all pending
    review, say); ``row_count`` the rows that count; ``uncounted`` is ``{"superseded": n, "pending review": n, "rejected": n}``
    with only the non-zero entries; ``batches`` are those whose rows count."""

    kpi: Kpi
    month: KpiMonthValue | None
    row_count: int
    uncounted: dict[str, int]
    batches: tuple[KpiBatch, ...]

    @property
    def shown(self) -> str:
        return kpi_value_shown(self.month.value if self.month else None, self.kpi.unit)

    @property
    def exact(self) -> str:
        return "" if self.month is None or self.month.value is None else f"{self.month.value:f}"

    @property
    def numerator(self) -> str:
        return _exact(self.month.numerator) if self.month else ""

    @property
    def denominator(self) -> str:
        return _exact(self.month.denominator) if self.month else ""


def _exact(number: Decimal | None) -> str:
    """A sum as it is, with thousands separators and without trailing zeros."""
    if number is None:
        return ""
    text = f"{number:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class KpiMonthOverview:
    lines: list[KpiMonthLine]
    failures: list[KpiCheckFailure]


def contract_result_periods(*, contract: Contract) -> list[str]:
    """The months a contract has KPI rows in, newest first (the latest ``MAX_PERIODS_LISTED``),
    read from the (contract, period) index without reading the rows."""
    periods = (
        KpiResult.objects.filter(contract=contract)
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()
    )
    return list(periods[:MAX_PERIODS_LISTED])


def kpi_month_overview(*, contract: Contract, period: Period) -> KpiMonthOverview:
    """Every KPI with rows in ``contract``'s ``period``, by code, and the contract's
    ``kpi_checks`` the month's values fail."""
    values = kpi_month_values(contract_id=contract.pk, period=period)
    groups = (
        KpiResult.objects.filter(contract=contract, period=str(period))
        .values("kpi_id", "channel", "site", "batch_id")
        .annotate(rows=Count("pk"))
        .values_list("kpi_id", "channel", "site", "batch_id", "rows")
    )
    groups = list(groups)
    current = kpi_current_batches(contract_id=contract.pk, period=period)
    kpis = {kpi.pk: kpi for kpi in Kpi.objects.filter(pk__in={g[0] for g in groups})}
    batches = {
        batch.pk: batch
        for batch in KpiBatch.objects.filter(pk__in={g[3] for g in groups}).select_related(
            "organisation", "uploaded_by"
        )
    }
    lines = [
        _line(kpi, values.get(kpi.code), counts, batches)
        for kpi, counts in sorted(_counts(groups, kpis, current).items(), key=lambda item: item[0].code)
    ]
    units = {kpi.code: kpi.unit for kpi in kpis.values()}
    failures = kpi_checks_evaluate(
        rules=contract.kpi_checks,
        values={code: month.value for code, month in values.items()},
        units=units,
        where=f"{contract.reference} {period}",
    )
    return KpiMonthOverview(lines, failures)


def _counts(groups, kpis: dict, current: dict[tuple, int]) -> dict[Kpi, dict[int, tuple[int, int]]]:
    """Per KPI, per batch: (rows that count, rows that do not), a row counting when its batch
    is its key's current one (:func:`kpis.selectors.kpi_current_batches`)."""
    counts: dict[Kpi, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for kpi_id, channel, site, batch_id, rows in groups:
        counted = current.get((kpi_id, channel, site)) == batch_id
        counts[kpis[kpi_id]][batch_id][0 if counted else 1] += rows
    return {kpi: {b: (c, u) for b, (c, u) in per_batch.items()} for kpi, per_batch in counts.items()}


def _line(kpi: Kpi, month: KpiMonthValue | None, counts: dict, batches: dict) -> KpiMonthLine:
    uncounted: dict[str, int] = defaultdict(int)
    for batch_id, (_, rows) in counts.items():
        if rows:
            status = batches[batch_id].status
            label = (
                "superseded" if status == KpiBatch.Status.ACCEPTED else batches[batch_id].get_status_display()
            )
            uncounted[label.lower()] += rows
    return KpiMonthLine(
        kpi=kpi,
        month=month,
        row_count=sum(counted for counted, _ in counts.values()),
        uncounted=dict(uncounted),
        batches=tuple(batches[b] for b in sorted(counts) if counts[b][0]),
    )
