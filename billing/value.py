"""Reads of the value each side gets: per contract and month, what the supplier was paid by
bucket (fixed, per-unit, shared value, outcomes, experience, credits, other) and, for gain-share
and revenue-share terms, the value created and how it was split.

The documents that count are the issued and paid ones (``COUNTING``): originals and their
adjustment documents, so amounts are net of corrections. Drafts, approved documents and void
ones are left out: a month shows what was billed, never what may be.

Value created is read from the share lines' ``detail`` (the saving or uplift the pricing
computed). An adjustment document's lines keep no detail, so a month that was corrected takes
its value from the latest adjustment's input snapshot, priced again by the pure core on the
terms version it was issued with: the same rule that priced it. A share component that priced
no line in a month (no saving, an overrun without pain-share, no uplift, an input not measured)
records no value for that month.

Amounts are summed by the database per contract, month, currency and line kind (one query);
the share lines' detail is read in one more query and added in Python, because SQLite would
add the JSON's decimal text as floating point. A corrected month costs the re-pricing of one
snapshot (three queries for the terms per batch of contracts). Money of two currencies is never
added: every total is per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from contracts.models import Contract
from contracts.selectors import currency_decimal_places, terms_of_versions
from pricing.engine import price_period
from pricing.errors import PricingError
from pricing.money import ZERO, Rounding, quantum
from pricing.period import Period
from pricing.terms import PricingInput
from pricing.value import VALUE_KEY_OF_KIND, PayBucket, ValueSplit, line_value, pay_bucket, value_split

from .models import Statement, StatementLine

COUNTING = (Statement.Status.ISSUED, Statement.Status.PAID)
MAX_MONTHS = 120  # the longest range one request reads: ten years


@dataclass(frozen=True)
class ValueMonth:
    """One contract's month as billed: ``pay`` per bucket (every bucket present), ``split`` of
    the value created, all in ``currency`` and rounded to its minor unit."""

    contract_id: int
    period: str
    currency: str
    pay: Mapping[PayBucket, Decimal]
    split: ValueSplit

    @property
    def total(self) -> Decimal:
        """The month's net pay: the sum of every bucket."""
        return sum(self.pay.values(), ZERO)


def value_range_check(first: Period, last: Period) -> None:
    """Raises ``ValueError`` unless ``first`` ≤ ``last`` and the range (both ends inclusive)
    spans at most :data:`MAX_MONTHS` months."""
    if str(first) > str(last):
        raise ValueError(f"the range starts ({first}) after it ends ({last})")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise ValueError(f"a range spans at most {MAX_MONTHS} months")


def _filters(scope: Mapping[str, object], first: Period, last: Period, prefix: str = "") -> dict:
    where = {"status__in": COUNTING, "period__gte": str(first), "period__lte": str(last), **scope}
    return {f"{prefix}{key}": value for key, value in where.items()}


