"""A filtered statement list as a file: CSV, Excel (openpyxl) or a ZIP of the stored PDFs.

Each row is derived from the document (:mod:`billing.documents`), read in chunks of
:data:`CHUNK` so a long list costs a bounded amount of memory; the caller bounds the number of
documents (``PORTAL_EXPORT_MAX_DOCUMENTS``, ``PORTAL_ZIP_MAX_DOCUMENTS``) before calling.

Spreadsheets run formulas: a text cell starting with ``= + - @``, a tab or a carriage return
is written with a leading apostrophe (:func:`core.spreadsheets.cell_text`), so a contract
reference or any other text can never become a formula. Amounts and dates are the document's
own values, written as numbers and dates, not text.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import IO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from billing.documents import StatementDocument, documents
from billing.models import Statement
from billing.pdf import statement_pdf_store
from core.spreadsheets import cell_text
from core.spreadsheets import csv_chunks as spreadsheet_csv

COLUMNS = (
    "Number",
    "Type",
    "Contract",
    "Period",
    "Issue date",
    "Due date",
    "Status",
    "Paid date",
    "Net",
    "Tax",
    "Gross",
    "Currency",
)
AMOUNT_COLUMNS = ("Net", "Tax", "Gross")
DATE_COLUMNS = ("Issue date", "Due date", "Paid date")
CHUNK = 500

Cell = str | date | Decimal | None


def export_row(document: StatementDocument) -> tuple[Cell, ...]:
    """The :data:`COLUMNS` of ``document``: text neutralised by :func:`cell_text`, dates as
    dates (the paid date in the site's time zone; ``None`` when there is none), amounts as
    Decimals with exactly the currency's places (a credit note's are negative)."""
    paid_date = timezone.localtime(document.paid_at).date() if document.paid_at else None
    return (
        cell_text(document.number or ""),
        cell_text(document.document_type_label),
        cell_text(document.contract.reference),
        cell_text(document.period),
        document.issue_date,
        document.due_date,
        cell_text(document.status_label),
        paid_date,
        *(Decimal(document.amount_text(amount)) for amount in (document.net, document.tax, document.gross)),
        cell_text(document.currency),
    )


def _documents_in_order(statement_ids: Iterable[int]) -> Iterator[StatementDocument]:
    """The documents of the statement ids, in their order, built :data:`CHUNK` at a time."""
    ids = list(statement_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        by_id = documents(chunk)
        yield from (by_id[pk] for pk in chunk if pk in by_id)


def export_rows(statement_ids: Iterable[int]) -> Iterator[tuple[Cell, ...]]:
    """:func:`export_row` of each statement in ``statement_ids``, in that order."""
    for document in _documents_in_order(statement_ids):
        yield export_row(document)


def csv_chunks(statement_ids: Iterable[int]) -> Iterator[bytes]:
    """The CSV file (UTF-8 with a byte-order mark, so Excel reads it as UTF-8; a header row,
    then one row per document; dates ISO 8601, amounts plain decimals), a row at a time."""
    return spreadsheet_csv(COLUMNS, export_rows(statement_ids))


def xlsx_write(*, statement_ids: Iterable[int], file: IO[bytes]) -> None:
    """Write the Excel workbook of the documents to ``file``: one sheet "Statements", a header
    row, dates as dates, amounts as numbers with the currency's places; every text cell is a
    string cell (openpyxl would take a text starting with ``=`` for a formula otherwise)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Statements")
    sheet.append(COLUMNS)
    amounts = {COLUMNS.index(name) for name in AMOUNT_COLUMNS}
    dates = {COLUMNS.index(name) for name in DATE_COLUMNS}
    for row in export_rows(statement_ids):
        places = len(str(row[COLUMNS.index("Net")]).partition(".")[2])
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif index in amounts:
                cell.number_format = "#,##0" + ("." + "0" * places if places else "")
            elif index in dates:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(file)


def zip_member_name(number: str) -> str:
    """The file name of a document's PDF in the ZIP: its number with anything but letters,
    digits, ``.``, ``-`` and ``_`` replaced by ``_`` (no path can come out of it), ``.pdf``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", number) + ".pdf"


def zip_write(*, statement_ids: Iterable[int], file: IO[bytes]) -> int:
    """Write a ZIP of the stored PDFs of the statements to ``file`` (stored, not compressed
    again: PDFs are compressed already), one ``<number>.pdf`` each, and return how many.

    Each PDF is copied from storage as it is stored; one not stored yet is rendered and stored
    once first (:func:`billing.pdf.statement_pdf_store`), as the PDF download does. Memory is
    bounded by the copy buffer, whatever the sizes. Raises ``billing.rendering.RenderError``
    when a missing PDF cannot be rendered."""
    ids = list(statement_ids)
    by_id = Statement.objects.only("pk", "number", "pdf").in_bulk(ids)
    made_at = timezone.localtime().timetuple()[:6]  # each member's date: when the ZIP was made
    count = 0
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        for pk in ids:
            statement = by_id[pk]
            if not statement.pdf:
                statement_pdf_store(statement_id=statement.pk)
                statement.refresh_from_db(fields=["pdf"])
            with (
                statement.pdf.open("rb") as pdf,
                archive.open(zipfile.ZipInfo(zip_member_name(statement.number), made_at), "w") as member,
            ):
                shutil.copyfileobj(pdf, member)
            count += 1
    return count
