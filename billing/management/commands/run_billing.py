from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing import services, tasks
from billing.models import BillingRun, Statement
from pricing.period import Period


class Command(BaseCommand):
    help = (
        "Price a month into draft statements for every active contract (or one). Re-running replaces drafts and "
        "never touches approved or issued statements; for an issued month, KPI corrections become draft "
        "adjustment documents. One contract failing does not stop the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--contract", help="one contract reference")

    def handle(self, *args, period, contract, **options):
        try:
            month = Period.parse(period)
            run = services.billing_run_create(period=month, contract_reference=contract)
        except (ValueError, services.BillingError) as error:
            raise CommandError(str(error)) from None
        if settings.CELERY_TASK_ALWAYS_EAGER:
            ids = services.billing_run_contract_ids(run=run)
            for contract_id in tqdm(
                ids, desc=f"billing {month}", unit="contract", file=self.stderr._out, disable=None
            ):
                services.billing_run_price_contract(run_id=run.pk, contract_id=contract_id)
            run = services.billing_run_finish(run_id=run.pk)
        else:
            tasks.run_billing.delay(run.pk)
            self.stdout.write(
                f"billing run {run.pk} for {month} queued on the workers ({run.total} contracts)"
            )
            return
        self._summary(run)

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
        for reference, error in sorted(run.errors.items()):
            self.stderr.write(self.style.ERROR(f"{reference}: {error}"))
        self.stdout.write(f"{run.done - run.failed} of {run.total} contracts priced, {run.failed} failed")
        if run.failed:
            raise CommandError(f"{run.failed} contract(s) failed; see the errors above")
