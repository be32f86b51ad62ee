"""The finance API's feeds: ``updated_since`` and ``cursor`` on the invoice list (a keyset over
when each document last changed) and ``/api/v1/events/`` (finance events in id order)."""

from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from billing import feed_api
from billing.feed import CURSOR_SALT
from billing.models import Statement, StatementEvent
from billing.services import (
    statement_approve,
    statement_issue,
    statement_mark_paid,
    statement_price_draft,
    statement_void,
)
from contracts.models import Contract, Membership, Organisation
from pricing.period import Period
from tests.integration.billing.conftest import load_kpis, month

pytestmark = pytest.mark.django_db
INVOICES = "/api/v1/invoices/"
EVENTS = "/api/v1/events/"
EPOCH = "2000-01-01T00:00:00Z"


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def member_client(organisation: Organisation, role: str) -> APIClient:
    user = User.objects.create_user(f"{role}-{organisation.code}")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return token_client(AuthToken.objects.create(user=user)[1])


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def every_page(client: APIClient, url: str, params: dict) -> list[dict]:
    """Every result from ``url`` following ``next`` until it is null."""
    body = ok(client.get(url, params))
    results = body["results"]
    while body["next"]:
        body = ok(client.get(body["next"]))
        results += body["results"]
    return results


def adjustment_of_january(contract_reference: str) -> Statement:
    """A late KPI correction of the contract's issued January, issued as its adjustment."""
    load_kpis(month(contract_reference, "2026-01", 1700, 75), name=f"{contract_reference}-late.csv")
    contract_id = Contract.objects.get(reference=contract_reference).pk
    draft = statement_price_draft(contract_id=contract_id, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=date(2026, 3, 20))


# --- updated_since and cursor on the invoice list ---------------------------------------------


def test_updated_since_lists_the_documents_changed_after_it_oldest_change_first(two_buyers, finance_token):
    acme = two_buyers["ACME"]
    client = token_client(finance_token)
    before = timezone.now()
    statement_void(statement_id=acme[3].pk, reason="wrong site")
    statement_mark_paid(statement_id=acme[1].pk)
    body = ok(client.get(INVOICES, {"updated_since": before.isoformat()}))
    assert [(d["number"], d["status"]) for d in body["results"]] == [
        (acme[3].number, "void"),
        (acme[1].number, "paid"),
    ]
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    # Resuming from the page's cursor: nothing new, and the same cursor back to resume later.
    quiet = ok(client.get(INVOICES, {"cursor": body["cursor"]}))
    assert (quiet["results"], quiet["count"], quiet["cursor"]) == ([], 0, body["cursor"])
    statement_mark_paid(statement_id=acme[0].pk)
    later = ok(client.get(INVOICES, {"cursor": body["cursor"]}))
    assert [(d["number"], d["status"]) for d in later["results"]] == [(acme[0].number, "paid")]


def test_a_feed_document_is_the_json_of_its_detail_route(two_buyers, finance_token):
    client = token_client(finance_token)
    results = ok(client.get(INVOICES, {"updated_since": EPOCH}))["results"]
    assert results
    for document in results:
        assert document == ok(client.get(f"{INVOICES}{document['number']}/"))


def test_paging_while_documents_change_skips_none_and_sees_a_changed_one_again(two_buyers, finance_token):
    acme = two_buyers["ACME"]
    client = token_client(finance_token)
    first = ok(client.get(INVOICES, {"updated_since": EPOCH, "page_size": 2}))
    assert [d["number"] for d in first["results"]] == [acme[0].number, acme[1].number]
    assert first["count"] == 6 and first["next"]
    # Between the pages: one already seen is paid, one not yet seen is voided.
    statement_mark_paid(statement_id=acme[0].pk)
    statement_void(statement_id=acme[2].pk, reason="duplicate")
    seen = first["results"]
    body = first
    while body["next"]:
        body = ok(client.get(body["next"]))
        seen += body["results"]
    numbers = [d["number"] for d in seen]
    assert numbers == [
        acme[0].number,
        acme[1].number,
        *(d.number for d in acme[3:]),
        acme[0].number,
        acme[2].number,
    ]
    latest = {d["number"]: d["status"] for d in seen}
    assert latest == dict(Statement.objects.filter(buyer__code="ACME").values_list("number", "status"))


