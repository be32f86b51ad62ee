"""Reading a KPI file: bytes in, a frame of text columns out.

A file (CSV in UTF-8, or an XLSX workbook) is read with every cell as text, so no value is
ever a float: a plain CSV file by Arrow's parser, any other CSV file by pandas', a workbook by
``kpis.xlsx``. Every limit is checked before the parser that it protects allocates: the
file's size, its encoding, NUL bytes, the length of every line and the number of header
columns. The header is then checked (``kpis.column_checks.check_header``); the cells are
checked later, whole columns at a time.
"""

from __future__ import annotations

import codecs
import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .column_checks import check_header
from .file_format import MAX_LINE_BYTES, OPTIONAL, KpiFileRejected, RowError, refused
from .xlsx import MAX_COLUMNS, WorkbookRefused, read_first_sheet


def read_kpi_file(*, file_name: str, content: bytes, max_bytes: int) -> pd.DataFrame:
    """The file as a frame of stripped text cells, with every optional column (empty when
    the file has none).

    Raises ``KpiFileRejected`` for a file that is too large (``max_bytes``, inclusive), empty,
    not UTF-8, binary, not a real workbook, beyond a reading limit (see ``kpis.xlsx`` and
    ``MAX_LINE_BYTES``, ``MAX_COLUMNS``) or missing required columns. An XLSX sheet's row numbers, as the spreadsheet shows
    them, are kept in ``frame.attrs["source_rows"]`` (blank rows are skipped there)."""
    if (too_large := size_problem(size=len(content), max_bytes=max_bytes)) is not None:
        raise KpiFileRejected([too_large])
    if not content or content.isspace():
        raise refused("the file is empty")
    is_workbook = file_name.lower().endswith((".xlsx", ".xlsm"))
    frame = _read_excel(content) if is_workbook else _read_csv(content)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    check_header(frame.columns)
    if frame.empty:
        raise refused("the file has a header but no rows")
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


def _read_csv(content: bytes) -> pd.DataFrame:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refused("the file is UTF-16 text; save it as CSV UTF-8")
    if (bad := _first_non_utf8_byte(content)) is not None:
        raise refused(f"the file is not UTF-8 text (byte {bad:,}); save it as CSV UTF-8")
    data = content.removeprefix(codecs.BOM_UTF8)
    _check_csv_shape(data)
    if (frame := _read_plain_csv(data)) is not None:
        return frame
    text = io.StringIO(data.decode("utf-8"))
    try:
        return pd.read_csv(text, dtype=str, keep_default_na=False, na_filter=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise refused(f"not a readable CSV file: {str(error).strip()}") from None


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


def _check_csv_shape(data: bytes) -> None:
    """Before any parser allocates: no NUL byte (a binary file), no line longer than
    ``MAX_LINE_BYTES``, a header of at most ``MAX_COLUMNS`` distinct names. Lines are
    measured in 16 MiB windows, so the check itself needs little memory."""
    if (nul := data.find(b"\0")) >= 0:
        raise refused(f"the file holds a NUL byte (byte {nul:,}): it is not a text CSV file")
    window, last_newline = 16 * 2**20, -1
    for start in range(0, len(data), window):
        block = np.frombuffer(data, dtype=np.uint8, count=min(window, len(data) - start), offset=start)
        ends = np.flatnonzero(block == 10) + start
        lengths = np.diff(ends, prepend=last_newline) - 1
        if len(lengths) and int(lengths.max()) > MAX_LINE_BYTES:
            line = data.count(b"\n", 0, int(ends[int(lengths.argmax())])) + 1
            raise refused(f"line {line:,} is longer than {MAX_LINE_BYTES:,} bytes")
        if len(ends):
            last_newline = int(ends[-1])
    if len(data) - last_newline - 1 > MAX_LINE_BYTES:
        line = data.count(b"\n") + 1
        raise refused(f"line {line:,} is longer than {MAX_LINE_BYTES:,} bytes")
    end = data.find(b"\n")
    header_line = data[: end if end >= 0 else len(data)].decode("utf-8")
    try:  # the first line as the parsers see it (a lone carriage return also ends a line)
        names = next(csv.reader(header_line.splitlines()[:1]), [])
    except csv.Error as error:
        raise refused(f"not a readable CSV header: {error}") from None
    if len(names) > MAX_COLUMNS:
        raise refused(f"the header has {len(names):,} columns; the limit is {MAX_COLUMNS}")
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


def _read_excel(content: bytes) -> pd.DataFrame:
    if not content.startswith(b"PK\x03\x04"):
        raise refused("not a real Excel workbook (.xlsx); was a CSV file renamed?")
    try:
        sheet = read_first_sheet(io.BytesIO(content))
    except WorkbookRefused as refusal:
        raise refused(str(refusal)) from None
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
