import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing.actors import actor_buyer_id, user_by_username
from billing.chunking import PDFS, chunked
from billing.pdf import statements_pdf_store
from billing.selectors import statement_pdfs_stored
from billing.services import (
    BillingError,
    statement_pdfs_queue,
    statements_approve_period,
    statements_issue_period_report,
)
from pricing.period import Period

# Seconds --wait-pdfs waits without one more PDF stored before it gives up waiting.
WAIT_SILENT_SECONDS = 600


class Command(BaseCommand):
    help = (
        "Approve and issue the month's drafts (adjustment documents included), each with the next number of its "
        "series. Safe alongside other issuers and runs of the month: what another process issued, voided or "
        "re-priced meanwhile is skipped and counted. The issued documents' PDFs are then rendered and stored: "
        "on the workers in parallel chunks when a broker is configured (--wait-pdfs shows their progress), "
        "otherwise here, with progress."
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
        parser.add_argument(
            "--wait-pdfs",
            action="store_true",
            help="with workers: wait until the workers have stored every issued document's PDF, showing progress",
        )

    def handle(
        self, *args, period, contract, issue_date, user=None, approve_only=False, wait_pdfs=False, **options
    ):
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
                queue_pdfs=False,
            )
        except (ValueError, BillingError) as error:
            raise CommandError(str(error)) from None
        self._pdfs([statement.pk for statement in report.issued], wait=wait_pdfs)
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

    def _pdfs(self, statement_ids: list[int], *, wait: bool) -> None:
        """Store the issued documents' PDFs: queued in chunks to the workers (and, with ``wait``,
        followed until stored), or rendered here chunk by chunk, with a progress bar either way."""
        if not statement_ids:
            return
        bar = tqdm(total=len(statement_ids), desc="PDFs", unit="pdf", file=self.stderr._out, disable=None)
        with bar:
            if settings.CELERY_TASK_ALWAYS_EAGER:
                failed = {}
                for chunk in chunked(statement_ids, workers=1, rule=PDFS):
                    failed |= statements_pdf_store(statement_ids=chunk)
                    bar.update(len(chunk))
                for statement_id, error in failed.items():
                    self.stderr.write(
                        f"statement {statement_id}: PDF not stored ({error}); it is rendered on download"
                    )
                return
            tasks = statement_pdfs_queue(statement_ids=statement_ids)
            self.stdout.write(f"{len(statement_ids)} PDF(s) queued on the workers in {tasks} task(s)")
            if wait:
                self._follow(statement_ids, bar)

    def _follow(self, statement_ids: list[int], bar) -> None:
        stored, changed_at = 0, time.monotonic()
        while stored < len(statement_ids):
            time.sleep(1)
            now = statement_pdfs_stored(statement_ids=statement_ids)
            if now > stored:
                bar.update(now - stored)
                stored, changed_at = now, time.monotonic()
            elif time.monotonic() - changed_at > WAIT_SILENT_SECONDS:
                raise CommandError(
                    f"{len(statement_ids) - stored} PDF(s) not stored after {WAIT_SILENT_SECONDS} s without "
                    "progress: are the workers running? A missing PDF is rendered on download."
                )
