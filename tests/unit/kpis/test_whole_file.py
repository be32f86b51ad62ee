"""A file checked in chunks gives what the whole file checked at once gives: the same rows to
store, or the same refusal with the same problems, whatever the chunk size; and any bytes
read in chunks are accepted or refused, never another exception."""

import io
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kpis.ingest import (
    ContractRef,
    FileCheck,
    KpiFileRejected,
    KpiRef,
    check_file,
    read_kpi_chunks,
    read_kpi_file,
    scan_kpi_file,
)
from kpis.whole_file import WholeFile

pytestmark = pytest.mark.filterwarnings("ignore")
CONTRACTS = {"C-1": ContractRef(1, date(2026, 1, 1), None), "C-2": ContractRef(2, date(2026, 3, 10), None)}
KPIS = {
    "contacts_voice": KpiRef(1, "sum", 1, Decimal(0), None),
    "service_level": KpiRef(2, "ratio", 100, Decimal(0), Decimal(100)),
}
HEADER = "contract,period,date,kpi,value,numerator,denominator,channel,site"
LIMITS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Rows from a small alphabet, so that repeats, ratio rows given as values, bad numbers,
# unknown contracts and dates outside a contract all happen often.
rows = st.lists(
    st.tuples(
        st.sampled_from(["C-1", "C-2", "C-9"]),
        st.sampled_from(["2026-03", ""]),
        st.sampled_from(["", "2026-03-01", "2026-03-12", "2026-04-02"]),
        st.sampled_from(["contacts_voice", "service_level", "nps"]),
        st.sampled_from(["", "5", "-1", "x", "101"]),
        st.sampled_from(["", "4"]),
        st.sampled_from(["", "5", "0"]),
        st.sampled_from(["", "voice"]),
        st.sampled_from(["", "leeds", "york"]),
    ),
    min_size=1,
    max_size=30,
)


def whole(content: bytes, name="k.csv"):
    try:
        table = check_file(
            read_kpi_file(file_name=name, content=content, max_bytes=10**6), contracts=CONTRACTS, kpis=KPIS
        )
    except KpiFileRejected as rejected:
        return "rejected", [str(e) for e in rejected.errors], rejected.error_count
    return "accepted", table.table.to_pylist(), 0


def chunked(content: bytes, chunk_rows: int, name="k.csv"):
    stream = io.BytesIO(content)
    tables = []
    try:
        scan = scan_kpi_file(file_name=name, stream=stream, max_bytes=10**6)
        file = WholeFile()
        for frame in read_kpi_chunks(stream=stream, scan=scan, chunk_rows=chunk_rows):
            check = FileCheck(frame, contracts=CONTRACTS, kpis=KPIS, across_rows=False)
            file.add(check)
            tables.append(check.rows.table)
        file.finish()
    except KpiFileRejected as rejected:
        return "rejected", [str(e) for e in rejected.errors], rejected.error_count
    return "accepted", pa.concat_tables(tables).to_pylist(), 0


@LIMITS
@given(rows=rows, chunk_rows=st.integers(1, 12), quoted=st.booleans())
def test_chunks_of_any_size_give_the_whole_files_verdict_and_rows(rows, chunk_rows, quoted):
    lines = [",".join(row) for row in rows]
    if quoted:  # read by pandas' parser instead of Arrow's
        lines[0] = ",".join(f'"{cell}"' for cell in rows[0])
    content = "\n".join([HEADER, *lines]).encode() + b"\n"
    assert chunked(content, chunk_rows) == whole(content)


@LIMITS
@given(rows=rows, chunk_rows=st.integers(1, 12))
def test_a_workbook_in_chunks_gives_the_whole_workbooks_verdict_and_rows(rows, chunk_rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()
    assert chunked(content, chunk_rows, "k.xlsx") == whole(content, "k.xlsx")


@LIMITS
@given(content=st.binary(max_size=600), chunk_rows=st.integers(1, 5))
def test_any_bytes_read_in_chunks_are_accepted_or_refused(content, chunk_rows):
    assert chunked(HEADER.encode() + b"\n" + content, chunk_rows)[0] in ("accepted", "rejected")


# Line endings and shapes that decide which parser reads a file: each gives the same cells.
@pytest.mark.parametrize(
    "content",
    [
        HEADER.encode() + b"\r\nC-1,2026-03,,contacts_voice,5,,,,\r\n",  # Windows line endings
        HEADER.encode() + b"\nC-1,2026-03,,contacts_voice,5,,,,",  # no newline at the end
        HEADER.encode() + b"\n\nC-1,2026-03,,contacts_voice,5,,,,\n\n",  # blank lines
        HEADER.encode() + b"\nC-1,2026-03,,contacts_voice,5\n",  # a short line
        HEADER.encode() + b"\nC-1,2026-03,,contacts_voice,5,,,,\rC-1,2026-03,,nps,5,,,,\n",  # a lone CR
        b"\xef\xbb\xbf" + HEADER.encode() + b"\nC-1,2026-03,,contacts_voice,5,,,,\n",  # byte-order mark
    ],
)
def test_each_shape_of_csv_gives_the_same_rows_in_chunks(content):
    assert chunked(content, 1) == whole(content)
