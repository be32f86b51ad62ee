"""The finance API's JSON of a payable document: both parties and the buyer reference as
issued, and the PDF's absolute URL, on the list and the detail alike, in two queries a page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Organisation
from tests.functional.api.test_invoices import client_for, issue_without_representation, reference_json
from tests.integration.billing.test_payable_documents import (  # noqa: F401  (fixtures)
    invoice_and_credit_note,
    payable,
)

pytestmark = pytest.mark.django_db


def test_a_document_carries_its_parties_reference_and_pdf_url_as_issued(invoice_and_credit_note):  # noqa: F811
    invoice, note = invoice_and_credit_note
    # A change after issue does not reach the JSON: the parties are read as they were issued.
    Organisation.objects.filter(code="ACME").update(name="Acme Renamed plc", registration_number="07654321")
    finance = client_for(Organisation.objects.get(code="ACME"), "finance")
    served = finance.get(f"/api/v1/invoices/{invoice.number}/").json()
    assert served["buyer_details"] == {
        "name": "Acme Telecom plc",
        "address": "1 Exchange Sq\nLondon",
        "country": "GB",
        "vat_number": "GB123456782",
        "registration_number": "01234567",
    }
    assert served["supplier_details"]["registration_number"] == "09876543"
    assert served["supplier_details"]["name"] == "Northwind CX Ltd"
    assert served["buyer_reference"] == "PO-ACME-2026-0042"
    assert served["pdf_url"] == f"http://testserver/api/v1/invoices/{invoice.number}/pdf/"
    assert served["buyer"] == "ACME"  # the code, as before
    listed = {d["number"]: d for d in finance.get("/api/v1/invoices/").json()["results"]}
    assert listed[invoice.number] == served
    assert listed[note.number] == reference_json(note.number)  # the schema's serializer agrees
    pdf = finance.get(served["pdf_url"].removeprefix("http://testserver"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_document_issued_before_texts_were_kept_has_the_same_keys(payable):  # noqa: F811
    old = issue_without_representation(payable, "2026-01")
    finance = client_for(payable.buyer, "finance")
    served = finance.get(f"/api/v1/invoices/{old.number}/").json()
    assert served["supplier_details"]["registration_number"] == "09876543"
    assert served["buyer_reference"] == "PO-ACME-2026-0042"
    assert served["pdf_url"].endswith(f"/api/v1/invoices/{old.number}/pdf/")


def test_the_list_still_costs_two_queries_a_page(invoice_and_credit_note):  # noqa: F811
    finance = client_for(Organisation.objects.get(code="ACME"), "finance")
    finance.get("/api/v1/invoices/")  # warm
    with CaptureQueriesContext(connection) as queries:
        response = finance.get("/api/v1/invoices/", {"page_size": 500})
    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert len(queries) == 2, [q["sql"][:120] for q in queries]
