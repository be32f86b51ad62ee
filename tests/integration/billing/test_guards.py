"""Issued documents are frozen by one rule (``billing.immutability``), in the model layer and in
PostgreSQL alike: the two layers are compared column by column, and the installed trigger is
the one generated from the Python allow-list."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from billing.immutability import (
    MAINTENANCE_SETTING,
    ImmutableError,
    statement_guard_sql,
    truncate_guard_sql,
)
from billing.models import BillingRun, Statement, StatementLine
from billing.pdf import statement_pdf_store
from billing.services import (
    statement_approve,
    statement_issue,
    statement_mark_paid,
    statement_price_draft,
    statement_void,
)
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

JAN = Period.parse("2026-01")
# What each frozen status may still change in a plain UPDATE (no status change): only the
# timestamp of the save, and the PDF with its hash while none is stored.
ALLOWED_WITHOUT_TRANSITION = {"updated_at", "pdf", "pdf_sha256"}


def issued_statement(reference: str, supplier: str) -> Statement:
    contract = load_contract(reference, supplier)
    load_kpis(month(reference, "2026-01", 1500, 78), name=f"{reference}.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=JAN)
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=datetime.date(2026, 2, 3))


@pytest.fixture
def documents(db):
    """An issued, a paid and a void statement, and a draft of another contract to borrow from."""
    issued = issued_statement("ACME-G-001", "Northwind CX Ltd")
    paid = statement_mark_paid(
        statement_id=issued_statement("ACME-G-002", "Lumen CX Ltd").pk,
        paid_at=timezone.now(),
    )
    void = statement_void(statement_id=issued_statement("ACME-G-003", "Pennine CX Ltd").pk, reason="wrong")
    other = load_contract("ACME-G-004", "Other CX Ltd")
    load_kpis(month("ACME-G-004", "2026-02", 900, 90), name="other.csv")
    draft = statement_price_draft(contract_id=other.pk, period=Period.parse("2026-02"))
    return {"issued": issued, "paid": paid, "void": void, "draft": draft}


def changed_value(field: models.Field, statement: Statement, draft: Statement):
    """A value of ``field`` other than ``statement``'s, valid for its column."""
    current = getattr(statement, field.attname)
    if isinstance(field, models.ForeignKey):
        target = field.related_model.objects.exclude(pk=current).order_by("pk").first()
        return target.pk if target is not None else draft.pk
    if isinstance(field, models.FileField):
        return "statements/2026/replaced.pdf"
    if isinstance(field, models.DateTimeField):
        return (current or timezone.now()) + datetime.timedelta(days=1)
    if isinstance(field, models.DateField):
        return (current or datetime.date(2026, 1, 1)) + datetime.timedelta(days=1)
    if isinstance(field, models.DecimalField):
        return (current or Decimal(0)) + Decimal("1.00")
    if isinstance(field, models.IntegerField):
        return (current or 0) + 1
    if isinstance(field, models.JSONField):
        return {"changed": True}
    if field.name == "status":
        return "draft"
    if field.name == "currency":
        return "EUR" if current != "EUR" else "GBP"
    if field.name == "document_type":
        return "credit_note" if current == "invoice" else "invoice"
    return (current or "")[: field.max_length - 1 if field.max_length else None] + "X"


def refused_by_postgresql(statement: Statement, column: str, value) -> bool:
    quoted = connection.ops.quote_name(column)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE billing_statement SET {quoted} = %s WHERE id = %s", [value, statement.pk])
            raise _RolledBack
    except _RolledBack:
        return False
    except DatabaseError as error:
        assert "cannot" in str(error), error  # the guard's refusal, not another failure
        return True


def refused_by_the_model_layer(statement: Statement, field: models.Field, value) -> bool:
    refusals = []
    for attempt in ("save", "update"):
        fresh = Statement.objects.get(pk=statement.pk)
        try:
            with transaction.atomic():
                if attempt == "save":
                    setattr(fresh, field.attname, value)
                    fresh.save(update_fields=[field.name])
                else:
                    Statement.objects.filter(pk=statement.pk).update(**{field.attname: value})
                raise _RolledBack
        except _RolledBack:
            refusals.append(False)
        except ImmutableError:
            refusals.append(True)
    assert refusals[0] == refusals[1], f"save and update disagree on {field.name}"
    return refusals[0]


class _RolledBack(Exception):
    """Raised to roll back an attempt that was allowed."""


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("state", "pdf_stored", "expected"),
    [
        ("issued", False, ALLOWED_WITHOUT_TRANSITION),
        ("paid", False, ALLOWED_WITHOUT_TRANSITION),
        ("void", False, ALLOWED_WITHOUT_TRANSITION),
        ("issued", True, {"updated_at"}),
        ("paid", True, {"updated_at"}),
    ],
)
def test_the_model_layer_and_the_trigger_agree_column_by_column(documents, state, pdf_stored, expected):
    statement, draft = documents[state], documents["draft"]
    assert not statement.pdf  # issuing queues the PDF for after the commit, which a test never reaches
    if pdf_stored:
        statement_pdf_store(statement_id=statement.pk)
        statement.refresh_from_db()
        assert statement.pdf
    allowed = set()
    for field in Statement._meta.concrete_fields:
        if field.primary_key:
            continue
        value = changed_value(field, statement, draft)
        in_sql = refused_by_postgresql(statement, field.column, value)
        in_model = refused_by_the_model_layer(statement, field, value)
        assert in_sql == in_model, (
            f"{state} {field.column}: trigger refuses={in_sql}, model refuses={in_model}"
        )
        if not in_sql:
            allowed.add(field.column)
    assert allowed == expected


