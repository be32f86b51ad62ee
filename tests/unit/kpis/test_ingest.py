"""Reading and checking KPI files (no database): every bad-file case has a clear row-level message."""

import codecs
import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import Workbook

from kpis.catalogue import CATALOGUE
from kpis.ingest import ContractRef, FileCheck, KpiFileRejected, KpiRef, check_file, read_kpi_file
from kpis.reading import _read_plain_csv, read_kpi_chunks, scan_kpi_file
from kpis.selectors import month_value, sums_of_rows

CONTRACTS = {
    "ACME-TEL-001": ContractRef(1, date(2026, 1, 1), None),
    "NORTH-003": ContractRef(2, date(2026, 1, 10), date(2026, 6, 30)),
}
KPIS = {
    spec.code: KpiRef(
        i,
        spec.aggregation,
        spec.scale,
        None if spec.min_value is None else Decimal(spec.min_value),
        None if spec.max_value is None else Decimal(spec.max_value),
    )
    for i, spec in enumerate(CATALOGUE, start=1)
}
HEADER = "contract,period,date,kpi,value,numerator,denominator,channel,site\n"


def check(text: str, file_name="kpis.csv"):
    frame = read_kpi_file(file_name=file_name, content=text.encode(), max_bytes=10_000)
    return check_file(frame, contracts=CONTRACTS, kpis=KPIS).table


def problems(text: str, **kwargs) -> list[str]:
    with pytest.raises(KpiFileRejected) as caught:
        check(text, **kwargs)
    return [str(error) for error in caught.value.errors]


def test_a_good_file_becomes_rows_with_exact_text_values():
    rows = check(
        HEADER + "ACME-TEL-001,2026-03,,cost_to_serve,123456789012345.891,,,,\n"
        "ACME-TEL-001,,2026-03-02,service_level,,400,500,voice,leeds\n"
    )
    assert rows["value"].to_pylist() == ["123456789012345.891", None]
    assert rows["period"].to_pylist() == ["2026-03", "2026-03"]
    assert rows["source_row"].to_pylist() == [2, 3]
    assert rows["date"].to_pylist() == [None, "2026-03-02"]


# One case per kind of bad row: the message names the row (header = row 1), the column and the problem.
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ACME-TEL-999,2026-03,,csat,,8,10,,", "row 2, contract: unknown contract 'ACME-TEL-999'"),
        ("ACME-TEL-001,2026-03,,speed,5,,,,", "row 2, kpi: unknown KPI 'speed'"),
        ("ACME-TEL-001,2026-3,,contacts_voice,5,,,,", "row 2, period: not a period YYYY-MM: '2026-3'"),
        ("ACME-TEL-001,,2026-02-30,contacts_voice,5,,,,", "row 2, date: not a date YYYY-MM-DD: '2026-02-30'"),
        (
            "NORTH-003,,2026-01-09,contacts_voice,5,,,,",
            "row 2, date: 2026-01-09 is outside the contract (2026-01-10 to 2026-06-30)",
        ),
        (
            "NORTH-003,2026-07,,contacts_voice,5,,,,",
            "row 2, period: 2026-07 is outside the contract (2026-01-10 to 2026-06-30)",
        ),
        ("ACME-TEL-001,2026-03,,contacts_voice,12k,,,,", "row 2, value: not a number: '12k'"),
        ("ACME-TEL-001,2026-03,,contacts_voice,\u0663,,,,", "row 2, value: not a number: '\u0663'"),
        (
            "ACME-TEL-001,2026-03,,contacts_voice,-1,,,,",
            "row 2, value: -1 is below the minimum 0 for contacts_voice",
        ),
        (
            "ACME-TEL-001,2026-03,,cost_to_serve,-0.01,,,,",
            "row 2, value: -0.01 is below the minimum 0 for cost_to_serve",
        ),
        (
            "ACME-TEL-001,2026-03,,csat,100.000001,,,,",
            "row 2, value: 100.000001 is above the maximum 100 for csat",
        ),
        ("ACME-TEL-001,2026-03,,nps,-101,,,,", "row 2, value: -101 is below the minimum -100 for nps"),
        (
            "ACME-TEL-001,2026-03,,fcr,,11,10,,",
            "row 2, numerator: numerator 11 is greater than denominator 10",
        ),
        (
            "ACME-TEL-001,2026-03,,nps,,-11,10,,",
            "row 2, numerator: numerator -11 / denominator 10 is below the minimum -100",
        ),
        ("ACME-TEL-001,2026-03,,fcr,,1,-10,,", "row 2, denominator: must not be negative"),
        ("ACME-TEL-001,2026-03,,fcr,,1,0,,", "row 2, denominator: is 0 but the numerator is not"),
        (
            "ACME-TEL-001,2026-03,,fcr,70,7,10,,",
            "row 2, value: give a value or numerator and denominator, not both",
        ),
        (
            "ACME-TEL-001,2026-03,,fcr,,7,,,",
            "row 2, denominator: a ratio KPI needs numerator and denominator (or one monthly value)",
        ),
        (
            "ACME-TEL-001,,2026-03-01,fcr,70,,,,",
            "row 2, value: a daily row of a ratio KPI needs numerator and denominator",
        ),
        (
            "ACME-TEL-001,2026-03,,contacts_voice,7,7,10,,",
            "row 2, numerator: this KPI is summed: give a value, not numerator/denominator",
        ),
        (
            "ACME-TEL-001,2026-03,,contacts_voice,,,,,",
            "row 2, value: is required for this KPI (it is summed)",
        ),
        (
            "ACME-TEL-001,,,contacts_voice,5,,,,",
            "row 2, period: give a period (YYYY-MM) or a date (YYYY-MM-DD)",
        ),
        (
            "ACME-TEL-001,2026-04,2026-03-01,contacts_voice,5,,,,",
            "row 2, date: 2026-03-01 is not in period 2026-04",
        ),
    ],
)
def test_bad_rows(line, expected):
    assert problems(HEADER + line + "\n") == [expected]


