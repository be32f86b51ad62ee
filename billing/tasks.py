"""Celery tasks: thin wrappers that take ids and call one idempotent service each.

With no broker configured (``CELERY_TASK_ALWAYS_EAGER``) they run in-process.
"""

from celery import chord, shared_task
from django.utils import timezone

from pricing.period import Period

from . import services
from .actors import system_actor


@shared_task(acks_late=True)
def price_contracts(run_id: int, contract_ids: list[int]) -> None:
    """Price one chunk. It does not raise for a contract that fails (that is recorded on the
    run, and a failing chunk is priced again contract by contract), so the chord completes; a
    worker that dies mid-chunk redelivers it (``acks_late``), and a run whose chord never
    completes is reported dead by its heartbeat."""
    services.billing_run_price_chunk(run_id=run_id, contract_ids=contract_ids)


@shared_task
def finish_run(_results, run_id: int) -> None:
    services.billing_run_finish(run_id=run_id)


@shared_task
def run_billing(run_id: int) -> None:
    """Fan out one task per chunk of the contracts the run has not priced yet (all of them for
    a new run; what is left for a resumed one), sized by ``billing.chunking`` so that each task
    loads and writes in bulk and every worker gets several; the run is finished when every
    chunk has reported."""
    from .models import BillingRun

    chunks = services.billing_run_chunks(run=BillingRun.objects.get(pk=run_id))
    if not chunks:
        services.billing_run_finish(run_id=run_id)
        return
    chord(price_contracts.s(run_id, chunk) for chunk in chunks)(finish_run.s(run_id))


@shared_task
def run_billing_for_previous_month() -> int:
    """The monthly schedule: price last month's drafts for every active contract."""
    period = Period.of(timezone.localdate()).previous()
    run = services.billing_run_create(period=period, requested_by=system_actor())
    run_billing.delay(run.pk)
    return run.pk


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def statement_render_pdf(statement_id: int) -> None:
    """Render and store an issued statement's PDF once (idempotent)."""
    from .pdf import statement_pdf_store

    statement_pdf_store(statement_id=statement_id)


# A chunk is at most 50 statements (billing.chunking.PDFS) of a few hundred ms each.
@shared_task(bind=True, acks_late=True, max_retries=3, soft_time_limit=900, time_limit=960)
def statements_render_pdfs(self, statement_ids: list[int]) -> int:
    """Render and store the PDFs of a chunk of issued statements (idempotent: a stored one is
    skipped). Those that failed are tried again, alone, after 30 s, 60 s and 120 s on a worker
    (not when run eagerly); a worker that dies mid-chunk redelivers it (``acks_late``). Returns
    how many are still not stored."""
    from .pdf import statements_pdf_store

    failed = statements_pdf_store(statement_ids=statement_ids)
    if failed and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(args=[sorted(failed)], countdown=30 * 2**self.request.retries)
    return len(failed)
