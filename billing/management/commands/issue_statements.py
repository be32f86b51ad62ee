from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing.actors import actor_buyer_id, user_by_username
from billing.services import BillingError, statements_approve_period, statements_issue_period_report
from pricing.period import Period


class Command(BaseCommand):
    help = (
        "Approve and issue the month's drafts (adjustment documents included), each with the next number of its "
        "series. Safe alongside other issuers and runs of the month: what another process issued, voided or "
        "re-priced meanwhile is skipped and counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--contract", help="one contract reference")
        parser.add_argument("--issue-date", type=date.fromisoformat, help="YYYY-MM-DD; default today")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="who approves and issues (recorded, permissions and four-eyes checked); default no one",
        )
        parser.add_argument(
            "--approve-only", action="store_true", help="approve the month's drafts, issue nothing"
        )

    def handle(self, *args, period, contract, issue_date, user=None, approve_only=False, **options):
        try:
            actor = user_by_username(user)
            buyer_id = actor_buyer_id(actor)
            if approve_only:
                approved = statements_approve_period(
                    period=Period.parse(period), contract_reference=contract, user=actor, buyer_id=buyer_id
                )
                self.stdout.write(f"{len(approved)} statement(s) approved for {period}")
                return
            report = statements_issue_period_report(
                period=Period.parse(period),
                contract_reference=contract,
                issue_date=issue_date,
                user=actor,
                buyer_id=buyer_id,
            )
        except (ValueError, BillingError) as error:
            raise CommandError(str(error)) from None
        for statement in report.issued:
            self.stdout.write(
                f"{statement.number:<22} {statement.contract.reference:<20} {statement.document_type:<12} "
                f"gross {statement.gross:>14,.2f} {statement.currency}  due {statement.due_date}"
            )
        # One line, the count first: scripts read it.
        self.stdout.write(
            f"{len(report.issued)} statement(s) issued for {period}; {report.found} found at the start: "
            f"{report.issued_found} issued here, skipped: {report.already_issued} already issued by another "
            f"process, {report.voided} voided meanwhile, {report.replaced} re-priced meanwhile (replacement "
            "issued here)"
        )
