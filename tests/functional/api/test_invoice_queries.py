"""The finance API says whether a document has an open query of its supplier (``queried``),
in the list and the detail, read live in the same query as the frozen text."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.queries import statement_query_raise, statement_query_resolve
from tests.integration.billing.conftest import load_contract
from tests.integration.billing.queries_world import procurement_user, supplier_user

from .test_invoices import client_for, issue_month, issue_without_representation, reference_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    contract = load_contract("ACME-A-001", supplier="Alpha CX Ltd")
    return {
        "contract": contract,
        "jan": issue_month(contract),
        "feb": issue_without_representation(contract, "2026-02"),  # built from its document
        "supplier": supplier_user(contract, "alpha-user"),
        "procurement": procurement_user(contract, "acme-procurement"),
    }


def listed(client) -> dict:
    response = client.get("/api/v1/invoices/", {"page_size": 50})
    assert response.status_code == 200
    return {document["number"]: document for document in response.json()["results"]}


def test_queried_is_true_while_a_query_is_open_in_the_list_and_the_detail(world):
    finance = client_for(world["contract"].buyer, "finance")
    jan, feb = world["jan"].number, world["feb"].number
    assert {n: d["queried"] for n, d in listed(finance).items()} == {jan: False, feb: False}
    queries = [
        statement_query_raise(statement_id=statement.pk, user=world["supplier"], text="Why?")
        for statement in (world["jan"], world["feb"])
    ]
    assert {n: d["queried"] for n, d in listed(finance).items()} == {jan: True, feb: True}
    assert finance.get(f"/api/v1/invoices/{jan}/").json()["queried"] is True
    assert listed(finance)[jan] == reference_json(jan)  # the serializer (the schema) agrees
    statement_query_resolve(
        query_id=queries[0].pk, user=world["procurement"], resolution="explained", text="Counted."
    )
    assert {n: d["queried"] for n, d in listed(finance).items()} == {jan: False, feb: True}
    # ``queried`` follows the actors; the parties as issued and the PDF's URL come after it.
    assert list(listed(finance)[jan])[-5:] == [
        "queried",
        "buyer_details",
        "supplier_details",
        "buyer_reference",
        "pdf_url",
    ]
    # The supplier's own view of its documents carries the same flag.
    supplier = client_for(world["contract"].supplier, "supplier")
    assert listed(supplier)[feb]["queried"] is True


def test_the_flag_costs_the_list_no_query(world):
    """The page's texts and flags are one query whatever the page size, queried or not."""
    contract = load_contract("ACME-B-001", supplier="Beta CX Ltd")
    documents = [issue_month(contract, period) for period in ("2026-01", "2026-02", "2026-03")]
    beta = supplier_user(contract, "beta-user")
    statement_query_raise(statement_id=documents[1].pk, user=beta, text="Why?")
    client = client_for(contract.buyer, "finance")

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                "/api/v1/invoices/", {"page_size": page_size, "supplier": contract.supplier.code}
            )
        assert response.status_code == 200 and len(response.json()["results"]) == page_size
        return len(captured)

    assert queries(1) == queries(3)
    flags = [
        d["queried"]
        for d in client.get("/api/v1/invoices/", {"supplier": contract.supplier.code}).json()["results"]
    ]
    assert sorted(flags) == [False, False, True]
