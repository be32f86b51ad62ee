"""The admin's "Simulate terms" page: linked from the contract, the form prefilled with the
contract's file, the table, lines and chart of a proposal, errors on the form, nothing written,
and only the buyer's procurement users (and superusers) let in."""

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from billing.models import Statement
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Membership
from contracts.services import contract_export
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract():
    """ACME-T-001 (conftest.CONTRACT) with January issued: 1,400 voice contacts → 3,000 + 800;
    fee 10,000; charges 13,800; service level 78 < 80 → 5 % = −690: net 13,110.00."""
    contract = load_contract()
    load_kpis(month(contract.reference, "2026-01", 1400, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    return contract


def procurement_client(contract, username="acme-procurement") -> Client:
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    client = Client()
    client.force_login(user)
    return client


def page(contract) -> str:
    return reverse("admin:billing_statement_simulate", args=[contract.pk])


def test_the_contract_links_to_its_page_and_the_form_holds_its_file(contract):
    client = procurement_client(contract)
    change = client.get(reverse("admin:contracts_contract_change", args=[contract.pk])).content.decode()
    assert f'href="{page(contract)}"' in change and "Simulate terms" in change
    form = client.get(page(contract))
    assert form.status_code == 200
    assert "reference: ACME-T-001" in form.content.decode()  # the textarea's contract file


def test_a_proposal_shows_the_table_lines_and_chart_and_writes_nothing(contract):
    before = list(Statement.objects.values_list("pk", "status", "net", "updated_at"))
    proposal = contract_export(contract=contract).replace("amount: '10000.00'", "amount: '12000.00'")
    assert "12000.00" in proposal
    upload = SimpleUploadedFile("proposal.yaml", proposal.encode())
    response = procurement_client(contract).post(
        page(contract), {"upload": upload, "first": "2026-01", "last": "2026-01", "what_ifs": ""}
    )
    text = response.content.decode()
    assert response.status_code == 200
    # 12,000 + 3,800 = 15,800; 5 % = −790: 15,010.00, +1,900.00 on the actual 13,110.00.
    for shown in ("£13,110.00", "£15,010.00", "£1,900.00", "<svg", "Fixed fee 12,000.00"):
        assert shown in text, shown
    assert "amount: &#x27;12000.00&#x27;" in text  # the upload is now the text, for the next run
    # The proposal's incentive alignment: fewer voice contacts cut the per-contact pay.
    alignment = text[text.index('id="simulation-alignment"') :]
    assert "Voice contacts handled" in alignment and "misaligned" in alignment
    assert list(Statement.objects.values_list("pk", "status", "net", "updated_at")) == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"terms": "reference: [", "first": "2026-01"}, "proposal.yaml: line 1"),
        ({"terms": "OWN", "what_ifs": "widgets=+2"}, "&#x27;widgets&#x27; is not a KPI code"),
        ({"terms": "OWN", "first": "2025-11"}, "2025-11 is before ACME-T-001 starts"),
        ({"terms": "OWN", "first": "2026-1"}, "Enter a valid value"),
        ({"terms": ""}, "Upload a proposed contract file or edit the text."),
    ],
)
def test_errors_are_shown_on_the_form_and_nothing_is_simulated(contract, data, problem):
    if data.get("terms") == "OWN":
        data = {**data, "terms": contract_export(contract=contract)}
    response = procurement_client(contract).post(page(contract), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "The simulation could not run" in text and problem in text
    assert "simulation-result" not in text


def test_an_upload_over_the_limit_is_refused_before_it_is_read(contract):
    upload = SimpleUploadedFile("big.yaml", b"x" * (1024 * 1024 + 1))
    response = procurement_client(contract).post(page(contract), {"upload": upload})
    assert "the limit is 1,048,576" in response.content.decode()


def test_only_the_buyers_procurement_users_and_superusers_get_the_page(contract):
    other = load_contract("GLOBEX-T-001", "Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    assert procurement_client(other, "globex-procurement").get(page(contract)).status_code == 404
    staff = Client()
    staff.force_login(User.objects.create_user("staff-only", is_staff=True))
    assert staff.get(page(contract)).status_code == 404
    anonymous = Client().get(page(contract))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    superuser = Client()
    superuser.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    assert superuser.get(page(other)).status_code == 200
    assert (
        procurement_client(contract).get(page(contract).replace(str(contract.pk), "999999")).status_code
        == 404
    )
