"""Whatever bytes arrive, the reader and checker either accept the file or refuse it with
``KpiFileRejected``: no other exception, for CSV text, workbooks and raw bytes."""

import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kpis.ingest import ContractRef, KpiFileRejected, KpiRef, check_file, read_kpi_file

pytestmark = pytest.mark.filterwarnings("ignore")
CONTRACTS = {"C-1": ContractRef(1, date(2026, 1, 1), None)}
KPIS = {
    "contacts_voice": KpiRef(1, "sum", 1, 0, None),
    "service_level": KpiRef(2, "ratio", 100, 0, 100),
}
COLUMNS = ["contract", "period", "date", "kpi", "value", "numerator", "denominator", "channel", "site"]
LIMITS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cells near the valid ones, and anything at all.
cells = st.one_of(
    st.sampled_from(["C-1", "2026-03", "2026-03-05", "contacts_voice", "service_level", "1", "-0", "", "x"]),
    st.from_regex(r"[+-]?\d{0,20}(\.\d{0,8})?([eE][+-]?\d{1,3})?", fullmatch=True),
    st.text(max_size=60),
)
headers = st.lists(st.sampled_from([*COLUMNS, "colour", "", "KPI "]), min_size=1, max_size=10)


def outcome(file_name: str, content: bytes) -> str:
    try:
        frame = read_kpi_file(file_name=file_name, content=content, max_bytes=10**6)
        check_file(frame, contracts=CONTRACTS, kpis=KPIS)
    except KpiFileRejected as rejected:
        assert rejected.errors and all(str(error) for error in rejected.errors)
        return "rejected"
    return "accepted"


@LIMITS
@given(header=headers, rows=st.lists(st.lists(cells, max_size=10), max_size=8), bom=st.booleans())
def test_any_csv_text_is_accepted_or_refused(header, rows, bom):
    lines = [",".join(header)] + [",".join(cell.replace("\n", " ") for cell in row) for row in rows]
    content = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    assert outcome("k.csv", content.encode("utf-8", "surrogatepass")) in ("accepted", "rejected")


@LIMITS
@given(text=st.text(max_size=400))
def test_any_text_as_a_csv_file_is_accepted_or_refused(text):
    assert outcome("k.csv", text.encode("utf-8", "surrogatepass")) in ("accepted", "rejected")


@LIMITS
@given(content=st.binary(max_size=2000), name=st.sampled_from(["k.csv", "k.xlsx"]))
def test_any_bytes_are_accepted_or_refused(content, name):
    assert outcome(name, content) in ("accepted", "rejected")


def _printable(text: str) -> str:
    # openpyxl itself refuses the characters XML cannot hold; the property is about the reader
    return "".join(ch for ch in text if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF)


@LIMITS
@given(
    header=headers,
    rows=st.lists(
        st.lists(
            st.one_of(cells.map(_printable), st.integers(-(10**20), 10**20), st.floats(), st.none()),
            max_size=10,
        ),
        max_size=6,
    ),
)
def test_any_workbook_is_accepted_or_refused(header, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    assert outcome("k.xlsx", buffer.getvalue()) in ("accepted", "rejected")


@LIMITS
@given(content=st.binary(min_size=1, max_size=200), cut=st.integers(0, 5000))
def test_a_damaged_workbook_is_refused(content, cut):
    book = Workbook()
    book.active.append(COLUMNS)
    book.active.append(["C-1", "2026-03", "", "contacts_voice", 1, "", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    whole = buffer.getvalue()
    damaged = whole[:cut] + content + whole[cut + len(content) :]
    assert outcome("k.xlsx", damaged) in ("accepted", "rejected")
