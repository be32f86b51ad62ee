"""Reading and checking KPI files: the only module that imports pandas.

A file (CSV in UTF-8, or an XLSX workbook) is read with every cell as text, so no value is
ever a float. The whole file is checked and every problem is reported with its row number as
a spreadsheet shows it (the header is row 1) and its column; a file with any problem is
refused whole. Values leave this module as the exact text they were given, to be stored as
exact decimals.

The checks work on whole columns (Arrow and NumPy): a check that depends only on a cell's
text runs once per distinct value, Python runs only for the rows being reported, and floats
only pick the rows whose bounds are then decided on exact decimals.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .xlsx import MAX_COLUMNS, WorkbookRefused, read_first_sheet

REQUIRED = ("contract", "kpi")
OPTIONAL = ("period", "date", "value", "numerator", "denominator", "channel", "site")
NUMBER_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
PERIOD_RE = r"\d{4}-(?:0[1-9]|1[0-2])"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
MAX_REPORTED = 1000
# Each column's longest text, as the database stores it (kpis.models.KpiResult, contracts.Contract.reference,
# Kpi.code); numbers are bounded by MAX_INTEGER_DIGITS and MAX_DECIMALS instead.
MAX_CHARS = {
    "contract": 50,
    "kpi": 40,
    "period": 7,
    "date": 10,
    "value": None,
    "numerator": None,
    "denominator": None,
    "channel": 40,
    "site": 40,
}
CONTROL_RE = "[\\x00-\\x1f\\x7f-\\x9f]"
# A value, numerator or denominator has at most 15 digits before the point and 6 after: a
# month's sums then stay within the 28 digits of Python's decimal context when priced and
# rounded, and within the statements' 20-digit amounts.
MAX_INTEGER_DIGITS = 15
MAX_DECIMALS = 6
MAX_RATIO = Decimal(10) ** MAX_INTEGER_DIGITS  # numerator × scale / denominator of one row
BOUNDED_NUMBER_RE = (
    rf"[+-]?0*(?:\d{{1,{MAX_INTEGER_DIGITS}}}(?:\.\d{{0,{MAX_DECIMALS}}})?|\.\d{{1,{MAX_DECIMALS}}})"
)
EXPONENT_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+"
MAX_LINE_BYTES = 64 * 1024  # a KPI row is about 60 bytes; no cell may exceed 1,000 characters


@dataclass(frozen=True)
class RowError:
    row: int  # 0 for a problem with the whole file
    column: str
    problem: str

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row else ""
        return f"{where}{self.column}: {self.problem}" if self.column else f"{where}{self.problem}"


@dataclass(frozen=True)
class ContractRef:
    id: int
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class KpiRef:
    id: int
    aggregation: str  # "sum" | "ratio"
    scale: int
    min_value: Decimal | None
    max_value: Decimal | None


class KpiFileRejected(Exception):
    """The file cannot be ingested; ``errors`` lists every problem (capped), ``error_count`` all."""

    def __init__(self, errors: list[RowError], error_count: int | None = None):
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        super().__init__(f"{self.error_count} problem(s)")


def read_kpi_file(*, file_name: str, content: bytes, max_bytes: int) -> pd.DataFrame:
    """The file as a frame of stripped text cells.

    Raises ``KpiFileRejected`` for a file that is too large (``max_bytes``, inclusive), empty,
    not UTF-8, binary, not a real workbook, beyond a reading limit (see ``kpis.xlsx`` and
    ``MAX_LINE_BYTES``, ``MAX_COLUMNS``) or missing required columns. An XLSX sheet's row numbers, as the spreadsheet shows
    them, are kept in ``frame.attrs["source_rows"]`` (blank rows are skipped there)."""
    if (too_large := size_problem(size=len(content), max_bytes=max_bytes)) is not None:
        raise KpiFileRejected([too_large])
    if not content or content.isspace():
        raise _refused(file_name, "the file is empty")
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        frame = _read_excel(file_name, content)
    else:
        frame = _read_csv(file_name, content)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    _check_columns(frame)
    if frame.empty:
        raise _refused(file_name, "the file has a header but no rows")
    if not frame.attrs.get("stripped"):
        for column in frame.columns:
            frame[column] = frame[column].astype(str).str.strip()
    for column in OPTIONAL:
        if column not in frame:
            frame[column] = ""
    return frame


def size_problem(*, size: int, max_bytes: int) -> RowError | None:
    """The refusal of a file of ``size`` bytes over ``max_bytes`` (inclusive bound), or ``None``.
    Entry points holding a file on disk ask before reading it into memory."""
    if size > max_bytes:
        return RowError(0, "", f"the file is {size:,} bytes; the limit is {max_bytes:,}")
    return None


def _refused(file_name: str, problem: str) -> KpiFileRejected:
    """A refusal of the whole file. Its name is not repeated in the problem: every entry point
    reports the file's name beside its problems (``FILE:ROW:COLUMN: problem`` on the command
    line, ``file_name`` in the API's body and the admin's report)."""
    return KpiFileRejected([RowError(0, "", problem)])


def _read_csv(file_name: str, content: bytes) -> pd.DataFrame:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refused(file_name, "the file is UTF-16 text; save it as CSV UTF-8")
    if (bad := _first_non_utf8_byte(content)) is not None:
        raise _refused(file_name, f"the file is not UTF-8 text (byte {bad:,}); save it as CSV UTF-8")
    data = content.removeprefix(codecs.BOM_UTF8)
    _check_csv_shape(file_name, data)
    if (frame := _read_plain_csv(data)) is not None:
        return frame
    text = io.StringIO(data.decode("utf-8"))
    try:
        return pd.read_csv(text, dtype=str, keep_default_na=False, na_filter=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise _refused(file_name, f"not a readable CSV file: {str(error).strip()}") from None


def _first_non_utf8_byte(content: bytes) -> int | None:
    """The offset of the first byte that is not UTF-8, or ``None``. Decoded 1 MiB at a time:
    decoding a 200 MiB file at once would hold a second copy of it as text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 2**20
    for start in range(0, len(content), step):
        try:
            decoder.decode(content[start : start + step], final=start + step >= len(content))
        except UnicodeDecodeError as error:
            # ``error.start`` counts from the bytes the decoder held back from the last piece
            held = len(error.object) - len(content[start : start + step])
            return start - held + error.start
    return None


