"""Webhook endpoints, their outbox of messages and the delivery log; the "Procurement" group
manages its buyer's endpoints, reads the log and resends messages."""

import django.db.models.deletion
import webhooks.addresses
import webhooks.models
from django.db import migrations, models


CODENAMES = (
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookendpoint",
    "view_webhookmessage",
    "resend_webhookmessage",
    "view_webhookdelivery",
)


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True  # permissions exist only after post_migrate otherwise
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="webhooks", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="webhooks", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Procurement"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contracts', '0011_labels'),
        ('billing', '0013_actors_and_events'),  # creates the Procurement group
    ]

    operations = [
        migrations.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.URLField(help_text='https:// and a public address; the host is resolved and checked at each delivery.', max_length=500, validators=[webhooks.addresses.validate_webhook_url])),
                ('secret', models.CharField(default=webhooks.models.new_secret, editable=False, max_length=100)),
                ('event_types', models.JSONField(default=list, help_text='The event types it receives (EventType values).')),
                ('description', models.CharField(blank=True, max_length=200)),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('buyer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contracts.organisation')),
            ],
        ),
        migrations.CreateModel(
            name='WebhookMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message_id', models.CharField(default=webhooks.models.new_message_id, editable=False, max_length=40, unique=True)),
                ('event_type', models.CharField(max_length=40)),
                ('statement_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                ('payload', models.JSONField()),
                ('status', models.CharField(choices=[('pending', 'Pending (sending or waiting to retry)'), ('delivered', 'Delivered'), ('failed', 'Failed (gave up; resend from the admin)')], default='pending', max_length=10)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='webhooks.webhookendpoint')),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
                'permissions': [('resend_webhookmessage', 'Can resend a webhook message')],
            },
        ),
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('attempt', models.PositiveIntegerField()),
                ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('response_excerpt', models.CharField(blank=True, max_length=500)),
                ('error', models.CharField(blank=True, max_length=500)),
                ('duration_ms', models.PositiveIntegerField(default=0)),
                ('at', models.DateTimeField()),
                ('next_retry_at', models.DateTimeField(blank=True, null=True)),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhookmessage')),
            ],
            options={
                'verbose_name_plural': 'webhook deliveries',
                'ordering': ['-at', '-pk'],
                'constraints': [models.UniqueConstraint(fields=('message', 'attempt'), name='webhook_delivery_attempt_once')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
