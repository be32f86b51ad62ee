"""Issued documents carry what the finance API serves, so its lists read one row each.

* ``api_representation``: an issued document never changes, so its JSON is rendered once, when
  it is issued, and the list serves it as stored instead of rebuilding a page of documents and
  lines on every request. Only the status and the payment, which change after issue, are read
  live. Documents issued before this column existed keep it empty and are rendered as before.
* ``buyer`` and ``supplier``: the contract's parties, set at issue (and filled in here for the
  documents already issued), so who may see a document is decided on its own row. On
  PostgreSQL a partial index per party answers a period's page and its count from the index
  alone, in the list's order (issue date, number), with no join to the contracts and no sort.

On PostgreSQL the statement guard refuses changes to these columns of an issued document,
like every other frozen column.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

GUARD = """
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
     {frozen_since_0009}
     OR (OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf) THEN
    RAISE EXCEPTION 'statement % is %: it cannot be changed', OLD.number, OLD.status;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


FROZEN_SINCE_0009 = """OR (NEW.api_representation, NEW.buyer_id, NEW.supplier_id)
        IS DISTINCT FROM (OLD.api_representation, OLD.buyer_id, OLD.supplier_id)"""

PARTY_INDEXES = """
CREATE INDEX IF NOT EXISTS billing_statement_buyer_visible
  ON billing_statement (buyer_id, period, issue_date, number) INCLUDE (id)
  WHERE status IN ('issued', 'paid', 'void');
CREATE INDEX IF NOT EXISTS billing_statement_supplier_visible
  ON billing_statement (supplier_id, period, issue_date, number) INCLUDE (id)
  WHERE status IN ('issued', 'paid', 'void');
"""
DROP_PARTY_INDEXES = """
DROP INDEX IF EXISTS billing_statement_buyer_visible;
DROP INDEX IF EXISTS billing_statement_supplier_visible;
"""


def fill_in_parties(apps, schema_editor):
    """The parties of documents already issued (the guard does not know these columns yet)."""
    Statement = apps.get_model("billing", "Statement")
    Contract = apps.get_model("contracts", "Contract")
    contract = Contract.objects.filter(pk=OuterRef("contract_id"))
    Statement.objects.exclude(status__in=["draft", "approved"]).update(
        buyer_id=Subquery(contract.values("buyer_id")[:1]),
        supplier_id=Subquery(contract.values("supplier_id")[:1]),
    )


def guard_and_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            # no parameters: the % in RAISE messages stays literal
            cursor.execute(GUARD.format(frozen_since_0009=FROZEN_SINCE_0009))
            cursor.execute(PARTY_INDEXES)


def previous_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_PARTY_INDEXES)
            cursor.execute(GUARD.format(frozen_since_0009=""))


def party(role: str) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        db_index=False,
        editable=False,
        help_text=f"The contract's {role}, from issue on.",
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="contracts.organisation",
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_statement_api_index"), ("contracts", "0002_membership")]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="api_representation",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The finance API's JSON of the document, frozen at issue as the PDF is; its "
                "status and payment are read live. Empty for documents issued before it was kept.",
                null=True,
            ),
        ),
        migrations.AddField(model_name="statement", name="buyer", field=party("buyer")),
        migrations.AddField(model_name="statement", name="supplier", field=party("supplier")),
        migrations.RunPython(fill_in_parties, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=Q(status__in=["draft", "approved"]) | Q(buyer__isnull=False, supplier__isnull=False),
                name="issued_statement_has_parties",
            ),
        ),
        migrations.RunPython(guard_and_index, previous_guard),
    ]
