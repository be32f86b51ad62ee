"""A document's history in the finance API (``GET /api/v1/invoices/{number}/events/``): the
buyer's users read it whole, from the first draft to the payment; its supplier from its issue
on; anyone else gets the detail route's 404."""

from datetime import date, datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.test import APIClient

from billing.actors import SYSTEM_USERNAME
from billing.events import statement_event_record
from billing.models import Statement, StatementEvent
from billing.permissions import SUPPLIER_EVENT_KINDS
from billing.services import (
    billing_run_create,
    statement_approve,
    statement_issue,
    statement_void,
    statements_price,
)
from contracts.models import Membership, Organisation
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db
JAN = Period(2026, 1)


def member(organisation: Organisation, role: str, username: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=role == "procurement")
    if role == "procurement":
        user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def token_client(user: User) -> APIClient:
    """A client sending ``user``'s API token, as a finance system does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def price(contract, requested_by: User | None, voice: int, name: str) -> Statement:
    """January priced by a billing run ``requested_by`` started, on a KPI file of ``voice`` calls."""
    load_kpis(month(contract.reference, "2026-01", voice, 78), name=name)
    run = billing_run_create(period=JAN, contract_reference=contract.reference, requested_by=requested_by)
    statements_price(contract_ids=[contract.pk], period=JAN, billing_run_id=run.pk)
    return Statement.objects.exclude(status="void").get(contract=contract, period="2026-01", adjusts=None)


def events_url(number: str) -> str:
    return f"/api/v1/invoices/{number}/events/"


def story(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.content
    return [(event["kind"], event["actor"]) for event in response.json()["results"]]


@pytest.fixture
def four_eyes(settings):
    settings.FOUR_EYES = True


@pytest.fixture
def january(four_eyes, django_capture_on_commit_callbacks):
    """January of one contract told by its people: priced by one procurement user, re-priced on
    a corrected KPI file, approved by a second, issued by a third (its PDF stored after commit),
    and paid by the buyer's finance system through the API."""
    contract = load_contract("ACME-E-001", supplier="Alpha CX Ltd")
    runner, approver, issuer = (
        member(contract.buyer, "procurement", name)
        for name in ("acme-runner", "acme-approver", "acme-issuer")
    )
    finance = member(contract.buyer, "finance", "acme-erp")
    price(contract, runner, 1500, "first.csv")
    draft = price(contract, runner, 1600, "corrected.csv")
    statement_approve(statement_id=draft.pk, user=approver)
    with django_capture_on_commit_callbacks(execute=True):
        issued = statement_issue(statement_id=draft.pk, user=issuer, issue_date=date(2026, 2, 3))
    paid = token_client(finance).post(
        f"/api/v1/invoices/{issued.number}/mark-paid/",
        {"paid_at": "2026-03-01T10:00:00Z"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="remittance-1",
    )
    assert paid.status_code == 200, paid.content
    return {"contract": contract, "statement": issued, "finance": finance, "approver": approver}


def test_the_buyers_finance_reads_the_month_from_pricing_to_payment(january):
    number = january["statement"].number
    finance = token_client(january["finance"])
    response = finance.get(events_url(number))
    assert story(response) == [
        ("created", "acme-runner"),
        ("re-priced", "acme-runner"),
        ("inputs changed", "acme-runner"),
        ("approved", "acme-approver"),
        ("issued", "acme-issuer"),
        ("pdf stored", None),
        ("paid", "acme-erp"),
    ]
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (7, None, None)
    events = body["results"]
    assert {event["number"] for event in events} == {number}
    issued = events[4]
    assert issued["detail"] == {"number": number}
    assert datetime.fromisoformat(issued["at"]) == january["statement"].issued_at  # the same instant
    assert events[6]["detail"] == {"paid_at": "2026-03-01 10:00:00+00:00"}
    assert events[1]["detail"]["net"] == finance.get(f"/api/v1/invoices/{number}/").json()["net"]
    # The re-pricing replaced the first draft (revision 1) by a second: the one issued.
    assert (
        [event["revision"] for event in events] == [1] + [january["statement"].revision] * 6 == [1] + [2] * 6
    )
    assert [event["at"] for event in events] == sorted(event["at"] for event in events)


def test_the_buyers_procurement_users_read_it_whole_too(january):
    response = token_client(january["approver"]).get(events_url(january["statement"].number))
    assert [kind for kind, _ in story(response)][:3] == ["created", "re-priced", "inputs changed"]


def test_its_supplier_reads_it_from_the_issue_on(january):
    supplier = member(january["contract"].supplier, "supplier", "alpha-cx")
    response = token_client(supplier).get(events_url(january["statement"].number))
    assert story(response) == [("issued", "acme-issuer"), ("pdf stored", None), ("paid", "acme-erp")]
    assert response.json()["count"] == 3


def test_a_supplier_sees_a_void_and_the_adjustment_that_follows_but_not_how_it_was_drafted(
    january, django_capture_on_commit_callbacks
):
    contract, statement = january["contract"], january["statement"]
    supplier = token_client(member(contract.supplier, "supplier", "alpha-cx"))
    buyer = token_client(january["finance"])
    # A second month, voided with a reason.
    load_kpis(month(contract.reference, "2026-02", 1500, 78), name="feb.csv")
    run = billing_run_create(period=Period(2026, 2), requested_by=None)
    statements_price(contract_ids=[contract.pk], period=Period(2026, 2), billing_run_id=run.pk)
    february = Statement.objects.get(contract=contract, period="2026-02")
    statement_approve(statement_id=february.pk, user=january["approver"])
    february = statement_issue(statement_id=february.pk, issue_date=date(2026, 3, 3))
    statement_void(statement_id=february.pk, reason="wrong site split", user=january["approver"])
    voided = supplier.get(events_url(february.number))
    assert story(voided) == [("issued", None), ("voided", "acme-approver")]
    assert voided.json()["results"][1]["detail"] == {"reason": "wrong site split"}
    # A late KPI correction of paid January: an adjustment document of its own.
    load_kpis(month(contract.reference, "2026-01", 1700, 78), name="late.csv")
    statements_price(contract_ids=[contract.pk], period=JAN)
    adjustment = Statement.objects.get(adjusts=statement)
    statement_approve(statement_id=adjustment.pk, user=january["approver"])
    with django_capture_on_commit_callbacks(execute=True):
        adjustment = statement_issue(statement_id=adjustment.pk, issue_date=date(2026, 3, 10))
    assert story(supplier.get(events_url(adjustment.number))) == [("issued", None), ("pdf stored", None)]
    assert [kind for kind, _ in story(buyer.get(events_url(adjustment.number)))] == [
        "adjustment created",
        "approved",
        "issued",
        "pdf stored",
    ]
    # January's own history is unchanged by its adjustment.
    assert len(story(supplier.get(events_url(statement.number)))) == 3


def test_what_a_supplier_sees_are_kinds_that_exist():
    assert set(SUPPLIER_EVENT_KINDS) <= set(StatementEvent.Kind.values)
    assert not {"created", "re-priced", "inputs changed", "approved", "adjustment created"} & set(
        SUPPLIER_EVENT_KINDS
    )


def test_a_scheduled_run_is_told_as_the_system_actor_and_a_scripted_issue_as_no_one(db):
    contract = load_contract("ACME-S-001", supplier="Alpha CX Ltd")
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    call_command("run_billing", "--period", "2026-01", stdout=StringIO())
    call_command("issue_statements", "--period", "2026-01", stdout=StringIO())
    statement = Statement.objects.get(contract=contract, period="2026-01")
    finance = token_client(member(contract.buyer, "finance", "acme-erp"))
    assert story(finance.get(events_url(statement.number)))[:3] == [
        ("created", SYSTEM_USERNAME),
        ("approved", None),
        ("issued", None),
    ]


# --- who may read a history -----------------------------------------------------------------


@pytest.fixture
def two_buyers(db):
    """An issued January for ACME (supplier Alpha) and for GLOBEX (supplier Beta)."""
    documents = {}
    for buyer_code, buyer_name, supplier in [
        ("ACME", "Acme Telecom plc", "Alpha CX Ltd"),
        ("GLOBEX", "Globex Mobile Ltd", "Beta CX Ltd"),
    ]:
        contract = load_contract(
            f"{buyer_code}-T-001", supplier, buyer_code=buyer_code, buyer_name=buyer_name
        )
        draft = price(contract, None, 1500, f"{buyer_code}.csv")
        statement_approve(statement_id=draft.pk)
        documents[buyer_code] = statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    return documents


def test_another_partys_document_is_the_detail_routes_404(two_buyers):
    acme, globex = two_buyers["ACME"], two_buyers["GLOBEX"]
    readers = {
        "finance": member(acme.contract.buyer, "finance", "acme-erp"),
        "procurement": member(acme.contract.buyer, "procurement", "acme-procurement"),
        "supplier": member(acme.contract.supplier, "supplier", "alpha-cx"),
        "no membership": User.objects.create_user("loner"),
    }
    for role, user in readers.items():
        client = token_client(user)
        for number in (globex.number, "ACME-2026-999999"):
            detail, events = client.get(f"/api/v1/invoices/{number}/"), client.get(events_url(number))
            assert (
                (events.status_code, events.json())
                == (detail.status_code, detail.json())
                == (
                    404,
                    {"detail": "No Statement matches the given query."},
                )
            ), role
        visible = client.get(events_url(acme.number)).status_code
        assert visible == (404 if role == "no membership" else 200), role


def test_a_draft_has_no_history_in_the_api(two_buyers):
    """A draft has no number: nothing addresses it, and its id is not a number of the route."""
    acme = two_buyers["ACME"]
    load_kpis(month(acme.contract.reference, "2026-02", 1500, 78), name="feb.csv")
    run = billing_run_create(period=Period(2026, 2), requested_by=None)
    statements_price(contract_ids=[acme.contract_id], period=Period(2026, 2), billing_run_id=run.pk)
    draft = Statement.objects.get(contract=acme.contract, period="2026-02")
    finance = token_client(member(acme.contract.buyer, "finance", "acme-erp"))
    assert finance.get(events_url(str(draft.pk))).status_code == 404


def test_a_superuser_reads_every_buyers_history_whole(two_buyers):
    admin = token_client(User.objects.create_superuser("root", password="pw"))
    for document in two_buyers.values():
        assert [kind for kind, _ in story(admin.get(events_url(document.number)))] == [
            "created",
            "approved",
            "issued",
        ]


def test_without_a_token_it_is_a_401(two_buyers):
    number = two_buyers["ACME"].number
    response = APIClient().get(events_url(number))
    assert response.status_code == 401 and response.json()["detail"]
    bad = APIClient(HTTP_AUTHORIZATION="Token not-a-token").get(events_url(number))
    assert bad.status_code == 401


# --- hostile requests -----------------------------------------------------------------------


@pytest.fixture
def acme_finance(two_buyers) -> APIClient:
    return token_client(member(two_buyers["ACME"].contract.buyer, "finance", "acme-erp"))


def test_a_page_past_the_last_is_a_404(two_buyers, acme_finance):
    response = acme_finance.get(events_url(two_buyers["ACME"].number), {"page": "2"})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize(
    "params",
    [
        # not a positive whole number of at most 18 digits: a 400 naming the parameter
        {"page": "9" * 400},
        {"page": str(2**63)},
        {"page": "0"},
        {"page": "-1"},
        {"page": "\x00"},
        {"page": "1e400"},
        # not a whole number from 1 to 500
        {"page_size": str(10**40)},
        {"page_size": "501"},
        {"page_size": "\x00"},
        {"page_size": "-5"},
        {"page_size": "0"},
    ],
)
def test_a_page_or_page_size_that_is_not_valid_is_a_400_naming_it(two_buyers, acme_finance, params):
    response = acme_finance.get(events_url(two_buyers["ACME"].number), params)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert list(response.json()) == list(params)


@pytest.mark.parametrize(("page_size", "shown"), [("1", 1), ("2", 2), ("500", 3)])
def test_a_page_size_sets_the_page(two_buyers, acme_finance, page_size, shown):
    response = acme_finance.get(events_url(two_buyers["ACME"].number), {"page_size": page_size})
    assert response.status_code == 200
    assert (len(response.json()["results"]), response.json()["count"]) == (shown, 3)


def test_pages_follow_one_another(two_buyers, acme_finance):
    url = events_url(two_buyers["ACME"].number)
    first = acme_finance.get(url, {"page_size": 2}).json()
    second = acme_finance.get(first["next"]).json()
    kinds = [event["kind"] for event in first["results"] + second["results"]]
    assert kinds == ["created", "approved", "issued"] and second["next"] is None


def test_the_lists_filters_do_not_apply_to_a_history(two_buyers, acme_finance):
    """``period``, ``status``, ``ordering`` choose documents: here they are ignored, whatever
    their value, rather than narrowing or reordering a document's events."""
    url = events_url(two_buyers["ACME"].number)
    for params in [{"period": "\x00"}, {"status": "draft"}, {"ordering": "-number"}, {"period": "2026-13"}]:
        assert [kind for kind, _ in story(acme_finance.get(url, params))] == ["created", "approved", "issued"]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    params=st.dictionaries(
        st.sampled_from(["page", "page_size", "kind", "ordering"]) | st.text(max_size=20),
        st.text(max_size=40) | st.sampled_from(["\x00", "9" * 400, "-1", "A" * 20_000]),
        max_size=4,
    ),
    segment=st.sampled_from(["ACME-2026-000001", "ACME-2026-000001%00", "%00", "A" * 41, "..", "x%2Fy"]),
)
@example(params={"page": "\x00", "page_size": "\x00"}, segment="ACME-2026-000001")
def test_no_request_to_the_route_is_a_500(two_buyers, acme_finance, params, segment):
    response = acme_finance.get(events_url(segment), params)
    assert response.status_code in (200, 400, 404), (segment, params, response.status_code)
    assert response["Content-Type"] == "application/json"


# --- queries --------------------------------------------------------------------------------


def test_the_queries_do_not_grow_with_the_events_on_a_page(two_buyers, django_assert_max_num_queries):
    """Token, document, its history's first event, count, page (with every actor): five,
    for a page of one event as for a page of twenty, each by another user."""
    acme = two_buyers["ACME"]
    for index in range(17):
        statement_event_record(
            statement=acme, kind="pdf stored", actor=User.objects.create_user(f"renderer-{index}")
        )
    client = token_client(member(acme.contract.buyer, "finance", "acme-erp"))
    counts = {}
    for page_size in (1, 20):
        with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as queries:
            response = client.get(events_url(acme.number), {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        counts[page_size] = len(queries)
    assert counts[1] == counts[20]
    assert {event["actor"] for event in response.json()["results"][3:]} == {
        f"renderer-{index}" for index in range(17)
    }
