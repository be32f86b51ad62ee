"""The "Procurement" group records and reads self-billing agreements (never changes or deletes
them: the admin refuses both)."""

from django.db import migrations

CODENAMES = ("add_selfbillingagreement", "view_selfbillingagreement")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("contracts")
    app_config.models_module = True  # permissions exist only after post_migrate otherwise
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="contracts", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="contracts", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0004_history_and_self_billing"),
        ("portal", "0002_hashed_api_tokens"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
