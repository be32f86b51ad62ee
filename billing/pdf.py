"""PDF statements: the statement's document (:mod:`billing.documents`) as the plain context of
:mod:`billing.statement_context`, rendered once and stored for issued ones.

An issued statement's PDF is rendered once, stored with its SHA-256 and served as stored;
it is never regenerated. From e-invoicing on it is a Factur-X PDF: PDF/A-3b with the EN 16931
CII XML embedded (:mod:`billing.einvoice`). Drafts can be previewed, rendered on the fly with a
DRAFT mark, as plain PDFs (a draft is not an invoice).
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string

from .documents import documents
from .einvoice.cii import cii_xml
from .einvoice.pdf import facturx_pdf
from .einvoice.values import EInvoiceError, einvoice_of
from .events import statement_event_record
from .feed import feed_write_lock
from .models import Statement
from .rendering import render_pdf
from .statement_context import statement_pdf_context


def statement_pdf_bytes(*, statement: Statement, preview: bool = False) -> bytes:
    """Render the saved statement now (a preview for drafts; never stored). With ``preview``
    the template marks every page "DRAFT — not a tax invoice" and the PDF is a plain one;
    without, a numbered document is a Factur-X PDF/A-3b (its CII XML built from the same
    document), or a PDF/A-3b alone when it cannot be an e-invoice (a supplier with neither a
    VAT number nor a registration number). Raises ``RenderError``."""
    document = documents([statement.pk], with_scorecard=True)[statement.pk]
    context = statement_pdf_context(document=document)
    html = render_to_string("billing/statement_pdf.html", {**context, "preview": preview})
    if preview or not document.number:
        return render_pdf(html)
    archival = render_pdf(html, pdf_variant="pdf/a-3b")
    try:
        cii = cii_xml(einvoice_of(document))
    except EInvoiceError:
        return archival  # a supplier without a VAT number: no VAT invoice to embed
    title = f"{context['title']} {document.number}"
    return facturx_pdf(archival, cii=cii, title=title, author=document.supplier.name)


def statement_pdf_preview_bytes(*, statement: Statement) -> bytes:
    """The draft or approved ``statement`` as its PDF will look, every page marked "DRAFT — not
    a tax invoice", with no number: rendered on request, never stored, no event recorded.
    Raises ``ValueError`` for an issued (or paid, void) statement, whose stored PDF is the
    document; ``RenderError`` when the render fails or takes too long."""
    if statement.number or statement.status not in (Statement.Status.DRAFT, Statement.Status.APPROVED):
        raise ValueError(
            f"{statement} is {statement.status}: only a draft or approved statement has a preview"
        )
    return statement_pdf_bytes(statement=statement, preview=True)


def statement_pdf_store(*, statement_id: int) -> None:
    """Render and store the PDF of an issued statement, once. Does nothing if one is stored."""
    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update()
            .select_related("contract__buyer", "contract__supplier")
            .get(pk=statement_id)
        )
        if statement.pdf or statement.status not in ("issued", "paid", "void"):
            return
        content = statement_pdf_bytes(statement=statement)
        statement.pdf.save(f"{statement.number}.pdf", ContentFile(content), save=False)
        statement.pdf_sha256 = hashlib.sha256(content).hexdigest()
        # Taken after rendering, so a feed's reader never waits for WeasyPrint; before the
        # save, which moves the document's updated_at.
        feed_write_lock()
        statement.save(update_fields=["pdf", "pdf_sha256", "updated_at"])
        statement_event_record(statement=statement, kind="pdf stored", sha256=statement.pdf_sha256)
