"""A real Celery worker on Redis sends the issue email (``make test-celery``): the receiver
queues the task on the broker once the issue commits, and the worker sends one email per
entitled user, once."""

import time

import pytest
from django.core import mail

from notifications.models import NotificationDelivery

from .conftest import SITE
from .test_sending import ALPHA_RECIPIENTS, issue_alpha


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("kpi_catalogue")
def test_a_real_worker_on_redis_emails_the_issue_once_to_each_entitled_user(parties, settings):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "make test-celery sets CELERY_BROKER_URL"
    settings.SITE_URL = SITE
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        statement = issue_alpha(parties)  # committed: the receiver queues the task on Redis
        deadline = time.monotonic() + 60
        while len(mail.outbox) < len(ALPHA_RECIPIENTS) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # a duplicate, if any, would land now
    assert sorted(message.to[0] for message in mail.outbox) == ALPHA_RECIPIENTS
    assert all(statement.number in message.subject for message in mail.outbox)
    assert NotificationDelivery.objects.filter(statement_id=statement.pk).count() == len(ALPHA_RECIPIENTS)
