"""``import_index``: bounded, all or nothing, every bad row named; the series must exist."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contracts.index_import import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    IndexFileError,
    index_series_create,
    index_values_import,
)
from contracts.models import IndexSeries, IndexValue

pytestmark = pytest.mark.django_db
GOOD_ROWS = "CPI,2025-01,124.5\nCPI,2025-02,125.1\n"


@pytest.fixture
def cpi():
    return index_series_create(code="CPI", name="Consumer prices index")


def problems(content: bytes, **kwargs) -> list[str]:
    with pytest.raises(IndexFileError) as caught:
        index_values_import(file_name="cpi.csv", content=content, **kwargs)
    assert not IndexValue.objects.exists()  # all or nothing
    return caught.value.lines()


def test_a_good_file_is_stored_with_its_values_exact(cpi):
    result = index_values_import(file_name="cpi.csv", content=("series,period,value\n" + GOOD_ROWS).encode())
    assert result.added == {"CPI": ["2025-01", "2025-02"]}
    assert [(v.period, str(v.value)) for v in IndexValue.objects.order_by("period")] == [
        ("2025-01", "124.500000"),
        ("2025-02", "125.100000"),
    ]


def test_with_series_given_the_file_may_omit_it_and_a_byte_order_mark_is_read(cpi):
    content = "\ufeffperiod,value\n2025-01,124.5\n".encode()
    index_values_import(file_name="cpi.csv", content=content, series_code="CPI")
    assert IndexValue.objects.get().period == "2025-01"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Each bad cell is named by its row (the header is row 1) and column.
        ("CPI,2025-13,124.5\n", "cpi.csv: row 3: period: expected a month YYYY-MM, got '2025-13'"),
        ("CPI,2025-03,-1\n", "cpi.csv: row 3: value: expected a positive number"),
        ("CPI,2025-03,0\n", "cpi.csv: row 3: value: an index value must be positive, got 0"),
        (
            "CPI,2025-03,1e3\n",
            "cpi.csv: row 3: value: expected a positive number of at most 10 digits and 6 decimals, got '1e3'",
        ),
        ("CPI,2025-03,NaN\n", "cpi.csv: row 3: value: expected a positive number"),
        ("CPI,2025-03,1.1234567\n", "cpi.csv: row 3: value: expected a positive number"),
        ("CPI,2025-03,12345678901\n", "cpi.csv: row 3: value: expected a positive number"),
        ("CPI,2025-03,=1+1\n", "cpi.csv: row 3: value: expected a positive number"),
        ("CPI,2025-03\n", "cpi.csv: row 3: expected 3 columns, got 2"),
        ("cpi,2025-03,1\n", "cpi.csv: row 3: series: expected an index series code, got 'cpi'"),
        ("CPI,2025-01,130\n", "cpi.csv: row 3: CPI 2025-01 appears twice"),
        ("WAGES,2025-03,1\n", "cpi.csv: unknown index series 'WAGES'"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_stored(cpi, rows, expected):
    messages = problems(("series,period,value\n" + GOOD_ROWS[:18] + rows).encode())
    assert any(message.startswith(expected) for message in messages), messages


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "cpi.csv: the file is empty"),
        (b"\xff\xfe1,2", "cpi.csv: the file is not UTF-8 text (byte 1)"),
        (b"when,what\n2025-01,1\n", "cpi.csv: row 1: the header must be series,period,value"),
        (b"series,period,value,value\n", "cpi.csv: row 1: the header must be series,period,value"),
        (b"x" * (MAX_FILE_BYTES + 1), f"cpi.csv: the file is larger than {MAX_FILE_BYTES:,} bytes"),
        (
            ("series,period,value\n" + "CPI,2025-01,1\n" * (MAX_ROWS + 1)).encode(),
            f"cpi.csv: more than {MAX_ROWS:,} rows",
        ),
        (b'series,period,value\nCPI,"2025-01\n', "cpi.csv: row"),
    ],
)
def test_a_bad_file_is_refused_whole(cpi, content, expected):
    messages = problems(content)
    assert any(message.startswith(expected) for message in messages), messages


def test_every_bad_row_is_reported_at_once(cpi):
    messages = problems(b"series,period,value\nCPI,2025-13,1\nCPI,2025-02,x\nCPI,2025-03,2\n")
    assert [m.split(":")[1].strip() for m in messages] == ["row 2", "row 3"]


def test_a_row_of_another_series_than_the_one_given_is_refused(cpi):
    messages = problems(b"series,period,value\nRPI,2025-01,1\n", series_code="CPI")
    assert messages == ["cpi.csv: row 2: series: 'RPI' is not CPI, the series imported"]


def test_the_command_creates_the_series_with_name_and_reports_bad_rows(tmp_path):
    path = tmp_path / "wages.csv"
    path.write_text("period,value\n2025-01,100\n2025-02,oops\n")
    err = StringIO()
    with pytest.raises(CommandError, match="refused; nothing was imported"):
        call_command(
            "import_index",
            str(path),
            "--series",
            "WAGES",
            "--name",
            "Wage index",
            stdout=StringIO(),
            stderr=err,
        )
    assert "wages.csv: row 3: value: expected a positive number" in err.getvalue()
    assert IndexSeries.objects.get(code="WAGES").name == "Wage index" and not IndexValue.objects.exists()
    path.write_text("period,value\n2025-01,100\n")
    out = StringIO()
    call_command("import_index", str(path), "--series", "WAGES", stdout=out)
    assert "WAGES: 1 month(s) added, 0 revised" in out.getvalue()


def test_an_unknown_series_without_name_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("period,value\n2025-01,100\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_index", str(path), "--series", "CPI", stdout=StringIO(), stderr=err)
    assert "unknown index series 'CPI' (create it first" in err.getvalue()


def test_the_same_value_again_is_unchanged_and_another_is_a_revision_refused_without_revise(cpi):
    content = ("series,period,value\n" + GOOD_ROWS).encode()
    index_values_import(file_name="cpi.csv", content=content)
    assert index_values_import(file_name="cpi.csv", content=content).unchanged == 2
    with pytest.raises(IndexFileError) as caught:
        index_values_import(file_name="cpi.csv", content=b"series,period,value\nCPI,2025-02,125.2\n")
    assert caught.value.lines() == [
        "cpi.csv: row 2: CPI 2025-02 is already 125.1, not 125.2: a revision of a published value must be "
        "asked for (--revise, or tick revise in the admin)"
    ]
    assert str(IndexValue.objects.get(period="2025-02").value) == "125.100000"


def test_a_contract_naming_an_unknown_series_is_refused_naming_the_key():
    from contracts.schema import ContractFileError
    from contracts.services import contract_import_content

    from ..billing.test_indexation import INDEXED

    content = INDEXED.format(reference="A-1", supplier="S Ltd", buyer_code="B", buyer_name="B plc")
    with pytest.raises(ContractFileError) as caught:
        contract_import_content(file_name="a.yaml", content=content.encode())
    assert caught.value.lines() == [
        "a.yaml: terms[0].indexation.index: unknown index series 'CPI' (import it first)"
    ]
