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