def test_duplicate_rows_within_the_file():
    line = "ACME-TEL-001,,2026-03-01,contacts_voice,5,,,voice,leeds\n"
    assert problems(HEADER + line + line) == [
        "row 3, duplicate row: the same contract, period or date, KPI, channel and site appear earlier"
    ]


def test_a_ratio_kpi_given_as_several_value_rows_is_refused():
    lines = "ACME-TEL-001,2026-03,,csat,84,,,,leeds\nACME-TEL-001,2026-03,,csat,86,,,,cardiff\n"
    assert problems(HEADER + lines) == [
        "row 2, value: csat has several rows for 2026-03: ratio rows need numerator and denominator so they can be added up",
        "row 3, value: csat has several rows for 2026-03: ratio rows need numerator and denominator so they can be added up",
    ]


def test_every_bad_row_is_reported_not_just_the_first():
    lines = "ACME-TEL-999,2026-03,,csat,,8,10,,\nACME-TEL-001,2026-03,,contacts_voice,x,,,,\n"
    assert len(problems(HEADER + lines)) == 2


@pytest.mark.parametrize(
    ("content", "file_name", "expected"),
    [
        (b"", "k.csv", "the file is empty"),
        (HEADER.encode(), "k.csv", "the file has a header but no rows"),
        (
            "contract,period,kpi,value\nACME,2026-03,csat,8\u00e9\n".encode("latin-1"),
            "k.csv",
            "the file is not UTF-8 text (byte 45); save it as CSV UTF-8",
        ),
        (
            b"contract,period,kpi,value\n" + b"x" * 10_000,
            "k.csv",
            "the file is 10,026 bytes; the limit is 10,000",
        ),
        (HEADER.encode(), "k.xlsx", "not a real Excel workbook (.xlsx); was a CSV file renamed?"),
        (b"PK\x03\x04garbage", "k.xlsx", "not a readable Excel workbook"),
        (
            b"contract,kpi,value\nACME,csat,1\n",
            "k.csv",
            "period: the file needs a period (YYYY-MM) or a date (YYYY-MM-DD) column",
        ),
        (b"period,kpi,value\n2026-03,csat,1\n", "k.csv", "contract: required column is missing"),
        (
            b"contract,period,kpi\nA,2026-03,csat\n",
            "k.csv",
            "value: the file needs a value column, or numerator and denominator columns",
        ),
        (b"contract,period,kpi,value,colour\nA,2026-03,csat,1,red\n", "k.csv", "colour: unknown column"),
    ],
)
def test_bad_files(content, file_name, expected):
    with pytest.raises(KpiFileRejected) as caught:
        read_kpi_file(file_name=file_name, content=content, max_bytes=10_000)
    assert any(str(error).startswith(expected) for error in caught.value.errors), caught.value.errors


