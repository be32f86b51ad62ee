"""Event kinds read as sentences in the admin ("Re-priced", "Adjustment created"); the stored values are unchanged."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0013_actors_and_events'),
    ]

    operations = [
        migrations.AlterField(
            model_name='statementevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('re-priced', 'Re-priced'), ('inputs changed', 'Inputs changed'), ('approved', 'Approved'), ('issued', 'Issued'), ('pdf stored', 'PDF stored'), ('voided', 'Voided'), ('paid', 'Paid'), ('adjustment created', 'Adjustment created')], max_length=20),
        ),
    ]
