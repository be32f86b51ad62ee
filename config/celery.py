"""The Celery application.

With no ``CELERY_BROKER_URL`` in the environment, tasks run in-process (eager), so the
demo and the test suite need no broker. With one, they go to the workers.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gainshare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
