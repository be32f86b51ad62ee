"""The "Procurement" group reviews KPI batches held for review; batches stored before parties
were recorded take the party of the user who uploaded them."""

from django.db import migrations

CODENAMES = ("review_kpibatch",)
ROLE_PARTY = {"supplier": "supplier", "finance": "buyer", "procurement": "buyer"}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("kpis")
    app_config.models_module = True  # permissions exist only after post_migrate otherwise
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="kpis", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.add(*permissions)
    KpiBatch = apps.get_model("kpis", "KpiBatch")
    Membership = apps.get_model("contracts", "Membership")
    for membership in Membership.objects.filter(user__kpi_batches__isnull=False).distinct():
        KpiBatch.objects.filter(uploaded_by_id=membership.user_id).update(
            party=ROLE_PARTY[membership.role], organisation_id=membership.organisation_id
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="kpis", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0007_batch_review"), ("portal", "0002_hashed_api_tokens")]
    operations = [migrations.RunPython(grant, revoke)]