def test_an_excel_workbook_is_read_as_text():
    book = Workbook()
    sheet = book.active
    sheet.append(["contract", "period", "kpi", "value"])
    sheet.append(["ACME-TEL-001", "2026-03", "cost_to_serve", "1050000.10"])
    buffer = io.BytesIO()
    book.save(buffer)
    frame = read_kpi_file(file_name="k.xlsx", content=buffer.getvalue(), max_bytes=10**6)
    rows = check_file(frame, contracts=CONTRACTS, kpis=KPIS).table
    assert rows["value"].to_pylist() == ["1050000.10"]


def test_a_bom_is_accepted():
    rows = check("\ufeff" + HEADER + "ACME-TEL-001,2026-03,,contacts_voice,5,,,,\n")
    assert rows["value"].to_pylist() == ["5"]


def month_of(code: str, aggregation: str, scale: int, rows: list[tuple]):
    """The month's value of one KPI from its current rows, as the selectors compute it."""
    return month_value(code, aggregation, scale, sums_of_rows(rows))


def row(kpi_rows):
    """Rows as the selector reads them: (contract, period, kpi, channel, site, batch, value, num, den)."""
    return [
        (1, "2026-03", 1, "", site, 1, *(None if v is None else Decimal(v) for v in values))
        for site, *values in kpi_rows
    ]


# Ratio KPIs are Σ numerator / Σ denominator, never the average of daily or per-site ratios.
def test_service_level_is_a_ratio_of_sums_across_sites_and_days():
    # Site A: 90/100 and 80/100 (85 %); site B: 100/400 (25 %). Average of ratios = (90+80+25)/3 = 65 %.
    rows = row([("a", None, "90", "100"), ("a", None, "80", "100"), ("b", None, "100", "400")])
    month = month_of("service_level", "ratio", 100, rows)
    assert month.value == Decimal("45.0000000000")  # 270 / 600
    assert (month.numerator, month.denominator) == (Decimal(270), Decimal(600))


def test_nps_pooled_from_counts_differs_from_the_mean_of_site_scores():
    # Site A: +50 of 100 responses (NPS 50); site B: −10 of 900 (NPS −1.11). Mean of sites ≈ 24.4.
    rows = row([("a", None, "50", "100"), ("b", None, "-10", "900")])
    assert month_of("nps", "ratio", 100, rows).value == Decimal("4.0000000000")


def test_aht_is_total_seconds_over_total_contacts():
    rows = row([("a", None, "3000", "10"), ("b", None, "60000", "300")])  # 300 s and 200 s averages
    assert month_of("aht_seconds", "ratio", 1, rows).value == Decimal("203.2258064516")


def test_zero_denominator_is_not_measured_never_zero():
    rows = row([("a", None, "0", "0")])
    assert month_of("service_level", "ratio", 100, rows).value is None


def test_a_single_monthly_value_is_used_as_is_and_sums_add_up():
    assert month_of("csat", "ratio", 100, row([("", "86.5", None, None)])).value == Decimal("86.5")
    assert month_of(
        "contacts_voice", "sum", 1, row([("a", "10", None, None), ("b", "5.5", None, None)])
    ).value == Decimal("15.5")


# Plain CSV files (no quotes, every line complete) are read by Arrow's parser: the same cells as pandas.
@pytest.mark.parametrize(
    "text",
    [
        HEADER + "ACME-TEL-001,2026-03,,contacts_voice,5,,,,\n",
        "\ufeff" + HEADER.replace("\n", "\r\n") + "ACME-TEL-001 , 2026-03,,contacts_voice, 5 ,,,,\r\n\r\n",
        HEADER + "\nACME-TEL-001,2026-03,,contacts_voice,5,,,voice,leeds\n\n",
        "Contract, Period ,KPI,value\nACME-TEL-001,2026-03,contacts_voice,0005.50",  # no final newline
        "contract,period,kpi,value\nACME-TEL-001,2026-03,contacts_voice,é ü\n",
    ],
)
def test_the_fast_csv_reader_reads_what_pandas_reads(text):
    content = text.encode()
    fast = _read_plain_csv(content.removeprefix(codecs.BOM_UTF8))
    assert fast is not None
    slow = pd.read_csv(
        io.StringIO(content.decode("utf-8-sig")), dtype=str, keep_default_na=False, na_filter=False
    )
    pd.testing.assert_frame_equal(fast.astype(object), slow.astype(object))
    frame = read_kpi_file(file_name="k.csv", content=content, max_bytes=10_000)
    for column in slow.columns:
        assert frame[column.strip().lower()].tolist() == [value.strip() for value in slow[column]]


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "ACME-TEL-001,2026-03,,contacts_voice,5\n",  # a short line
        HEADER + 'ACME-TEL-001,2026-03,,contacts_voice,5,,,"voice, web",leeds\n',  # quotes
        HEADER + "ACME-TEL-001,2026-03,,contacts_voice,5,,,,,\n",  # a cell too many
        "contract,period,kpi,value,Value\nACME-TEL-001,2026-03,contacts_voice,5,6\n",  # a column twice
    ],
)
def test_other_csv_files_are_read_by_pandas_as_before(text):
    assert _read_plain_csv(text.encode()) is None


