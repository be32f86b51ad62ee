"""On PostgreSQL, issued statements and their lines are protected below the ORM as well."""

from django.db import migrations

STATEMENT_GUARD = """
CREATE OR REPLACE FUNCTION billing_statement_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status IN ('issued', 'paid', 'void') THEN
      RAISE EXCEPTION 'statement % is %: it cannot be deleted', OLD.number, OLD.status;
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status NOT IN ('issued', 'paid', 'void') THEN
    RETURN NEW;
  END IF;
  IF NOT (NEW.status = OLD.status OR (OLD.status = 'issued' AND NEW.status IN ('paid', 'void'))) THEN
    RAISE EXCEPTION 'statement % cannot go from % to %', OLD.number, OLD.status, NEW.status;
  END IF;
  IF (NEW.number, NEW.contract_id, NEW.period, NEW.revision, NEW.terms_version_id, NEW.document_type,
      NEW.currency, NEW.net, NEW.tax, NEW.gross, NEW.tax_rate, NEW.issue_date, NEW.due_date)
     IS DISTINCT FROM
     (OLD.number, OLD.contract_id, OLD.period, OLD.revision, OLD.terms_version_id, OLD.document_type,
      OLD.currency, OLD.net, OLD.tax, OLD.gross, OLD.tax_rate, OLD.issue_date, OLD.due_date)
     OR NEW.inputs IS DISTINCT FROM OLD.inputs
     OR NEW.flags IS DISTINCT FROM OLD.flags
     OR NEW.buyer_details IS DISTINCT FROM OLD.buyer_details
     OR NEW.supplier_details IS DISTINCT FROM OLD.supplier_details
     OR NEW.adjusts_id IS DISTINCT FROM OLD.adjusts_id
     OR (OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf) THEN
    RAISE EXCEPTION 'statement % is %: it cannot be changed', OLD.number, OLD.status;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_statement_guard BEFORE UPDATE OR DELETE ON billing_statement
  FOR EACH ROW EXECUTE FUNCTION billing_statement_guard();

CREATE OR REPLACE FUNCTION billing_statementline_guard() RETURNS trigger AS $$
DECLARE
  frozen boolean;
BEGIN
  SELECT status IN ('issued', 'paid', 'void') INTO frozen FROM billing_statement
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.statement_id ELSE NEW.statement_id END;
  IF frozen THEN
    RAISE EXCEPTION 'lines of an issued statement cannot be changed';
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.statement_id <> NEW.statement_id THEN
    SELECT status IN ('issued', 'paid', 'void') INTO frozen FROM billing_statement WHERE id = OLD.statement_id;
    IF frozen THEN
      RAISE EXCEPTION 'lines of an issued statement cannot be changed';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_statementline_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_statementline
  FOR EACH ROW EXECUTE FUNCTION billing_statementline_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_statementline_guard ON billing_statementline;
DROP FUNCTION IF EXISTS billing_statementline_guard();
DROP TRIGGER IF EXISTS billing_statement_guard ON billing_statement;
DROP FUNCTION IF EXISTS billing_statement_guard();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(STATEMENT_GUARD)  # no parameters: the % in RAISE messages stays literal


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
