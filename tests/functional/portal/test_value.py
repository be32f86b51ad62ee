"""The supplier's value pages: its own contracts' numbers, the same as procurement's; another
supplier's contract is a 404."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from contracts.models import Membership
from tests.integration.billing.value_world import build_value_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_value_world()


def supplier_client(organisation) -> Client:
    user = User.objects.filter(username=f"supplier-{organisation.pk}").first()
    if user is None:
        user = User.objects.create_user(f"supplier-{organisation.pk}", password="pw")
        Membership.objects.create(user=user, organisation=organisation, role="supplier")
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_the_suppliers_contracts_only(world):
    response = supplier_client(world["gbp"].supplier).get("/value/")
    assert response.status_code == 200
    assert [row["contract__reference"] for row in response.context["contracts"]] == [
        "VAL-EUR-001",
        "VAL-GBP-001",
    ]
    assert b"VAL-OTH-001" not in response.content
    assert b'href="/value/"' in response.content  # in the navigation


def test_the_contract_page_has_the_same_numbers_as_the_admin(world):
    response = supplier_client(world["gbp"].supplier).get(
        "/value/VAL-GBP-001/", {"from": "2026-01", "to": "2026-06"}
    )
    assert response.status_code == 200
    rows = [
        (r["period"], r["value"], r["share"], r["retained"], r["total"]) for r in response.context["rows"]
    ]
    assert rows == [
        ("2026-01", "£1,000.00", "£500.00", "£500.00", "£2,550.00"),
        ("2026-02", "£5,000.00", "£500.00", "£4,500.00", "£2,400.00"),
        ("2026-03", "£1,200.00", "£600.00", "£600.00", "£2,600.00"),
    ]
    assert response.context["totals"]["retained"] == "£5,600.00"
    assert b'id="value-split-chart-title"' in response.content


def test_another_suppliers_contract_is_a_404(world):
    response = supplier_client(world["gbp"].supplier).get("/value/VAL-OTH-001/")
    assert response.status_code == 404
    assert b"VAL-OTH-001" not in response.content
    assert supplier_client(world["other"].supplier).get("/value/VAL-OTH-001/").status_code == 200
    # A reference that is no contract at all looks the same.
    assert supplier_client(world["gbp"].supplier).get("/value/NO-SUCH/").status_code == 404


@pytest.mark.parametrize(
    "query", [{"from": "2026-13"}, {"to": "x" * 7}, {"from": "2026-05", "to": "2026-01"}]
)
def test_a_bad_range_is_a_400_page(world, query):
    response = supplier_client(world["gbp"].supplier).get("/value/VAL-GBP-001/", query)
    assert response.status_code == 400
    assert b"error-summary" in response.content


def test_a_buyers_user_is_not_let_into_the_portal(world):
    user = User.objects.create_user("finance-acme", password="pw")
    Membership.objects.create(user=user, organisation=world["gbp"].buyer, role="finance")
    client = Client()
    client.force_login(user)
    assert client.get("/value/VAL-GBP-001/").status_code == 403
