"""The KPI catalogue moves into contracts, in the migration state only.

Contract terms are written in KPI codes, so the catalogue belongs below ``kpis`` (whose
batches and results are measured against it). The table keeps its name, ``kpis_kpi``, and its
rows: nothing is created in the database. ``kpis`` 0005 then points the results at this model
and forgets its own.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_membership"),
        # The catalogue's table as the kpis migrations left it: created, seeded and referenced.
        ("kpis", "0004_result_batch_not_indexed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Kpi",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(max_length=40, unique=True)),
                        ("name", models.CharField(max_length=100)),
                        ("description", models.TextField(blank=True)),
                        ("unit", models.CharField(choices=[("count", "Count"), ("money", "Money"), ("percent", "Percent"), ("seconds", "Seconds"), ("score", "Score")], max_length=10)),
                        ("direction", models.CharField(choices=[("higher_is_better", "Higher is better"), ("lower_is_better", "Lower is better")], max_length=20)),
                        ("aggregation", models.CharField(choices=[("sum", "Sum of rows"), ("ratio", "Σ numerator / Σ denominator")], max_length=10)),
                        ("scale", models.PositiveIntegerField(default=1, help_text="Ratio KPIs: value = Σ numerator / Σ denominator × scale (100 for percentages).")),
                        ("min_value", models.DecimalField(blank=True, decimal_places=4, max_digits=20, null=True)),
                        ("max_value", models.DecimalField(blank=True, decimal_places=4, max_digits=20, null=True)),
                    ],
                    options={
                        "verbose_name": "KPI",
                        "db_table": "kpis_kpi",
                        "ordering": ["code"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("min_value__isnull", True), ("max_value__isnull", True), ("max_value__gte", models.F("min_value")), _connector="OR"), name="kpi_bounds_ordered")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
