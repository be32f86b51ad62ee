"""Reading a KPI file: a binary file in, frames of text columns out, a chunk at a time.

A file (CSV in UTF-8, or an XLSX workbook) is read with every cell as text, so no value is
ever a float: a plain CSV file by Arrow's streaming parser, any other CSV file by pandas'
(in chunks too), a workbook by ``kpis.xlsx``. Every limit is checked before the parser that
it protects allocates: the file's size, its encoding, NUL bytes, the length of every line
and the number of header columns, in one pass over the file in ``WINDOW`` pieces that also
gives its SHA-256 (``scan_kpi_file``). The header is then checked
(``kpis.column_checks.check_header``); the cells are checked later, whole columns of a
chunk at a time. Memory is bounded by the chunk (``CHUNK_ROWS`` rows), not by the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .column_checks import check_header
from .file_format import MAX_LINE_BYTES, OPTIONAL, KpiFileRejected, RowError, refused
from .xlsx import MAX_COLUMNS, WorkbookRefused, read_first_sheet

WINDOW = 16 * 2**20  # bytes of the file looked at at a time by the scan
CHUNK_ROWS = 50_000  # rows in a frame: about 70 MiB of working memory while it is checked and stored
ARROW_BLOCK = 4 * 2**20  # bytes Arrow's streaming parser reads at a time


@dataclass(frozen=True)
class Scan:
    """What one pass over a file found: its SHA-256, whether it is a workbook, and for a
    CSV file whether Arrow's parser reads it exactly as pandas' would (``plain``)."""

    checksum: str
    is_workbook: bool
    plain: bool = False


def scan_kpi_file(*, file_name: str, stream: BinaryIO, max_bytes: int) -> Scan:
    """One pass over ``stream`` (seekable, read from its start, ``WINDOW`` bytes at a time):
    its SHA-256 and, for a CSV file, every check that must come before a parser allocates.

    Raises ``KpiFileRejected`` for a file that is too large (``max_bytes``, inclusive), empty,
    UTF-16, not UTF-8, binary (a NUL byte), with a line over ``MAX_LINE_BYTES`` or a header of
    more than ``MAX_COLUMNS`` columns or a column twice; a workbook must start as a zip does."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if (too_large := size_problem(size=size, max_bytes=max_bytes)) is not None:
        raise KpiFileRejected([too_large])
    is_workbook = file_name.lower().endswith((".xlsx", ".xlsm"))
    shape = None if is_workbook else _CsvShape()
    digest, blank = hashlib.sha256(), True
    while window := stream.read(WINDOW):
        digest.update(window)
        blank = blank and window.isspace()
        if shape is not None:
            shape.add(window)
    stream.seek(0)
    if blank:
        raise refused("the file is empty")
    if is_workbook:
        stream.seek(0)
        magic = stream.read(4)
        stream.seek(0)
        if magic != b"PK\x03\x04":
            raise refused("not a real Excel workbook (.xlsx); was a CSV file renamed?")
        return Scan(digest.hexdigest(), True)
    return Scan(digest.hexdigest(), False, shape.finish())


def size_problem(*, size: int, max_bytes: int) -> RowError | None:
    """The refusal of a file of ``size`` bytes over ``max_bytes`` (inclusive bound), or ``None``.
    Entry points holding a file on disk ask before reading it."""
    if size > max_bytes:
        return RowError(0, "", f"the file is {size:,} bytes; the limit is {max_bytes:,}")
    return None