def test_the_feed_keeps_the_lists_filters(two_buyers, finance_token):
    body = ok(token_client(finance_token).get(INVOICES, {"updated_since": EPOCH, "period": "2026-02"}))
    assert {d["period"] for d in body["results"]} == {"2026-02"} and body["count"] == 2


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "",
        "2026-03-01T00:00:00",  # no offset: which instant is meant is not known
        "2026-13-01T00:00:00Z",
        "2026-03-01T00:00:00+25:00",
        "2" * 41,
    ],
)
def test_an_updated_since_that_is_not_an_instant_is_a_400_naming_it(two_buyers, finance_token, value):
    response = token_client(finance_token).get(INVOICES, {"updated_since": value})
    assert response.status_code == 400
    assert list(response.json()) == ["updated_since"]


def _a_real_cursor(client) -> str:
    return ok(client.get(INVOICES, {"updated_since": EPOCH, "page_size": 1}))["cursor"]


@pytest.mark.parametrize(
    "make",
    [
        lambda real: "not-a-cursor",
        lambda real: "",
        lambda real: real[:-1] + ("A" if real[-1] != "A" else "B"),  # its signature changed
        lambda real: real + "x" * 300,
        lambda real: signing.dumps(["2026-01-01T00:00:00+00:00", 1], salt="another"),
        lambda real: signing.dumps("2026-01-01T00:00:00+00:00", salt=CURSOR_SALT),
        lambda real: signing.dumps(["2026-01-01T00:00:00", 1], salt=CURSOR_SALT),  # no offset
        lambda real: signing.dumps(["2026-01-01T00:00:00+00:00", True], salt=CURSOR_SALT),
        lambda real: signing.dumps(["2026-01-01T00:00:00+00:00", -5], salt=CURSOR_SALT),
        lambda real: signing.dumps([1, 1], salt=CURSOR_SALT),
    ],
)
def test_a_cursor_the_api_did_not_give_is_a_400_naming_it(two_buyers, finance_token, make):
    client = token_client(finance_token)
    response = client.get(INVOICES, {"cursor": make(_a_real_cursor(client))})
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_without_the_feed_parameters_the_list_is_paged_by_number_as_before(two_buyers, finance_token):
    body = ok(token_client(finance_token).get(INVOICES, {"page_size": 2}))
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 6 and "page=2" in body["next"]


def test_a_feed_page_costs_the_same_queries_whatever_its_size(two_buyers, finance_token):
    client = token_client(finance_token)

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            ok(client.get(INVOICES, {"updated_since": EPOCH, "page_size": page_size}))
        return len(captured)

    queries(1)
    assert queries(1) == queries(5)


def test_each_party_s_feed_holds_only_its_documents(two_buyers, finance_token):
    acme, globex = two_buyers["ACME"], two_buyers["GLOBEX"]
    numbers = {
        d["number"] for d in every_page(token_client(finance_token), INVOICES, {"updated_since": EPOCH})
    }
    assert numbers == {d.number for d in acme}
    supplier = member_client(acme[0].supplier, "supplier")
    own = {d.number for d in (*acme, *globex) if d.supplier_id == acme[0].supplier_id}
    assert {d["number"] for d in every_page(supplier, INVOICES, {"updated_since": EPOCH})} == own
    nobody = member_client(Organisation.objects.create(name="Else plc", code="ELSE", country="GB"), "finance")
    assert ok(nobody.get(INVOICES, {"updated_since": EPOCH}))["results"] == []
    assert ok(nobody.get(EVENTS))["results"] == []


# --- /api/v1/events/ --------------------------------------------------------------------------


