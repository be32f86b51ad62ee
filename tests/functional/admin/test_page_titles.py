"""Procurement's custom admin pages say their title once, and the KPI app reads "KPIs"."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Membership
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def procurement():
    contract = load_contract()
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    statement = statement_price_draft(contract_id=contract.pk, period=Period.parse("2026-01"))
    statement_approve(statement_id=statement.pk)
    statement = statement_issue(statement_id=statement.pk)
    user = User.objects.create_user("titles-procurement", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=contract.buyer, role="procurement")
    client = Client()
    client.force_login(user)
    return client, statement


def headings(page: str) -> list[str]:
    """The page's own headings: the site name in the header is not one."""
    return [text.strip() for text in re.findall(r"<h1>(.*?)</h1>", page, re.S)]


@pytest.mark.parametrize(
    ("url_name", "title"),
    [
        ("admin:billing_billingrun_run", "Run billing for a period"),
        ("admin:kpis_kpibatch_upload", None),
        ("admin:contracts_contract_import", None),
        ("admin:billing_statement_portfolio", "Portfolio: 2026"),
    ],
)
def test_a_custom_page_shows_its_title_once(procurement, url_name, title):
    client, _ = procurement
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    expected = title or response.context["title"]
    assert headings(response.content.decode()) == [expected]


def test_the_void_confirmation_shows_its_title_once(procurement):
    client, statement = procurement
    response = client.post(
        reverse("admin:billing_statement_changelist"),
        {"action": "void", ACTION_CHECKBOX_NAME: [statement.pk]},
    )
    assert response.status_code == 200
    assert headings(response.content.decode()) == ["Void statements"]


def test_the_kpi_app_reads_kpis_in_breadcrumbs(procurement):
    client, _ = procurement
    page = client.get(reverse("admin:kpis_kpibatch_changelist")).content.decode()
    breadcrumbs = re.search(r'<div class="breadcrumbs">.*?</div>', page, re.S).group(0)
    assert ">KPIs</a>" in breadcrumbs and "Kpis" not in breadcrumbs


def test_self_billing_is_hyphenated_in_the_admin(procurement):
    client, _ = procurement
    page = client.get(reverse("admin:index")).content.decode()
    assert "Self-billing agreements" in page and "Self billing" not in page
