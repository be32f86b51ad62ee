"""Another supplier's documents do not exist for a supplier: a 404 on every page that takes
one, and no trace of them through filters or query strings."""

from datetime import date

import pytest
from django.urls import URLPattern, URLResolver

from billing.models import StatementAcknowledgement, StatementQuery
from billing.pdf import statement_pdf_store
from billing.queries import statement_query_raise
from portal.urls import urlpatterns

from .conftest import issue, price, signed_in

pytestmark = pytest.mark.django_db


def route_names(patterns) -> dict[str, bool]:
    """Every portal route's name, and whether its URL takes parameters."""
    names = {}
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names.update(route_names(pattern.url_patterns))
        elif isinstance(pattern, URLPattern):
            names[pattern.name] = bool(pattern.pattern.converters)
    return names


@pytest.fixture
def alpha_documents(world):
    """Alpha's invoice, paid document and credit note: every kind of document another may guess."""
    issue(world["alpha_feb_draft"], issue_date=date(2026, 3, 3))
    note = issue(price(world["alpha_contract"], "2026-01", voice=1000, name="jan-fix.csv"))
    for statement in (world["alpha_jan"], note, world["beta_jan"]):
        statement_pdf_store(statement_id=statement.pk)  # what issuing queues after its commit
    return [world["alpha_jan"].number, note.number]


def test_every_portal_route_with_parameters_answers_404_for_another_suppliers_document(
    world, alpha_documents
):
    """Enumerates the portal's routes: a new route without a case here makes this test fail."""
    cases = {
        # Routes that take a document: each must be a 404 for every one of Alpha's documents.
        "statement-detail": lambda number: f"/statements/{number}/",
        "statement-pdf": lambda number: f"/statements/{number}/pdf/",
        "statement-terms": lambda number: f"/statements/{number}/terms/",
        # Every document has a first line; a line it lacks is a 404 too (test_drilldown.py).
        "statement-line": lambda number: f"/statements/{number}/lines/1/",
        # Routes without a document in the URL.
        "home": None,
        "login": None,
        "logout": None,
        "password-reset": None,
        "password-reset-done": None,
        "password-reset-complete": None,
        "statement-list": None,  # filtered to the user's documents: the query-string test below
        # The filtered list's exports: the user's documents only (tests/functional/portal/test_exports.py).
        "statement-export-csv": None,
        "statement-export-xlsx": None,
        "statement-export-zip": None,
        # The supplier's contracts' value: by contract reference (test_contract_routes_... below).
        "contract-value-list": None,
        "contract-value": None,
        "kpi-submissions": None,  # the organisation's own batches (tests/functional/test_kpi_review.py)
        "notifications": None,  # the user's own email choices (tests/functional/portal/test_notifications.py)
        "mfa-enrol": None,  # the signed-in staff user's own device only (tests/functional/test_mfa.py)
        # Its parameters are a user id and a signed token, checked by Django, not a document.
        "password-reset-confirm": None,
        # Procurement's preview by statement id, behind the admin's login: a supplier user is sent
        # to that login (tests/functional/portal/test_procurement_preview.py).
        "procurement-preview": None,
        # POST routes that take a document (and a query): test_every_post_route_... below.
        "statement-query-raise": None,
        "statement-query-reply": None,
        "statement-acknowledge": None,
    }
    routes = route_names(urlpatterns)
    assert set(routes) == set(cases)
    with_parameters = {name for name, has_parameters in routes.items() if has_parameters}
    assert with_parameters == {
        "statement-detail",
        "statement-pdf",
        "statement-terms",
        "statement-line",
        "password-reset-confirm",
        "procurement-preview",
        "contract-value",
        *POST_CASES,
    }

    beta = signed_in(world["beta"])
    alpha = signed_in(world["alpha"])
    for name, url_for in cases.items():
        if url_for is None:
            continue
        for number in alpha_documents:
            assert alpha.get(url_for(number)).status_code == 200, (name, number)  # it exists…
            response = beta.get(url_for(number))
            assert response.status_code == 404, (name, number, response.status_code)  # …but not for Beta
            assert number.encode() not in response.content
        assert beta.get(url_for(world["beta_jan"].number)).status_code == 200, name


