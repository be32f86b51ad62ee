"""The admin's contract page validates kpi_sources as a contract file does (a validator changes no column)."""

import contracts.schema
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0009_consistency_rules'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contract',
            name='kpi_sources',
            field=models.JSONField(blank=True, default=dict, help_text="KPI code → 'buyer' or 'supplier', where this contract names another authoritative party than the KPI catalogue does.", validators=[contracts.schema.validate_kpi_sources], verbose_name='KPI sources'),
        ),
        migrations.AlterField(
            model_name='historicalcontract',
            name='kpi_sources',
            field=models.JSONField(blank=True, default=dict, help_text="KPI code → 'buyer' or 'supplier', where this contract names another authoritative party than the KPI catalogue does.", validators=[contracts.schema.validate_kpi_sources], verbose_name='KPI sources'),
        ),
    ]
