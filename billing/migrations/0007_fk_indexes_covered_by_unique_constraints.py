"""Drop the single-column indexes on ``billing_statement.contract_id`` and
``billing_statementline.statement_id``.

Each is the leading column of a unique constraint on the same table, (contract, period,
revision) and (statement, position), whose index serves every query that filters or joins on
that column alone (and the foreign-key checks from the referenced side). The foreign keys
themselves are unchanged; only the duplicate indexes go, which every inserted statement and
line also had to update.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_line_insert_guard_per_statement"),
        ("contracts", "0002_membership"),
    ]

    operations = [
        migrations.AlterField(
            model_name="statement",
            name="contract",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="statements",
                to="contracts.contract",
            ),
        ),
        migrations.AlterField(
            model_name="statementline",
            name="statement",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="billing.statement",
            ),
        ),
    ]
