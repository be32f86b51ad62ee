"""No input reaches a 500: the portal's and the API's URLs, query strings and bodies are
fuzzed with arbitrary text (NUL bytes, huge integers, unicode, very long strings), on SQLite
and on PostgreSQL (which refuses NUL in text, so a NUL that reached a query would be a 500)."""

import json
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contracts.models import Membership
from tests.functional.portal.conftest import build_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# Values chosen to break parsers and databases, mixed with arbitrary text.
NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\x00",
            "2026-01\x00",
            "ACME-2026-000001\x00",
            "-1",
            "0",
            "9" * 400,
            "-" + "9" * 40,
            "1e400",
            "NaN",
            "%00",
            "../../etc/passwd",
            "' OR '1'='1",
            "-number",
            "issue_date,\x00",
            "Ω≈ç√∫ 🤖" * 50,
            "A" * 20_000,
        ]
    ),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
SEGMENT = NASTY.filter(bool).map(lambda text: quote(text, safe=""))


@pytest.fixture
def world(db):
    world = build_world()
    finance = User.objects.create_user("finance-fuzz")
    Membership.objects.create(user=finance, organisation=world["alpha_contract"].buyer, role="finance")
    world["finance"] = finance
    return world


def portal_client(world) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world["alpha"])
    return client


def api_client(world) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_login(world["finance"])
    return client


def assert_no_500(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:500])


def test_the_fuzzed_routes_answer_normally_to_good_input(world):
    """The fuzz below reaches the views: the same clients get 200s for ordinary requests."""
    number = world["alpha_jan"].number
    assert portal_client(world).get("/statements/", {"period": "2026-01", "page": "1"}).status_code == 200
    assert portal_client(world).get(f"/statements/{number}/").status_code == 200
    api = api_client(world)
    assert api.get("/api/v1/invoices/", {"period": "2026-01", "ordering": "-number"}).status_code == 200
    assert api.get(f"/api/v1/invoices/{number}/").status_code == 200


PORTAL_FILTERS = ["period", "status", "document_type", "contract", "page"]


@FUZZ
@given(params=st.dictionaries(st.sampled_from(PORTAL_FILTERS) | NASTY, NASTY, max_size=5))
def test_portal_list_query_parameters_never_give_a_500(world, params):
    assert_no_500(portal_client(world).get("/statements/", params), params)


@FUZZ
@given(
    segment=SEGMENT,
    template=st.sampled_from(
        ["/statements/{}/", "/statements/{}/pdf/", "/{}", "/statements/{}/{}/", "/value/{}/"]
    ),
)
@example(segment="ACME-2026-000001%00", template="/statements/{}/")  # the NUL the review found
@example(segment="ACME-A-001%00", template="/value/{}/")
@example(segment="ACME-2026-000001%00", template="/statements/{}/pdf/")
def test_portal_urls_never_give_a_500(world, segment, template):
    url = template.replace("{}", segment)
    assert_no_500(portal_client(world).get(url), url)
    assert_no_500(Client(raise_request_exception=False).get(url), url)  # anonymous too


@FUZZ
@given(uid=SEGMENT, token=SEGMENT)
def test_password_reset_links_never_give_a_500(world, uid, token):
    url = f"/password-reset/{uid}/{token}/"
    assert_no_500(Client(raise_request_exception=False).get(url), url)


@FUZZ
@given(email=NASTY, username=NASTY, password=NASTY)
@example(email="a@example.com", username="A" * 20_000, password="x")  # longer than the attempt log's column
@example(email="a\x00@example.com", username="supplier-alpha\x00", password="\x00")
def test_login_and_reset_forms_never_give_a_500(world, email, username, password):
    client = Client(raise_request_exception=False)
    assert_no_500(client.post("/password-reset/", {"email": email}), email)
    assert_no_500(client.post("/login/", {"username": username, "password": password}), username)


API_PARAMETERS = [
    "period",
    "ordering",
    "page",
    "page_size",
    "buyer",
    "supplier",
    "status",
    "document_type",
    "issue_date_after",
    "issue_date_before",
]


@FUZZ
@given(params=st.dictionaries(st.sampled_from(API_PARAMETERS) | NASTY, NASTY, max_size=6))
def test_api_list_query_parameters_never_give_a_500(world, params):
    assert_no_500(api_client(world).get("/api/v1/invoices/", params), params)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["from", "to", "year"]) | NASTY, NASTY, max_size=3))
