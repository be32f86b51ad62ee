from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.einvoice.exports import statement_ubl_xml
from billing.einvoice.values import EInvoiceError
from billing.models import Statement

MAX_NUMBER_LENGTH = 40  # Statement.number


class Command(BaseCommand):
    help = (
        "Print an issued document as a Peppol BIS Billing 3.0 UBL e-invoice (Invoice, or "
        "CreditNote for a credit note), or write it to --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="the document's number, e.g. ACME-2026-000001")
        parser.add_argument("--out", help="write the XML to this file instead of printing it")

    def handle(self, *args, number, out=None, **options):
        number = number.strip()
        if not number or len(number) > MAX_NUMBER_LENGTH:
            raise CommandError(f"not a document number: {number[:MAX_NUMBER_LENGTH]!r}")
        statement_id = Statement.objects.filter(number=number).values_list("pk", flat=True).first()
        if statement_id is None:
            raise CommandError(f"no issued document {number}")
        try:
            xml = statement_ubl_xml(statement_id=statement_id)
        except EInvoiceError as error:
            raise CommandError(str(error)) from None
        if out is None:
            self.stdout.write(xml.decode())
            return
        try:
            Path(out).write_bytes(xml)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from None
        self.stdout.write(f"wrote {out} ({len(xml)} bytes)")