def test_a_short_line_reads_as_empty_cells_as_before():
    rows = check(HEADER + "ACME-TEL-001,2026-03,,contacts_voice,5\n")
    assert (rows["value"].to_pylist(), rows["channel"].to_pylist(), rows["site"].to_pylist()) == (
        ["5"],
        [""],
        [""],
    )


def test_file_check_rows_are_ready_before_the_check_and_verified_once():
    text = HEADER + "ACME-TEL-001,2026-03,,contacts_voice,5,,,,\nACME-TEL-001,2026-03,,nope,5,,,,\n"
    frame = read_kpi_file(file_name="k.csv", content=text.encode(), max_bytes=10_000)
    file_check = FileCheck(frame, contracts=CONTRACTS, kpis=KPIS)
    assert len(file_check.rows) == 2  # ready to store before the check
    with pytest.raises(KpiFileRejected) as first:
        file_check.verify()
    with pytest.raises(KpiFileRejected) as again:
        file_check.verify()
    assert first.value is again.value
    assert [str(e) for e in first.value.errors] == ["row 3, kpi: unknown KPI 'nope'"]


def test_more_than_a_thousand_bad_rows_are_counted_and_the_first_thousand_listed():
    lines = "".join(
        f"ACME-TEL-001,,2026-03-{1 + i % 28:02d},contacts_voice,x{i},,,,s{i}\n" for i in range(1500)
    )
    with pytest.raises(KpiFileRejected) as caught:
        check_file(
            read_kpi_file(file_name="k.csv", content=(HEADER + lines).encode(), max_bytes=10**6),
            contracts=CONTRACTS,
            kpis=KPIS,
        )
    assert caught.value.error_count == 1500 and len(caught.value.errors) == 1000
    assert str(caught.value.errors[-1]) == "row 1001, value: not a number: 'x999'"


def test_a_file_read_in_several_blocks_is_checked_whole():
    days = [f"2026-03-{day:02d}" for day in range(1, 32)]
    lines = [f"ACME-TEL-001,,{days[i % 31]},contacts_voice,{i},,,voice,s{i // 31}\n" for i in range(40_000)]
    lines[-1] = "ACME-TEL-001,,2026-03-31,contacts_voice,-2,,,voice,last\n"
    content = (HEADER + "".join(lines)).encode()
    stream = io.BytesIO(content)
    scan = scan_kpi_file(file_name="k.csv", stream=stream, max_bytes=10**7)
    frames = list(read_kpi_chunks(stream=stream, scan=scan, chunk_rows=15_000))
    assert [len(frame) for frame in frames] == [15_000, 15_000, 10_000]
    assert frames[-1].attrs["source_rows"][-1] == 40_001
    frame = read_kpi_file(file_name="k.csv", content=content, max_bytes=10**7)
    with pytest.raises(KpiFileRejected) as caught:
        check_file(frame, contracts=CONTRACTS, kpis=KPIS)
    assert [str(e) for e in caught.value.errors] == [
        "row 40001, value: -2 is below the minimum 0 for contacts_voice"
    ]
    lines[-1] = "ACME-TEL-001,,2026-03-31,contacts_voice,2,,,voice,last\n"
    frame = read_kpi_file(file_name="k.csv", content=(HEADER + "".join(lines)).encode(), max_bytes=10**7)
    rows = check_file(frame, contracts=CONTRACTS, kpis=KPIS).table
    assert rows["source_row"].to_pylist() == list(range(2, 40_002))
    assert rows["value"].to_pylist()[-3:] == ["39997", "39998", "2"]
    assert rows["site"].to_pylist()[-1] == "last"