def read_kpi_chunks(*, stream: BinaryIO, scan: Scan, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The file (already scanned, ``scan_kpi_file``) as frames of at most ``chunk_rows`` rows
    of stripped text cells, with every optional column (empty when the file has none). Each
    frame's ``attrs["source_rows"]`` holds its rows' numbers as a spreadsheet shows them
    (the header is row 1; an XLSX sheet's blank rows are skipped).

    Raises ``KpiFileRejected`` (possibly after some frames were given: the file is refused
    whole) for a file that is not a real workbook, beyond a reading limit (``kpis.xlsx``), not
    a readable CSV file, missing required columns, or with a header but no rows."""
    stream.seek(0)
    if scan.is_workbook:
        frames = _workbook_frames(stream, chunk_rows)
    elif scan.plain:
        frames = _arrow_frames(stream, chunk_rows)
    else:
        frames = _pandas_frames(stream, chunk_rows)
    offset = 0
    for frame in frames:
        if "source_rows" not in frame.attrs:
            frame.attrs["source_rows"] = np.arange(offset + 2, offset + 2 + len(frame), dtype=np.int64)
        offset += len(frame)
        if not frame.empty:
            yield _normalised(_with_header(frame))
    if not offset:
        raise refused("the file has a header but no rows")


def read_kpi_file(*, file_name: str, content: bytes, max_bytes: int) -> pd.DataFrame:
    """The whole file given as bytes, as one frame (``read_kpi_chunks`` in one chunk). Raises
    ``KpiFileRejected`` as ``scan_kpi_file`` and ``read_kpi_chunks`` do."""
    stream = io.BytesIO(content)
    scan = scan_kpi_file(file_name=file_name, stream=stream, max_bytes=max_bytes)
    frames = list(read_kpi_chunks(stream=stream, scan=scan, chunk_rows=max(len(content), 1)))
    return frames[0]


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    if not frame.attrs.get("stripped"):
        for column in frame.columns:
            frame[column] = _stripped(frame[column])
    for column in OPTIONAL:
        if column not in frame:
            frame[column] = ""
    return frame


def _stripped(column: pd.Series) -> pd.Series:
    """The cells without surrounding whitespace (as ``str.strip`` gives them), trimmed once
    per distinct text: a column of a few hundred contracts or dates costs a few hundred trims."""
    if not isinstance(column.array, pd.arrays.ArrowStringArray):
        return column.astype(str).str.strip()
    encoded = pc.dictionary_encode(column.array._pa_array).combine_chunks()
    trimmed = pc.utf8_trim_whitespace(encoded.dictionary)
    if trimmed.equals(encoded.dictionary):
        return column
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.Series(
        pd.arrays.ArrowStringArray(trimmed.take(encoded.indices)), index=column.index, dtype=text
    )


def _with_header(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    return frame


class _CsvShape:
    """The checks of a CSV file's bytes, one window at a time (a window boundary may fall
    anywhere, even inside a character): UTF-8, NUL bytes, line lengths, the header, and
    whether every line has the header's number of cells and no quote (``plain``). Problems
    are reported in the order the whole-file checks always gave them."""

    def __init__(self):
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.seen = 0  # bytes of the file before the current window
        self.bom = 0
        self.bad_utf8 = self.nul = self.long_line = None
        self.header = b""
        self.header_done = False
        self.lines = 0  # newlines so far
        self.line_start = 0  # offset (in the file) where the current line starts
        self.commas_in_line = 0
        self.commas = None  # the header's
        self.plain = True
        self.last_byte = b""

    def add(self, window: bytes) -> None:
        if not self.seen:
            if window.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise refused("the file is UTF-16 text; save it as CSV UTF-8")
            self.bom = len(codecs.BOM_UTF8) if window.startswith(codecs.BOM_UTF8) else 0
        if self.bad_utf8 is None:
            try:
                self.decoder.decode(window)
            except UnicodeDecodeError as error:
                held = len(error.object) - len(window)
                self.bad_utf8 = self.seen - held + error.start
        if self.nul is None and (nul := window.find(b"\0")) >= 0:
            self.nul = self.seen + nul - self.bom
        if b'"' in window:
            self.plain = False
        self._lines(window)
        self.seen += len(window)
        self.last_byte = window[-1:]

    def _lines(self, window: bytes) -> None:
        block = np.frombuffer(window, dtype=np.uint8)
        ends = np.flatnonzero(block == 10)
        if not self.header_done:
            cut = int(ends[0]) if len(ends) else len(window)
            self.header += window[: min(cut, MAX_LINE_BYTES + 1 - len(self.header))]
            self.header_done = bool(len(ends))
        starts = np.concatenate(([self.line_start - self.seen], ends + 1))
        lengths = ends - starts[:-1]
        if self.long_line is None and len(lengths) and int(lengths.max()) > MAX_LINE_BYTES:
            self.long_line = self.lines + int(lengths.argmax()) + 1
        if self.plain:
            self._cells(window, block, ends, starts)
        self.lines += len(ends)
        if len(ends):
            self.line_start = self.seen + int(ends[-1]) + 1

    def _cells(self, window: bytes, block: np.ndarray, ends: np.ndarray, starts: np.ndarray) -> None:
        """Plain while every line that is not empty has the header's number of commas and
        every carriage return ends a line (Arrow's and pandas' parsers then give the same
        cells; Arrow's would refuse a line with another number of cells)."""
        returns = np.flatnonzero(block == 13)
        inner = returns[returns < len(block) - 1]
        if (self.last_byte == b"\r" and block[0] != 10) or (block[inner + 1] != 10).any():
            self.plain = False
            return
        commas = np.flatnonzero(block == 44)
        if not len(ends):
            self.commas_in_line += len(commas)
            return
        before = np.searchsorted(commas, ends)
        per_line = np.diff(before, prepend=0).astype(np.int64)
        per_line[0] += self.commas_in_line
        previous = np.where(ends > 0, block[np.maximum(ends - 1, 0)], ord(self.last_byte or b" "))
        bare = ends - starts[:-1] - (previous == 13)
        if self.commas is None:
            self.commas = int(per_line[0])
        if ((per_line != self.commas) & (bare > 0)).any():
            self.plain = False
        self.commas_in_line = len(commas) - int(before[-1])

    def finish(self) -> bool:
        if self.bad_utf8 is None:
            try:  # a sequence cut short by the end of the file
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError as error:
                self.bad_utf8 = self.seen - len(error.object) + error.start
        if self.bad_utf8 is not None:
            raise refused(f"the file is not UTF-8 text (byte {self.bad_utf8:,}); save it as CSV UTF-8")
        if self.nul is not None:
            raise refused(f"the file holds a NUL byte (byte {self.nul:,}): it is not a text CSV file")
        last = self.seen - self.line_start
        if self.long_line is None and last > MAX_LINE_BYTES:
            self.long_line = self.lines + 1
        if self.long_line is not None:
            raise refused(f"line {self.long_line:,} is longer than {MAX_LINE_BYTES:,} bytes")
        bare_last = last - (self.last_byte == b"\r")
        if self.commas is not None and bare_last > 0 and self.commas_in_line != self.commas:
            self.plain = False  # the last line, with no newline after it
        header_line = self.header[self.bom :].decode("utf-8")
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
        raw = header_line.rstrip("\r").split(",")
        normalised = [name.strip().lower() for name in raw]
        return self.plain and "" not in normalised and len(set(normalised)) == len(raw)


def _arrow_frames(stream: BinaryIO, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """A plain file (``_CsvShape``) through Arrow's streaming parser, re-cut into frames of
    ``chunk_rows`` rows."""
    first = stream.readline(MAX_LINE_BYTES + 2).removeprefix(codecs.BOM_UTF8)
    names = first.rstrip(b"\r\n").decode().split(",")
    stream.seek(0)
    try:
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=ARROW_BLOCK, use_threads=False),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        check_header([name.strip().lower() for name in reader.schema.names])
        pending, held = [], 0
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= chunk_rows:
                table = pa.Table.from_batches(pending, reader.schema)
                yield _arrow_frame(table.slice(0, chunk_rows))
                rest = table.slice(chunk_rows)
                pending, held = rest.to_batches(), rest.num_rows
        if held:
            yield _arrow_frame(pa.Table.from_batches(pending, reader.schema))
    except pa.ArrowInvalid as error:  # the scan makes this unexpected: refused, never a 500
        raise refused(f"not a readable CSV file: {str(error).strip()[:200]}") from None


def _arrow_frame(table: pa.Table) -> pd.DataFrame:
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own "str"
    return table.to_pandas(types_mapper={pa.large_string(): text}.get)


def _pandas_frames(stream: BinaryIO, chunk_rows: int) -> Iterator[pd.DataFrame]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = pd.read_csv(
            text, dtype=str, keep_default_na=False, na_filter=False, engine="c", chunksize=chunk_rows
        )
        for number, frame in enumerate(reader):
            frame = _with_header(frame)
            if not number:
                check_header(frame.columns)
            yield frame
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise refused(f"not a readable CSV file: {str(error).strip()}") from None
    finally:
        text.detach()


def _read_plain_csv(data: bytes) -> pd.DataFrame | None:
    """The whole of ``data`` (a CSV file without its byte-order mark) read by Arrow's parser
    when it is plain (``_CsvShape``), or ``None`` for a file pandas reads."""
    shape = _CsvShape()
    shape.add(data)
    try:
        plain = shape.finish()
    except KpiFileRejected:
        return None
    if not plain:
        return None
    frames = list(_arrow_frames(io.BytesIO(data), max(len(data), 1)))
    return frames[0] if frames else None


def _workbook_frames(stream: BinaryIO, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The first sheet, read whole (a sheet has at most ``kpis.xlsx.MAX_ROWS`` rows), given
    in frames of ``chunk_rows`` rows."""
    try:
        sheet = read_first_sheet(stream)
    except WorkbookRefused as refusal:
        raise refused(str(refusal)) from None
    names = [name.strip().lower() for name in sheet.header]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise KpiFileRejected([RowError(0, name, "the column appears more than once") for name in duplicated])
    check_header(names)
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    for start in range(0, len(sheet.rows), chunk_rows):
        frame = pd.DataFrame(
            {
                name: pd.Series(
                    pd.arrays.ArrowStringArray(column.slice(start, chunk_rows).combine_chunks()), dtype=text
                )
                for name, column in zip(names, sheet.columns, strict=True)
            }
        )
        frame.attrs["source_rows"] = sheet.rows[start : start + chunk_rows]
        frame.attrs["stripped"] = True  # the reader strips every cell
        yield frame