def _check_csv_shape(file_name: str, data: bytes) -> None:
    """Before any parser allocates: no NUL byte (a binary file), no line longer than
    ``MAX_LINE_BYTES``, a header of at most ``MAX_COLUMNS`` distinct names. Lines are
    measured in 16 MiB windows, so the check itself needs little memory."""
    if (nul := data.find(b"\0")) >= 0:
        raise _refused(file_name, f"the file holds a NUL byte (byte {nul:,}): it is not a text CSV file")
    window, last_newline = 16 * 2**20, -1
    for start in range(0, len(data), window):
        block = np.frombuffer(data, dtype=np.uint8, count=min(window, len(data) - start), offset=start)
        ends = np.flatnonzero(block == 10) + start
        lengths = np.diff(ends, prepend=last_newline) - 1
        if len(lengths) and int(lengths.max()) > MAX_LINE_BYTES:
            line = data.count(b"\n", 0, int(ends[int(lengths.argmax())])) + 1
            raise _refused(file_name, f"line {line:,} is longer than {MAX_LINE_BYTES:,} bytes")
        if len(ends):
            last_newline = int(ends[-1])
    if len(data) - last_newline - 1 > MAX_LINE_BYTES:
        line = data.count(b"\n") + 1
        raise _refused(file_name, f"line {line:,} is longer than {MAX_LINE_BYTES:,} bytes")
    end = data.find(b"\n")
    header_line = data[: end if end >= 0 else len(data)].decode("utf-8")
    try:  # the first line as the parsers see it (a lone carriage return also ends a line)
        names = next(csv.reader(header_line.splitlines()[:1]), [])
    except csv.Error as error:
        raise _refused(file_name, f"not a readable CSV header: {error}") from None
    if len(names) > MAX_COLUMNS:
        raise _refused(file_name, f"the header has {len(names):,} columns; the limit is {MAX_COLUMNS}")
    seen = set()
    for name in (name.strip().lower() for name in names):
        if name and name in seen:
            raise KpiFileRejected([RowError(0, name, "the column appears more than once")])
        seen.add(name)


