"""The record of contract-file imports; a self-billing agreement recorded once.

Before the constraint, agreements recorded twice with the same contract, dates and VAT number
(two imports of one file at once could do it) are reduced to the first one recorded: the
others say nothing it does not.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def keep_the_first_of_each_agreement(apps, schema_editor):
    SelfBillingAgreement = apps.get_model("contracts", "SelfBillingAgreement")
    seen = set()
    repeated = []
    for pk, *key in SelfBillingAgreement.objects.order_by("pk").values_list(
        "pk", "contract_id", "start_date", "end_date", "supplier_vat_number"
    ):
        if tuple(key) in seen:
            repeated.append(pk)
        seen.add(tuple(key))
    SelfBillingAgreement.objects.filter(pk__in=repeated).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0006_kpi_sources'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ContractImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_name', models.CharField(help_text='The file as named on import (its last 255 characters).', max_length=255)),
                ('sha256', models.CharField(help_text="SHA-256 of the file's bytes as imported, in hexadecimal.", max_length=64, validators=[django.core.validators.RegexValidator('^[0-9a-f]{64}$', 'Enter 64 lower-case hexadecimal digits.')])),
                ('imported_at', models.DateTimeField(auto_now_add=True)),
                ('reference', models.CharField(max_length=50)),
                ('status', models.CharField(choices=[('created', 'Created'), ('updated', 'Updated'), ('unchanged', 'Unchanged')], max_length=10)),
                ('changes', models.JSONField(blank=True, default=list, help_text='What the import changed, one text each.')),
            ],
            options={
                'ordering': ['-imported_at', '-pk'],
            },
        ),
        migrations.AddField(
            model_name='contractimport',
            name='contract',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='imports', to='contracts.contract'),
        ),
        migrations.AddField(
            model_name='contractimport',
            name='imported_by',
            field=models.ForeignKey(blank=True, help_text='Empty: imported on the command line without --user.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='contractimport',
            constraint=models.CheckConstraint(condition=models.Q(('sha256__regex', '^[0-9a-f]{64}$')), name='contract_import_sha256_hex'),
        ),
        migrations.AddConstraint(
            model_name='contractimport',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['created', 'updated', 'unchanged'])), name='contract_import_status'),
        ),
        migrations.RunPython(keep_the_first_of_each_agreement, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='selfbillingagreement',
            constraint=models.UniqueConstraint(fields=('contract', 'start_date', 'end_date', 'supplier_vat_number'), name='self_billing_agreement_recorded_once'),
        ),
    ]
