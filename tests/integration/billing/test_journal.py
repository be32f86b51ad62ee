"""The journal: one row per issued document line with its ledger codes, balanced per document;
the demo's months balance to their statements' totals; the export command's output and refusals."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from billing import journal
from billing.documents import DocumentContract, DocumentLine, Party, StatementDocument
from billing.journal import Accounts, document_rows
from billing.journal_files import HEADERS
from billing.models import Statement
from billing.services import statement_void
from contracts.models import Membership, Organisation
from pricing.money import Rounding, percent_of, round_money
from pricing.period import Period
from tests.demo_index import import_demo_index

ROOT = Path(__file__).resolve().parents[3]
PARTY = Party("NW", "Northwind CX Ltd", "", "GB", "")


def a_document(amounts: list[Decimal], tax_rate: Decimal, places: int = 2) -> StatementDocument:
    """A document as ``pricing.totals`` makes one: net the sum of the lines, tax rounded once."""
    net = sum(amounts, Decimal(0))
    tax = round_money(percent_of(net, tax_rate), decimal_places=places, rounding=Rounding.HALF_UP)
    return StatementDocument(
        id=1,
        number="ACME-2026-000001",
        revision=1,
        status="issued",
        document_type="credit_note" if net < 0 else "invoice",
        period="2026-03",
        currency="GBP",
        decimal_places=places,
        contract=DocumentContract("ACME-001", "Care", False, 30),
        buyer=PARTY,
        supplier=PARTY,
        net=net,
        tax=tax,
        gross=net + tax,
        tax_rate=tax_rate,
        issue_date=date(2026, 4, 3),
        due_date=date(2026, 5, 3),
        paid_at=None,
        approved_by=None,
        issued_by=None,
        paid_by=None,
        adjusts=None,
        replaces=None,
        void_reason="",
        flags=(),
        lines=tuple(
            DocumentLine(i + 1, f"c{i}", "charge", "", amount, "", f"C{i}")
            for i, amount in enumerate(amounts)
        ),
    )


line_amounts = st.lists(
    st.decimals(min_value=-(10**8), max_value=10**8, places=2, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
)
tax_rates = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(amounts=line_amounts, tax_rate=tax_rates)
def test_every_document_balances_and_its_lines_share_its_tax_exactly(amounts, tax_rate):
    document = a_document(amounts, tax_rate)
    rows = document_rows(document, {"c0": Accounts("6100", "CARE")})
    *lines, creditors = rows
    assert [row.entry for row in lines] == ["line"] * len(amounts) and creditors.entry == "creditors"
    # The lines are the document: their nets its net, their tax exactly its tax.
    assert sum(row.net for row in lines) == document.net
    assert sum(row.tax for row in lines) == document.tax
    assert all(row.gross == row.net + row.tax for row in rows)
    # Debits equal credits: every amount column sums to zero over the document's rows.
    for column in ("net", "tax", "gross"):
        assert sum(getattr(row, column) for row in rows) == 0
    assert creditors.gross == -document.gross
    assert (creditors.gl_code, lines[0].gl_code, lines[0].cost_centre) == ("creditors", "6100", "CARE")
    # A line's tax is within a cent of its exact share.
    if document.net:
        for row in lines:
            assert abs(row.tax - row.net * document.tax / document.net) < Decimal("0.01")


def test_a_credit_note_swaps_the_sides():
    rows = document_rows(a_document([Decimal("-100.00"), Decimal("-50.01")], Decimal("20")), {})
    assert [(row.entry, row.net, row.tax, row.gross) for row in rows] == [
        ("line", Decimal("-100.00"), Decimal("-20.00"), Decimal("-120.00")),
        ("line", Decimal("-50.01"), Decimal("-10.00"), Decimal("-60.01")),
        ("creditors", Decimal("150.01"), Decimal("30.00"), Decimal("180.01")),
    ]
    assert rows[0].gl_code == "" and rows[2].title == "Payable to Northwind CX Ltd"


def test_a_zero_document_has_no_negative_zero():
    rows = document_rows(a_document([Decimal("0.00")], Decimal("20")), {})
    assert [str(row.gross) for row in rows] == ["0.00", "0.00"]


def journal_csv(*args) -> list[dict]:
    out = io.StringIO()
    call_command("export_journal", *args, stdout=out)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def demo(db, kpi_catalogue):
    """The demo's contracts and months, as ``make demo`` makes them: January and February
    issued, then February's late correction issued as an adjustment."""
    contracts = sorted(str(path) for path in (ROOT / "fixtures" / "contracts").glob("*.yaml"))
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    import_demo_index()
    call_command("import_contracts", *contracts, **quiet)
    for period in ("2026-01", "2026-02"):
        call_command("ingest_kpis", str(ROOT / "fixtures" / "kpis" / f"{period}.csv"), **quiet)
        call_command("run_billing", "--period", period, **quiet)
        call_command("issue_statements", "--period", period, **quiet)
    call_command("ingest_kpis", str(ROOT / "fixtures" / "kpis" / "2026-02-correction.csv"), **quiet)
    call_command("run_billing", "--period", "2026-02", **quiet)
    call_command("issue_statements", "--period", "2026-02", **quiet)


