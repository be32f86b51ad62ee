"""Payable documents: the parties' payment details, company numbers and the buyer reference are
frozen at issue; an invoice's PDF says whom to pay and how, a credit note's how it is settled."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from billing.documents import document, documents
from billing.pdf import statement_pdf_bytes
from billing.services import statement_approve, statement_issue, statement_price_draft
from billing.statement_context import statement_pdf_context
from contracts.models import Contract, Organisation
from contracts.services import contract_import_content
from pricing.period import Period

from .conftest import CONTRACT, load_kpis, month

pytestmark = pytest.mark.django_db
JAN = Period(2026, 1)
PAYEE = (
    "supplier: {name: Northwind CX Ltd, country: GB, iban: GB33 BUKB 2020 1555 5555 55, bic: BUKBGB22, "
    "sort_code: '20-20-15', account_number: '55555555', registration_number: '09876543', "
    "remittance_email: remittances@northwind.example}"
)


@pytest.fixture
def payable(db) -> Contract:
    text = CONTRACT.format(
        reference="ACME-P-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    text = text.replace("supplier: {name: Northwind CX Ltd, country: GB}", PAYEE)
    text = text.replace(
        'address: "1 Exchange Sq\\nLondon"}',
        "address: \"1 Exchange Sq\\nLondon\", registration_number: '01234567'}",
    )
    text = text.replace(
        "payment_terms_days: 30\n", "payment_terms_days: 30\nbuyer_reference: PO-ACME-2026-0042\n"
    )
    contract_import_content(file_name="payable.yaml", content=text.encode())
    return Contract.objects.get(reference="ACME-P-001")


def with_scorecard(statement):
    return documents([statement.pk], with_scorecard=True)[statement.pk]


def issue(statement):
    statement_approve(statement_id=statement.pk)
    return statement_issue(statement_id=statement.pk, issue_date=date(2026, 2, 3))


@pytest.fixture
def invoice_and_credit_note(payable):
    load_kpis(month(payable.reference, "2026-01", 1500, 90), name="jan.csv")
    invoice = issue(statement_price_draft(contract_id=payable.pk, period=JAN))
    load_kpis(f"{payable.reference},2026-01,,contacts_voice,1000,,,voice,\n", name="fix.csv")
    note = issue(statement_price_draft(contract_id=payable.pk, period=JAN))
    assert (invoice.document_type, note.document_type) == ("invoice", "credit_note")
    return invoice, note


def test_the_details_and_the_buyer_reference_are_frozen_at_issue(invoice_and_credit_note):
    invoice, _ = invoice_and_credit_note
    assert invoice.supplier_details["iban"] == "GB33BUKB20201555555555"
    assert invoice.supplier_details["registration_number"] == "09876543"
    assert invoice.buyer_details["registration_number"] == "01234567"
    assert invoice.buyer_details["buyer_reference"] == "PO-ACME-2026-0042"
    # Later changes to the organisation and the contract do not reach the issued document.
    Organisation.objects.filter(name="Northwind CX Ltd").update(iban="DE89370400440532013000", sort_code="")
    Contract.objects.filter(pk=invoice.contract_id).update(buyer_reference="PO-NEW")
    issued = document(type(invoice).objects.get(pk=invoice.pk))
    assert (issued.supplier.iban, issued.supplier.sort_code) == ("GB33BUKB20201555555555", "202015")
    assert issued.buyer_reference == "PO-ACME-2026-0042"


def test_a_draft_reads_the_contracts_current_reference(payable):
    load_kpis(month(payable.reference, "2026-01", 1500, 90), name="jan.csv")
    draft = statement_price_draft(contract_id=payable.pk, period=JAN)
    assert document(draft).buyer_reference == "PO-ACME-2026-0042"
    assert document(draft).supplier.iban == "GB33BUKB20201555555555"


def test_the_pdf_shows_a_due_date_and_terms_on_an_invoice_only(invoice_and_credit_note):
    invoice, note = invoice_and_credit_note
    assert invoice.due_date == date(2026, 3, 5) and note.gross < Decimal(0)
    assert statement_pdf_context(document=with_scorecard(invoice))["credit_note"] is False
    assert statement_pdf_context(document=with_scorecard(note))["credit_note"] is True


def test_the_invoice_context_names_the_payee_and_the_credit_note_context_none(invoice_and_credit_note):
    invoice, note = invoice_and_credit_note
    paid = statement_pdf_context(document=with_scorecard(invoice))["payment"]
    assert paid["payee"] == "Northwind CX Ltd"  # self-billed: the supplier is still the payee
    assert (paid["iban"], paid["sort_code"], paid["account_number"]) == (
        "GB33 BUKB 2020 1555 5555 55",
        "20-20-15",
        "55555555",
    )
    credit = statement_pdf_context(document=with_scorecard(note))
    assert credit["payment"] is None
    assert "deducted from the next payment Acme Telecom plc makes to Northwind CX Ltd" in credit["settlement"]


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (bin/system-deps.sh) not installed"
)


def text_of(pdf: bytes) -> str:
    raw = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(raw.split())


@needs_pdftotext
def test_the_invoice_pdf_has_the_payees_bank_details_and_both_company_numbers(invoice_and_credit_note):
    invoice, _ = invoice_and_credit_note
    text = text_of(statement_pdf_bytes(statement=invoice))
    for expected in [
        "Payment",
        "Pay to Northwind CX Ltd",
        "GB33 BUKB 2020 1555 5555 55",
        "BUKBGB22",
        "20-20-15",
        "55555555",
        "remittances@northwind.example",
        "Company no. 09876543",
        "Company no. 01234567",
        "PO-ACME-2026-0042",
        "Due date",
        "Payment terms",
    ]:
        assert expected in text, expected


@needs_pdftotext
def test_the_credit_note_pdf_says_how_it_is_settled_with_no_bank_details_or_due_date(invoice_and_credit_note):
    _, note = invoice_and_credit_note
    text = text_of(statement_pdf_bytes(statement=note))
    assert "How this credit note is settled" in text and "is deducted from the next payment" in text
    assert "PO-ACME-2026-0042" in text and "Company no. 09876543" in text
    for absent in [
        "GB33 BUKB",
        "BUKBGB22",
        "20-20-15",
        "Sort code",
        "IBAN",
        "Due date",
        "Payment terms",
        "Pay to",
    ]:
        assert absent not in text, absent
