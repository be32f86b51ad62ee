"""POST /api/v1/contracts/{reference}/simulations/: procurement of the contract's buyer only,
the command's JSON, 400s naming the field, bounded bodies."""

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from billing.models import Statement
from contracts.models import Contract, Membership, Organisation
from contracts.services import contract_export

pytestmark = pytest.mark.django_db


def url(reference: str = "ACME-001") -> str:
    return f"/api/v1/contracts/{reference}/simulations/"


def client_of(code: str, role: str) -> APIClient:
    user = User.objects.create_user(f"{role}-{code}")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code=code), role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def own_file(reference: str = "ACME-001", fmt: str = "yaml") -> str:
    return contract_export(contract=Contract.objects.get(reference=reference), fmt=fmt)


def post(client: APIClient, body, reference: str = "ACME-001"):
    return client.post(url(reference), body, format="json")


def test_its_own_terms_reproduce_every_issued_month(two_buyers):
    response = post(client_of("ACME", "procurement"), {"terms": own_file(), "from": "2026-01"})
    assert response.status_code == 200
    body = response.json()
    assert (body["contract"], body["from"], body["to"]) == ("ACME-001", "2026-01", "2026-03")
    assert [m["actual"]["documents"] for m in body["months"]] == [
        [d.number] for d in two_buyers["ACME"] if d.contract.reference == "ACME-001"
    ]
    assert body["totals"]["difference"] == {"net": "0.00", "tax": "0.00", "gross": "0.00"}


def test_a_higher_fee_as_a_structured_document_with_a_what_if(two_buyers):
    # ACME-001's March: 1,400 voice contacts → 1,000 × 3.00 + 400 × 2.00 = 3,800; fee 10,000;
    # charges 13,800; service level 77 < 80 → 5 % = −690: net 13,110.00.
    # The fee at 12,000: charges 15,800, credit −790: net 15,010.00, +1,900.00.
    document = json.loads(own_file(fmt="json"))
    document["terms"][0]["components"][0]["amount"] = "12000.00"
    client = client_of("ACME", "procurement")
    body = post(client, {"terms": document, "from": "2026-03"}).json()
    (month,) = body["months"]
    assert (month["actual"]["net"], month["proposed"]["net"]) == ("13110.00", "15010.00")
    assert month["difference"]["net"] == "1900.00" and body["what_ifs"] == []
    # And with the service level at its target: no credit, 15,800.00, +2,690.00 (sla +690.00).
    body = post(client, {"terms": document, "from": "2026-03", "kpi": {"service_level": "80"}}).json()
    (month,) = body["months"]
    assert month["proposed"]["net"] == "15800.00" and month["difference"]["net"] == "2690.00"
    assert month["difference"]["components"]["sla"] == "690.00"
    assert body["what_ifs"] == ["service_level=80"]
    assert not Statement.objects.filter(status="draft").exists()


def test_another_buyers_contract_is_a_404_and_other_roles_a_403(two_buyers):
    globex = client_of("GLOBEX", "procurement")
    assert post(globex, {"terms": own_file()}).status_code == 404
    assert post(globex, {"terms": own_file()}, reference="NO-SUCH").status_code == 404
    assert post(globex, {"terms": own_file()}, reference="X" * 500).status_code == 404
    supplier = Organisation.objects.get(name="Alpha CX Ltd")
    for client in (client_of(supplier.code, "supplier"), client_of("ACME", "finance")):
        assert post(client, {"terms": own_file()}).status_code == 403
    assert APIClient().post(url(), {"terms": own_file()}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "terms"),
        ({"terms": 5}, "terms"),
        ({"terms": "reference: ["}, "terms"),
        ({"terms": "GLOBEX"}, "terms"),  # another contract's file (replaced below)
        ({"terms": "OWN", "from": "2026-13"}, "from"),
        ({"terms": "OWN", "from": 202601}, "from"),
        ({"terms": "OWN", "to": "2025-12"}, "from"),  # from (the start) is after to
        ({"terms": "OWN", "from": "2026-01", "to": "2030-01"}, "to"),
        ({"terms": "OWN", "kpi": {"widgets": "+2"}}, "kpi"),
        ({"terms": "OWN", "kpi": {"csat": 2}}, "kpi"),
        ({"terms": "OWN", "kpi": ["csat=+2"]}, "kpi"),
        ({"terms": "OWN", "kpi": {f"k{i}": "+1" for i in range(21)}}, "kpi"),
        ({"terms": "OWN", "months": 3}, "months"),
        ([1, 2], "detail"),
    ],
)
def test_bad_bodies_are_a_400_naming_the_field(two_buyers, body, field):
    if isinstance(body, dict) and body.get("terms") in ("OWN", "GLOBEX"):
        body = {**body, "terms": own_file("GLOBEX-001" if body["terms"] == "GLOBEX" else "ACME-001")}
    response = post(client_of("ACME", "procurement"), body)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_body_too_large_or_too_deep_is_a_400(two_buyers):
    client = client_of("ACME", "procurement")
    deep = "[" * 10_000 + "]" * 10_000
    for raw in (json.dumps({"terms": "x" * 3_000_000}), deep, "{not json"):
        response = client.post(url(), raw, content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json(), raw[:20]


def test_the_schema_documents_the_route(two_buyers):
    schema = client_of("ACME", "procurement").get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/contracts/{reference}/simulations/"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "403", "404"}