# The portal's POST routes that take a document (and for a reply, a query of it).
POST_CASES = ("statement-query-raise", "statement-query-reply", "statement-acknowledge")


def test_every_post_route_answers_404_for_another_suppliers_document_or_query(world):
    """Beta posts to Alpha's document, and to Alpha's query through Beta's own document: a 404
    each time, and nothing is written; the same posts on Beta's own document are done."""
    alpha_query = statement_query_raise(
        statement_id=world["alpha_jan"].pk, user=world["alpha"], text="Why this volume?"
    )
    beta_query = statement_query_raise(statement_id=world["beta_jan"].pk, user=world["beta"], text="Why?")
    alpha_number, beta_number = world["alpha_jan"].number, world["beta_jan"].number
    attempts = [
        ("statement-query-raise", f"/statements/{alpha_number}/queries/"),
        ("statement-query-reply", f"/statements/{alpha_number}/queries/{alpha_query.pk}/reply/"),
        ("statement-query-reply", f"/statements/{beta_number}/queries/{alpha_query.pk}/reply/"),
        ("statement-acknowledge", f"/statements/{alpha_number}/acknowledge/"),
    ]
    assert {name for name, _ in attempts} == set(POST_CASES)
    beta = signed_in(world["beta"])
    for name, url in attempts:
        response = beta.post(url, {"subject": "whole", "text": "Let me in"})
        assert response.status_code == 404, (name, url, response.status_code)
        assert alpha_number.encode() not in response.content
        assert beta.get(url).status_code == 405, name
    assert list(alpha_query.messages.values_list("text", flat=True)) == ["Why this volume?"]
    assert StatementQuery.objects.filter(statement=world["alpha_jan"]).count() == 1
    assert not StatementAcknowledgement.objects.filter(statement=world["alpha_jan"]).exists()
    # The same posts on Beta's own document are done.
    own = [
        f"/statements/{beta_number}/queries/",
        f"/statements/{beta_number}/queries/{beta_query.pk}/reply/",
        f"/statements/{beta_number}/acknowledge/",
    ]
    for url in own:
        assert beta.post(url, {"subject": "whole", "text": "More"}).status_code == 302, url
    assert StatementQuery.objects.filter(statement=world["beta_jan"]).count() == 2
    assert beta_query.messages.count() == 2
    assert StatementAcknowledgement.objects.filter(statement=world["beta_jan"]).exists()


def test_filters_and_query_strings_never_reach_another_suppliers_documents(world, alpha_documents):
    beta = signed_in(world["beta"])
    queries = [
        {},
        {"contract": "ACME-A-001"},
        {"period": "2026-02"},  # a period only Alpha has
        {"period": "2026-01", "contract": "ACME-A-001"},
        {"document_type": "credit_note"},
        {"status": "paid"},
        {"page": "2"},
        {"number": alpha_documents[0]},
        {"contract__supplier": str(world["alpha_contract"].supplier_id)},
    ]
    for query in queries:
        response = beta.get("/statements/", query)
        assert response.status_code == 200, query
        body = response.content.decode()
        for number in alpha_documents:
            assert number not in body, (query, number)
        assert "ACME-A-001</option>" not in body and "Alpha CX Ltd" not in body, query
    assert world["beta_jan"].number in beta.get("/statements/", {"contract": "ACME-A-001"}).content.decode()


def test_contract_routes_answer_404_for_another_suppliers_contract(world):
    """The routes that take a contract reference: Alpha's contract is a 404 for Beta."""
    routes = {"contract-value": lambda reference: f"/value/{reference}/"}
    assert {name for name in route_names(urlpatterns) if name.startswith("contract-")} == {
        *routes,
        "contract-value-list",
    }
    alpha, beta = signed_in(world["alpha"]), signed_in(world["beta"])
    reference = world["alpha_contract"].reference
    for name, url_for in routes.items():
        assert alpha.get(url_for(reference)).status_code == 200, name
        response = beta.get(url_for(reference))
        assert response.status_code == 404, name
        assert reference.encode() not in response.content
        assert beta.get(url_for(world["beta_contract"].reference)).status_code == 200, name
    assert reference.encode() not in beta.get("/value/").content
