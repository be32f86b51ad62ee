"""The DRAFT preview PDF: the issued PDF's template, marked on every page, never stored."""

import shutil
import subprocess
from dataclasses import replace

import pytest
from django.template.loader import render_to_string

from billing.documents import documents
from billing.models import Statement
from billing.pdf import statement_pdf_bytes, statement_pdf_preview_bytes
from billing.rendering import render_pdf
from billing.services import statement_approve, statement_issue, statement_price_draft
from billing.statement_context import statement_pdf_context
from pricing.period import Period

from .conftest import load_kpis, month

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]
MARK = "DRAFT — NOT A TAX INVOICE"


def pages_of(pdf: bytes) -> list[str]:
    raw = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [" ".join(page.split()) for page in raw.split("\f") if page.strip()]


@pytest.fixture
def draft(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    return statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))


def test_every_page_of_a_long_preview_is_marked(draft):
    """Forty copies of the lines run over several pages; the mark repeats on each of them."""
    document = documents([draft.pk], with_scorecard=True)[draft.pk]
    long = replace(document, lines=document.lines * 40)
    context = {**statement_pdf_context(document=long), "preview": True}
    pages = pages_of(render_pdf(render_to_string("billing/statement_pdf.html", context)))
    assert len(pages) >= 3
    assert all(MARK in page for page in pages), [i for i, page in enumerate(pages) if MARK not in page]


def test_an_approved_statement_previews_unnumbered_and_an_issued_one_does_not(draft):
    statement_approve(statement_id=draft.pk)
    approved = Statement.objects.get(pk=draft.pk)
    pages = pages_of(statement_pdf_preview_bytes(statement=approved))
    assert all(MARK in page for page in pages) and "not issued" in pages[0]
    approved.refresh_from_db()
    assert (approved.number, bool(approved.pdf)) == (None, False)
    issued = statement_issue(statement_id=draft.pk)
    with pytest.raises(ValueError, match="only a draft or approved statement has a preview"):
        statement_pdf_preview_bytes(statement=issued)


def test_the_stored_pdf_of_an_issued_statement_carries_no_preview_mark(draft):
    statement_approve(statement_id=draft.pk)
    issued = statement_issue(statement_id=draft.pk)
    text = " ".join(pages_of(statement_pdf_bytes(statement=issued)))
    assert MARK not in text and issued.number in text
