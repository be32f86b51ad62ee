"""GET /api/v1/contracts/{reference}/value/ and GET /api/v1/portfolio/: the numbers worked by
hand in tests/integration/billing/value_world.py, each party's own only, strict parameters."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from contracts.models import Membership, Organisation
from tests.integration.billing.value_world import build_value_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_value_world()


def client_of(organisation: Organisation, role: str) -> APIClient:
    user = User.objects.create_user(f"{role}-{organisation.pk}")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def value_url(reference: str) -> str:
    return f"/api/v1/contracts/{reference}/value/"


def test_the_buyers_finance_user_reads_each_month(world):
    body = client_of(world["gbp"].buyer, "finance").get(value_url("VAL-GBP-001"), {"from": "2026-01"}).json()
    assert (body["contract"], body["currency"], body["from"], body["to"]) == (
        "VAL-GBP-001",
        "GBP",
        "2026-01",
        "2026-03",  # the latest month with a document
    )
    assert body["months"][0] == {
        "period": "2026-01",
        "value_created": "1000.00",
        "supplier_share": "500.00",
        "buyer_retained": "500.00",
        "pay": {
            "fixed": "1000.00",
            "per_unit": "1000.00",
            "shared_value": "500.00",
            "outcomes": "50.00",
            "experience": "0.00",
            "credits": "0.00",
            "other": "0.00",
        },
        "total": "2550.00",
    }
    assert [
        (m["period"], m["value_created"], m["pay"]["credits"], m["total"]) for m in body["months"][1:]
    ] == [
        ("2026-02", "5000.00", "-100.00", "2400.00"),
        ("2026-03", "1200.00", "0.00", "2600.00"),
    ]
    assert body["totals"]["value_created"] == "7200.00"
    assert body["totals"]["buyer_retained"] == "5600.00"


def test_the_supplier_reads_the_same_numbers_for_its_own_contract(world):
    supplier = client_of(world["gbp"].supplier, "supplier")
    finance = client_of(world["gbp"].buyer, "finance")
    params = {"from": "2026-01", "to": "2026-06"}
    assert (
        supplier.get(value_url("VAL-GBP-001"), params).json()
        == finance.get(value_url("VAL-GBP-001"), params).json()
    )


@pytest.mark.parametrize("role", ["finance", "procurement", "supplier"])
def test_another_partys_contract_is_a_404(world, role):
    organisation = world["gbp"].supplier if role == "supplier" else world["gbp"].buyer
    client = client_of(organisation, role)
    response = client.get(value_url("VAL-OTH-001"))
    assert response.status_code == 404
    assert b"VAL-OTH-001" not in response.content
    assert client.get(value_url("NO-SUCH")).status_code == 404  # the same as no contract at all
    assert client.get(value_url("VAL-GBP-001")).status_code == 200


def test_a_superuser_reads_any_contract(world):
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("root"))
    assert client.get(value_url("VAL-OTH-001")).json()["months"][0]["total"] == "2550.00"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-13"}, "from"),
        ({"to": "2026-1"}, "to"),
        ({"to": "2026-04" * 100}, "to"),
        ({"from": "2026-05", "to": "2026-04"}, "from"),
        ({"from": "2000-01", "to": "2026-04"}, "from"),
    ],
)
def test_bad_months_are_a_400_naming_the_parameter(world, params, field):
    response = client_of(world["gbp"].buyer, "finance").get(value_url("VAL-GBP-001"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_portfolio_per_currency(world):
    body = client_of(world["gbp"].buyer, "procurement").get("/api/v1/portfolio/").json()
    assert body["year"] == 2026
    assert [part["currency"] for part in body["currencies"]] == ["EUR", "GBP"]
    gbp = body["currencies"][1]
    assert (gbp["total"], gbp["value_created"], gbp["pay"]["credits"], gbp["for_results_percent"]) == (
        "7550.00",
        "7200.00",
        "-100.00",
        "21.6",
    )
    assert [row["contract"] for row in gbp["contracts"]] == ["VAL-GBP-001"]
    assert len(gbp["months"]) == 12 and gbp["months"][3]["for_results_percent"] is None
    assert b"VAL-OTH-001" not in client_of(world["gbp"].buyer, "finance").get("/api/v1/portfolio/").content


def test_the_portfolio_is_refused_to_a_supplier(world):
    response = client_of(world["gbp"].supplier, "supplier").get("/api/v1/portfolio/")
    assert response.status_code == 403


@pytest.mark.parametrize("year", ["1999", "26", "twenty", "2026" * 10, "3000"])
def test_a_bad_year_is_a_400(world, year):
    response = client_of(world["gbp"].buyer, "finance").get("/api/v1/portfolio/", {"year": year})
    assert response.status_code == 400
    assert "year" in response.json()


def test_a_year_without_documents_is_empty(world):
    body = client_of(world["gbp"].buyer, "finance").get("/api/v1/portfolio/", {"year": "2024"}).json()
    assert body == {"year": 2024, "currencies": []}


def test_the_schema_documents_both_routes(world):
    client = client_of(world["gbp"].buyer, "finance")
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert "/api/v1/contracts/{reference}/value/" in paths
    assert "/api/v1/portfolio/" in paths
