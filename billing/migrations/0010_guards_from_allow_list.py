"""Placeholder: the immutability guards generated from billing.immutability (filled in below)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_issued_documents_for_the_api")]
    operations = []