def _pay_rows(filters: dict) -> dict[tuple[int, str], tuple[str, dict[PayBucket, Decimal]]]:
    """(contract id, period) → (currency, pay per bucket), summed by the database."""
    rows = (
        StatementLine.objects.filter(**filters)
        .values("statement__contract_id", "statement__period", "statement__currency", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    months: dict[tuple[int, str], tuple[str, dict[PayBucket, Decimal]]] = {}
    for row in rows:
        key = (row["statement__contract_id"], row["statement__period"])
        currency, pay = months.setdefault(key, (row["statement__currency"], dict.fromkeys(PayBucket, ZERO)))
        # Lines are rounded to the minor unit, so their sum is exact at it on either database.
        amount = row["total"].quantize(quantum(currency_decimal_places(currency)))
        pay[pay_bucket(row["kind"])] += amount
    return months


def _original_values(filters: dict) -> dict[tuple[int, str], Decimal]:
    """(contract id, period) → the exact value the original documents' share lines recorded."""
    values: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    rows = StatementLine.objects.filter(
        **filters, statement__adjusts__isnull=True, kind__in=list(VALUE_KEY_OF_KIND)
    ).values_list("statement__contract_id", "statement__period", "kind", "detail")
    for contract_id, period, kind, detail in rows:
        value = line_value(kind, detail)
        if value is not None:
            values[(contract_id, period)] += value
    return values


def _repriced_value(snapshot: dict, terms, period: str) -> Decimal | None:
    """The value the share lines of ``snapshot``'s month record when priced again on ``terms``."""
    kpis = {
        code: None if entry.get("value") is None else Decimal(entry["value"])
        for code, entry in (snapshot.get("kpis") or {}).items()
    }
    try:
        priced = price_period(PricingInput(period=Period.parse(period), terms=terms, kpis=kpis))
    except PricingError:
        return None
    found = [line_value(line.kind, line.detail) for line in priced.lines]
    known = [value for value in found if value is not None]
    return sum(known, ZERO) if known else None


def _corrected_values(filters: dict) -> dict[tuple[int, str], Decimal | None]:
    """(contract id, period) → the value as of the month's latest counting adjustment."""
    latest: dict[tuple[int, str], tuple[int, int, dict]] = {}
    rows = (
        Statement.objects.filter(**filters, adjusts__isnull=False)
        .order_by("revision")
        .values_list("contract_id", "period", "terms_version_id", "inputs")
    )
    for contract_id, period, version_id, inputs in rows:
        latest[(contract_id, period)] = (contract_id, version_id, inputs or {})
    values: dict[tuple[int, str], Decimal | None] = {}
    pending = dict(latest)
    while pending:  # one batch per distinct version of each contract among the corrected months
        batch: dict[int, int] = {}
        for contract_id, version_id, _ in pending.values():
            batch.setdefault(contract_id, version_id)
        contracts = Contract.objects.filter(pk__in=list(batch))
        terms = terms_of_versions(contracts=contracts, version_ids=batch)
        for key, (contract_id, version_id, inputs) in list(pending.items()):
            if batch[contract_id] != version_id:
                continue
            in_force = terms.get(contract_id)
            values[key] = None if in_force is None else _repriced_value(inputs, in_force.terms, key[1])
            del pending[key]
    return values


def value_months(
    *, scope: Mapping[str, object], rounding: Mapping[int, str], first: Period, last: Period
) -> list[ValueMonth]:
    """Every month from ``first`` to ``last`` (inclusive) with a counting document, of the
    statements ``scope`` selects (lookups on ``Statement``: ``{"contract_id": 7}``,
    ``{"buyer_id": 3}``, ``{}`` for all), ordered by contract id then period. ``rounding``
    gives each contract's rounding mode (``half_up`` when absent) for the value created.
    Raises ``ValueError`` for a range :func:`value_range_check` refuses."""
    value_range_check(first, last)
    pay = _pay_rows(_filters(scope, first, last, prefix="statement__"))
    values: dict[tuple[int, str], Decimal | None] = dict(
        _original_values(_filters(scope, first, last, prefix="statement__"))
    )
    values.update(_corrected_values(_filters(scope, first, last)))
    months = []
    for (contract_id, period), (currency, buckets) in sorted(pay.items()):
        split = value_split(
            value=values.get((contract_id, period)),
            supplier_share=buckets[PayBucket.SHARED_VALUE],
            decimal_places=currency_decimal_places(currency),
            rounding=Rounding(rounding.get(contract_id, Rounding.HALF_UP)),
        )
        months.append(ValueMonth(contract_id, period, currency, buckets, split))
    return months


@dataclass(frozen=True)
class ValueTotals:
    """Months of one currency added up: ``pay`` per bucket, ``total`` pay, and the value
    created and its split over the months that recorded one (``None`` when none did)."""

    currency: str
    pay: Mapping[PayBucket, Decimal]
    total: Decimal
    value: Decimal | None
    supplier_share: Decimal
    buyer_retained: Decimal | None
    months: int


def value_totals(months: Iterable[ValueMonth]) -> dict[str, ValueTotals]:
    """``months`` added up per currency (exact sums of rounded amounts), by currency code."""
    grouped: dict[str, list[ValueMonth]] = defaultdict(list)
    for month in months:
        grouped[month.currency].append(month)
    totals = {}
    for currency, rows in sorted(grouped.items()):
        pay = {bucket: sum((row.pay[bucket] for row in rows), ZERO) for bucket in PayBucket}
        known = [row.split for row in rows if row.split.value is not None]
        totals[currency] = ValueTotals(
            currency=currency,
            pay=pay,
            total=sum(pay.values(), ZERO),
            value=sum((split.value for split in known), ZERO) if known else None,
            supplier_share=pay[PayBucket.SHARED_VALUE],
            buyer_retained=sum((split.buyer_retained for split in known), ZERO) if known else None,
            months=len(rows),
        )
    return totals
