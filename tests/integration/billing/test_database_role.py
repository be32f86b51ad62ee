"""The application's database role as docs/operations.md sets it up (bin/postgres-app-role.sql):
it prices, issues and pays, but cannot switch the guards off, truncate or alter the tables."""

import os
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from billing.models import Statement
from billing.services import statement_mark_paid

from .test_guards import issued_statement

GRANTS = Path(__file__).resolve().parents[3] / "bin" / "postgres-app-role.sql"
pytestmark = pytest.mark.postgres


@pytest.fixture
def app_role(db):
    """A role of this test's own (roles are per cluster), granted by the documented script;
    the test's transaction rolls it back."""
    role = f"gainshare_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(GRANTS.read_text().replace("gainshare_app", role))
    return role


def as_role(role: str, sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE billing_statement DISABLE TRIGGER ALL",
        "ALTER TABLE billing_statement DISABLE TRIGGER billing_statement_guard",
        "DROP TRIGGER billing_statement_guard ON billing_statement",
        "TRUNCATE billing_statementline",
        "ALTER TABLE billing_statement DROP CONSTRAINT issued_statement_has_number",
    ],
)
def test_the_application_role_cannot_switch_the_guards_off(app_role, sql):
    issued_statement("ACME-R-001", "Northwind CX Ltd")
    with pytest.raises(DatabaseError, match=r"must be owner|permission denied"):
        as_role(app_role, sql)


def test_the_application_role_does_its_work_and_is_still_guarded(app_role):
    issued = issued_statement("ACME-R-002", "Northwind CX Ltd")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        statement_mark_paid(statement_id=issued.pk, paid_at=timezone.now())
    assert Statement.objects.get(pk=issued.pk).status == "paid"
    with pytest.raises(DatabaseError, match="cannot be changed"):
        as_role(app_role, "UPDATE billing_statement SET net = 0 WHERE id = %s", [issued.pk])
