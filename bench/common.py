"""Shared set-up for benchmarks: a fresh database of their own, migrated, and timing helpers."""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_database_url(url: str | None, name: str) -> str:
    """A new empty database: a SQLite file under bench/out, or a PostgreSQL database ``name``."""
    if not url or url.startswith("sqlite"):
        path = ROOT / "bench" / "out" / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    base = url.rsplit("/", 1)[0]
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    return f"{base}/{name}"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG is off unless set, and then the settings refuse to start without a secret key.
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # in-process requests are plain HTTP
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def peak_memory_mib() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def analyze() -> None:
    """Refresh the planner's statistics after a bulk set-up, as autovacuum does on a live
    database within a minute (on SQLite, ``ANALYZE`` fills ``sqlite_stat1``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")


def use_broker(broker_url: str) -> None:
    """Send tasks from this (already set-up) process to ``broker_url`` instead of running them
    in-process, as a web process with ``CELERY_BROKER_URL`` set does."""
    from django.conf import settings

    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=broker_url, result_backend=broker_url, task_always_eager=False)


class CeleryWorker:
    """A real Celery worker (``celery -A config worker``, prefork with ``concurrency``
    processes) in a process of its own, on ``database_url`` and ``broker_url``, with
    ``WORKER_PROCESSES`` set to its concurrency; started on entry once it answers a ping, its
    queue purged first, and stopped (warm shutdown) on exit. Its output goes to
    ``bench/out/celery-worker.log``."""

    def __init__(
        self, *, database_url: str, broker_url: str, concurrency: int, extra_env: dict | None = None
    ):
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "WORKER_PROCESSES": str(concurrency),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **(extra_env or {}),
        }

    def __enter__(self):
        from config.celery import app

        app.control.purge()
        celery = [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker", "--pool", "prefork"]
        log = ROOT / "bench" / "out" / "celery-worker.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                *celery,
                "--concurrency",
                str(self.concurrency),
                "--loglevel",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--prefetch-multiplier",
                "1",
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180  # a loaded machine takes a minute or more to start one
        while not app.control.ping(timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()  # never left behind to take another run's tasks
                raise RuntimeError("the Celery worker did not start")
        time.sleep(0.5)  # let every pool process finish its start-up before timing
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()
