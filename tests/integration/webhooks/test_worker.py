"""A real Celery worker on Redis delivers a webhook (``make test-celery``): the receiver
fails twice, the worker retries after its backoff and the third attempt is delivered."""

import itertools
import time

import pytest
from standardwebhooks import Webhook

from tests.functional.portal.conftest import issue
from webhooks.models import WebhookMessage


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_real_worker_retries_a_failing_receiver_and_delivers(buyers, receiver, settings):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "make test-celery sets CELERY_BROKER_URL"
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1  # retries after 1 s, then 2 s
    receiver.statuses[:] = [500, 500]
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        statement = issue(buyers["acme_draft"])  # committed: the delivery task goes to Redis
        deadline = time.monotonic() + 60
        while (
            not WebhookMessage.objects.filter(statement_id=statement.pk, status="delivered").exists()
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    assert message.status == "delivered"
    attempts = list(message.deliveries.order_by("attempt").values_list("status_code", "at"))
    assert [code for code, _ in attempts] == [500, 500, 204]
    gaps = [(later - earlier).total_seconds() for (_, earlier), (_, later) in itertools.pairwise(attempts)]
    assert gaps[0] >= 1 and gaps[1] >= 2  # the backoff doubled
    for request in receiver.requests:
        Webhook(buyers["acme_endpoint"].secret).verify(request.body, request.headers)
