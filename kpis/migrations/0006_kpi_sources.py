"""Each catalogued KPI gets its default authoritative party (``kpis.catalogue.default_source``)."""

from django.db import migrations


def seed(apps, schema_editor):
    from kpis.catalogue import seed

    seed(apps.get_model("contracts", "Kpi"))


class Migration(migrations.Migration):
    dependencies = [("kpis", "0005_kpi_catalogue_in_contracts"), ("contracts", "0006_kpi_sources")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
