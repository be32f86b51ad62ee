"""KPI batches record the submitting party and their review (pending, accepted, rejected)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0006_kpi_sources'),
        ('kpis', '0006_kpi_sources'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='kpibatch',
            options={'ordering': ['-uploaded_at', '-id'], 'permissions': [('review_kpibatch', 'Can accept or reject a KPI batch held for review')], 'verbose_name': 'KPI batch', 'verbose_name_plural': 'KPI batches'},
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='held_months',
            field=models.JSONField(blank=True, default=list, help_text="The issued months the file changes: contract, period and each KPI's value before and after."),
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='organisation',
            field=models.ForeignKey(blank=True, help_text='The organisation the submitter acts for.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='kpi_batches', to='contracts.organisation'),
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='party',
            field=models.CharField(choices=[('buyer', 'Buyer'), ('supplier', 'Supplier'), ('operator', 'Operator')], default='operator', help_text='The party that submitted it.', max_length=10),
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='review_reason',
            field=models.TextField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='kpibatch',
            name='status',
            field=models.CharField(choices=[('accepted', 'Accepted'), ('pending', 'Pending review'), ('rejected', 'Rejected')], db_index=True, default='accepted', max_length=10),
        ),
    ]
