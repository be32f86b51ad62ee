"""Checks of a KPI file that look at one column at a time: the header, and each cell's type,
length and format.

The columns are Arrow strings (``Column``); a check that depends only on a cell's text runs
once per distinct value and is spread to the rows with integer indexing, and Python runs only
for the rows being reported (``Report``). The checks across rows and against the contracts
and KPIs are in ``kpis.row_checks``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .file_format import (
    BOUNDED_NUMBER_RE,
    CONTROL_RE,
    DATE_RE,
    EXPONENT_RE,
    MAX_CHARS,
    MAX_DECIMALS,
    MAX_INTEGER_DIGITS,
    MAX_REPORTED,
    NUMBER_RE,
    OPTIONAL,
    PERIOD_RE,
    REQUIRED,
    KpiFileRejected,
    RowError,
)

NUMBERS = ("value", "numerator", "denominator")


class Column:
    """A text column as Arrow strings, with its distinct values and each row's code.

    Checks that depend only on a cell's text are made once per distinct value and spread to
    the rows with integer indexing."""

    def __init__(self, values: pd.Series | pa.Array | pa.ChunkedArray):
        if isinstance(values, pd.Series):
            values = (
                pa.array(values.array) if values.dtype != object else pa.array(values.tolist(), pa.string())
            )
        if not pa.types.is_large_string(values.type):
            values = values.cast(pa.large_string())
        self.array = values  # left in the reader's chunks: nothing here needs it contiguous

    @cached_property
    def _encoded(self) -> tuple[np.ndarray, list[str]]:
        encoded = pc.dictionary_encode(self.array)
        if isinstance(encoded, pa.ChunkedArray):  # one dictionary for all the chunks
            encoded = encoded.combine_chunks()
        return to_numpy(encoded.indices), encoded.dictionary.to_pylist()

    @property
    def codes(self) -> np.ndarray:
        return self._encoded[0]

    @property
    def uniques(self) -> list[str]:
        return self._encoded[1]

    def __getitem__(self, row: int) -> str:
        return self.uniques[self.codes[row]]

    def per_value(self, function, dtype=object) -> np.ndarray:
        """``function`` of each distinct value, spread to every row."""
        return np.array([function(value) for value in self.uniques], dtype=dtype)[self.codes]

    def present(self) -> np.ndarray:
        """Rows with a non-empty cell."""
        return to_numpy(pc.not_equal(self.array, ""))

    def matches(self, pattern: str) -> np.ndarray:
        """Rows whose whole text matches ``pattern`` (``\\d`` is an ASCII digit 0-9)."""
        if len(self.uniques) * 4 < len(self.codes):
            compiled = re.compile(pattern, re.ASCII)
            return self.per_value(lambda value: compiled.fullmatch(value) is not None, dtype=bool)
        return to_numpy(pc.match_substring_regex(self.array, f"^(?:{pattern})$"))


def to_numpy(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False)


class Report:
    """Collects row errors from boolean masks, keeping the first ``MAX_REPORTED`` in the order
    the checks add them, and counting all."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, mask, column: str, problem) -> None:
        """Report every row of ``mask`` under ``column``; ``problem`` is the text, or a function
        of the row's index giving it (called only for the rows kept)."""
        mask = np.asarray(mask, dtype=bool)
        hits = int(mask.sum())
        if not hits:
            return
        self.count += hits
        room = MAX_REPORTED - len(self.errors)
        if room <= 0:
            return
        for index in np.flatnonzero(mask)[:room]:
            text = problem(index) if callable(problem) else problem
            self.errors.append(RowError(int(self.rows[index]), column, text))


def check_header(columns: Iterable[str]) -> None:
    """The file's (stripped, lower-case) column names: the required ones, a period or a date,
    a value or a numerator and a denominator, and no unknown name. Raises ``KpiFileRejected``
    listing every problem."""
    columns = set(columns)
    problems = [RowError(0, name, "required column is missing") for name in REQUIRED if name not in columns]
    if not columns & {"period", "date"}:
        problems.append(
            RowError(0, "period", "the file needs a period (YYYY-MM) or a date (YYYY-MM-DD) column")
        )
    if "value" not in columns and not {"numerator", "denominator"} <= columns:
        problems.append(
            RowError(0, "value", "the file needs a value column, or numerator and denominator columns")
        )
    unknown = sorted(columns - set(REQUIRED) - set(OPTIONAL))
    problems += [RowError(0, name, "unknown column") for name in unknown]
    if problems:
        raise KpiFileRejected(problems)


