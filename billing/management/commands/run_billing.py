from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing import selectors, services, tasks
from billing.actors import actor_buyer_id, system_actor, user_by_username
from billing.models import BillingRun, Statement, stale_after
from pricing.period import Period


class Command(BaseCommand):
    help = (
        "Price a month into draft statements for every active contract (or one). Re-running replaces drafts and "
        "never touches approved or issued statements; for an issued month, KPI corrections become draft "
        "adjustment documents. One contract failing does not stop the others: the run then ends 'finished with "
        "errors'. --resume RUN_ID prices what a dead (stale) run, or one that finished with errors, left."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM")
        parser.add_argument("--contract", help="one contract reference")
        parser.add_argument(
            "--resume",
            type=int,
            metavar="RUN_ID",
            help="price the contracts a stale or failed run has not priced, under that run",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="who starts the run (recorded); default the system actor"
        )

    def handle(self, *args, period, contract, resume, user=None, **options):
        if resume is None and not period:
            raise CommandError("give --period YYYY-MM, or --resume RUN_ID")
        if resume is not None and (period or contract):
            raise CommandError("--resume takes the run's own period and contract: give it alone")
        try:
            if resume is not None:
                run = services.billing_run_resume(run_id=resume)
                month = Period.parse(run.period)
                self.stdout.write(
                    f"resuming billing run {run.pk} for {month}: {run.done} of {run.total} priced"
                )
            else:
                month = Period.parse(period)
                actor = user_by_username(user)
                run = services.billing_run_create(
                    period=month,
                    contract_reference=contract,
                    buyer_id=actor_buyer_id(actor),
                    requested_by=actor or system_actor(),
                )
        except (ValueError, services.BillingError) as error:
            raise CommandError(str(error)) from None
        for dead in selectors.billing_runs_stale(period=month).exclude(pk=run.pk):
            self.stderr.write(
                self.style.WARNING(
                    f"billing run {dead.pk} of {month} is dead (no heartbeat since {dead.heartbeat_at:%Y-%m-%d %H:%M:%S}, "
                    f"{dead.done} of {dead.total} done); this run prices the month again"
                )
            )
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            tasks.run_billing.delay(run.pk)
            self.stdout.write(
                f"billing run {run.pk} for {month} queued on the workers ({run.total} contracts)"
            )
            return
        # The same chunks the Celery tasks price (``tasks.run_billing``), one after the other.
        chunks = services.billing_run_chunks(run=run)
        try:
            with tqdm(
                total=sum(map(len, chunks)),
                desc=f"billing {month}",
                unit="contract",
                file=self.stderr._out,
                disable=None,
            ) as progress:
                for chunk in chunks:
                    services.billing_run_price_chunk(run_id=run.pk, contract_ids=chunk)
                    progress.update(len(chunk))
        except Exception as error:  # not one contract's failure (those are recorded): the run's own
            seconds = int(stale_after().total_seconds())
            raise CommandError(
                f"billing run {run.pk} stopped: {type(error).__name__}: {error}. It is reported dead after "
                f"{seconds} s without a heartbeat; then `run_billing --resume {run.pk}` prices the rest"
            ) from None
        self._summary(services.billing_run_finish(run_id=run.pk))

    def _summary(self, run: BillingRun) -> None:
        statements = (
            Statement.objects.filter(billing_run=run)
            .select_related("contract")
            .order_by("contract__reference")
        )
        for statement in statements:
            kind = (
                f"adjustment to {statement.adjusts.number}"
                if statement.adjusts_id
                else statement.document_type
            )
            self.stdout.write(
                f"{statement.contract.reference:<20} {statement.period} {statement.status:<8} {kind:<28} "
                f"net {statement.net:>14,.2f} {statement.currency}  flags: {', '.join(f['code'] for f in statement.flags) or '-'}"
            )
        for waiting in selectors.statements_waiting(statements=statements):
            self.stderr.write(self.style.WARNING(f"waiting: {waiting}"))
        for reference, error in run.error_list:
            self.stderr.write(self.style.ERROR(f"{reference}: {error}"))
        self.stdout.write(
            f"{run.done - run.failed} of {run.total} contracts priced, {run.failed} failed "
            f"(billing run {run.pk}: {run.get_status_display().lower()})"
        )
        if run.failed:
            raise CommandError(
                f"{run.failed} contract(s) failed; see the errors above. Fix them and run "
                f"`run_billing --resume {run.pk}` to price those again"
            )
