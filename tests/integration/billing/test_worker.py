"""A real Celery worker on Redis prices a month (``make test-celery``)."""

import time

import pytest
from django.conf import settings

from billing import services, tasks
from billing.models import BillingRun, Statement

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
