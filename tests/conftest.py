"""Suite-wide test set-up.

* The decimal ``FloatOperation`` trap is on: mixing a float into Decimal arithmetic or
  comparisons raises, so no float reaches the money code unnoticed.
* Tests marked ``postgres`` run only on PostgreSQL; tests marked ``celery_worker`` only when a
  broker is configured (``make test-celery``).
"""

import decimal
import os

import pytest

pytest_plugins = ["tests.s3"]  # the local S3-compatible server for document storage tests


@pytest.fixture(autouse=True)
def _trap_float_operations():
    context = decimal.getcontext()
    previous = context.traps[decimal.FloatOperation]
    context.traps[decimal.FloatOperation] = True
    yield
    context.traps[decimal.FloatOperation] = previous


def _database_engine() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def pytest_configure(config):
    """Transactional tests empty the tables with ``flush``, whose ``TRUNCATE`` the billing guard
    refuses while issued documents exist: the test runner flushes as an operator would, with
    the maintenance setting on in the flush's own transaction."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    from billing.immutability import MAINTENANCE_SETTING

    sql_flush = DatabaseOperations.sql_flush

    def sql_flush_in_maintenance(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        return [f"SET LOCAL {MAINTENANCE_SETTING} = 'on'", *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush_in_maintenance


def pytest_collection_modifyitems(config, items):
    on_postgres = _database_engine() == "postgresql"
    has_broker = bool(os.environ.get("CELERY_BROKER_URL"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    skip_worker = pytest.mark.skip(reason="needs a broker (make test-celery)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "celery_worker" in item.keywords and not has_broker:
            item.add_marker(skip_worker)


@pytest.fixture
def kpi_catalogue(django_db_blocker):
    """The KPI catalogue, re-seeded: transactional tests empty every table, migration data included."""
    from contracts.models import Kpi
    from kpis import catalogue

    with django_db_blocker.unblock():
        catalogue.seed(Kpi)


# The Procurement group's permissions as the migrations grant them, (app label, codename).
PROCUREMENT_GRANTS: list[tuple[str, str]] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, then the Procurement group's grants read once: the database is fresh
    from its migrations, before any transactional test has emptied the tables."""
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        group = Group.objects.filter(name="Procurement").first()
        if group is not None:
            PROCUREMENT_GRANTS[:] = group.permissions.values_list("content_type__app_label", "codename")


@pytest.fixture
def procurement_group(django_db_setup, django_db_blocker):
    """The Procurement group with its migrations' permissions, re-made if a transactional test
    emptied every table (migration data included), as ``kpi_catalogue`` re-seeds the catalogue."""
    from django.contrib.auth.models import Group, Permission

    with django_db_blocker.unblock():
        group, created = Group.objects.get_or_create(name="Procurement")
        if created:
            wanted = set(PROCUREMENT_GRANTS)
            group.permissions.set(
                p
                for p in Permission.objects.select_related("content_type")
                if (p.content_type.app_label, p.codename) in wanted
            )
        return group


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test stores files (PDFs) in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