def _read_plain_csv(data: bytes) -> pd.DataFrame | None:
    """A CSV file with no quotes and the same number of cells on every line, read by Arrow's
    parser (the same cells as pandas', several times faster); ``None`` for any other file,
    which pandas reads."""
    if b'"' in data:
        return None
    end = data.find(b"\n")
    names = data[: end if end >= 0 else len(data)].rstrip(b"\r").decode().split(",")
    normalised = [name.strip().lower() for name in names]
    if "" in normalised or len(set(normalised)) != len(names):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.column_names != names:
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own "str"
    return table.to_pandas(types_mapper={pa.large_string(): text}.get)


def _read_excel(file_name: str, content: bytes) -> pd.DataFrame:
    if not content.startswith(b"PK\x03\x04"):
        raise _refused(file_name, "not a real Excel workbook (.xlsx); was a CSV file renamed?")
    try:
        sheet = read_first_sheet(io.BytesIO(content))
    except WorkbookRefused as refused:
        raise _refused(file_name, str(refused)) from None
    names = [name.strip().lower() for name in sheet.header]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise KpiFileRejected([RowError(0, name, "the column appears more than once") for name in duplicated])
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    frame = pd.DataFrame(
        {
            name: pd.Series(pd.arrays.ArrowStringArray(column), dtype=text)
            for name, column in zip(names, sheet.columns, strict=True)
        }
    )
    frame.attrs["source_rows"] = sheet.rows
    frame.attrs["stripped"] = True  # the reader strips every cell
    return frame


def _check_columns(frame: pd.DataFrame) -> None:
    columns = set(frame.columns)
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


class _Column:
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
        return _numpy(encoded.indices), encoded.dictionary.to_pylist()

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
        return _numpy(pc.not_equal(self.array, ""))

    def matches(self, pattern: str) -> np.ndarray:
        """Rows whose whole text matches ``pattern`` (``\\d`` is an ASCII digit 0-9)."""
        if len(self.uniques) * 4 < len(self.codes):
            compiled = re.compile(pattern, re.ASCII)
            return self.per_value(lambda value: compiled.fullmatch(value) is not None, dtype=bool)
        return _numpy(pc.match_substring_regex(self.array, f"^(?:{pattern})$"))


def _numpy(array: pa.Array) -> np.ndarray:
    return array.to_numpy(zero_copy_only=False)


