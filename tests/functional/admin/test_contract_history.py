"""A contract's History pages read as a record: who changed what, and a past version shown as
text, not as a form that looks as if it could be saved."""

import pytest
from django.urls import reverse

from tests.integration.billing.conftest import load_contract

pytestmark = pytest.mark.django_db


def test_a_change_without_a_named_user_says_so_and_a_past_version_is_read_only(admin_client):
    contract = load_contract("ACME-H-001")
    record = contract.history.earliest()
    listing = admin_client.get(reverse("admin:contracts_contract_history", args=[contract.pk]))
    assert listing.status_code == 200
    assert b"no user named: a command without --user" in listing.content
    assert b">None<" not in listing.content.replace(b" ", b"").replace(b"\n", b"")
    url = reverse("admin:contracts_contract_simple_history", args=[contract.pk, record.history_id])
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"as it stood after the change of {record.history_date:%Y-%m-%d %H:%M} (no user named)" in text
    for field in ("title", "reference", "payment_terms_days", "kpi_sources"):
        assert f'name="{field}"' not in text, field
    assert "Test care" in text  # the title, as text
