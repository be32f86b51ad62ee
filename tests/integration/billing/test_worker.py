"""A real Celery worker on Redis prices a month (``make test-celery``, on SQLite and
PostgreSQL): what it prices equals the in-process run statement by statement, and it stores a
month's PDFs in parallel chunks."""

import time

import pytest
from django.conf import settings

from billing import chunking, selectors, services, tasks
from billing.models import BillingRun, Statement, StatementLine

from .test_run_failures import contracts_with_one_absurd_amount
from .test_runs import JAN, contracts_with_january


def run_on_a_real_worker() -> BillingRun:
    """Start a run of January, let a real worker price it (60 s at most), and return it."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "make test-celery sets CELERY_BROKER_URL"
    run = services.billing_run_create(period=JAN)
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        tasks.run_billing.delay(run.pk)
        deadline = time.monotonic() + 60
        while (
            BillingRun.objects.get(pk=run.pk).status == BillingRun.Status.RUNNING
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
    run.refresh_from_db()
    return run


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_real_worker_on_redis_prices_the_month():
    contracts = contracts_with_january(3)
    run = run_on_a_real_worker()
    assert (run.status, run.done, run.failed) == ("succeeded", 3, 0)
    drafts = Statement.objects.filter(billing_run=run, status="draft")
    assert sorted(drafts.values_list("contract_id", flat=True)) == sorted(c.pk for c in contracts)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_real_worker_finishes_a_run_with_errors_when_one_contract_cannot_be_priced():
    contracts = contracts_with_one_absurd_amount(4, bad=1)
    run = run_on_a_real_worker()
    assert (run.status, run.done, run.failed) == (BillingRun.Status.FAILED, 4, 1)
    assert list(run.errors) == [contracts[1].reference]
    drafts = Statement.objects.filter(billing_run=run, status="draft")
    assert sorted(drafts.values_list("contract_id", flat=True)) == sorted(
        c.pk for i, c in enumerate(contracts) if i != 1
    )
    assert run.heartbeat_at >= run.started_at


def priced_statements(run: BillingRun) -> dict[int, tuple]:
    """Every draft of the run by contract: its amounts, flags, inputs and lines, without ids
    (nor its revision, which counts the month's pricings)."""
    statements = Statement.objects.filter(billing_run=run).order_by("contract_id")
    lines = {}
    for line in StatementLine.objects.filter(statement__billing_run=run).order_by("statement_id", "position"):
        lines.setdefault(line.statement_id, []).append(
            (
                line.position,
                line.component_id,
                line.kind,
                line.kpi,
                line.amount,
                line.explanation,
                line.detail,
            )
        )
    return {
        s.contract_id: (
            s.document_type,
            s.currency,
            s.net,
            s.tax,
            s.gross,
            s.flags,
            s.inputs,
            lines.get(s.pk, []),
        )
        for s in statements
    }


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_run_on_a_real_worker_equals_the_in_process_run_statement_by_statement(monkeypatch):
    # Small chunks, so the worker's run is several tasks (a chord) for five contracts.
    monkeypatch.setattr(services, "PRICING", chunking.ChunkRule(minimum=2, maximum=2))
    contracts_with_january(5)
    with monkeypatch.context() as eager:
        eager.setattr(settings, "CELERY_TASK_ALWAYS_EAGER", True)  # one process, as without a broker
        local = services.billing_run_create(period=JAN)
        chunks = services.billing_run_chunks(run=local)
        assert [len(chunk) for chunk in chunks] == [2, 2, 1]
        for chunk in chunks:
            services.billing_run_price_chunk(run_id=local.pk, contract_ids=chunk)
        local = services.billing_run_finish(run_id=local.pk)
    in_process = priced_statements(local)
    assert len(in_process) == 5
    run = run_on_a_real_worker()  # replaces the drafts of the month
    assert (run.status, run.done, run.failed) == ("succeeded", 5, 0)
    assert not Statement.objects.filter(billing_run=local).exists()
    assert priced_statements(run) == in_process


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_real_worker_stores_a_months_pdfs_in_chunks():
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    contracts = contracts_with_january(3)
    for contract in contracts:
        services.statement_price_draft(contract_id=contract.pk, period=JAN)
    report = services.statements_issue_period_report(period=JAN, queue_pdfs=False)
    issued = [statement.pk for statement in report.issued]
    assert selectors.statement_pdfs_stored(statement_ids=issued) == 0
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        assert (
            services.statement_pdfs_queue(statement_ids=issued) == 3
        )  # 2 worker processes, 3 statements: one a chunk
        deadline = time.monotonic() + 120
        while selectors.statement_pdfs_stored(statement_ids=issued) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert selectors.statement_pdfs_stored(statement_ids=issued) == 3
    for statement in Statement.objects.filter(pk__in=issued):
        with statement.pdf.open("rb") as stored:
            assert stored.read(5) == b"%PDF-"
