"""On PostgreSQL, an index that answers the finance API's list from the index alone.

The list filters issued, paid and void documents by period (and by the caller's contracts),
counts them and orders a page by issue date and number. This partial index holds exactly
those documents by period, with the contract, issue date, number and id alongside, so
PostgreSQL reads a period's entries without visiting the table (an index-only scan) instead
of fetching every row of the period. Drafts and approved statements are not in it.

SQLite has no ``INCLUDE``; there the existing (period, status) index serves.
"""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS billing_statement_visible_period
  ON billing_statement (period) INCLUDE (contract_id, issue_date, number, id)
  WHERE status IN ('issued', 'paid', 'void')
"""
DROP = "DROP INDEX IF EXISTS billing_statement_visible_period"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)  # no parameters: the SQL is fixed


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_fk_indexes_covered_by_unique_constraints")]
    operations = [migrations.RunPython(install, uninstall)]
