"""Procurement's portfolio: every contract of a buyer over a calendar year, from the documents
that count (:mod:`billing.value`): pay by bucket, value created, credits and bonuses, and how
much of the pay is for results (``pricing.value.outcome_mix``), per currency and per month.

A constant number of queries whatever the number of contracts: the contracts, then those of
:func:`billing.value.value_months`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from contracts.models import Contract
from pricing.money import ZERO
from pricing.period import Period
from pricing.value import PayBucket, outcome_mix

from .models import Statement
from .value import COUNTING, ValueMonth, ValueTotals, value_months, value_totals

FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True)
class PortfolioMonth:
    period: str
    pay: dict[PayBucket, Decimal]
    mix: Decimal | None  # percent of pay for results, see ``outcome_mix``


@dataclass(frozen=True)
class PortfolioContract:
    contract: Contract
    totals: ValueTotals
    mix: Decimal | None


@dataclass(frozen=True)
class PortfolioCurrency:
    """One currency's part of the portfolio: its totals, its months (January to December, a
    month without documents has zero pay and no mix) and its contracts by reference."""

    currency: str
    totals: ValueTotals
    mix: Decimal | None
    months: list[PortfolioMonth]
    contracts: list[PortfolioContract]


def _scope(buyer_id: int | None) -> dict:
    return {} if buyer_id is None else {"buyer_id": buyer_id}


def portfolio_years(*, buyer_id: int | None) -> list[int]:
    """The years with a counting document of ``buyer_id``'s (every buyer's for ``None``),
    newest first: one query."""
    periods = (
        Statement.objects.filter(status__in=COUNTING, **_scope(buyer_id))
        .values_list("period", flat=True)
        .distinct()
    )
    return sorted({int(period[:4]) for period in periods}, reverse=True)


def _months(year: int, rows: list[ValueMonth]) -> list[PortfolioMonth]:
    by_period: dict[str, dict[PayBucket, Decimal]] = defaultdict(lambda: dict.fromkeys(PayBucket, ZERO))
    for row in rows:
        for bucket, amount in row.pay.items():
            by_period[row.period][bucket] += amount
    months = []
    for number in range(1, 13):
        period = str(Period(year, number))
        pay = by_period.get(period, dict.fromkeys(PayBucket, ZERO))
        months.append(PortfolioMonth(period, pay, outcome_mix(pay)))
    return months


def portfolio(*, buyer_id: int | None, year: int) -> list[PortfolioCurrency]:
    """``buyer_id``'s contracts (every buyer's for ``None``) over ``year``, per currency by
    code. Contracts without a counting document in the year are left out. Raises
    ``ValueError`` for a year outside 2000–2999."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"a year from {FIRST_YEAR} to {LAST_YEAR}")
    contracts = Contract.objects.select_related("supplier").only(
        "reference", "title", "rounding", "currency", "supplier__name"
    )
    if buyer_id is not None:
        contracts = contracts.filter(buyer_id=buyer_id)
    by_id = {contract.pk: contract for contract in contracts}
    rows = value_months(
        scope=_scope(buyer_id),
        rounding={pk: contract.rounding for pk, contract in by_id.items()},
        first=Period(year, 1),
        last=Period(year, 12),
    )
    by_currency: dict[str, list[ValueMonth]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    result = []
    for currency, currency_rows in sorted(by_currency.items()):
        per_contract: dict[int, list[ValueMonth]] = defaultdict(list)
        for row in currency_rows:
            per_contract[row.contract_id].append(row)
        contract_rows = []
        for contract_id, its_rows in per_contract.items():
            totals = value_totals(its_rows)[currency]
            contract_rows.append(PortfolioContract(by_id[contract_id], totals, outcome_mix(totals.pay)))
        contract_rows.sort(key=lambda row: row.contract.reference)
        totals = value_totals(currency_rows)[currency]
        result.append(
            PortfolioCurrency(
                currency, totals, outcome_mix(totals.pay), _months(year, currency_rows), contract_rows
            )
        )
    return result
