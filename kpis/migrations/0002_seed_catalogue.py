from django.db import migrations


def seed(apps, schema_editor):
    from kpis.catalogue import CATALOGUE

    Kpi = apps.get_model("kpis", "Kpi")
    for spec in CATALOGUE:
        Kpi.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "unit": spec.unit,
                "direction": spec.direction,
                "aggregation": spec.aggregation,
                "scale": spec.scale,
                "min_value": spec.min_value,
                "max_value": spec.max_value,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
