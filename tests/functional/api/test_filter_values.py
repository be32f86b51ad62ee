"""Every filter and paging parameter of the API: a bad value is a 400 naming it, never an
empty 200 (docs/api.md, *Errors*); a good one still answers."""

import pytest

from tests.functional.api.test_invoices import client_for, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

INVOICES = "/api/v1/invoices/"

BAD_VALUES = [
    # period: a month YYYY-MM, 01 to 12
    ("period", "foo"),
    ("period", "2026-13"),
    ("period", "2026-00"),
    ("period", "2026-1"),
    ("period", "2026-01-01"),
    ("period", "x" * 5000),
    # dates of the issue_date range: ISO dates that exist
    ("issue_date_after", "yesterday"),
    ("issue_date_after", "2026-02-30"),
    ("issue_date_before", "2026-13-01"),
    ("issue_date_before", "1" * 5000),
    # choices
    ("status", "draft"),
    ("status", "approved"),
    ("status", "PAID"),
    ("document_type", "receipt"),
    # organisation codes: a code's characters and length (a slug of at most 20)
    ("buyer", "ACME!"),
    ("buyer", "A" * 21),
    ("supplier", "<script>"),
    ("supplier", "\x00"),
    # ordering: only the documented fields, with or without a leading "-"
    ("ordering", "tax"),
    ("ordering", "--number"),
    ("ordering", "number,secret"),
    ("ordering", "contract__buyer__name"),
    # paging: positive whole numbers, page_size at most 500
    ("page_size", "0"),
    ("page_size", "-1"),
    ("page_size", "ten"),
    ("page_size", "501"),
    ("page", "0"),
    ("page", "-2"),
    ("page", "one"),
    ("page", "1.5"),
]

GOOD_VALUES = [
    ("period", "2026-01"),
    ("issue_date_after", "2026-01-01"),
    ("issue_date_before", "2026-12-31"),
    ("status", "issued"),
    ("status", "paid"),
    ("status", "void"),
    ("document_type", "invoice"),
    ("document_type", "credit_note"),
    ("buyer", "ACME"),
    ("supplier", "ALPHA"),
    ("buyer", "NOBODY"),  # a well-formed code of nobody the caller sees: an empty page
    ("ordering", "-gross"),
    ("ordering", "period,-number"),
    ("page_size", "500"),
    ("page", "1"),
    ("page", "last"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_list_parameter_is_a_400_naming_it(world, name, value):  # noqa: F811
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get(INVOICES, {name: value})
    assert response.status_code == 400, (name, value, response.content[:200])
    assert name in response.json()


@pytest.mark.parametrize(("name", "value"), GOOD_VALUES)
def test_a_good_list_parameter_answers(world, name, value):  # noqa: F811
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get(INVOICES, {name: value})
    assert response.status_code == 200, (name, value, response.content[:200])
    assert "results" in response.json()


@pytest.mark.parametrize(
    ("name", "value"),
    [("page", "0"), ("page", "x"), ("page_size", "0"), ("page_size", "x"), ("page_size", "501")],
)
def test_a_bad_paging_parameter_of_the_events_route_is_a_400(world, name, value):  # noqa: F811
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get(f"{INVOICES}{world['a_doc'].number}/events/", {name: value})
    assert response.status_code == 400, (name, value, response.content[:200])
    assert name in response.json()


@pytest.mark.parametrize(
    ("name", "value"),
    [("page", "0"), ("page", "two"), ("page_size", "0"), ("page_size", "201"), ("page_size", "x")],
)
def test_a_bad_paging_parameter_of_the_kpi_batch_list_is_a_400(world, name, value):  # noqa: F811
    finance = client_for(world["a"].buyer, "finance")
    response = finance.get("/api/v1/kpi-batches/", {name: value})
    assert response.status_code == 400, (name, value, response.content[:200])
    assert name in response.json()
    assert finance.get("/api/v1/kpi-batches/", {name: "1"}).status_code == 200
