"""Reading a KPI workbook (.xlsx) in bounded memory, before anything trusts it.

An .xlsx file is a zip of XML parts, and both layers can be hostile: a 1.6 KB workbook may
declare a sheet of 16,384 columns by 1,048,576 rows, a 400 KB zip may inflate to gigabytes, an
XML part may declare entities that expand without end. So the zip's directory is checked
first (number of members, each member's and the total inflated size, compression ratio), then
the workbook's sheet count, then the first sheet's declared dimension, and only then is the
sheet read: streaming, with expat, one 1 MiB piece of inflated XML at a time, keeping only
the cells that hold something. No grid is ever built; a cell's text is refused as soon as it
passes ``MAX_CELL_CHARS``; a document type declaration (the only way to declare entities) is
refused outright. The cells come out in Arrow columns of 65,536 rows.

Every refusal raises ``WorkbookRefused`` with a message that names the limit; the caller adds
the file's name.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.parsers import expat

import numpy as np
import pyarrow as pa

MAX_MEMBERS = 64  # a workbook has about ten parts, plus a few per extra sheet
MAX_MEMBER_BYTES = 1024 * 2**20  # inflated size of any one part
MAX_TOTAL_BYTES = 1024 * 2**20  # inflated size of all parts together
MAX_SMALL_PART_BYTES = 4 * 2**20  # workbook.xml, relationships, ...
MAX_SHARED_STRINGS_BYTES = 64 * 2**20  # the shared strings are the one part held whole in memory
MAX_RATIO = 100  # inflated / compressed, for parts over RATIO_FLOOR (real sheets: 5 to 30)
RATIO_FLOOR = 2**20
MAX_SHEETS = 16
MAX_COLUMNS = 32  # column AF: a KPI file has nine known columns
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_CELL_CHARS = 1_000
MAX_XML_DEPTH = 32
PIECE = 2**20  # bytes of inflated XML handed to expat at a time
CHUNK_ROWS = 65_536

# What zipfile and zlib raise for a damaged archive: a bad directory, an unsupported method
# or version, a bad deflate stream, a failed CRC, a truncated member, an undecodable name.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
)

_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")


class WorkbookRefused(Exception):
    """The workbook breaks a limit or is not a readable .xlsx; ``str()`` says which."""


@dataclass
class Sheet:
    """The first sheet's non-empty rows: ``header`` (column names in order), ``columns``
    (one Arrow large_string array per header column, empty text for an empty cell) and
    ``rows`` (each data row's number as the spreadsheet shows it)."""

    header: list[str]
    columns: list[pa.ChunkedArray]
    rows: np.ndarray


def column_letters(index: int) -> str:
    """``1`` → ``A``, ``32`` → ``AF``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def read_first_sheet(zipped) -> Sheet:
    """The first sheet of the workbook in the binary file object ``zipped``.

    Raises ``WorkbookRefused`` for a file that is not a zip, breaks a limit above, or is not
    a workbook (no sheet, a missing part, a cell that refers to a missing shared string)."""
    try:
        archive = zipfile.ZipFile(zipped)
    except _DAMAGED as error:
        raise WorkbookRefused(f"not a readable Excel workbook: {error}") from None
    with archive:
        members = archive.infolist()
        _check_members(members)
        names = {member.filename for member in members}
        sheets = _parse_small(archive, "xl/workbook.xml", names, _WorkbookHandler()).sheets
        if not sheets:
            raise WorkbookRefused("not a readable Excel workbook: it has no sheet")
        if len(sheets) > MAX_SHEETS:
            raise WorkbookRefused(f"the workbook has {len(sheets):,} sheets; the limit is {MAX_SHEETS}")
        rels_name = "xl/_rels/workbook.xml.rels"
        targets = (
            _parse_small(archive, rels_name, names, _RelationsHandler()).targets if rels_name in names else {}
        )
        sheet_part = _part_name(targets.get(sheets[0], ("", ""))[0]) or "xl/worksheets/sheet1.xml"
        shared_part = next(
            (_part_name(target) for target, kind in targets.values() if kind.endswith("/sharedStrings")),
            "xl/sharedStrings.xml",
        )
        shared = _shared_strings(archive, shared_part) if shared_part in names else []
        if sheet_part not in names:
            raise WorkbookRefused(f"not a readable Excel workbook: the part {sheet_part} is missing")
        return _read_sheet(archive, sheet_part, shared)


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise WorkbookRefused(f"the workbook's zip has {len(members):,} parts; the limit is {MAX_MEMBERS}")
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > MAX_MEMBER_BYTES:
            raise WorkbookRefused(
                f"the part {member.filename} inflates to {size:,} bytes; the limit is {MAX_MEMBER_BYTES:,}"
            )
        if size > RATIO_FLOOR and size > MAX_RATIO * max(member.compress_size, 1):
            raise WorkbookRefused(
                f"the part {member.filename} inflates {size // max(member.compress_size, 1):,} times "
                f"(a zip bomb?); the limit is {MAX_RATIO} times"
            )
    if total > MAX_TOTAL_BYTES:
        raise WorkbookRefused(f"the workbook inflates to {total:,} bytes; the limit is {MAX_TOTAL_BYTES:,}")


def _part_name(target: str) -> str:
    if not target:
        return ""
    return target.lstrip("/") if target.startswith("/") else "xl/" + target.removeprefix("./")


class _Handler:
    """Expat callbacks shared by every part: no DTD, no entities, bounded depth."""

    def __init__(self):
        self.depth = 0

    def attach(self, parser) -> None:
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity

    def _doctype(self, *args) -> None:
        raise WorkbookRefused("the workbook's XML declares a document type (DTD); a workbook never has one")

    def _entity(self, *args) -> None:
        raise WorkbookRefused("the workbook's XML declares an entity; a workbook never has one")

    def _start(self, name: str, attributes: dict) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise WorkbookRefused(f"the workbook's XML is nested deeper than {MAX_XML_DEPTH} elements")
        self.start(name.rpartition(":")[2], attributes)

    def _end(self, name: str) -> None:
        self.depth -= 1
        self.end(name.rpartition(":")[2])

    def start(self, name: str, attributes: dict) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


class _WorkbookHandler(_Handler):
    def __init__(self):
        super().__init__()
        self.sheets: list[str] = []  # each sheet's relationship id, in the workbook's order

    def start(self, name, attributes):
        if name == "sheet":
            self.sheets.append(next((v for k, v in attributes.items() if k.rpartition(":")[2] == "id"), ""))


class _RelationsHandler(_Handler):
    def __init__(self):
        super().__init__()
        self.targets: dict[str, tuple[str, str]] = {}

    def start(self, name, attributes):
        if name == "Relationship":
            self.targets[attributes.get("Id", "")] = (
                attributes.get("Target", ""),
                attributes.get("Type", ""),
            )


def _parse(archive: zipfile.ZipFile, part: str, handler: _Handler, limit: int) -> _Handler:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    handler.attach(parser)
    seen = 0
    try:
        with archive.open(part) as stream:
            while piece := stream.read(PIECE):
                seen += len(piece)
                if seen > limit:
                    raise WorkbookRefused(f"the part {part} inflates to more than {limit:,} bytes")
                parser.Parse(piece, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise WorkbookRefused(f"not a readable Excel workbook: {part}: {error}") from None
    except _DAMAGED as error:
        raise WorkbookRefused(f"not a readable Excel workbook: {part}: {error}") from None
    return handler


def _parse_small(archive, part: str, names: set[str], handler: _Handler) -> _Handler:
    if part not in names:
        raise WorkbookRefused(f"not a readable Excel workbook: the part {part} is missing")
    return _parse(archive, part, handler, MAX_SMALL_PART_BYTES)


class _SharedStringsHandler(_Handler):
    def __init__(self):
        super().__init__()
        self.strings: list[str] = []
        self.pieces: list[str] = []
        self.size = 0
        self.capture = False
        self.phonetic = 0  # text inside <rPh> is a reading aid, not the cell's text

    def start(self, name, attributes):
        if name == "si":
            self.pieces, self.size = [], 0
        elif name == "t" and not self.phonetic:
            self.capture = True
        elif name == "rPh":
            self.phonetic += 1

    def end(self, name):
        if name == "si":
            self.strings.append("".join(self.pieces))
        elif name == "t":
            self.capture = False
        elif name == "rPh":
            self.phonetic -= 1

    def text(self, data):
        if self.capture:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise WorkbookRefused(
                    f"shared string {len(self.strings) + 1:,} has more than {MAX_CELL_CHARS:,} characters"
                )
            self.pieces.append(data)


def _shared_strings(archive, part: str) -> list[str]:
    return _parse(archive, part, _SharedStringsHandler(), MAX_SHARED_STRINGS_BYTES).strings


class _SheetHandler(_Handler):
    """Collects the non-empty rows of a sheet into Arrow chunks."""

    def __init__(self, shared: list[str]):
        super().__init__()
        self.shared = shared
        self.header: dict[int, str] | None = None
        self.header_columns: list[int] = []
        self.buffers: list[list[str]] = []
        self.chunks: list[list[pa.Array]] = []
        self.row_numbers: list[int] = []
        self.row = 0
        self.cells: dict[int, str] = {}
        self.column = 0
        self.kind = ""
        self.pieces: list[str] = []
        self.size = 0
        self.capture = False
        self.phonetic = 0

    def start(self, name, attributes):
        if name == "c":
            reference = attributes.get("r")
            if reference:
                match = _CELL_REF.match(reference)
                if match is None:
                    raise WorkbookRefused(
                        f"row {self.row:,}: the cell reference {reference[:20]!r} is not valid"
                    )
                self.column = _column_index(match[1])
            else:
                self.column += 1
            self.kind = attributes.get("t", "n")
            self.pieces, self.size = [], 0
        elif name in ("v", "t") and not self.phonetic:
            self.capture = True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            number = attributes.get("r")
            self.row = int(number) if number and number.isdigit() and len(number) <= 7 else self.row + 1
            if self.row > MAX_ROWS:
                raise WorkbookRefused(f"the sheet has a row {self.row:,}; the limit is {MAX_ROWS:,}")
            self.cells, self.column = {}, 0
        elif name == "dimension":
            _check_dimension(attributes.get("ref", ""))

    def end(self, name):
        if name in ("v", "t"):
            self.capture = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c":
            value = self._value()
            if value:
                if self.column > MAX_COLUMNS:
                    raise WorkbookRefused(
                        f"row {self.row:,}: cell {column_letters(self.column)}{self.row} is beyond column "
                        f"{column_letters(MAX_COLUMNS)}; a KPI file has at most {MAX_COLUMNS} columns"
                    )
                self.cells[self.column] = value
        elif name == "row" and self.cells:
            self._keep_row()

    def text(self, data):
        if self.capture:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise WorkbookRefused(
                    f"row {self.row:,}, column {column_letters(self.column)}: the cell has more than "
                    f"{MAX_CELL_CHARS:,} characters"
                )
            self.pieces.append(data)

    def _value(self) -> str:
        text = "".join(self.pieces)
        if self.kind == "s":
            if not text.strip().isdigit() or int(text) >= len(self.shared):
                raise WorkbookRefused(
                    f"row {self.row:,}, column {column_letters(self.column)}: the cell refers to a "
                    "shared string the workbook does not have"
                )
            return self.shared[int(text)].strip()
        if self.kind == "b":
            return {"1": "TRUE", "0": "FALSE"}.get(text.strip(), text.strip())
        if self.kind == "n":
            return _plain_number(text.strip())
        return text.strip()  # inlineStr, str (a formula's result), e (an error such as #DIV/0!), d

    def _keep_row(self) -> None:
        if self.header is None:
            self._set_header()
            return
        for column in self.cells:
            if column not in self.header:
                raise WorkbookRefused(
                    f"row {self.row:,}, column {column_letters(column)}: a value in a column without a header"
                )
        for buffer, column in zip(self.buffers, self.header_columns, strict=True):
            buffer.append(self.cells.get(column, ""))
        self.row_numbers.append(self.row)
        if len(self.buffers[0]) >= CHUNK_ROWS:
            self._flush()

    def _set_header(self) -> None:
        self.header = dict(sorted(self.cells.items()))
        self.header_columns = list(self.header)
        self.buffers = [[] for _ in self.header_columns]
        self.chunks = [[] for _ in self.header_columns]

    def _flush(self) -> None:
        for chunks, buffer in zip(self.chunks, self.buffers, strict=True):
            chunks.append(pa.array(buffer, pa.large_string()))
            buffer.clear()

    def sheet(self) -> Sheet:
        if self.header is None:
            return Sheet([], [], np.zeros(0, dtype=np.int64))
        self._flush()
        columns = [pa.chunked_array(chunks, pa.large_string()) for chunks in self.chunks]
        return Sheet(list(self.header.values()), columns, np.array(self.row_numbers, dtype=np.int64))


def _check_dimension(reference: str) -> None:
    """The sheet's declared extent, e.g. ``A1:H5000``; a wrong but small one is harmless."""
    last = reference.rpartition(":")[2].replace("$", "")
    match = _CELL_REF.match(last)
    if match is None:
        return
    columns, rows = _column_index(match[1]), int(match[2])
    if columns > MAX_COLUMNS or rows > MAX_ROWS:
        raise WorkbookRefused(
            f"the sheet declares the range {reference[:40]}; the limit is {MAX_COLUMNS} columns "
            f"(to {column_letters(MAX_COLUMNS)}) and {MAX_ROWS:,} rows"
        )


def _plain_number(text: str) -> str:
    """A number cell's text without exponent notation (Excel writes 0.001 as ``1E-3``), when
    its exponent is small enough to write out; otherwise the text as given, for the checks
    to refuse."""
    if "E" not in text and "e" not in text:
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or not -40 <= number.adjusted() <= 40:
        return text
    return format(number, "f")


def _read_sheet(archive, part: str, shared: list[str]) -> Sheet:
    return _parse(archive, part, _SheetHandler(shared), MAX_MEMBER_BYTES).sheet()
