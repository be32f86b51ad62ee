"""The spans of months that multi-month terms measure over: settlement periods, contract
years and the rolling twelve months. Pure period arithmetic; every span is inclusive at
both ends and never reaches outside the contract (its start and end months)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .period import Period


@dataclass(frozen=True, slots=True)
class Window:
    """The months ``first`` … ``last`` (both inclusive), with the name explanations use."""

    first: Period
    last: Period
    label: str

    def months(self, *, until: Period | None = None) -> list[Period]:
        """The window's months in order, up to ``until`` (inclusive) when given."""
        end = self.last if until is None else min(self.last, until)
        months, month = [], self.first
        while month <= end:
            months.append(month)
            month = month.next()
        return months


def _span(first: Period, last: Period) -> str:
    return str(first) if first == last else f"{first}..{last}"


def _clipped(first: Period, last: Period, start: date, end: date | None) -> tuple[Period, Period]:
    first = max(first, Period.of(start))
    if end is not None:
        last = min(last, Period.of(end))
    return first, last


def contract_year(period: Period, *, start: date, end: date | None = None) -> Window:
    """The contract year holding ``period``: twelve months from the contract's start month
    (a contract starting 2026-04-10 has years 2026-04..2027-03, …), clipped to its end month.
    Raises ``ValueError`` for a period before the start month."""
    first_month = Period.of(start)
    if period < first_month:
        raise ValueError(f"{period} is before the contract starts ({first_month})")
    elapsed = (period.year - first_month.year) * 12 + period.month - first_month.month
    first = first_month.shift(elapsed - elapsed % 12)
    first, last = _clipped(first, first.shift(11), start, end)
    return Window(first, last, f"contract year {_span(first, last)}")


def calendar_quarter(period: Period, *, start: date, end: date | None = None) -> Window:
    """The calendar quarter holding ``period`` (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec) named
    ``2026-Q1 (2026-01..2026-03)``, clipped to the contract's start and end months."""
    first = Period(period.year, (period.month - 1) // 3 * 3 + 1)
    first, last = _clipped(first, first.shift(2), start, end)
    quarter = (period.month - 1) // 3 + 1
    return Window(first, last, f"{period.year}-Q{quarter} ({_span(first, last)})")


def rolling_twelve(period: Period, *, start: date) -> Window:
    """``period`` and the eleven months before it, from the contract's start month at the
    earliest: ``2026-06`` → ``2025-07..2026-06``."""
    first = max(period.shift(-11), Period.of(start))
    return Window(first, period, f"rolling 12 months {_span(first, period)}")
