"""The statement list's balances per currency and its exports (CSV, Excel, a ZIP of the PDFs):
the filters apply, spreadsheet formulas are neutralised, the ZIP holds the stored PDFs, a
filter selecting too many documents is refused, and another supplier's documents never appear."""

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from billing.models import Statement
from billing.pdf import statement_pdf_store
from billing.services import statement_mark_paid, statement_void
from contracts.models import Contract
from contracts.services import contract_import_content
from portal import selectors
from portal.exports import COLUMNS, cell_text, zip_member_name
from tests.integration.billing.conftest import CONTRACT

from .conftest import issue, price, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world):
    """Alpha: January issued (due 5 March), February issued and paid, a credit note on January
    (due 3 April), and a euro contract's January issued (due 5 March): a mix of states and two
    currencies. Beta has its own January."""
    alpha = world["alpha_contract"]
    feb = issue(world["alpha_feb_draft"], issue_date=date(2026, 3, 3))
    statement_mark_paid(statement_id=feb.pk)
    note = issue(price(alpha, "2026-01", voice=1000, name="jan-fix.csv"), issue_date=date(2026, 3, 4))
    assert note.document_type == "credit_note" and note.gross < 0
    text = CONTRACT.format(
        reference="ACME-A-EUR", supplier="Alpha CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    ).replace("currency: GBP", "currency: EUR")
    contract_import_content(file_name="ACME-A-EUR.yaml", content=text.encode())
    euro_contract = Contract.objects.get(reference="ACME-A-EUR")
    assert euro_contract.supplier_id == alpha.supplier_id
    euro = issue(price(euro_contract, "2026-01", voice=500, name="eur-jan.csv"))
    for statement in (world["alpha_jan"], feb, note, euro, world["beta_jan"]):
        statement_pdf_store(statement_id=statement.pk)
    return {**world, "alpha_feb": feb, "alpha_note": note, "alpha_euro": euro}


def refreshed(*statements) -> list[Statement]:
    return [Statement.objects.get(pk=statement.pk) for statement in statements]


# --- Balances -----------------------------------------------------------------------------


def test_balances_are_per_currency_with_credit_notes_negative_and_overdue_by_today(ledger):
    jan, feb, note, euro = refreshed(
        ledger["alpha_jan"], ledger["alpha_feb"], ledger["alpha_note"], ledger["alpha_euro"]
    )
    statements = selectors.statement_list(user=ledger["alpha"])
    # 10 March: January and the euro January are past due (5 March), the credit note is not (3 April).
    balances = {
        b.currency: b for b in selectors.statement_balances(statements=statements, today=date(2026, 3, 10))
    }
    assert set(balances) == {"EUR", "GBP"}
    gbp, eur = balances["GBP"], balances["EUR"]
    assert gbp.outstanding == jan.gross + note.gross and note.gross < 0
    assert gbp.overdue == jan.gross
    assert gbp.paid == feb.gross
    assert (eur.outstanding, eur.overdue, eur.paid) == (euro.gross, euro.gross, Decimal(0))
    assert gbp.documents == 3 and eur.documents == 1
    # On its due date a document is not overdue yet; the day after it is.
    on_due = {b.currency: b for b in selectors.statement_balances(statements=statements, today=jan.due_date)}
    assert on_due["GBP"].overdue == 0
    after = {
        b.currency: b for b in selectors.statement_balances(statements=statements, today=date(2026, 4, 4))
    }
    assert after["GBP"].overdue == jan.gross + note.gross


def test_balances_follow_the_filters_and_leave_void_documents_out(ledger):
    jan, feb = refreshed(ledger["alpha_jan"], ledger["alpha_feb"])
    paid_only = selectors.statement_list(user=ledger["alpha"], status="paid")
    [balance] = selectors.statement_balances(statements=paid_only, today=date(2026, 3, 10))
    assert (balance.currency, balance.outstanding, balance.paid) == ("GBP", 0, feb.gross)
    january = selectors.statement_list(user=ledger["alpha"], period="2026-01", contract="ACME-A-001")
    [balance] = selectors.statement_balances(statements=january, today=date(2026, 3, 10))
    assert balance.outstanding == jan.gross + ledger["alpha_note"].gross and balance.paid == 0
    statement_void(statement_id=ledger["alpha_euro"].pk, reason="Wrong currency")
    everything = selectors.statement_list(user=ledger["alpha"])
    euro = {
        b.currency: b for b in selectors.statement_balances(statements=everything, today=date(2026, 3, 10))
    }["EUR"]
    assert (euro.documents, euro.outstanding, euro.overdue, euro.paid) == (1, 0, 0, 0)


def test_the_list_shows_the_balances_the_paid_dates_and_export_links_with_its_filters(ledger):
    feb = refreshed(ledger["alpha_feb"])[0]
    body = signed_in(ledger["alpha"]).get("/statements/", {"period": "2026-02", "page": "1"}).content.decode()
    assert "Balances of these documents" in body
    assert f'<td data-label="Paid">{feb.paid_at:%-d %b %Y}</td>' in body
    assert "€" not in body  # the euro document is January's: not in this list
    for name in ("csv", "xlsx", "zip"):
        assert f'href="/statements/export.{name}?period=2026-02"' in body  # the filter, not the page
    everything = signed_in(ledger["alpha"]).get("/statements/").content.decode()
    assert "€" in everything and 'href="/statements/export.csv"' in everything


def test_the_balances_cost_one_query_whatever_the_number_of_documents(ledger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements = selectors.statement_list(user=ledger["alpha"])
    with CaptureQueriesContext(connection) as captured:
        selectors.statement_balances(statements=statements, today=date(2026, 3, 10))
    assert len(captured) == 1


# --- CSV and Excel ------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_csv_has_the_columns_and_one_row_per_document_of_the_filtered_list(ledger):
    jan, feb, note = refreshed(ledger["alpha_jan"], ledger["alpha_feb"], ledger["alpha_note"])
    response = signed_in(ledger["alpha"]).get("/statements/export.csv", {"contract": "ACME-A-001"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="statements.csv"'
    header, *rows = csv_rows(response)
    assert tuple(header) == COLUMNS
    by_number = {row[0]: row for row in rows}
    assert list(by_number) == [feb.number, jan.number, note.number]  # the list's order
    assert by_number[feb.number] == [
        feb.number,
        "Invoice",
        "ACME-A-001",
        "2026-02",
        "2026-03-03",
        feb.due_date.isoformat(),
        "Paid",
        feb.paid_at.date().isoformat(),
        f"{feb.net:.2f}",
        f"{feb.tax:.2f}",
        f"{feb.gross:.2f}",
        "GBP",
    ]
    assert by_number[note.number][1] == "Credit note" and by_number[note.number][10] == f"{note.gross:.2f}"
    assert by_number[note.number][10].startswith("-")  # an amount stays a number, not neutralised text
    assert by_number[jan.number][7] == ""  # not paid


def test_the_excel_file_has_the_same_rows_with_dates_and_numbers(ledger):
    jan, feb, note, euro = refreshed(
        ledger["alpha_jan"], ledger["alpha_feb"], ledger["alpha_note"], ledger["alpha_euro"]
    )
    response = signed_in(ledger["alpha"]).get("/statements/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="statements.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Statements"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header == COLUMNS
    assert [row[0] for row in rows] == [feb.number, jan.number, note.number, euro.number]  # the list's order
    row = rows[0]
    assert row[4].date() == date(2026, 3, 3) and row[7].date() == feb.paid_at.date()
    assert Decimal(str(row[10])) == feb.gross and row[11] == "GBP"
    assert Decimal(str(rows[2][10])) == note.gross < 0 and rows[3][11] == "EUR"
    assert sheet.cell(row=2, column=11).number_format == "#,##0.00"


@pytest.mark.parametrize(
    "text, shown",
    [
        # Each character a spreadsheet starts a formula (or a DDE call) with is neutralised…
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        # …and any other text is left as it is.
        ("ACME-A-001", "ACME-A-001"),
        ("", ""),
    ],
)
def test_cell_text_neutralises_formulas(text, shown):
    assert cell_text(text) == shown


def test_a_hostile_contract_reference_is_text_in_both_exports(ledger):
    Contract.objects.filter(pk=ledger["alpha_contract"].pk).update(reference='=HYPERLINK("http://evil")')
    client = signed_in(ledger["alpha"])
    rows = csv_rows(client.get("/statements/export.csv"))[1:]
    assert '\'=HYPERLINK("http://evil")' in {row[2] for row in rows}
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    response = client.get("/statements/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Statements"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    hostile = [cell for cell in cells if "HYPERLINK" in str(cell.value)]
    assert hostile and all(cell.data_type == "s" and cell.value.startswith("'") for cell in hostile)
    assert not any(cell.data_type == "f" for cell in cells)


# --- ZIP of the PDFs ----------------------------------------------------------------------


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_holds_the_stored_pdf_of_each_document_of_the_filtered_list(ledger):
    jan, note = refreshed(ledger["alpha_jan"], ledger["alpha_note"])
    response = signed_in(ledger["alpha"]).get(
        "/statements/export.zip", {"period": "2026-01", "contract": "ACME-A-001"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="statements.zip"' in response["Content-Disposition"]
    archive = zip_of(response)
    assert archive.namelist() == [f"{jan.number}.pdf", f"{note.number}.pdf"]
    assert all(info.date_time[0] >= 2026 for info in archive.infolist())  # dated, not 1980
    for statement in (jan, note):
        with statement.pdf.open("rb") as stored:
            assert archive.read(f"{statement.number}.pdf") == stored.read()


def test_a_pdf_not_stored_yet_is_rendered_once_into_the_zip(world):
    statement = world["alpha_jan"]
    assert not Statement.objects.get(pk=statement.pk).pdf
    archive = zip_of(signed_in(world["alpha"]).get("/statements/export.zip"))
    stored = Statement.objects.get(pk=statement.pk)
    assert stored.pdf and archive.read(f"{statement.number}.pdf") == stored.pdf.read()
    second = zip_of(signed_in(world["alpha"]).get("/statements/export.zip"))
    assert second.read(f"{statement.number}.pdf") == archive.read(f"{statement.number}.pdf")


def test_a_filter_selecting_more_than_the_cap_is_refused_with_a_message(ledger, settings):
    settings.PORTAL_ZIP_MAX_DOCUMENTS = 3
    client = signed_in(ledger["alpha"])
    refused = client.get("/statements/export.zip")  # four documents
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "more than 3 documents" in body and "Narrow them" in body
    assert len(zip_of(client.get("/statements/export.zip", {"period": "2026-01"})).namelist()) == 3
    page = client.get("/statements/").content.decode()
    assert "at most 3 documents at a time" in page and "/statements/export.zip" not in page
    settings.PORTAL_EXPORT_MAX_DOCUMENTS = 2
    assert client.get("/statements/export.csv").status_code == 400
    assert client.get("/statements/export.xlsx", {"period": "2026-02"}).status_code == 200


def test_zip_member_names_cannot_leave_the_archive():
    assert zip_member_name("ACME-2026-0001") == "ACME-2026-0001.pdf"
    assert zip_member_name("../../etc/passwd") == ".._.._etc_passwd.pdf"


# --- Isolation and hostile filters --------------------------------------------------------


EXPORTS = ("/statements/export.csv", "/statements/export.xlsx", "/statements/export.zip")


def exported_text(response) -> str:
    """Everything an export holds, as text: the CSV, the workbook's cells, the ZIP's names and PDFs."""
    content = b"".join(response.streaming_content)
    if content.startswith(b"PK") and b"xl/workbook.xml" in content:
        sheet = load_workbook(io.BytesIO(content))["Statements"]
        return "\n".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
    if content.startswith(b"PK"):
        archive = zipfile.ZipFile(io.BytesIO(content))
        return "\n".join(archive.namelist())
    return content.decode("utf-8-sig")


@pytest.mark.parametrize("url", EXPORTS)
def test_another_suppliers_documents_never_appear_in_an_export(ledger, url):
    beta = signed_in(ledger["beta"])
    alpha_numbers = [
        s.number
        for s in refreshed(
            ledger["alpha_jan"], ledger["alpha_feb"], ledger["alpha_note"], ledger["alpha_euro"]
        )
    ]
    for query in ({}, {"period": "2026-01"}, {"status": "issued"}, {"contract__supplier": "1"}):
        response = beta.get(url, query)
        assert response.status_code == 200, (url, query)
        text = exported_text(response)
        assert ledger["beta_jan"].number in text, query
        assert not any(number in text for number in alpha_numbers), (url, query)
        assert "ACME-A-001" not in text and "ACME-A-EUR" not in text
    # Another supplier's contract or period is not a filter but an unrecognised value: refused.
    for query in ({"contract": "ACME-A-001"}, {"period": "2026-02"}):
        response = beta.get(url, query)
        assert response.status_code == 400, (url, query)
        assert not any(number.encode() in response.content for number in alpha_numbers)


@pytest.mark.parametrize("url", EXPORTS)
@pytest.mark.parametrize(
    "query",
    [
        {"period": "1999-01"},
        {"period": "x" * 10000},
        {"status": "draft"},
        {"status": "'; DROP TABLE billing_statement; --"},
        {"document_type": "\x00"},
        {"contract": "<script>alert(1)</script>"},
    ],
)
def test_a_hostile_filter_value_is_refused_with_a_message_and_no_file(ledger, url, query):
    response = signed_in(ledger["alpha"]).get(url, query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Some filters were not recognised, so nothing was exported." in body
    assert "<script>alert(1)</script>" not in body


@pytest.mark.parametrize("url", EXPORTS)
def test_exports_need_a_signed_in_supplier(ledger, url, client):
    assert client.get(url).status_code == 302  # to the login page


def test_a_pdf_that_cannot_be_rendered_is_a_clear_message_not_a_broken_zip(world, monkeypatch):
    from billing.rendering import RenderError
    from portal import exports

    def failing(*, statement_id):
        raise RenderError("render took too long")

    monkeypatch.setattr(exports, "statement_pdf_store", failing)
    response = signed_in(world["alpha"]).get("/statements/export.zip")
    assert response.status_code == 503
    assert "A PDF could not be made just now, so nothing was downloaded." in response.content.decode()


def test_the_export_links_carry_only_the_filters_the_list_applies(ledger):
    body = (
        signed_in(ledger["alpha"])
        .get("/statements/", {"period": "1999-01", "status": "paid"})
        .content.decode()
    )
    links = re.findall(r'href="/statements/export\.(\w+)(\?[^"]*)?"', body)
    assert links == [("csv", "?status=paid"), ("xlsx", "?status=paid"), ("zip", "?status=paid")]
