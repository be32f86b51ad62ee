"""PDF statements: the statement's document (:mod:`billing.documents`) as the plain context of
:mod:`billing.statement_context`, rendered once and stored for issued ones.

An issued statement's PDF is rendered once, stored with its SHA-256 and served as stored;
it is never regenerated. From e-invoicing on it is a Factur-X PDF: PDF/A-3b with the EN 16931
CII XML embedded (:mod:`billing.einvoice`). Drafts can be previewed, rendered on the fly with a
DRAFT mark, as plain PDFs (a draft is not an invoice).
"""

from __future__ import annotations

import hashlib
import logging

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

logger = logging.getLogger(__name__)

STORED_STATUSES = ("issued", "paid", "void")  # the documents whose PDF is stored


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
    """Render and store the PDF of an issued statement, once. Does nothing if one is stored.

    Rendered before the statement's row lock is taken (an issued document does not change, so
    what is rendered is what the lock would have read): workers rendering a month in parallel
    never queue behind each other's WeasyPrint, nor does a writer of the statement, and on
    SQLite no write lock is held while rendering. Under the lock the statement is read again:
    when another process stored its PDF meanwhile, this render is dropped and nothing is
    written to the storage."""
    statement = Statement.objects.select_related("contract__buyer", "contract__supplier").get(pk=statement_id)
    if statement.pdf or statement.status not in STORED_STATUSES:
        return
    content = statement_pdf_bytes(statement=statement)
    with transaction.atomic():
        statement = Statement.objects.select_for_update().get(pk=statement_id)
        if statement.pdf or statement.status not in STORED_STATUSES:
            return
        statement.pdf.save(f"{statement.number}.pdf", ContentFile(content), save=False)
        statement.pdf_sha256 = hashlib.sha256(content).hexdigest()
        # Before the save, which moves the document's updated_at.
        feed_write_lock()
        statement.save(update_fields=["pdf", "pdf_sha256", "updated_at"])
        statement_event_record(statement=statement, kind="pdf stored", sha256=statement.pdf_sha256)


def statements_pdf_store(*, statement_ids: list[int]) -> dict[int, str]:
    """Render and store the PDFs of a chunk of issued statements, one after the other, each once
    and in its own transaction (:func:`statement_pdf_store`: one already stored is skipped, so a
    chunk run again renders only what is missing). A statement whose PDF fails (a render error,
    its time limit, a storage error) does not stop the others: returns them as ``{id: error}``,
    logged; empty when every PDF is stored. A task's own soft time limit still stops it."""
    from celery.exceptions import SoftTimeLimitExceeded

    failed = {}
    for statement_id in statement_ids:
        try:
            statement_pdf_store(statement_id=statement_id)
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:
            logger.warning("statement %s: PDF not stored", statement_id, exc_info=error)
            failed[statement_id] = f"{type(error).__name__}: {error}"
    return failed
