"""API tokens hashed at rest: DRF's clear-text tokens become knox digests, and the
"Procurement" group loses every token permission and those on the beat schedules (a schedule
runs billing for every buyer, so only superusers change it).

Each existing DRF key is kept working: knox stores the SHA-512 digest of a key and looks it up
by its first 15 characters, both computable from the key, so the clear-text row is replaced by
a knox row that accepts the same ``Authorization: Token <key>`` header. The clear-text rows
are then deleted. Reversing restores no clear-text key (none is kept): tokens must be re-issued.
"""

from django.db import migrations

SUPERUSER_APPS = ("authtoken", "knox", "django_celery_beat")


def convert_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    AuthToken = apps.get_model("knox", "AuthToken")
    for token in Token.objects.all().iterator():
        AuthToken.objects.get_or_create(
            digest=hash_token(token.key),
            defaults={
                "token_key": token.key[: CONSTANTS.TOKEN_KEY_LENGTH],
                "user_id": token.user_id,
                "expiry": None,
            },
        )
    Token.objects.all().delete()


def drop_superuser_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():  # knox's permissions exist only after post_migrate otherwise
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label__in=SUPERUSER_APPS))


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_procurement_group"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]
    operations = [
        migrations.RunPython(convert_tokens, migrations.RunPython.noop),
        migrations.RunPython(drop_superuser_permissions, migrations.RunPython.noop),
    ]