class _Report:
    """Collects row errors from boolean masks, keeping the first ``MAX_REPORTED``."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, mask, column: str, problem) -> None:
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


@dataclass
class CheckedRows:
    """A file's rows as they are stored, in Arrow columns: contract_id, kpi_id (int64, -1 for
    an unknown reference), period, date, value, numerator, denominator (text; null for an
    empty cell), channel, site (text) and source_row (int64). Only a verified file's rows are
    ever committed (see ``FileCheck``)."""

    table: pa.Table
    order: np.ndarray | None = field(default=None, repr=False)  # rows in storing order

    def __len__(self) -> int:
        return self.table.num_rows

    def pairs(self) -> list[tuple[int, str]]:
        """The distinct (contract id, period) pairs, sorted."""
        keys = self.table.select(["contract_id", "period"]).group_by(["contract_id", "period"]).aggregate([])
        return sorted(zip(keys["contract_id"].to_pylist(), keys["period"].to_pylist(), strict=True))

    def stored_order(self) -> CheckedRows:
        """The rows ordered by (contract, period), the order of the table's index: each index
        page is then filled by consecutive rows instead of being revisited at random."""
        order = np.lexsort(
            (
                _numpy(pc.dictionary_encode(self.table["period"]).combine_chunks().indices),
                self.table["contract_id"].to_numpy(),
            )
        )
        if (np.diff(order) > 0).all():
            return self
        return CheckedRows(self.table, order)

    def _chunk(self, start: int, stop: int) -> pa.Table:
        if self.order is None:
            return self.table.slice(start, stop - start)
        return self.table.take(self.order[start:stop])

    def copy_text(self, batch_id: int, columns: tuple[str, ...], start: int, stop: int) -> tuple[bytes, str]:
        """Rows ``start:stop`` as ``COPY`` data and its format: PostgreSQL's text format (tab
        separated, ``\\N`` for null) unless some text holds a character that format would
        need escaped, then CSV."""
        chunk = self._chunk(start, stop)
        chunk = chunk.append_column("batch_id", pa.array(np.full(chunk.num_rows, batch_id, dtype=np.int64)))
        chunk = chunk.select(list(columns))
        if self._plain_text():
            options = pacsv.WriteOptions(
                include_header=False,
                delimiter="\t",
                null_string="\\N",
                quoting_style="none",
                batch_size=65536,
            )
            form = "text"
        else:
            options = pacsv.WriteOptions(include_header=False, batch_size=65536)
            form = "csv"
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(chunk, buffer, options)
        return buffer.getvalue().to_pybytes(), form

    def _plain_text(self) -> bool:
        """Whether no text holds a character the text format would need escaped (the rows
        may not be checked yet, so every text column is looked at, not only channel and site)."""
        if not hasattr(self, "_plain"):
            special = '[\\t\\n\\r\\\\"]'
            self._plain = not any(
                pc.any(pc.match_substring_regex(column.unique(), special)).as_py()
                for column in self.table.columns
                if pa.types.is_large_string(column.type)
            )
        return self._plain

    def tuples(self, batch_id: int, columns: tuple[str, ...], start: int, stop: int) -> list[tuple]:
        """Rows ``start:stop`` as tuples of ``columns`` (None for null) for ``executemany``."""
        chunk = self._chunk(start, stop)

        def values(name: str):
            if name == "batch_id":
                return itertools.repeat(batch_id, chunk.num_rows)
            column = chunk[name].combine_chunks()
            if pa.types.is_integer(column.type):
                return column.to_numpy().tolist()
            # each distinct text becomes one Python string, shared by its rows
            encoded = pc.dictionary_encode(column, null_encoding="encode")
            return np.array(encoded.dictionary.to_pylist(), dtype=object)[_numpy(encoded.indices)].tolist()

        return list(zip(*(values(name) for name in columns), strict=True))

    def frame(self) -> pd.DataFrame:
        """The rows as a frame of Python values (None for an empty cell)."""
        table = self._chunk(0, len(self))
        return pd.DataFrame(
            {name: pd.Series(table[name].to_pylist(), dtype=object) for name in table.column_names}
        )


def check_rows(
    frame: pd.DataFrame, *, contracts: Mapping[str, ContractRef], kpis: Mapping[str, KpiRef]
) -> pd.DataFrame:
    """Check every row; return the rows ready to store (contract_id, kpi_id, period, date,
    value, numerator, denominator, channel, site, source_row). Raises ``KpiFileRejected``
    listing every bad row."""
    return check_file(frame, contracts=contracts, kpis=kpis).frame()


def check_file(
    frame: pd.DataFrame, *, contracts: Mapping[str, ContractRef], kpis: Mapping[str, KpiRef]
) -> CheckedRows:
    """Check every row; return the rows ready to store. Raises ``KpiFileRejected`` listing
    every bad row (the first ``MAX_REPORTED``, with the count of all)."""
    check = FileCheck(frame, contracts=contracts, kpis=kpis)
    check.verify()
    return check.rows


class FileCheck:
    """A file's rows in two steps. Building it looks up the ids and derives each row's
    period: enough to start storing ``rows``, which are not yet checked. ``verify()`` then
    makes every check and raises ``KpiFileRejected`` for a bad file (the same exception
    each time it is called)."""

    def __init__(
        self, frame: pd.DataFrame, *, contracts: Mapping[str, ContractRef], kpis: Mapping[str, KpiRef]
    ):
        self.size = len(frame)
        self.source_rows = frame.attrs.get("source_rows")
        if self.source_rows is None or len(self.source_rows) != self.size:
            self.source_rows = np.arange(2, self.size + 2, dtype=np.int64)
        text = self.text = {name: _Column(frame[name]) for name in (*REQUIRED, *OPTIONAL)}
        self.contract_refs = [contracts.get(reference) for reference in text["contract"].uniques]
        self.kpi_refs = [kpis.get(code) for code in text["kpi"].uniques]
        self.contract_id = _ids(self.contract_refs, text["contract"].codes)
        self.kpi_id = _ids(self.kpi_refs, text["kpi"].codes)
        self.has_date = text["date"].present()
        self.month_of_day = pa.array([value[:7] for value in text["date"].uniques], pa.large_string()).take(
            text["date"].codes
        )
        self.period = _Column(pc.if_else(pa.array(self.has_date), self.month_of_day, text["period"].array))
        self.present = {name: text[name].present() for name in ("value", "numerator", "denominator")}
        self._outcome: KpiFileRejected | bool | None = False  # False: not verified yet

        def blank(name: str, has: np.ndarray) -> pa.Array:  # an empty cell is stored as null
            return pc.if_else(pa.array(has), text[name].array, pa.scalar(None, pa.large_string()))

        self.rows = CheckedRows(
            pa.table(
                {
                    "contract_id": pa.array(self.contract_id),
                    "kpi_id": pa.array(self.kpi_id),
                    "period": self.period.array,
                    "date": blank("date", self.has_date),
                    "value": blank("value", self.present["value"]),
                    "numerator": blank("numerator", self.present["numerator"]),
                    "denominator": blank("denominator", self.present["denominator"]),
                    "channel": text["channel"].array,
                    "site": text["site"].array,
                    "source_row": pa.array(self.source_rows),
                }
            )
        )

    def names_unknown_contracts(self) -> bool:
        """Whether some row names a contract that is unknown (or not the caller's)."""
        return bool((self.contract_id < 0).any())

    def verify(self) -> None:
        if self._outcome is False:
            self._outcome = self._check()
        if self._outcome is not None:
            raise self._outcome

    def _check(self) -> KpiFileRejected | None:
        text, report = self.text, _Report(self.source_rows)
        _check_text(text, report)
        contract, kpi = text["contract"], text["kpi"]
        report.add(self.contract_id < 0, "contract", lambda i: f"unknown contract {contract[i]!r}")
        report.add(self.kpi_id < 0, "kpi", lambda i: f"unknown KPI {kpi[i]!r}")
        _check_dates(self, report)
        _check_numbers(text, report, self.kpi_refs, self.present)
        _check_duplicates(text, report, self.period)
        _check_ratio_value_rows(text, report, self.period, self.kpi_refs)
        if report.count:
            return KpiFileRejected(sorted(report.errors, key=lambda e: (e.row, e.column)), report.count)
        return None


def _ids(refs: list, codes: np.ndarray) -> np.ndarray:
    """Each row's id, -1 where the reference is unknown."""
    return np.array([-1 if ref is None else ref.id for ref in refs], dtype=np.int64)[codes]


def _iso_date(value: str) -> date | None:
    if re.fullmatch(DATE_RE, value, re.ASCII) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _month(value: str) -> int:
    return int(value[:4]) * 12 + int(value[5:7])


def _check_text(text: dict[str, _Column], report: _Report) -> None:
    """Every cell: no control character (they have no place in a KPI file, and PostgreSQL
    refuses NUL in text), and no longer than its column can store (``MAX_CHARS``), so that
    SQLite and PostgreSQL keep or refuse exactly the same files."""
    for name, column in text.items():
        limit = MAX_CHARS[name]
        if limit is None:  # a number: its own pattern admits digits, sign and point only
            continue
        uniques = pa.array(column.uniques, pa.large_string())
        control = _numpy(pc.match_substring_regex(uniques, CONTROL_RE))[column.codes]
        report.add(
            control,
            name,
            lambda i, c=column: f"holds a control character (U+{ord(re.search(CONTROL_RE, c[i])[0]):04X})",
        )
        long = _numpy(pc.greater(pc.utf8_length(uniques), limit))[column.codes] & ~control
        report.add(
            long, name, lambda i, c=column, n=limit: f"is {len(c[i]):,} characters long; the limit is {n}"
        )


def _check_dates(check: FileCheck, report: _Report) -> None:
    """Periods and dates: well formed, consistent and inside the contract."""
    text, contract_refs = check.text, check.contract_refs
    day, given = text["date"], text["period"]
    has_date, has_period = check.has_date, given.present()
    report.add(~has_date & ~has_period, "period", "give a period (YYYY-MM) or a date (YYYY-MM-DD)")
    good_period = given.matches(PERIOD_RE)
    report.add(has_period & ~good_period, "period", lambda i: f"not a period YYYY-MM: {given[i]!r}")
    dates = [_iso_date(value) for value in day.uniques]
    parsed = np.array([value is not None for value in dates], dtype=bool)[day.codes]
    report.add(has_date & ~parsed, "date", lambda i: f"not a date YYYY-MM-DD: {day[i]!r}")
    report.add(
        has_date & has_period & _numpy(pc.not_equal(given.array, check.month_of_day)),
        "date",
        lambda i: f"{day[i]} is not in period {given[i]}",
    )
    known = np.array([ref is not None for ref in contract_refs] + [False])[text["contract"].codes]
    starts = [ref.start_date if ref else date.min for ref in contract_refs]
    ends = [(ref.end_date or date(9999, 12, 31)) if ref else date.max for ref in contract_refs]
    codes = text["contract"].codes

    def outside(i: int) -> str:
        start, end = starts[codes[i]], ends[codes[i]]
        shown = day[i] if has_date[i] else given[i]
        return f"{shown} is outside the contract ({start.isoformat()} to {end.isoformat()})"

    ordinal = np.array([value.toordinal() if value else 0 for value in dates], dtype=np.int64)[day.codes]
    first = np.array([value.toordinal() for value in starts], dtype=np.int64)[codes]
    last = np.array([value.toordinal() for value in ends], dtype=np.int64)[codes]
    report.add(known & has_date & parsed & ((ordinal < first) | (ordinal > last)), "date", outside)
    month = given.per_value(lambda value: _month(value) if re.fullmatch(PERIOD_RE, value, re.ASCII) else 0)
    first_month = np.array([_month(value.isoformat()) for value in starts], dtype=np.int64)[codes]
    last_month = np.array([_month(value.isoformat()) for value in ends], dtype=np.int64)[codes]
    monthly = known & ~has_date & good_period
    report.add(monthly & ((month < first_month) | (month > last_month)), "period", outside)


def _check_numbers(text: dict[str, _Column], report: _Report, kpi_refs: list, present: dict) -> None:
    names = ("value", "numerator", "denominator")
    valid = {}
    for name in names:
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
    codes = text["kpi"].codes
    aggregation = np.array([ref.aggregation if ref else "" for ref in kpi_refs] + [""], dtype=object)[codes]
    has_value, has_num, has_den = present["value"], present["numerator"], present["denominator"]
    is_sum, is_ratio = aggregation == "sum", aggregation == "ratio"
    report.add(is_sum & ~has_value, "value", "is required for this KPI (it is summed)")
    report.add(
        is_sum & (has_num | has_den),
        "numerator",
        "this KPI is summed: give a value, not numerator/denominator",
    )
    report.add(
        is_ratio & has_value & (has_num | has_den),
        "value",
        "give a value or numerator and denominator, not both",
    )
    report.add(
        is_ratio & ~has_value & ~(has_num & has_den),
        "denominator",
        "a ratio KPI needs numerator and denominator (or one monthly value)",
    )
    report.add(
        is_ratio & has_value & text["date"].present(),
        "value",
        "a daily row of a ratio KPI needs numerator and denominator",
    )
    _check_bounds(text, report, kpi_refs, present, valid, has_num & has_den & is_ratio)


def _approx(column: _Column, present: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each cell as a float (NaN when empty or not a number): only to pick candidate rows."""
    numbers = pc.cast(
        pc.if_else(pa.array(valid & present), column.array, pa.scalar(None, pa.large_string())), pa.float64()
    )
    return _numpy(numbers).astype(np.float64)


def _check_bounds(text, report: _Report, kpi_refs: list, present, valid, has_ratio) -> None:
    """Values within the KPI's bounds; numerator/denominator × scale within them too.

    Floats only pick the candidate rows; every verdict is made on exact decimals.
    """
    codes = text["kpi"].codes
    low_of = [ref.min_value if ref else None for ref in kpi_refs] + [None]
    high_of = [ref.max_value if ref else None for ref in kpi_refs] + [None]
    scale_of = [ref.scale if ref else 1 for ref in kpi_refs] + [1]
    as_float = lambda bounds: np.array([np.nan if b is None else float(b) for b in bounds])[codes]  # noqa: E731
    low_f, high_f = as_float(low_of), as_float(high_of)
    scales = np.array(scale_of, dtype=np.int64)[codes]
    value, numerator, denominator = (
        _approx(text[name], present[name], valid[name]) for name in ("value", "numerator", "denominator")
    )
    kpi = text["kpi"]

    def out_of_bounds(i: int) -> str | None:
        number, low, high = Decimal(text["value"][i]), low_of[codes[i]], high_of[codes[i]]
        if low is not None and number < low:
            return f"{number} is below the minimum {low.normalize():f} for {kpi[i]}"
        if high is not None and number > high:
            return f"{number} is above the maximum {high.normalize():f} for {kpi[i]}"
        return None

    with np.errstate(all="ignore"):
        candidates = present["value"] & ~np.isnan(value) & ((value <= low_f) | (value >= high_f))
        _exact(report, candidates, "value", out_of_bounds)
        report.add(has_ratio & (denominator < 0), "denominator", "must not be negative")
        report.add(
            has_ratio & (denominator == 0) & (numerator != 0), "denominator", "is 0 but the numerator is not"
        )

        def ratio_out_of_bounds(i: int) -> str | None:
            num, den = Decimal(text["numerator"][i]), Decimal(text["denominator"][i])
            low, high, scale = low_of[codes[i]], high_of[codes[i]], int(scales[i])
            if den <= 0:
                return None
            if abs(num) * scale > MAX_RATIO * den:
                return f"numerator {num} / denominator {den} is above {MAX_RATIO:,}"
            if low is not None and num * scale < low * den:
                return f"numerator {num} / denominator {den} is below the minimum {low.normalize():f}"
            if high is not None and num * scale > high * den:
                if scale == 100 and high == 100:
                    return f"numerator {num} is greater than denominator {den}"
                return f"numerator {num} / denominator {den} is above the maximum {high.normalize():f}"
            return None

        ratio = numerator * scales / np.where(denominator > 0, denominator, np.nan)
        near_limit = np.abs(ratio) >= float(MAX_RATIO) * 0.99
        candidates = has_ratio & ~np.isnan(ratio) & ((ratio <= low_f) | (ratio >= high_f) | near_limit)
        _exact(report, candidates, "numerator", ratio_out_of_bounds)


def _exact(report: _Report, candidates, column: str, verdict) -> None:
    indexes = np.flatnonzero(np.asarray(candidates, dtype=bool))
    messages = {int(i): verdict(int(i)) for i in indexes}
    bad = np.zeros(len(report.rows), dtype=bool)
    for i, message in messages.items():
        bad[i] = message is not None
    report.add(bad, column, lambda i: messages[int(i)])


def _group_keys(columns: list[np.ndarray]) -> np.ndarray:
    """One integer per row, equal for rows that agree on every column of codes."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for codes in columns:
        size = int(codes.max()) + 1 if len(codes) else 1
        if span * size >= 2**62:  # too many combinations for one integer: number them
            key = pd.factorize(pd.MultiIndex.from_arrays([key, codes]))[0].astype(np.int64)
            span = int(key.max()) + 1
        else:
            key = key * size + codes
            span *= size
    return key


def _check_duplicates(text: dict[str, _Column], report: _Report, period: _Column) -> None:
    names = ("contract", "date", "kpi", "channel", "site")
    key = _group_keys([text[name].codes.astype(np.int64) for name in names] + [period.codes.astype(np.int64)])
    report.add(
        pd.Series(key).duplicated(keep="first").to_numpy(),
        "",
        "duplicate row: the same contract, period or date, KPI, channel and site appear earlier",
    )


def _check_ratio_value_rows(text, report: _Report, period: _Column, kpi_refs: list) -> None:
    """A ratio KPI given as a plain value must be one monthly row for the contract and month."""
    is_ratio = np.array([bool(ref) and ref.aggregation == "ratio" for ref in kpi_refs] + [False])[
        text["kpi"].codes
    ]
    value_rows = is_ratio & text["value"].present()
    if not value_rows.any():
        return
    key = _group_keys([c.astype(np.int64) for c in (text["contract"].codes, period.codes, text["kpi"].codes)])
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    per_key_rows = counts[inverse]
    kpi = text["kpi"]
    report.add(
        value_rows & (per_key_rows > 1),
        "value",
        lambda i: (
            f"{kpi[i]} has several rows for {period[i]}: ratio rows need numerator and "
            "denominator so they can be added up"
        ),
    )
