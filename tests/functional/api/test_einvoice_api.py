"""``GET /api/v1/invoices/{number}/ubl/``: the Peppol UBL e-invoice, seen by whoever sees the
document, a 404 for anyone else, a 409 when a party has no Peppol endpoint."""

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from billing.services import statement_approve, statement_issue, statement_price_draft
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month
from tests.integration.billing.test_einvoice_pdf import vat_registered_contract
from tests.unit.billing.einvoice_checks import assert_valid_ubl

from .test_invoices import client_for

pytestmark = pytest.mark.django_db
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


def issue(contract, period="2026-01", voice=1500):
    load_kpis(month(contract.reference, period, voice, 78), name=f"{contract.reference}-{period}-{voice}.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse(period))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))


@pytest.fixture
def world():
    registered = vat_registered_contract()
    other = load_contract("ACME-B-001", supplier="Beta CX Ltd")  # its supplier has no VAT number
    invoice = issue(registered)
    load_kpis(f"{registered.reference},2026-01,,contacts_voice,1000,,,voice,\n", name="fix.csv")
    credit_note = statement_price_draft(contract_id=registered.pk, period=Period(2026, 1))
    statement_approve(statement_id=credit_note.pk)
    credit_note = statement_issue(statement_id=credit_note.pk, issue_date=date(2026, 2, 10))
    return {
        "registered": registered,
        "other": other,
        "invoice": invoice,
        "credit_note": credit_note,
        "b_doc": issue(other),
    }


def test_finance_gets_the_ubl_of_an_invoice_and_of_a_credit_note(world):
    finance = client_for(world["registered"].buyer, "finance")
    for key, root, code in [("invoice", "Invoice", "389"), ("credit_note", "CreditNote", "261")]:
        response = finance.get(f"/api/v1/invoices/{world[key].number}/ubl/")
        assert response.status_code == 200 and response["Content-Type"] == "application/xml"
        assert_valid_ubl(response.content)
        xml = etree.fromstring(response.content)
        assert (etree.QName(xml).localname, xml.findtext(f"{CBC}{root}TypeCode")) == (root, code)
        assert xml.findtext(f"{CBC}ID") == world[key].number
    note = etree.fromstring(finance.get(f"/api/v1/invoices/{world['credit_note'].number}/ubl/").content)
    assert world["credit_note"].gross < 0
    payable = (-world["credit_note"].gross).quantize(
        Decimal("0.01")
    )  # the sign rule: a credit note's totals positive
    assert note.findtext(f".//{CBC}PayableAmount") == str(payable) == "1140.00"


def test_a_client_that_asks_for_xml_gets_it_and_errors_stay_json(world):
    finance = client_for(world["registered"].buyer, "finance")
    number = world["invoice"].number
    response = finance.get(f"/api/v1/invoices/{number}/ubl/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200 and response.content.startswith(b"<?xml")
    missing = finance.get("/api/v1/invoices/NO-SUCH-1/ubl/", HTTP_ACCEPT="application/xml")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_the_supplier_sees_its_own_and_another_suppliers_is_a_404(world):
    supplier = client_for(world["registered"].supplier, "supplier")
    assert supplier.get(f"/api/v1/invoices/{world['invoice'].number}/ubl/").status_code == 200
    assert supplier.get(f"/api/v1/invoices/{world['b_doc'].number}/ubl/").status_code == 404


def test_a_party_without_a_peppol_endpoint_is_a_409_saying_so(world):
    finance = client_for(world["other"].buyer, "finance")
    response = finance.get(f"/api/v1/invoices/{world['b_doc'].number}/ubl/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 409 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Beta CX Ltd has no VAT number: the e-invoice must name the seller's"
    }


def test_a_draft_is_a_404(world):
    load_kpis(month(world["registered"].reference, "2026-02", 1500, 78), name="feb.csv")
    statement_price_draft(contract_id=world["registered"].pk, period=Period(2026, 2))
    finance = client_for(world["registered"].buyer, "finance")
    assert finance.get("/api/v1/invoices/None/ubl/").status_code == 404
