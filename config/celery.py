"""The Celery application.

With no ``CELERY_BROKER_URL`` in the environment, tasks run in-process (eager), so the
demo and the test suite need no broker. With one, they go to the workers.
"""

import gc
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gainshare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_start_up_objects(**_kwargs) -> None:
    """Move what a worker process holds once started (Django, the apps, their modules) out of
    the garbage collector's reach: they live as long as the process, and otherwise every full
    collection during a task walks all of them again."""
    gc.collect()
    gc.freeze()


def keep_database_connections(**_kwargs) -> None:
    """In a worker, keep each database connection for ``WORKER_CONN_MAX_AGE`` seconds, checked
    before reuse (``CONN_HEALTH_CHECKS``), whatever the web processes' ``CONN_MAX_AGE``, so a
    worker taking chunk after chunk stops paying a connect and its set-up per task. Set in the
    settings every connection of the process reads, before the first one opens. Celery's
    Django fix-up would still close every connection around every task: ``CELERY_DB_REUSE_MAX``
    (config.settings) turns that off, and :func:`close_old_connections` does what Django does
    around a request instead."""
    from django.conf import settings
    from django.db import connections

    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE
        connections.settings[alias]["CONN_HEALTH_CHECKS"] = True


def close_old_connections(*, sender=None, **_kwargs) -> None:
    """Before and after each task on a worker, as Django before and after each request: close
    a connection older than its ``CONN_MAX_AGE``, broken, or left outside autocommit; keep the
    others (checked again before their next use). Not for a task run eagerly in the caller's
    process, whose transaction it would end."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections as django_close_old_connections

    django_close_old_connections()


# worker_init: the main process (and the solo pool's only one); worker_process_init: each
# prefork child, which inherits the main process's settings but may be started on its own.
worker_init.connect(keep_database_connections)
worker_process_init.connect(keep_database_connections)
task_prerun.connect(close_old_connections)
task_postrun.connect(close_old_connections)
