"""The "Procurement" group: the buyer's contract managers working in the admin."""

from django.db import migrations

APPS = ("contracts", "kpis", "billing", "django_celery_beat", "authtoken")


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # permissions exist only after post_migrate otherwise
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Procurement")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=APPS))


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Procurement").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contracts", "0002_membership"),
        ("kpis", "0003_batches_and_results"),
        ("billing", "0005_idempotency_keys"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
