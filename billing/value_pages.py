"""What the value pages show, built once for the admin and the supplier portal: the range
form, a contract's months with their split and pay by bucket, the portfolio, and their charts
(:mod:`billing.value_charts`). Amounts are display text (:func:`core.formatting.money_display`);
the numbers are :mod:`billing.value`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from contracts.models import Contract
from core.formatting import money_display
from pricing.period import Period
from pricing.value import PayBucket

from .models import Statement
from .portfolio import FIRST_YEAR, LAST_YEAR, portfolio, portfolio_years
from .value import COUNTING, MAX_MONTHS, ValueMonth, value_months, value_range_check, value_totals
from .value_charts import Series, stacked_bar_chart

BUCKET_LABELS = {
    PayBucket.FIXED: "Fixed",
    PayBucket.PER_UNIT: "Per unit",
    PayBucket.SHARED_VALUE: "Shared value",
    PayBucket.OUTCOMES: "Outcomes",
    PayBucket.EXPERIENCE: "Experience",
    PayBucket.CREDITS: "Credits",
    PayBucket.OTHER: "Other (agreed)",
}
BUCKET_COLOURS = {
    PayBucket.FIXED: "#9fb3c8",
    PayBucket.PER_UNIT: "#5b6b7b",
    PayBucket.SHARED_VALUE: "#0d3b66",
    PayBucket.OUTCOMES: "#2e8b57",
    PayBucket.EXPERIENCE: "#c98a00",
    PayBucket.CREDITS: "#c0392b",
    PayBucket.OTHER: "#8e6bb0",
}
SHARE_COLOUR, RETAINED_COLOUR = "#0d3b66", "#2e8b57"
DEFAULT_MONTHS = 12


def _period(value: str) -> Period:
    try:
        return Period.parse(value)
    except ValueError:
        raise ValidationError("Enter a month as YYYY-MM.") from None


class ValueRangeForm(forms.Form):
    """``from`` and ``to`` months (``YYYY-MM``), both optional and inclusive: ``to`` defaults to
    the latest month with a document, ``from`` to the first month with a document among the
    twelve that end at ``to``."""

    from_ = forms.CharField(required=False, max_length=7, label="From", help_text="YYYY-MM")
    to = forms.CharField(required=False, max_length=7, label="To", help_text="YYYY-MM")

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {"from_": data.get("from", ""), "to": data.get("to", "")}
        super().__init__(data, **kwargs)

    def clean_from_(self) -> Period | None:
        return _period(self.cleaned_data["from_"]) if self.cleaned_data["from_"] else None

    def clean_to(self) -> Period | None:
        return _period(self.cleaned_data["to"]) if self.cleaned_data["to"] else None


def value_range(
    *,
    contract: Contract,
    first: Period | None,
    last: Period | None,
    scope: Mapping[str, object] | None = None,
) -> tuple[Period, Period]:
    """The range a contract's page shows (see :class:`ValueRangeForm`), the latest month
    among the documents ``scope`` also selects. Raises ``ValueError`` for a range
    :func:`billing.value.value_range_check` refuses."""
    if last is None:
        latest = (
            Statement.objects.filter(contract_id=contract.pk, status__in=COUNTING, **(scope or {}))
            .order_by("-period")
            .values_list("period", flat=True)
            .first()
        )
        last = Period.parse(latest) if latest else Period.of(contract.start_date)
        if first is not None and str(first) > str(last):
            last = first.shift(DEFAULT_MONTHS - 1)
    if first is None:
        # Twelve months to ``last``, or fewer when the contract's documents start later.
        first = last.shift(-(DEFAULT_MONTHS - 1))
        earliest = (
            Statement.objects.filter(
                contract_id=contract.pk, status__in=COUNTING, period__gte=str(first), **(scope or {})
            )
            .order_by("period")
            .values_list("period", flat=True)
            .first()
        )
        if earliest and earliest <= str(last):
            first = Period.parse(earliest)
    value_range_check(first, last)
    return first, last


def _money(currency: str):
    return lambda amount: money_display(amount, currency)


def _cell(amount: Decimal | None, currency: str) -> str:
    return "—" if amount is None else money_display(amount, currency)


def _used(months: Sequence[ValueMonth]) -> list[PayBucket]:
    return [bucket for bucket in PayBucket if any(month.pay[bucket] for month in months)]


def contract_value_context(
    *, contract: Contract, first: Period, last: Period, scope: Mapping[str, object] | None = None
) -> dict:
    """The template context of a contract's value section for ``first``–``last``, from the
    contract's documents that ``scope`` (more ``Statement`` lookups) also selects."""
    months = value_months(
        scope={**(scope or {}), "contract_id": contract.pk},
        rounding={contract.pk: contract.rounding},
        first=first,
        last=last,
    )
    currency = str(contract.currency)
    periods = [str(first.shift(offset)) for offset in range(MAX_MONTHS) if first.shift(offset) <= last]
    by_period = {month.period: month for month in months}
    buckets = _used(months)
    rows = [
        {
            "period": month.period,
            "value": _cell(month.split.value, currency),
            "share": _cell(month.split.supplier_share if month.split.value is not None else None, currency),
            "retained": _cell(month.split.buyer_retained, currency),
            "pay": [_cell(month.pay[bucket], currency) for bucket in buckets],
            "total": _cell(month.total, currency),
        }
        for month in months
    ]
    totals = value_totals(months).get(currency)
    has_value = any(month.split.value is not None for month in months)

    def along(get) -> list[Decimal | None]:
        return [get(by_period[period]) if period in by_period else None for period in periods]

    split_chart = stacked_bar_chart(
        periods=periods,
        series=[
            Series(
                "share",
                "Supplier's share",
                SHARE_COLOUR,
                along(lambda m: m.split.supplier_share if m.split.value is not None else None),
            ),
            Series(
                "retained", "Buyer's retained part", RETAINED_COLOUR, along(lambda m: m.split.buyer_retained)
            ),
        ],
        value_text=_money(currency),
    )
    pay_chart = stacked_bar_chart(
        periods=periods,
        series=[
            Series(
                bucket.value,
                BUCKET_LABELS[bucket],
                BUCKET_COLOURS[bucket],
                along(lambda m, b=bucket: m.pay[b]),
            )
            for bucket in buckets
        ],
        value_text=_money(currency),
    )
    return {
        "contract": contract,
        "currency": currency,
        "first": str(first),
        "last": str(last),
        "rows": rows,
        "buckets": [BUCKET_LABELS[bucket] for bucket in buckets],
        "totals": None
        if totals is None
        else {
            "value": _cell(totals.value, currency),
            "share": _cell(totals.supplier_share if totals.value is not None else None, currency),
            "retained": _cell(totals.buyer_retained, currency),
            "pay": [_cell(totals.pay[bucket], currency) for bucket in buckets],
            "total": _cell(totals.total, currency),
        },
        "has_value": has_value,
        "split_chart": split_chart,
        "pay_chart": pay_chart,
    }