def by_document(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["Document"], []).append(row)
    return grouped


@pytest.mark.parametrize("period", ["2026-01", "2026-02"])
def test_a_demo_month_balances_to_its_statements_totals(demo, period):
    rows = journal_csv("--period", period)
    assert list(rows[0]) == list(HEADERS)
    issued = Statement.objects.filter(period=period, status__in=["issued", "paid"])
    assert set(by_document(rows)) == set(issued.values_list("number", flat=True))
    if period == "2026-02":  # the late correction is in February's journal, as its own document
        assert issued.filter(adjusts__isnull=False).exists()
    for number, document_rows_ in by_document(rows).items():
        statement = issued.get(number=number)
        lines = [row for row in document_rows_ if row["Entry"] == "line"]
        assert [row["Entry"] for row in document_rows_] == ["line"] * len(lines) + ["creditors"]
        assert [int(row["Line"]) for row in lines] == sorted(
            statement.lines.values_list("position", flat=True)
        )
        assert sum(Decimal(row["Net"]) for row in lines) == statement.net
        assert sum(Decimal(row["Tax"]) for row in lines) == statement.tax
        assert sum(Decimal(row["Gross"]) for row in lines) == statement.gross
        for column in ("Net", "Tax", "Gross"):
            assert sum(Decimal(row[column]) for row in document_rows_) == 0, (number, column)
        # Every demo component has its codes, as the contract file gives them.
        assert all(row["GL code"] and row["Cost centre"] for row in lines)
    totals = {c: sum(s.gross for s in issued if s.currency == c) for c in {s.currency for s in issued}}
    for currency, gross in totals.items():
        assert (
            -sum(Decimal(r["Gross"]) for r in rows if r["Entry"] == "creditors" and r["Currency"] == currency)
            == gross
        )
    # The codes are the component's in the contract file: Acme's account management is 6100.
    mgmt = [r for r in rows if r["Contract"] == "ACME-TEL-001" and r["Component"] == "mgmt"]
    assert mgmt and {(r["GL code"], r["Cost centre"]) for r in mgmt} == {("6100", "CARE-UK")}


def test_a_void_document_is_left_out(demo):
    statement = Statement.objects.filter(period="2026-01", status="issued").order_by("number").first()
    statement_void(statement_id=statement.pk, reason="issued to the wrong entity")
    numbers = {row["Document"] for row in journal_csv("--period", "2026-01")}
    assert statement.number not in numbers
    assert numbers == set(
        Statement.objects.filter(period="2026-01", status__in=["issued", "paid"]).values_list(
            "number", flat=True
        )
    )


