"""Billing periods: calendar months, half-open ``[first day, first day of next month)``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A calendar month. Written ``YYYY-MM`` at the edges; ordered chronologically."""

    year: int
    month: int

    def __hash__(self) -> int:
        # Periods key the dictionaries of a billing run's hot loops: one integer per hash,
        # where the generated hash builds and hashes a tuple. Equal periods hash equal.
        return self.year * 12 + self.month

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"not a valid period: {self.year:04d}-{self.month:02d}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM``. Raises ``ValueError`` naming the text when it is not one."""
        match = _PERIOD_RE.match(str(text).strip())
        if not match:
            raise ValueError(f"not a period (expected YYYY-MM): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """The period containing ``day``."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The first day of the month (inclusive start)."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month (inclusive end)."""
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        """Number of days in the month."""
        return calendar.monthrange(self.year, self.month)[1]

    def shift(self, months: int) -> Period:
        """The period ``months`` later (earlier when negative)."""
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def active_days(self, start: date, end: date | None) -> int:
        """Days of this month inside ``[start, end]`` (both inclusive; ``end=None`` is open)."""
        first = max(self.first_day, start)
        last = self.last_day if end is None else min(self.last_day, end)
        return max((last - first).days + 1, 0)