@pytest.mark.postgres
def test_the_installed_guards_are_the_ones_generated_from_the_allow_list(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname IN "
            "('billing_statement_guard', 'billing_truncate_guard')"
        )
        installed = dict(cursor.fetchall())
    assert installed == {
        "billing_statement_guard": statement_guard_sql(),
        "billing_truncate_guard": truncate_guard_sql(),
    }


# Columns the trigger once missed (a hand-written list), refused now below the ORM too.
@pytest.mark.postgres
@pytest.mark.parametrize(
    "assignment",
    [
        "issued_at = now() - interval '1 day'",
        "approved_at = NULL",
        "billing_run_id = 0",
        "replaces_id = id",
        "created_at = now()",
    ],
)
def test_postgresql_refuses_the_columns_the_old_trigger_missed(documents, assignment):
    issued = documents["issued"]
    with (
        pytest.raises(DatabaseError, match="cannot be changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE billing_statement SET {assignment} WHERE id = %s", [issued.pk])


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["billing_statementline", "billing_statement CASCADE"])
def test_postgresql_refuses_truncating_issued_documents(documents, table):
    with (
        pytest.raises(DatabaseError, match="cannot be truncated"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts leave FK checks pending
        cursor.execute(f"TRUNCATE {table}")
    assert StatementLine.objects.filter(statement=documents["issued"]).exists()


@pytest.mark.postgres
def test_an_operator_may_truncate_in_a_maintenance_transaction(documents):
    with pytest.raises(_RolledBack), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL {MAINTENANCE_SETTING} = 'on'")
        cursor.execute("TRUNCATE billing_statementline")
        assert not StatementLine.objects.exists()
        raise _RolledBack
    assert StatementLine.objects.filter(statement=documents["issued"]).exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("state", "sql"),
    [
        ("paid", "UPDATE billing_statement SET paid_at = now() - interval '1 day' WHERE id = %s"),
        (
            "paid",
            "UPDATE billing_statement SET status = 'void', void_reason = 'x', voided_at = now() WHERE id = %s",
        ),
        ("void", "UPDATE billing_statement SET void_reason = 'another reason' WHERE id = %s"),
        ("issued", "UPDATE billing_statement SET paid_at = now() WHERE id = %s"),
        ("issued", "UPDATE billing_statement SET void_reason = 'quietly' WHERE id = %s"),
    ],
)
def test_postgresql_refuses_rewriting_payment_and_voiding(documents, state, sql):
    with pytest.raises(DatabaseError, match="cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [documents[state].pk])


def test_a_paid_document_keeps_its_payment_and_a_void_one_its_reason(documents):
    paid, void, issued = documents["paid"], documents["void"], documents["issued"]
    paid.paid_at = paid.paid_at - datetime.timedelta(days=3)
    with pytest.raises(ImmutableError, match="paid_at cannot change"):
        paid.save()
    with pytest.raises(ImmutableError, match="paid_at cannot change"):
        Statement.objects.filter(pk=paid.pk).update(paid_at=timezone.now())
    with pytest.raises(ImmutableError, match="void_reason cannot change"):
        Statement.objects.filter(pk=void.pk).update(void_reason="another reason")
    with pytest.raises(ImmutableError, match="cannot go from paid to void"):
        Statement.objects.filter(pk=paid.pk).update(status="void", void_reason="x")
    # paid_at moves only with the issued → paid transition, never on its own
    with pytest.raises(ImmutableError, match="paid_at cannot change"):
        Statement.objects.filter(pk=issued.pk).update(paid_at=timezone.now())
    with pytest.raises(ImmutableError, match="expression"):
        Statement.objects.filter(pk=issued.pk).update(net=F("net") + 1)
    Statement.objects.filter(pk=issued.pk).update(status="paid", paid_at=timezone.now())
    assert Statement.objects.get(pk=issued.pk).status == "paid"


def test_the_permitted_transitions_pass_the_model_layer(documents):
    issued = documents["issued"]
    issued.status, issued.paid_at = "paid", timezone.now()
    issued.save()
    assert Statement.objects.get(pk=issued.pk).status == "paid"


def test_a_run_that_priced_a_statement_cannot_be_deleted(documents):
    run = BillingRun.objects.create(period="2026-02")
    Statement.objects.filter(pk=documents["draft"].pk).update(billing_run=run)
    with pytest.raises(ImmutableError, match="billing_run cannot change"):
        Statement.objects.filter(pk=documents["issued"].pk).update(billing_run=run)
    with pytest.raises(ProtectedError):
        run.delete()
    assert Statement.objects.get(pk=documents["draft"].pk).billing_run_id == run.pk
