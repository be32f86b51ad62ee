"""One statement document: the finance API, the export, the PDF and the portal page show the
same number, amounts and lines for the same statements (invoices, a credit note and an
invoice adjusting an issued month, and a draft where the API and the portal show none)."""

from datetime import date
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from rest_framework.test import APIClient

from billing import pdf
from billing.documents import documents
from billing.exports import statements_export
from billing.models import Statement
from core.formatting import money_display
from pricing.period import Period

from .conftest import issue, portal_user, price, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents_of_january(world):
    """Alpha's January issued, corrected by a credit note (fewer contacts), Beta's January
    issued, corrected by an invoice (more contacts), and Alpha's February a draft."""
    credit = issue(price(world["alpha_contract"], "2026-01", voice=1000, name="a-fix.csv"), date(2026, 3, 4))
    extra = issue(price(world["beta_contract"], "2026-01", voice=1200, service_level=85, name="b-fix.csv"))
    assert (credit.document_type, extra.document_type) == ("credit_note", "invoice")
    issued = [world["alpha_jan"], credit, world["beta_jan"], extra]
    return {**world, "issued": issued, "draft": world["alpha_feb_draft"]}


def finance_client(organisation) -> APIClient:
    client = APIClient()
    client.force_authenticate(portal_user(organisation, role="finance"))
    return client


def pdf_html(statement: Statement) -> str:
    """The HTML the PDF of ``statement`` is rendered from."""
    with (
        mock.patch.object(pdf, "render_pdf", side_effect=lambda html, **variant: html.encode()),
        mock.patch.object(pdf, "facturx_pdf", side_effect=lambda archival, **xml: archival),
    ):
        return pdf.statement_pdf_bytes(statement=statement).decode()


def exported(period: str) -> dict:
    return {
        (entry["contract"], entry["number"]): entry
        for entry in statements_export(period=Period.parse(period))
    }


def test_the_api_export_pdf_and_portal_show_the_same_document(documents_of_january):
    world = documents_of_january
    by_id = documents(statement.pk for statement in [*world["issued"], world["draft"]])
    export = exported("2026-01")
    finance = finance_client(world["alpha_contract"].buyer)
    for statement in world["issued"]:
        document = by_id[statement.pk]
        row = Statement.objects.get(pk=statement.pk)
        assert (document.number, document.net, document.gross) == (row.number, row.net, row.gross)
        assert sum(line.amount for line in document.lines) == document.net
        api = finance.get(f"/api/v1/invoices/{document.number}/").json()
        entry = export[(document.contract.reference, document.number)]
        plain = [document.amount_text(amount) for amount in (document.net, document.tax, document.gross)]
        assert [api[key] for key in ("net", "tax", "gross")] == plain
        assert [entry[key] for key in ("net", "tax", "gross")] == plain
        assert api["adjusts"] == entry.get("adjusts") == document.adjusts
        assert api["document_type"] == entry["document_type"] == document.document_type
        lines = [
            (line.component, document.amount_text(line.amount), line.explanation) for line in document.lines
        ]
        assert [(line["component"], line["amount"], line["explanation"]) for line in api["lines"]] == lines
        assert [(line["component"], line["amount"], line["explanation"]) for line in entry["lines"]] == lines

        supplier = portal_user(row.contract.supplier, username=f"page-{document.number}")
        page = signed_in(supplier).get(f"/statements/{document.number}/").content.decode()
        html = pdf_html(row)
        shown = [money_display(amount, document.currency) for amount in (document.net, document.gross)]
        for text in (page, html):
            assert document.number in text
            for amount in shown:
                assert amount in text
            for line in document.lines:
                assert escape(line.explanation) in text
                assert money_display(line.amount, document.currency) in text
            if document.adjusts:
                assert document.adjusts in text


def test_a_draft_is_the_same_document_in_the_export_and_its_pdf_preview(documents_of_january):
    draft = documents_of_january["draft"]
    document = documents([draft.pk])[draft.pk]
    (entry,) = exported("2026-02").values()
    assert entry["status"] == document.status == "draft" and entry["number"] is None is document.number
    assert entry["gross"] == document.amount_text(document.gross)
    assert [line["explanation"] for line in entry["lines"]] == [line.explanation for line in document.lines]
    html = pdf_html(draft)
    assert f"DRAFT {document.contract.reference} 2026-02 r{document.revision}" in html
    assert money_display(document.gross, document.currency) in html
    for line in document.lines:
        assert escape(line.explanation) in html
    finance = finance_client(documents_of_january["alpha_contract"].buyer)
    assert finance.get("/api/v1/invoices/", {"period": "2026-02"}).json()["count"] == 0


def test_the_export_takes_the_same_number_of_queries_for_one_statement_or_many(world):
    def queries(period: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            entries = statements_export(period=Period.parse(period))
        return len(entries), len(captured)

    one = queries("2026-02")
    issue(price(world["alpha_contract"], "2026-01", voice=1000, name="a-fix.csv"), date(2026, 3, 4))
    many = queries("2026-01")
    assert (one[0], many[0]) == (1, 3)
    assert one[1] == many[1]
