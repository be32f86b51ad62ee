"""Reading an issued statement as e-invoice XML: the document (:func:`billing.documents.documents`,
its parties as frozen at issue) through :func:`.values.einvoice_of` to the syntax asked for."""

from __future__ import annotations

from ..documents import documents
from .cii import cii_xml
from .ubl import ubl_xml
from .values import EInvoiceError, einvoice_of


def statement_ubl_xml(*, statement_id: int) -> bytes:
    """The Peppol BIS Billing 3.0 UBL of the issued statement ``statement_id``; four queries.

    Raises ``EInvoiceError`` for a statement that is not issued (no number), an unknown id, or
    a party without a Peppol endpoint."""
    document = documents([statement_id]).get(statement_id)
    if document is None:
        raise EInvoiceError(f"no statement {statement_id}")
    return ubl_xml(einvoice_of(document))


def statement_cii_xml(*, statement_id: int) -> bytes:
    """The Factur-X (EN 16931) CII of the issued statement ``statement_id``, as embedded in
    its PDF. Raises ``EInvoiceError`` as :func:`statement_ubl_xml` does (no endpoint needed)."""
    document = documents([statement_id]).get(statement_id)
    if document is None:
        raise EInvoiceError(f"no statement {statement_id}")
    return cii_xml(einvoice_of(document))
