from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing.services import BillingError, statements_issue_period
from pricing.period import Period


class Command(BaseCommand):
    help = "Approve and issue the month's drafts (adjustment documents included), each with the next number of its series."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--contract", help="one contract reference")
        parser.add_argument("--issue-date", type=date.fromisoformat, help="YYYY-MM-DD; default today")

    def handle(self, *args, period, contract, issue_date, **options):
        try:
            issued = statements_issue_period(
                period=Period.parse(period), contract_reference=contract, issue_date=issue_date
            )
        except (ValueError, BillingError) as error:
            raise CommandError(str(error)) from None
        for statement in issued:
            self.stdout.write(
                f"{statement.number:<22} {statement.contract.reference:<20} {statement.document_type:<12} "
                f"gross {statement.gross:>14,.2f} {statement.currency}  due {statement.due_date}"
            )
        self.stdout.write(f"{len(issued)} statement(s) issued for {period}")
