"""The results point at the catalogue in contracts; kpis forgets its own model of it.

Both are state changes only: the ``kpi_id`` column, which has neither a database constraint
nor an index, stays as it is, and so does the ``kpis_kpi`` table. The model's content type
follows it (``kpis.kpi`` becomes ``contracts.kpi``), so its permissions, and the groups and
users they are granted to (the "Procurement" group), keep working unchanged.
"""

import django.db.models.deletion
from django.db import migrations, models


def _move_content_type(apps, source: str, target: str) -> None:
    """Relabel the ``kpi`` content type from app ``source`` to ``target``.

    A content type already under ``target`` can only have been created empty by a
    ``post_migrate`` run while both states knew the model; its grants move to the relabelled
    type's permissions of the same codename, and it is deleted.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    moving = ContentType.objects.filter(app_label=source, model="kpi").first()
    if moving is None:
        return  # no content types yet: post_migrate creates the right one
    stale = ContentType.objects.filter(app_label=target, model="kpi").first()
    if stale is not None:
        kept = {p.codename: p for p in Permission.objects.filter(content_type=moving)}
        for permission in Permission.objects.filter(content_type=stale, codename__in=kept):
            kept[permission.codename].group_set.add(*permission.group_set.all())
            kept[permission.codename].user_set.add(*permission.user_set.all())
        stale.delete()
    moving.app_label = target
    moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move_content_type(apps, "kpis", "contracts")


def backwards(apps, schema_editor):
    _move_content_type(apps, "contracts", "kpis")


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0004_result_batch_not_indexed"),
        ("contracts", "0003_kpi_catalogue"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="kpiresult",
                    name="kpi",
                    field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="results", to="contracts.kpi"),
                ),
                migrations.DeleteModel(name="Kpi"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
