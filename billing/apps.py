import sqlite3

from django.apps import AppConfig
from django.db.backends.signals import connection_created

# SQLite's own default since 3.32; Django 5.2 still assumes the old 999.
SQLITE_VARIABLES = 32766


def sqlite_query_params(sender, connection, **kwargs) -> None:
    """Let ``bulk_create`` on SQLite use the variables the library allows (at most
    ``SQLITE_VARIABLES``) instead of Django's fixed 999: with the statement's ~36 columns, 999
    split a 30-contract pricing chunk's insert in two, so a chunk's queries grew with its size."""
    getlimit = getattr(connection.connection, "getlimit", None)  # only sqlite3 connections have it
    if getlimit is None:
        return
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = min(limit, SQLITE_VARIABLES)


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        connection_created.connect(sqlite_query_params, dispatch_uid="billing.sqlite_query_params")
        from . import receivers  # noqa: F401 (connects them)