def test_events_tell_each_finance_change_with_its_document_in_id_order(two_buyers, finance_token):
    acme = two_buyers["ACME"]
    client = token_client(finance_token)
    issued = ok(client.get(EVENTS))
    assert [(e["type"], e["number"]) for e in issued["results"]] == [("issued", d.number) for d in acme]
    first = issued["results"][0]
    assert first == {
        "id": first["id"],
        "type": "issued",
        "number": acme[0].number,
        "document_type": "invoice",
        "adjusts": None,
        "amount": ok(client.get(f"{INVOICES}{acme[0].number}/"))["gross"],
        "currency": "GBP",
        "at": first["at"],
    }
    assert first["at"] == timezone.localtime(acme[0].issued_at).isoformat().replace("+00:00", "Z")
    assert issued["next"] is None
    last_seen = issued["results"][-1]["id"]
    statement_mark_paid(statement_id=acme[0].pk)
    statement_void(statement_id=acme[1].pk, reason="wrong site")
    adjustment = adjustment_of_january("ACME-001")
    news = ok(client.get(EVENTS, {"after": last_seen}))["results"]
    assert [(e["type"], e["number"], e["adjusts"]) for e in news] == [
        ("paid", acme[0].number, None),
        ("voided", acme[1].number, None),
        ("adjustment issued", adjustment.number, acme[0].number),
    ]
    assert news[2]["amount"] == f"{adjustment.gross:.2f}"
    assert news[2]["document_type"] == adjustment.document_type
    ids = [e["id"] for e in news]
    assert ids == sorted(ids) and ids[0] > last_seen


def test_events_page_by_after_with_a_next_link(two_buyers, finance_token):
    client = token_client(finance_token)
    page = ok(client.get(EVENTS, {"page_size": 4}))
    assert len(page["results"]) == 4 and f"after={page['results'][-1]['id']}" in page["next"]
    everything = every_page(client, EVENTS, {"page_size": 2})
    assert [e["number"] for e in everything] == [d.number for d in two_buyers["ACME"]]


def test_events_other_than_finance_ones_are_left_out(two_buyers, finance_token):
    kinds = set(StatementEvent.objects.values_list("kind", flat=True))
    assert {"created", "approved"} <= kinds  # the buyer's review, not a finance event
    assert {e["type"] for e in ok(token_client(finance_token).get(EVENTS))["results"]} == {"issued"}


def test_a_supplier_follows_the_events_of_its_own_documents_only(two_buyers):
    acme, globex = two_buyers["ACME"], two_buyers["GLOBEX"]
    supplier = member_client(acme[0].supplier, "supplier")
    own = sorted(d.number for d in (*acme, *globex) if d.supplier_id == acme[0].supplier_id)
    assert sorted(e["number"] for e in every_page(supplier, EVENTS, {})) == own


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "", "9" * 20, "9223372036854775808", "١٢"])
def test_an_after_that_is_not_an_event_id_is_a_400_naming_it(two_buyers, finance_token, after):
    response = token_client(finance_token).get(EVENTS, {"after": after})
    assert response.status_code == 400
    assert list(response.json()) == ["after"]


@pytest.mark.parametrize(
    ("asked", "served"), [(None, 100), ("7", 7), ("100000", 500), ("x", 100), ("0", 100)]
)
def test_the_events_page_size_is_bounded(two_buyers, finance_token, asked, served):
    params = {} if asked is None else {"page_size": asked}
    with mock.patch.object(feed_api, "feed_events", wraps=feed_api.feed_events) as read:
        ok(token_client(finance_token).get(EVENTS, params))
    assert read.call_args.kwargs["limit"] == served


def test_the_feeds_are_in_the_schema():
    schema = ok(APIClient().get("/api/v1/schema/", {"format": "json"}))
    assert schema["paths"]["/api/v1/events/"]["get"]["operationId"] == "events_list"
    names = {p["name"] for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]}
    assert {"updated_since", "cursor"} <= names


def test_an_events_page_costs_the_same_queries_whatever_its_size(two_buyers, finance_token):
    client = token_client(finance_token)

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            assert len(ok(client.get(EVENTS, {"page_size": page_size}))["results"]) == page_size
        return len(captured)

    queries(1)
    assert queries(1) == queries(5)
