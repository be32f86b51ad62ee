"""The finance API: each party sees only its own issued documents; payments are idempotent."""

import json
from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from billing.document_json import render_json
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Membership, Organisation
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db


def client_for(organisation: Organisation, role: str) -> APIClient:
    user = User.objects.create_user(f"{role}-{organisation.code}")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def issue_month(contract, period="2026-01", voice=1500):
    load_kpis(month(contract.reference, period, voice, 78), name=f"{contract.reference}-{period}.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse(period))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))


@pytest.fixture
def world():
    a = load_contract("ACME-A-001", supplier="Alpha CX Ltd")
    b = load_contract("ACME-B-001", supplier="Beta CX Ltd")
    a_doc, b_doc = issue_month(a), issue_month(b)
    return {"a": a, "b": b, "a_doc": a_doc, "b_doc": b_doc}


def test_finance_lists_its_buyers_documents_with_lines_and_money_as_strings(world):
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get("/api/v1/invoices/", {"period": "2026-01"})
    assert response.status_code == 200
    body = response.json()
    assert [d["number"] for d in body["results"]] == ["ACME-2026-000001", "ACME-2026-000002"]
    first = body["results"][0]
    assert (first["net"], first["tax"], first["gross"], first["currency"]) == (
        "13300.00",
        "2660.00",
        "15960.00",
        "GBP",
    )
    assert (
        first["lines"][2]["explanation"]
        == "Service level (answered within threshold) 78 missed target 80; 5% of charges 14,000.00 → -700.00"
    )
    assert finance.get("/api/v1/invoices/", {"supplier": world["b"].supplier.code}).json()["count"] == 1


def test_a_supplier_sees_only_its_own_and_gets_404_for_anothers(world):
    alpha = client_for(world["a"].supplier, "supplier")
    numbers = [d["number"] for d in alpha.get("/api/v1/invoices/").json()["results"]]
    assert numbers == [world["a_doc"].number]
    other = world["b_doc"].number
    for url in [f"/api/v1/invoices/{other}/", f"/api/v1/invoices/{other}/pdf/"]:
        assert alpha.get(url).status_code == 404
    assert alpha.post(f"/api/v1/invoices/{other}/mark-paid/", {}, HTTP_IDEMPOTENCY_KEY="k").status_code == 404
    assert alpha.get("/api/v1/invoices/", {"supplier": world["b"].supplier.code}).json()["count"] == 0


def test_drafts_are_never_listed(world):
    load_kpis(month(world["a"].reference, "2026-02", 1500, 78), name="feb.csv")
    statement_price_draft(contract_id=world["a"].pk, period=Period(2026, 2))
    finance = client_for(world["a"].buyer, "finance")
    assert finance.get("/api/v1/invoices/", {"period": "2026-02"}).json()["count"] == 0


def test_the_pdf_is_served_as_stored(world):
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get(f"/api/v1/invoices/{world['a_doc'].number}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_mark_paid_is_idempotent_and_for_finance_only(world):
    number = world["a_doc"].number
    supplier = client_for(world["a"].supplier, "supplier")
    assert (
        supplier.post(f"/api/v1/invoices/{number}/mark-paid/", {}, HTTP_IDEMPOTENCY_KEY="k1").status_code
        == 403
    )
    finance = client_for(world["a"].buyer, "finance")
    assert finance.post(f"/api/v1/invoices/{number}/mark-paid/", {}).status_code == 400  # the key is required
    body = {"paid_at": "2026-03-01T10:00:00Z"}
    first = finance.post(
        f"/api/v1/invoices/{number}/mark-paid/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = finance.post(
        f"/api/v1/invoices/{number}/mark-paid/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["status"] == "paid"
    other = finance.post(
        f"/api/v1/invoices/{number}/mark-paid/",
        {"paid_at": "2026-03-02T10:00:00Z"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert other.status_code == 409


def test_unauthenticated_and_unaffiliated_users_see_nothing(world):
    assert APIClient().get("/api/v1/invoices/").status_code in (401, 403)
    loner = APIClient()
    loner.force_authenticate(User.objects.create_user("loner"))
    assert loner.get("/api/v1/invoices/").json()["count"] == 0
    assert loner.get(f"/api/v1/invoices/{world['a_doc'].number}/").status_code == 404


def test_query_count_does_not_grow_with_page_size(world):
    finance = client_for(world["a"].buyer, "finance")
    for i, period in enumerate(["2026-02", "2026-03", "2026-04"]):
        issue_month(world["a"], period, 1500 + i)

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            assert finance.get("/api/v1/invoices/", {"page_size": page_size}).status_code == 200
        return len(captured)

    queries(1)  # warm: the user's permissions are cached after the first request
    assert queries(1) == queries(5)


def test_the_schema_is_published():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/invoices/{number}/mark-paid/" in response.content


def test_every_invoice_route_answers_404_for_another_partys_document(world):
    """Enumerates the API's routes: a new route without a case here makes this test fail."""
    from billing.api_urls import urlpatterns

    other = world["b_doc"].number
    cases = {
        "invoice-list": None,  # lists are filtered, checked in the supplier test above
        "event-list": None,  # filtered too: tests/functional/api/test_feed.py
        "invoice-detail": ("get", f"/api/v1/invoices/{other}/"),
        "invoice-pdf": ("get", f"/api/v1/invoices/{other}/pdf/"),
        "invoice-ubl": ("get", f"/api/v1/invoices/{other}/ubl/"),
        "invoice-events": ("get", f"/api/v1/invoices/{other}/events/"),
        "invoice-mark-paid": ("post", f"/api/v1/invoices/{other}/mark-paid/"),
        # a report of the caller's buyer, of no one document: its scoping in test_accruals.py
        "accruals": None,
        # No document in the URL: the period's journal of the caller's buyer, scoped like the
        # list (tests/functional/api/test_journal.py).
        "journal": None,
        # A contract's reference in the URL, for procurement only: every other role is a 403
        # before the contract is looked up; another buyer's contract a 404
        # (tests/functional/api/test_simulations.py).
        "contract-simulations": None,
        # Another party's contract, named by its reference (tests/functional/api/test_value.py).
        "contract-value": ("get", f"/api/v1/contracts/{world['b_doc'].contract.reference}/value/"),
        # A report of the caller's buyer: its scoping in tests/functional/api/test_value.py.
        "portfolio": None,
    }
    assert {pattern.name for pattern in urlpatterns} == set(cases)
    alpha = client_for(world["a"].supplier, "supplier")
    finance_of_nobody = client_for(
        Organisation.objects.create(name="Else plc", code="ELSE", country="GB"), "finance"
    )
    for client in (alpha, finance_of_nobody):
        for case in filter(None, cases.values()):
            method, url = case
            response = getattr(client, method)(url, HTTP_IDEMPOTENCY_KEY="k")
            assert response.status_code == 404, (url, response.status_code)


def procurement_user(username: str, organisation: Organisation | None = None) -> User:
    """A staff user in the Procurement group, acting for ``organisation`` when given."""
    from django.contrib.auth.models import Group

    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    if organisation is not None:
        Membership.objects.create(user=user, organisation=organisation, role="procurement")
    return user


def test_procurement_sees_only_its_buyers_documents_and_404_for_another_buyers(two_buyers):
    user = procurement_user("procurement-acme", Organisation.objects.get(code="ACME"))
    client = APIClient()
    client.force_authenticate(user)
    numbers = sorted(
        d["number"] for d in client.get("/api/v1/invoices/", {"page_size": 50}).json()["results"]
    )
    assert numbers == sorted(document.number for document in two_buyers["ACME"])
    globex = two_buyers["GLOBEX"][0].number
    for url in (f"/api/v1/invoices/{globex}/", f"/api/v1/invoices/{globex}/pdf/"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/invoices/", {"buyer": "GLOBEX"}).json()["count"] == 0
    # It still holds the group's permissions: scoping comes from its membership, not from them.
    assert user.has_perm("billing.view_statement") and user.has_perm("contracts.add_contract")


def test_the_view_permission_without_a_membership_shows_nothing_unless_superuser(world):
    client = APIClient()
    client.force_authenticate(procurement_user("procurement-of-nobody"))
    assert client.get("/api/v1/invoices/").json()["count"] == 0
    assert client.get(f"/api/v1/invoices/{world['a_doc'].number}/").status_code == 404
    root = APIClient()
    root.force_authenticate(User.objects.create_superuser("root", "root@example.com", "x"))
    assert root.get("/api/v1/invoices/").json()["count"] == 2


def reference_json(number: str) -> dict:
    """The document as ``InvoiceSerializer`` gives it from its current row (its PDF's URL on
    the test client's host)."""
    from django.test import RequestFactory

    from billing.models import Statement
    from billing.serializers import InvoiceSerializer

    context = {"request": RequestFactory().get("/")}
    return json.loads(
        render_json(InvoiceSerializer(Statement.objects.get(number=number), context=context).data)
    )


def issue_without_representation(contract, period):
    """A document issued before representations were kept on the row."""
    with mock.patch("billing.services.frozen_representation", return_value=None):
        return issue_month(contract, period)


def test_every_document_is_the_serializers_json_with_its_current_status(world):
    """The list and the detail serve the representation kept at issue with the current status
    and payment put in, or build it from values for a document issued before it was kept:
    either way the serializer's JSON of the row as it is now."""
    from billing.services import statement_mark_paid, statement_void

    statement_mark_paid(statement_id=world["a_doc"].pk, paid_at="2026-03-01T23:30:00.250000Z")
    load_kpis(month(world["b"].reference, "2026-01", 1400, 78), name="late.csv")
    adjustment = statement_price_draft(contract_id=world["b"].pk, period=Period.parse("2026-01"))
    statement_approve(statement_id=adjustment.pk)
    adjustment = statement_issue(statement_id=adjustment.pk, issue_date=date(2026, 3, 2))
    voided = issue_month(world["a"], "2026-02")
    statement_void(statement_id=voided.pk, reason="issued twice")
    legacy = issue_without_representation(world["a"], "2026-03")
    legacy_paid = issue_without_representation(world["b"], "2026-03")
    statement_mark_paid(statement_id=legacy_paid.pk, paid_at="2026-04-01T08:00:00Z")
    assert legacy.api_representation is None and voided.api_representation is not None

    finance = client_for(world["a"].buyer, "finance")
    response = finance.get("/api/v1/invoices/", {"ordering": "-number"})
    listed = response.json()["results"]
    by_number = {d["number"]: d for d in listed}
    assert len(listed) == 6
    assert {(d["document_type"], d["status"]) for d in listed} == {
        ("invoice", "paid"),
        ("invoice", "issued"),
        ("invoice", "void"),
        ("credit_note", "issued"),
    }
    assert by_number[adjustment.number]["adjusts"] == world["b_doc"].number
    assert by_number[world["a_doc"].number]["paid_at"] == "2026-03-01T23:30:00.250000Z"
    assert by_number[legacy_paid.number]["status"] == "paid"
    for document in listed:
        assert document == reference_json(document["number"])
        assert document == finance.get(f"/api/v1/invoices/{document['number']}/").json()
    # The same bytes as DRF's renderer would write for the whole page.
    page = response.json()
    assert response.content == render_json(page).encode()


def test_a_document_shows_the_references_it_was_issued_with(world):
    """Like the parties' details, the contract's reference and the organisations' codes are
    those of the day of issue: a later rename does not rewrite an issued document."""
    buyer = world["a"].buyer
    old_code = buyer.code
    buyer.code = "RENAMED"
    buyer.save()
    finance = client_for(buyer, "finance")
    number = world["a_doc"].number
    assert finance.get(f"/api/v1/invoices/{number}/").json()["buyer"] == old_code
    assert {d["buyer"] for d in finance.get("/api/v1/invoices/").json()["results"]} == {old_code}


def test_the_browsable_api_lists_documents(world):
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get("/api/v1/invoices/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert world["a_doc"].number in response.content.decode()
    indented = finance.get("/api/v1/invoices/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and indented.json()["results"][0]["number"] == world["a_doc"].number


def test_a_payment_before_the_issue_date_or_in_the_future_is_refused(world):
    number = world["a_doc"].number  # issued on 2026-02-03
    finance = client_for(world["a"].buyer, "finance")
    for key, paid_at in [
        ("early", "2026-02-02T12:00:00Z"),
        ("ancient", "0111-09-19T15:21:09Z"),
        ("future", "2999-01-01T00:00:00Z"),
    ]:
        response = finance.post(
            f"/api/v1/invoices/{number}/mark-paid/",
            {"paid_at": paid_at},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        assert response.status_code == 400 and "paid_at" in response.json(), (paid_at, response.content)
    assert finance.get(f"/api/v1/invoices/{number}/").json()["status"] == "issued"


def test_a_client_that_asks_for_the_pdf_gets_it_and_errors_stay_json(world):
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get(f"/api/v1/invoices/{world['a_doc'].number}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    missing = finance.get("/api/v1/invoices/NO-SUCH-1/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert missing.json() == {"detail": "No Statement matches the given query."}


def test_a_token_request_reads_the_membership_with_the_token_and_no_permissions(world):
    """Token, page with count, the documents' representations: three queries whatever the page
    size, none of them for permissions (a finance user's membership decides what it sees)."""
    from knox.crypto import hash_token
    from knox.models import AuthToken

    for i, period in enumerate(["2026-02", "2026-03", "2026-04"]):
        issue_month(world["a"], period, 1500 + i)
    user = User.objects.create_user("finance-token")
    Membership.objects.create(user=user, organisation=world["a"].buyer, role="finance")
    client = APIClient()
    key = AuthToken.objects.create(user=user)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/invoices/", {"page_size": page_size})
        assert response.status_code == 200 and len(response.json()["results"]) == page_size
        assert not any("auth_permission" in query["sql"] for query in captured.captured_queries)
        return len(captured)

    assert queries(1) == queries(4) == 3
    # The token itself is kept only as a digest.
    assert not AuthToken.objects.filter(digest__contains=key).exists()
    assert AuthToken.objects.get(user=user).digest == hash_token(key)
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = unknown.get("/api/v1/invoices/")
    assert response.status_code == 401 and response.json() == {"detail": "Invalid token."}


def test_a_member_with_the_view_permission_still_sees_only_its_organisations_documents(world):
    from django.contrib.auth.models import Permission

    alpha = client_for(world["a"].supplier, "supplier")
    user = User.objects.get(username=f"supplier-{world['a'].supplier.code}")
    user.user_permissions.add(Permission.objects.get(codename="view_statement"))
    numbers = [d["number"] for d in alpha.get("/api/v1/invoices/").json()["results"]]
    assert numbers == [world["a_doc"].number]


def test_a_procurement_token_reads_its_buyers_documents_without_permission_queries(two_buyers):
    from knox.models import AuthToken

    user = procurement_user("procurement-token", Organisation.objects.get(code="GLOBEX"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/invoices/", {"page_size": 2})
    assert response.status_code == 200
    assert response.json()["count"] == len(two_buyers["GLOBEX"])
    assert {d["buyer"] for d in response.json()["results"]} == {"GLOBEX"}
    assert not any("auth_permission" in query["sql"] for query in captured.captured_queries)
    assert len(captured) == 3


@pytest.mark.parametrize(
    "header",
    [
        b"Token caf\xc3\xa9-not-ascii",  # refused before it is hashed, not a 500
        b"Token " + b"f" * 129,  # longer than any token
        b"Token",  # no key
    ],
)
def test_a_malformed_token_is_a_401(world, header):
    response = APIClient().get("/api/v1/invoices/", HTTP_AUTHORIZATION=header.decode("latin-1"))
    assert response.status_code == 401, response.content


def test_an_expired_token_is_refused_and_deleted(world):
    from datetime import timedelta

    from knox.models import AuthToken

    user = User.objects.create_user("finance-expired")
    Membership.objects.create(user=user, organisation=world["a"].buyer, role="finance")
    token, key = AuthToken.objects.create(user=user, expiry=timedelta(seconds=-1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/invoices/").status_code == 401
    assert not AuthToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("period", ["foo", "2026-13", "2026-1", "2026-01-01", "2026-00"])
def test_a_period_filter_that_is_not_a_period_is_a_400_naming_it(world, period):
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get("/api/v1/invoices/", {"period": period})
    assert response.status_code == 400
    assert "period" in response.json()
    assert finance.get("/api/v1/invoices/", {"period": "2026-01"}).status_code == 200
