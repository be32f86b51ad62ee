from django.core.management.base import BaseCommand, CommandError

from billing.actors import user_by_username
from billing.journal import JournalTally, journal_rows, journal_statement_ids
from billing.journal_files import csv_chunks, xlsx_write
from billing.models import Statement
from billing.permissions import visible_statements
from billing.services import BillingError
from pricing.period import Period


class Command(BaseCommand):
    help = (
        "Write the month's journal: one row per line of every issued or paid document with its GL code, "
        "cost centre, net, tax and gross, and per document a balancing row on the creditors account "
        "(docs/operations.md). CSV goes to standard output unless --out is given; Excel needs --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", dest="file_format")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="only the documents this user may see (a procurement or finance user: its buyer's); "
            "default every buyer's",
        )
        parser.add_argument("--out", metavar="FILE", help="write to FILE (replaced if it exists)")

    def handle(self, *args, period, file_format, user=None, out=None, **options):
        try:
            month = Period.parse(period)
            actor = user_by_username(user)
        except (ValueError, BillingError) as error:
            raise CommandError(str(error)) from None
        if file_format == "xlsx" and not out:
            raise CommandError("--format xlsx needs --out FILE: a workbook is not written to a terminal")
        statements = Statement.objects.all() if actor is None else visible_statements(actor)
        ids = journal_statement_ids(statements=statements, period=month)
        tally = JournalTally()
        rows = tally.counted(journal_rows(ids))
        try:
            if out is None:
                for chunk in csv_chunks(rows):
                    self.stdout.write(chunk.decode(), ending="")
            else:
                with open(out, "wb") as file:
                    if file_format == "xlsx":
                        xlsx_write(rows=rows, file=file)
                    else:
                        for chunk in csv_chunks(rows):
                            file.write(chunk)
        except OSError as error:
            raise CommandError(f"--out: cannot write {out}: {error.strerror}") from None
        if out is not None:
            self.stderr.write(f"{len(ids)} document(s) of {month} written to {out}")
            for text in tally.balance_text(ids):
                self.stderr.write(f"  {text}")