class PortfolioForm(forms.Form):
    year = forms.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)


PORTFOLIO_COLUMNS = (
    PayBucket.FIXED,
    PayBucket.PER_UNIT,
    PayBucket.SHARED_VALUE,
    PayBucket.OUTCOMES,
    PayBucket.EXPERIENCE,
    PayBucket.CREDITS,
    PayBucket.OTHER,
)


def _mix_text(mix: Decimal | None) -> str:
    return "—" if mix is None else f"{mix}%"


def portfolio_context(*, buyer_id: int | None, year: int | None) -> dict:
    """The portfolio page's context for ``year`` (default: the latest year with documents)."""
    years = portfolio_years(buyer_id=buyer_id)
    if year is None:
        year = years[0] if years else None
    if year is None:
        return {"years": years, "year": None, "currencies": []}
    currencies = []
    for part in portfolio(buyer_id=buyer_id, year=year):
        code = part.currency

        def cells(totals, code=code) -> dict:
            return {
                "pay": [_cell(totals.pay[bucket], code) for bucket in PORTFOLIO_COLUMNS],
                "total": _cell(totals.total, code),
                "value": _cell(totals.value, code),
                "retained": _cell(totals.buyer_retained, code),
            }

        periods = [month.period for month in part.months]
        mix_chart = stacked_bar_chart(
            periods=periods,
            series=[
                Series(
                    "results",
                    "Shared value, outcomes and experience",
                    SHARE_COLOUR,
                    [m.mix for m in part.months],
                ),
                Series(
                    "activity",
                    "Fixed and per unit",
                    BUCKET_COLOURS[PayBucket.PER_UNIT],
                    [None if m.mix is None else 100 - m.mix for m in part.months],
                ),
            ],
            value_text=lambda value: f"{value}%",
            percent=True,
        )
        currencies.append(
            {
                "currency": code,
                "totals": cells(part.totals),
                "mix": _mix_text(part.mix),
                "chart": mix_chart,
                "contracts": [
                    {"contract": row.contract, "mix": _mix_text(row.mix), **cells(row.totals)}
                    for row in part.contracts
                ],
            }
        )
    return {
        "years": years,
        "year": year,
        "currencies": currencies,
        "columns": [BUCKET_LABELS[bucket] for bucket in PORTFOLIO_COLUMNS],
    }