@example(params={"from": "2026-01\x00", "year": "2026\x00"})
def test_value_query_parameters_never_give_a_500(world, params):
    reference = world["alpha_contract"].reference
    api = api_client(world)
    assert_no_500(api.get(f"/api/v1/contracts/{reference}/value/", params), params)
    assert_no_500(api.get("/api/v1/portfolio/", params), params)
    assert_no_500(portal_client(world).get(f"/value/{reference}/", params), params)


@FUZZ
@given(
    segment=SEGMENT,
    template=st.sampled_from(
        [
            "/api/v1/invoices/{}/",
            "/api/v1/invoices/{}/pdf/",
            "/api/v1/invoices/{}/ubl/",
            "/api/v1/invoices/{}/mark-paid/",
            "/api/v1/contracts/{}/value/",
            "/api/v1/{}/",
        ]
    ),
)
@example(segment="ACME-A-001%00", template="/api/v1/contracts/{}/value/")
@example(segment="ACME-2026-000001%00", template="/api/v1/invoices/{}/")
@example(segment="ACME-2026-000001%00", template="/api/v1/invoices/{}/mark-paid/")
def test_api_urls_never_give_a_500(world, segment, template):
    url = template.replace("{}", segment)
    response = api_client(world).get(url)
    assert_no_500(response, url)
    if response.status_code == 404 and url.startswith("/api/v1/invoices/"):
        assert response["Content-Type"] == "application/json", url  # the API's own 404


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | st.floats() | NASTY,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(NASTY, children, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(["paid_at", "amount", "reference"]) | NASTY, JSON_VALUES, max_size=4
    ),
    key=NASTY,
)
def test_mark_paid_bodies_never_give_a_500(world, body, key):
    url = f"/api/v1/invoices/{world['alpha_jan'].number}/mark-paid/"
    response = api_client(world).post(
        url, json.dumps(body, allow_nan=True), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert_no_500(response, (body, key))


@FUZZ
@given(
    raw=st.binary(max_size=300) | NASTY.map(str.encode),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "multipart/form-data", "application/x-www-form-urlencoded"]
    ),
)
def test_mark_paid_raw_bodies_never_give_a_500(world, raw, content_type):
    url = f"/api/v1/invoices/{world['alpha_jan'].number}/mark-paid/"
    response = api_client(world).generic(
        "POST", url, raw, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert_no_500(response, (raw, content_type))


@FUZZ
@given(
    columns=st.lists(NASTY, min_size=1, max_size=8),
    row=st.lists(NASTY, max_size=8),
    file_name=NASTY,
    dry_run=NASTY,
)
def test_kpi_batch_uploads_with_arbitrary_headers_never_give_a_500(world, columns, row, file_name, dry_run):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (",".join(columns) + "\n" + ",".join(row) + "\n").encode("utf-8", "surrogatepass")
    upload = SimpleUploadedFile((file_name or "kpis") + ".csv", content, content_type="text/csv")
    response = api_client(world).post(
        "/api/v1/kpi-batches/", {"file": upload, "dry_run": dry_run}, format="multipart"
    )
    assert_no_500(response, (columns, row, file_name, dry_run))


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(["subject", "text"]) | NASTY, NASTY, max_size=3),
    route=st.sampled_from(["queries/", "queries/{query}/reply/", "queries/{segment}/reply/", "acknowledge/"]),
    segment=SEGMENT,
)
@example(fields={"subject": "whole", "text": "\x00"}, route="queries/", segment="1")
@example(fields={"subject": "9" * 400, "text": "Why?"}, route="queries/", segment="1")
@example(fields={"text": "A" * 20_000}, route="queries/{query}/reply/", segment="1")
def test_query_and_acknowledgement_posts_never_give_a_500(world, fields, route, segment):
    from billing.models import StatementQuery

    statement = world["alpha_jan"]
    query = StatementQuery.objects.filter(statement=statement).first()
    if query is None:
        from billing.queries import statement_query_raise

        query = statement_query_raise(statement_id=statement.pk, user=world["alpha"], text="Why?")
    url = f"/statements/{statement.number}/" + route.format(query=query.pk, segment=segment)
    assert_no_500(portal_client(world).post(url, fields), (url, fields))
