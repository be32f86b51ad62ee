"""Procurement's billing admin: run a period, review a draft, approve, issue and void."""

import pytest
from django.urls import reverse

from billing.models import BillingRun, Statement

from .conftest import load_kpis, month

pytestmark = pytest.mark.django_db


def run_january(admin_client, contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    response = admin_client.post(reverse("admin:billing_billingrun_run"), {"period": "2026-01"})
    assert response.status_code == 302
    return Statement.objects.get(contract=contract, period="2026-01")


def test_run_billing_from_the_admin_shows_progress(admin_client, contract):
    assert admin_client.get(reverse("admin:billing_billingrun_run")).status_code == 200
    statement = run_january(admin_client, contract)
    run = BillingRun.objects.get()
    assert (run.status, run.done, run.total) == ("succeeded", 1, 1)
    page = admin_client.get(reverse("admin:billing_billingrun_change", args=[run.pk])).content.decode()
    assert "Succeeded" in page
    assert statement.status == "draft"


def test_run_billing_form_names_an_unknown_contract(admin_client, contract):
    response = admin_client.post(
        reverse("admin:billing_billingrun_run"), {"period": "2026-01", "contract": "NOPE"}
    )
    assert "no contract with reference &#x27;NOPE&#x27;" in response.content.decode()
    assert not BillingRun.objects.exists()


def test_a_draft_shows_lines_flags_inputs_and_last_month(admin_client, contract):
    draft = run_january(admin_client, contract)
    page = admin_client.get(reverse("admin:billing_statement_change", args=[draft.pk])).content.decode()
    assert (
        "Service level (answered within threshold) 78 missed target 80; 5% of charges 14,000.00 → -700.00"
        in page
    )
    assert 'id="kpi-inputs"' in page and "78.0000000000" in page
    assert 'id="comparison"' in page and 'id="flags"' not in page  # no flags on this draft
    assert admin_client.get(reverse("admin:billing_statement_changelist")).status_code == 200


def test_approve_issue_and_void_actions(admin_client, contract):
    draft = run_january(admin_client, contract)
    url = reverse("admin:billing_statement_changelist")
    admin_client.post(url, {"action": "issue", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == "draft"  # a draft must be approved first
    admin_client.post(url, {"action": "approve", "_selected_action": [draft.pk]})
    admin_client.post(url, {"action": "issue", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("issued", "ACME-2026-000001")
    form = admin_client.post(url, {"action": "void", "_selected_action": [draft.pk]})
    assert "reason" in form.content.decode()
    admin_client.post(url, {"action": "void", "_selected_action": [draft.pk], "reason": "duplicate billing"})
    draft.refresh_from_db()
    assert (draft.status, draft.void_reason) == ("void", "duplicate billing")
