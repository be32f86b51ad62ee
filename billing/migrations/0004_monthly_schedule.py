"""The monthly billing run as a django-celery-beat periodic task, editable in the admin.

The 3rd of each month at 06:00 (the project's time zone) prices the month before.
"""

from django.db import migrations

TASK = "billing.tasks.run_billing_for_previous_month"
NAME = "monthly-billing-run"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_month="3", month_of_year="*", day_of_week="*", timezone="Europe/London"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "crontab": schedule, "description": "Price last month's drafts"}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_drop_gross_check"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
