"""On PostgreSQL, check new statement lines once per INSERT or COPY instead of once per row.

The rule is unchanged: a line cannot be added to an issued, paid or void statement (and
updating or deleting lines of one is refused row by row, as before). The per-row insert check
ran a lookup of the statement for each of the tens of thousands of lines a billing run writes;
the statement-level trigger joins all the new lines to their statements in one query, after
the rows are in and before the INSERT or COPY completes, so a refused insert leaves nothing.
"""

from django.db import migrations

INSERT_GUARD = """
CREATE OR REPLACE FUNCTION billing_statementline_insert_guard() RETURNS trigger AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM new_lines JOIN billing_statement ON billing_statement.id = new_lines.statement_id
    WHERE billing_statement.status IN ('issued', 'paid', 'void')
  ) THEN
    RAISE EXCEPTION 'lines of an issued statement cannot be changed';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER billing_statementline_guard ON billing_statementline;
CREATE TRIGGER billing_statementline_guard BEFORE UPDATE OR DELETE ON billing_statementline
  FOR EACH ROW EXECUTE FUNCTION billing_statementline_guard();
CREATE TRIGGER billing_statementline_insert_guard AFTER INSERT ON billing_statementline
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_statementline_insert_guard();
"""

PER_ROW = """
DROP TRIGGER IF EXISTS billing_statementline_insert_guard ON billing_statementline;
DROP FUNCTION IF EXISTS billing_statementline_insert_guard();
DROP TRIGGER billing_statementline_guard ON billing_statementline;
CREATE TRIGGER billing_statementline_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_statementline
  FOR EACH ROW EXECUTE FUNCTION billing_statementline_guard();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(INSERT_GUARD)  # no parameters: the SQL is fixed


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PER_ROW)


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_idempotency_keys")]
    operations = [migrations.RunPython(install, uninstall)]
