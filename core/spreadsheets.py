"""Text written to a CSV or Excel file that a spreadsheet opens: never a formula.

Spreadsheets run formulas: a text cell starting with ``= + - @``, a tab or a carriage return
is written with a leading apostrophe (:func:`cell_text`). The portal's exports and the
billing journal both write through it.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_text(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs: a leading apostrophe when it starts
    with one of :data:`FORMULA_PREFIXES` (``"=1+1"`` → ``"'=1+1"``), else unchanged."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_text(value) -> str:
    """A CSV cell: ``None`` empty, a date ISO 8601, text through :func:`cell_text`, any other
    value (a Decimal, an int) as ``str``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return cell_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """A CSV file, a row at a time: UTF-8 with a byte-order mark (so Excel reads it as UTF-8),
    ``header``, then each of ``rows`` with its cells through :func:`csv_text`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode()

    writer.writerow(header)
    yield b"\xef\xbb\xbf" + flushed()
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
        yield flushed()
