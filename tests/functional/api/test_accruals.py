"""GET /api/v1/accruals/: a finance user's buyer's contracts only; 400s for bad values."""

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contracts.models import Membership, Organisation

pytestmark = pytest.mark.django_db
URL = "/api/v1/accruals/"


def client_of(code: str, role: str) -> APIClient:
    user = User.objects.create_user(f"{role}-{code}")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code=code), role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_finance_sees_its_buyers_contracts_only_with_march_compared(two_buyers):
    response = client_of("ACME", "finance").get(URL, {"period": "2026-03", "method": "average_3"})
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["period"], body["method"]) == (1, "2026-03", "average_3")
    assert [row["contract"] for row in body["contracts"]] == ["ACME-001", "ACME-002"]
    issued = {d.contract.reference: d.number for d in two_buyers["ACME"] if d.period == "2026-03"}
    assert {row["contract"]: row["actual"]["documents"] for row in body["contracts"]} == {
        reference: [number] for reference, number in issued.items()
    }
    assert body["totals"]["GBP"]["compared"]["contracts"] == 2


def test_another_buyers_finance_user_sees_none_of_acmes(two_buyers):
    body = client_of("GLOBEX", "finance").get(URL, {"period": "2026-04", "method": "last"}).json()
    assert [row["contract"] for row in body["contracts"]] == ["GLOBEX-001", "GLOBEX-002"]
    assert all(row["actual"] is None for row in body["contracts"])


def test_a_suppliers_user_is_refused(two_buyers):
    supplier = Organisation.objects.get(name="Alpha CX Ltd")
    response = client_of(supplier.code, "supplier").get(URL, {"period": "2026-04", "method": "last"})
    assert response.status_code == 403


def test_no_token_is_a_401(two_buyers):
    assert APIClient().get(URL, {"period": "2026-04", "method": "last"}).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"method": "last"}, "period"),
        ({"period": "2026-04"}, "method"),
        ({"period": "2026-13", "method": "last"}, "period"),
        ({"period": "26-04", "method": "last"}, "period"),
        ({"period": "2026-04\x00", "method": "last"}, "period"),
        ({"period": "2026-04" * 1000, "method": "last"}, "period"),
        ({"period": "2026-04", "method": "median"}, "method"),
        ({"period": "0001-01", "method": "last"}, "period"),
    ],
)
def test_bad_values_are_a_400_naming_the_field(two_buyers, params, field):
    response = client_of("ACME", "finance").get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_schema_documents_the_route(two_buyers):
    client = client_of("ACME", "finance")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/accruals/" in schema.json()["paths"]


def test_procurement_sees_its_buyers_and_a_superuser_every_buyers(two_buyers):
    params = {"period": "2026-04", "method": "target"}
    procurement = client_of("GLOBEX", "procurement").get(URL, params).json()
    assert [row["contract"] for row in procurement["contracts"]] == ["GLOBEX-001", "GLOBEX-002"]
    admin = APIClient()
    admin.force_authenticate(User.objects.create_superuser("root"))
    everything = admin.get(URL, params).json()
    assert [row["contract"] for row in everything["contracts"]] == [
        "ACME-001",
        "ACME-002",
        "GLOBEX-001",
        "GLOBEX-002",
    ]


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(period=st.text(max_size=12), method=st.text(max_size=12))
def test_any_parameters_give_a_200_or_a_400_never_a_500(two_buyers, period, method):
    client = APIClient()
    client.force_authenticate(
        User.objects.get_or_create(username="fuzz", is_superuser=True, is_active=True)[0]
    )
    response = client.get(URL, {"period": period, "method": method})
    assert response.status_code in (200, 400), (period, method, response.status_code)
