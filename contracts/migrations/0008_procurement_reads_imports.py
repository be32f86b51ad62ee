"""The "Procurement" group reads the record of contract-file imports (nobody adds, changes or
deletes one by hand: the admin refuses all three)."""

from django.db import migrations

CODENAMES = ("view_contractimport",)


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
    dependencies = [("contracts", "0007_contract_imports_and_unique_agreements")]
    operations = [migrations.RunPython(grant, revoke)]