def test_a_user_gets_only_its_buyers_documents(demo):
    user = User.objects.create_user("acme-buyer")
    Membership.objects.create(
        user=user, organisation=Organisation.objects.get(code="ACME"), role="procurement"
    )
    rows = journal_csv("--period", "2026-01", "--user", "acme-buyer")
    assert rows and {row["Contract"] for row in rows} == {"ACME-TEL-001"}
    assert {row["Document"] for row in rows} == set(
        Statement.objects.filter(period="2026-01", buyer__code="ACME").values_list("number", flat=True)
    )
    nobody = User.objects.create_user("no-membership")
    assert nobody and journal_csv("--period", "2026-01", "--user", "no-membership") == []


def test_the_workbook_holds_the_same_rows_with_numbers_and_dates(demo, tmp_path):
    out = tmp_path / "journal.xlsx"
    call_command(
        "export_journal", "--period", "2026-01", "--format", "xlsx", "--out", str(out), stderr=io.StringIO()
    )
    sheet = load_workbook(out, read_only=True)["Journal"]
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert header == HEADERS
    rows = journal_csv("--period", "2026-01")
    assert len(cells) == len(rows)
    net = HEADERS.index("Net")
    assert [Decimal(str(row[net])) for row in cells] == [Decimal(row["Net"]) for row in rows]
    assert sum(Decimal(str(row[net])) for row in cells) == 0
    assert cells[0][HEADERS.index("Issue date")].date().isoformat() == rows[0]["Issue date"]


def test_csv_to_a_file(demo, tmp_path):
    out = tmp_path / "journal.csv"
    err = io.StringIO()
    call_command("export_journal", "--period", "2026-01", "--out", str(out), stderr=err)
    assert out.read_bytes().decode().removeprefix("\ufeff").splitlines()[0] == ",".join(HEADERS)
    assert "document(s) of 2026-01 written to" in err.getvalue()
    # Per currency, the lines' debits, the creditors' credits and the documents' gross agree.
    gross = {
        currency: sum(
            Statement.objects.filter(period="2026-01", currency=currency).values_list("gross", flat=True)
        )
        for currency in Statement.objects.filter(period="2026-01").values_list("currency", flat=True)
    }
    for currency, total in gross.items():
        amount = f"{total.quantize(Decimal('0.01')):,}"
        assert (
            f"{currency}: lines {amount} debit, creditors {amount} credit, documents' gross {amount}: balanced"
            in err.getvalue()
        )


def test_the_tally_says_when_a_journal_does_not_balance():
    from billing.journal import JournalTally

    tally = JournalTally()
    tally.lines, tally.creditors = {"GBP": Decimal("10.00")}, {"GBP": Decimal("-9.99")}
    assert tally.balance_text([]) == [
        "GBP: lines 10.00 debit, creditors 9.99 credit, documents' gross 0.00: NOT BALANCED"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "not a valid period: 2026-13"),
        (["--period", "March"], "not a period (expected YYYY-MM): 'March'"),
        (["--period", "2026-01", "--user", "nobody"], "--user: no active user named 'nobody'"),
        (["--period", "2026-01", "--user", "x" * 500], "--user: a username has at most"),
        (["--period", "2026-01", "--format", "xlsx"], "--format xlsx needs --out FILE"),
        (
            ["--period", "2026-01", "--out", "/nonexistent/dir/j.csv"],
            "--out: cannot write /nonexistent/dir/j.csv",
        ),
    ],
)
def test_bad_arguments_are_a_clear_error(db, args, message):
    with pytest.raises(CommandError, match=None) as refused:
        call_command("export_journal", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert message in str(refused.value)


def test_an_empty_month_is_the_header_alone(db):
    assert journal_csv("--period", "2030-01") == []


def test_the_queries_grow_with_chunks_not_documents(demo, monkeypatch):
    ids = journal.journal_statement_ids(statements=Statement.objects.all(), period=Period.parse("2026-02"))
    assert len(ids) >= 4
    monkeypatch.setattr(journal, "CHUNK", 2)
    with CaptureQueriesContext(connection) as queries:
        rows = list(journal.journal_rows(ids))
    chunks = -(-len(ids) // 2)
    assert len(queries) == 6 * chunks
    assert {row.document for row in rows} == set(
        Statement.objects.filter(pk__in=ids).values_list("number", flat=True)
    )
