"""Guards with no holes: the statement trigger generated from ``billing.immutability``.

* ``billing_statement_guard()`` is rebuilt by ``statement_guard_sql()`` from the one
  allow-list in Python: every column outside it is frozen once a document is issued (compared
  through ``to_jsonb``, so ``issued_at``, ``approved_at``, ``billing_run_id``, ``replaces_id``,
  ``created_at`` and any later column are covered), and paid or void documents are frozen
  whole. The test suite checks that the installed function is the generated one.
* ``TRUNCATE`` of the statement or line table is refused while any document is frozen.
* A billing run that priced a statement can no longer be deleted (it was set to NULL, which
  the guard refuses for an issued document on PostgreSQL only).
* Idempotency keys keep the response as the text first sent, so a replay is byte-identical.
"""

import importlib
import json

import django.db.models.deletion
from django.db import migrations, models

from billing.immutability import statement_guard_sql, truncate_guard_sql

GUARD = "CREATE OR REPLACE FUNCTION billing_statement_guard() RETURNS trigger AS $guard${body}$guard$ LANGUAGE plpgsql;"
TRUNCATE_GUARD = """
CREATE OR REPLACE FUNCTION billing_truncate_guard() RETURNS trigger AS $guard${body}$guard$ LANGUAGE plpgsql;
CREATE TRIGGER billing_statement_truncate_guard BEFORE TRUNCATE ON billing_statement
  FOR EACH STATEMENT EXECUTE FUNCTION billing_truncate_guard();
CREATE TRIGGER billing_statementline_truncate_guard BEFORE TRUNCATE ON billing_statementline
  FOR EACH STATEMENT EXECUTE FUNCTION billing_truncate_guard();
"""
DROP_TRUNCATE_GUARD = """
DROP TRIGGER IF EXISTS billing_statementline_truncate_guard ON billing_statementline;
DROP TRIGGER IF EXISTS billing_statement_truncate_guard ON billing_statement;
DROP FUNCTION IF EXISTS billing_truncate_guard();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            # no parameters: the % in RAISE messages stays literal
            cursor.execute(GUARD.format(body=statement_guard_sql()))
            cursor.execute(TRUNCATE_GUARD.format(body=truncate_guard_sql()))


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("billing.migrations.0009_issued_documents_for_the_api")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_TRUNCATE_GUARD)
            cursor.execute(previous.GUARD.format(frozen_since_0009=previous.FROZEN_SINCE_0009))


def keep_response_text(apps, schema_editor):
    IdempotencyKey = apps.get_model("billing", "IdempotencyKey")
    for stored in IdempotencyKey.objects.all():
        stored.response_text = json.dumps(stored.response_body, separators=(",", ":"), ensure_ascii=False)
        stored.save(update_fields=["response_text"])


def keep_response_body(apps, schema_editor):
    IdempotencyKey = apps.get_model("billing", "IdempotencyKey")
    for stored in IdempotencyKey.objects.all():
        stored.response_body = json.loads(stored.response_text)
        stored.save(update_fields=["response_body"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_issued_documents_for_the_api")]
    operations = [
        migrations.AlterField(
            model_name="statement",
            name="billing_run",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to="billing.billingrun"
            ),
        ),
        migrations.AddField(
            model_name="idempotencykey", name="response_text", field=models.TextField(default=""), preserve_default=False
        ),
        migrations.AlterField(
            model_name="idempotencykey", name="response_body", field=models.JSONField(null=True)
        ),
        migrations.RunPython(keep_response_text, keep_response_body),
        migrations.RemoveField(model_name="idempotencykey", name="response_body"),
        migrations.RunPython(install, uninstall),
    ]
