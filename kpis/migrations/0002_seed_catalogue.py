from django.db import migrations


def seed(apps, schema_editor):
    from kpis.catalogue import seed

    seed(apps.get_model("kpis", "Kpi"))


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
