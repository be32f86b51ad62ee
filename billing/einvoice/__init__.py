"""E-invoices: an issued statement's document as EN 16931 structured invoices.

:mod:`.values` turns a :class:`billing.documents.StatementDocument` into one
:class:`~.values.EInvoice` (codes, signs, tax breakdown, period dates); :mod:`.cii` writes it as
Factur-X / ZUGFeRD CII (the EN 16931 profile, embedded in the PDF/A-3b) and :mod:`.ubl` as
Peppol BIS Billing 3.0 UBL. No framework here: the PDF service and the API both call it.
"""
