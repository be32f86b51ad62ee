from pathlib import Path

from django.core.management.base import BaseCommand

from billing.models import Statement
from billing.pdf import statement_pdf_store


class Command(BaseCommand):
    help = "Write the stored PDFs of issued statements (rendering any not yet stored) into a folder."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, default=Path("out"))
        parser.add_argument("--period", help="YYYY-MM; default every period")

    def handle(self, *args, out, period, **options):
        out.mkdir(parents=True, exist_ok=True)
        statements = Statement.objects.filter(status__in=["issued", "paid", "void"]).order_by(
            "contract__reference", "number"
        )
        if period:
            statements = statements.filter(period=period)
        for statement in statements.select_related("contract"):
            statement_pdf_store(statement_id=statement.pk)
            statement.refresh_from_db()
            target = out / f"{statement.number}.pdf"
            with statement.pdf.open("rb") as source:
                target.write_bytes(source.read())
            self.stdout.write(
                f"{target}  {statement.contract.reference} {statement.period} sha256 {statement.pdf_sha256[:12]}…"
            )