def check_text(text: dict[str, Column], report: Report) -> None:
    """Every cell: no control character (they have no place in a KPI file, and PostgreSQL
    refuses NUL in text), and no longer than its column can store (``MAX_CHARS``), so that
    SQLite and PostgreSQL keep or refuse exactly the same files."""
    for name, column in text.items():
        limit = MAX_CHARS[name]
        if limit is None:  # a number: its own pattern admits digits, sign and point only
            continue
        uniques = pa.array(column.uniques, pa.large_string())
        control = to_numpy(pc.match_substring_regex(uniques, CONTROL_RE))[column.codes]
        report.add(
            control,
            name,
            lambda i, c=column: f"holds a control character (U+{ord(re.search(CONTROL_RE, c[i])[0]):04X})",
        )
        long = to_numpy(pc.greater(pc.utf8_length(uniques), limit))[column.codes] & ~control
        report.add(
            long, name, lambda i, c=column, n=limit: f"is {len(c[i]):,} characters long; the limit is {n}"
        )


def iso_date(value: str) -> date | None:
    """The date written ``YYYY-MM-DD`` (ASCII digits only), or ``None``."""
    if re.fullmatch(DATE_RE, value, re.ASCII) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_periods(
    text: dict[str, Column], report: Report, *, has_date: np.ndarray, month_of_day: pa.Array
) -> tuple[list[date | None], np.ndarray]:
    """Each row has a period ``YYYY-MM`` or a date ``YYYY-MM-DD`` (a real day), and a row with
    both has its date in its period. ``has_date``: rows with a date; ``month_of_day``: each
    row's date cut to ``YYYY-MM``. Returns the date of each distinct date text (``None`` when
    it is not a date; indexed by ``text["date"].codes``) and the rows whose period is well
    formed."""
    day, given = text["date"], text["period"]
    has_period = given.present()
    report.add(~has_date & ~has_period, "period", "give a period (YYYY-MM) or a date (YYYY-MM-DD)")
    good_period = given.matches(PERIOD_RE)
    report.add(has_period & ~good_period, "period", lambda i: f"not a period YYYY-MM: {given[i]!r}")
    dates = [iso_date(value) for value in day.uniques]
    parsed = np.array([value is not None for value in dates], dtype=bool)[day.codes]
    report.add(has_date & ~parsed, "date", lambda i: f"not a date YYYY-MM-DD: {day[i]!r}")
    report.add(
        has_date & has_period & to_numpy(pc.not_equal(given.array, month_of_day)),
        "date",
        lambda i: f"{day[i]} is not in period {given[i]}",
    )
    return dates, good_period


def check_number_formats(
    text: dict[str, Column], report: Report, present: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Each value, numerator and denominator given is a number written out in digits (no
    exponent) with at most ``MAX_INTEGER_DIGITS`` digits before the point and ``MAX_DECIMALS``
    after it. ``present``: each column's rows with a cell. Returns each column's rows holding
    such a number, the only ones the bounds may read."""
    valid = {}
    for name in NUMBERS:
        column, has = text[name], present[name]
        number = column.matches(NUMBER_RE)
        exponent = has & ~number & column.matches(EXPONENT_RE)
        report.add(
            exponent,
            name,
            lambda i, n=name: f"{text[n][i][:40]!r} is in exponent notation; write the number out in digits",
        )
        report.add(has & ~number & ~exponent, name, lambda i, n=name: f"not a number: {text[n][i][:40]!r}")
        valid[name] = number & column.matches(BOUNDED_NUMBER_RE)
        report.add(
            has & number & ~valid[name],
            name,
            f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point or more than "
            f"{MAX_DECIMALS} after it",
        )
    return valid
