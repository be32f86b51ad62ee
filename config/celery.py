"""The Celery application.

With no ``CELERY_BROKER_URL`` in the environment, tasks run in-process (eager), so the
demo and the test suite need no broker. With one, they go to the workers.
"""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

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
