"""Importing index values from CSV: ``manage.py import_index FILE`` and the admin's form.

The file is UTF-8 CSV (a byte-order mark is allowed) with the header ``series,period,value``,
or ``period,value`` when the series is given apart (``--series CODE``; a ``series`` column
must then name it on every row). ``period`` is ``YYYY-MM``; ``value`` a positive decimal of at
most 10 digits before the point and 6 after it. Bounded before it is read: at most
``MAX_FILE_BYTES`` and ``MAX_ROWS`` rows, each at most ``MAX_FIELD_CHARS`` a cell.

All or nothing: every problem is reported with its row number (the header is row 1), and a
file with any problem stores nothing. A month already held with the same value is left as it
is; with another value it is a revision, refused unless ``revise`` is asked for, and then
kept in the value's history. Months added or revised are announced
(``contracts.signals.index_values_imported``) inside the same transaction: billing prices again
the months that read them, as corrections for issued ones.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .indexation_models import SERIES_CODE_PATTERN, VALUE_DIGITS, VALUE_PLACES, IndexSeries, IndexValue
from .signals import index_values_imported

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 10_000  # 800 years of months: any honest file is far smaller
MAX_FIELD_CHARS = 40
MAX_REPORTED = 100
PERIOD_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
VALUE_RE = re.compile(rf"[0-9]{{1,{VALUE_DIGITS - VALUE_PLACES}}}(\.[0-9]{{1,{VALUE_PLACES}}})?")


class IndexFileError(Exception):
    """An index file that cannot be imported, with every problem found in it."""

    def __init__(self, file_name: str, problems: list[str]):
        self.file_name = file_name
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        lines = [f"{self.file_name}: {problem}" for problem in self.problems[:MAX_REPORTED]]
        if len(self.problems) > MAX_REPORTED:
            lines.append(f"{self.file_name}: … and {len(self.problems) - MAX_REPORTED} more problems")
        return lines


@dataclass(frozen=True)
class IndexImportResult:
    added: dict[str, list[str]]  # months added, by series code
    revised: dict[str, list[str]]  # months whose value changed, by series code
    unchanged: int


def _rows(file_name: str, content: bytes) -> list[list[str]]:
    """The CSV rows (header first) within the bounds. Raises ``IndexFileError``."""
    if len(content) > MAX_FILE_BYTES:
        raise IndexFileError(file_name, [f"the file is larger than {MAX_FILE_BYTES:,} bytes"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IndexFileError(file_name, [f"the file is not UTF-8 text (byte {error.start + 1})"]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise IndexFileError(file_name, [f"more than {MAX_ROWS:,} rows"])
            rows.append(row)
    except csv.Error as error:
        raise IndexFileError(file_name, [f"row {reader.line_num}: not CSV ({error})"]) from None
    if not rows:
        raise IndexFileError(file_name, ["the file is empty"])
    return rows


def _header(file_name: str, header: list[str], series_code: str | None) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    expected = ["series", "period", "value"] if series_code is None else ["period", "value"]
    allowed = {"series", "period", "value"}
    if set(names) - allowed or not set(expected) <= set(names) or len(set(names)) != len(names):
        wanted = ",".join(expected)
        raise IndexFileError(
            file_name, [f"row 1: the header must be {wanted}, got {','.join(header)[:80]!r}"]
        )
    return {name: names.index(name) for name in names}


def _parsed(rows, columns, series_code, problems, row_of) -> dict[tuple[str, str], Decimal]:
    """``{(series, period): value}`` of the data rows (and in ``row_of`` each one's row
    number); each problem appended, named by its row."""
    values: dict[tuple[str, str], Decimal] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) != len(columns):
            problems.append(f"row {number}: expected {len(columns)} columns, got {len(row)}")
            continue
        cells = {name: row[index].strip()[: MAX_FIELD_CHARS + 1] for name, index in columns.items()}
        series = _series(cells.get("series", series_code), series_code, number, problems)
        period = cells["period"]
        if not PERIOD_RE.fullmatch(period):
            problems.append(f"row {number}: period: expected a month YYYY-MM, got {period!r}")
        value = _value(cells["value"], number, problems)
        if series is None or value is None or not PERIOD_RE.fullmatch(period):
            continue
        if (series, period) in values:
            problems.append(f"row {number}: {series} {period} appears twice")
        values[(series, period)] = value
        row_of[(series, period)] = number
    return values


def _series(series: str, series_code: str | None, number: int, problems: list[str]) -> str | None:
    if series_code is not None and series != series_code:
        problems.append(f"row {number}: series: {series!r} is not {series_code}, the series imported")
        return None
    if not re.fullmatch(SERIES_CODE_PATTERN, series):
        problems.append(f"row {number}: series: expected an index series code, got {series!r}")
        return None
    return series


def _value(text: str, number: int, problems: list[str]) -> Decimal | None:
    whole = VALUE_DIGITS - VALUE_PLACES
    if not VALUE_RE.fullmatch(text):
        problems.append(
            f"row {number}: value: expected a positive number of at most {whole} digits and "
            f"{VALUE_PLACES} decimals, got {text[:MAX_FIELD_CHARS]!r}"
        )
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None
    if value <= 0:
        problems.append(f"row {number}: value: an index value must be positive, got {text}")
        return None
    return value


def index_values_import(
    *, file_name: str, content: bytes, series_code: str | None = None, revise: bool = False, user=None
) -> IndexImportResult:
    """Import an index file (see the module). Raises ``IndexFileError`` listing every problem
    (nothing stored); otherwise stores it in one transaction and announces the months changed."""
    rows = _rows(file_name, content)
    columns = _header(file_name, rows[0], series_code)
    problems: list[str] = []
    row_of: dict[tuple[str, str], int] = {}
    values = _parsed(rows, columns, series_code, problems, row_of)
    with transaction.atomic():
        series = {s.code: s for s in IndexSeries.objects.filter(code__in={code for code, _ in values})}
        for code in sorted({code for code, _ in values} - set(series)):
            problems.append(
                f"unknown index series {code!r} (create it first: the admin, or import_index --name)"
            )
        stored = {
            (v.series.code, v.period): v
            for v in IndexValue.objects.select_for_update()
            .filter(series__in=series.values(), period__in={period for _, period in values})
            .select_related("series")
        }
        added, revised, unchanged = _plan(values, stored, revise, problems, row_of)
        if problems:
            raise IndexFileError(file_name, problems)
        return _store(series, added, revised, unchanged, user)


def _plan(values, stored, revise, problems, row_of):
    added, revised, unchanged = [], [], 0
    for key, value in values.items():
        current = stored.get(key)
        if current is None:
            added.append((key, value))
        elif current.value == value:
            unchanged += 1
        elif not revise:
            code, period = key
            problems.append(
                f"row {row_of[key]}: {code} {period} is already {current.value.normalize():f}, not {value}: a revision of a "
                "published value must be asked for (--revise, or tick revise in the admin)"
            )
        else:
            current.value = value
            revised.append(current)
    return added, revised, unchanged


def _store(series, added, revised, unchanged, user) -> IndexImportResult:
    now = timezone.now()
    new = [
        IndexValue(series=series[code], period=period, value=value, imported_at=now)
        for (code, period), value in added
    ]
    if new:
        bulk_create_with_history(new, IndexValue, default_user=user)
    for value in revised:
        value.imported_at = now
    if revised:
        bulk_update_with_history(revised, IndexValue, ["value", "imported_at"], default_user=user)
    added_by: dict[str, list[str]] = {}
    for (code, period), _ in added:
        added_by.setdefault(code, []).append(period)
    revised_by: dict[str, list[str]] = {}
    for value in revised:
        revised_by.setdefault(value.series.code, []).append(value.period)
    for code in sorted(set(added_by) | set(revised_by)):
        periods = sorted(added_by.get(code, []) + revised_by.get(code, []))
        index_values_imported.send(sender=IndexSeries, series=code, periods=periods, user=user)
    return IndexImportResult(added_by, revised_by, unchanged)


def index_series_create(*, code: str, name: str, publisher: str = "", unit: str = "") -> IndexSeries:
    """A new index series (or the existing one of ``code``, unchanged). Raises ``ValueError``
    for a code or name out of bounds."""
    if not re.fullmatch(SERIES_CODE_PATTERN, code):
        raise ValueError(f"not an index series code (1–20 upper-case letters, digits or _): {code!r}")
    if not name.strip() or len(name) > 200 or len(publisher) > 200 or len(unit) > 50:
        raise ValueError("the name (1–200 characters), publisher (200) or unit (50) is out of bounds")
    series, _ = IndexSeries.objects.get_or_create(
        code=code, defaults={"name": name.strip(), "publisher": publisher.strip(), "unit": unit.strip()}
    )
    return series
