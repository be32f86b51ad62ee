"""The journal (:mod:`billing.journal`) as a file: CSV, Excel (openpyxl) or JSON.

Each writer takes the rows as they come (an iterator), so a long journal is written without
holding it. Text cells go through :func:`core.spreadsheets.cell_text` in CSV and Excel, so a
contract reference or a supplier's name can never become a formula; amounts are plain
decimals with the currency's places (numbers in Excel), dates ISO 8601 (dates in Excel).
JSON keeps the values as they are, amounts as strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from core.spreadsheets import cell_text
from core.spreadsheets import csv_chunks as spreadsheet_csv

from .journal import JournalRow

# (column header, JournalRow field), in the files' order.
COLUMNS = (
    ("Document", "document"),
    ("Type", "document_type"),
    ("Issue date", "issue_date"),
    ("Period", "period"),
    ("Contract", "contract"),
    ("Supplier", "supplier"),
    ("Entry", "entry"),
    ("Line", "position"),
    ("Component", "component"),
    ("Title", "title"),
    ("GL code", "gl_code"),
    ("Cost centre", "cost_centre"),
    ("Net", "net"),
    ("Tax", "tax"),
    ("Gross", "gross"),
    ("Currency", "currency"),
)
HEADERS = tuple(header for header, _ in COLUMNS)
FIELDS = tuple(name for _, name in COLUMNS)
FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def journal_file_name(period: str, file_format: str) -> str:
    """``journal-2026-03.csv``: the period is a checked ``YYYY-MM``, the format one of :data:`FORMATS`."""
    return f"journal-{period}.{file_format}"


def _cells(row: JournalRow) -> list:
    return [getattr(row, name) for name in FIELDS]


def csv_chunks(rows: Iterable[JournalRow]) -> Iterator[bytes]:
    """The CSV file (UTF-8 with a byte-order mark, so Excel reads it as UTF-8; a header row,
    then one row per journal row), a row at a time."""
    return spreadsheet_csv(HEADERS, (_cells(row) for row in rows))


def xlsx_write(*, rows: Iterable[JournalRow], file: IO[bytes]) -> None:
    """Write the workbook to ``file``: one sheet "Journal", a header row, then the rows; every
    text cell a string cell (openpyxl would take a text starting with ``=`` for a formula),
    amounts numbers shown with the currency's places, dates dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Journal")
    sheet.append(HEADERS)
    for row in rows:
        places = -row.net.as_tuple().exponent
        cells = []
        for value in _cells(row):
            cell = WriteOnlyCell(sheet, value=cell_text(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, Decimal):
                cell.number_format = "#,##0" + ("." + "0" * places if places > 0 else "")
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(file)


def journal_json(row: JournalRow) -> dict:
    """A row as the API gives it: the fields by name, the date ISO 8601, amounts as strings."""
    values = dict(zip(FIELDS, _cells(row), strict=True))
    values["issue_date"] = row.issue_date.isoformat() if row.issue_date else None
    for name in ("net", "tax", "gross"):
        values[name] = str(values[name])
    return values


def json_chunks(rows: Iterable[JournalRow], *, period: str) -> Iterator[bytes]:
    """``{"period": ..., "rows": [...]}`` a row at a time."""
    yield b'{"period":' + json.dumps(period).encode() + b',"rows":['
    for index, row in enumerate(rows):
        yield (b"," if index else b"") + json.dumps(journal_json(row), ensure_ascii=False).encode()
    yield b"]}"
