"""Procurement's queue of suppliers' queries in the admin: scoped to its buyer, each query's
thread with an answer form, resolved as explained or accepted with a corrected KPI file (a
correcting run whose adjustment draft the query links to), refused whole on a bad file; the
statement's page shows it is queried and acknowledged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from billing.models import BillingRun, Statement, StatementQuery
from billing.queries import statement_acknowledge, statement_query_raise
from kpis.models import KpiBatch
from tests.integration.billing.queries_world import corrected_file, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = world()
    w["query"] = statement_query_raise(
        statement_id=w["statement"].pk, user=w["supplier"], text="Voice was 1,600 calls.", line_position=2
    )
    w["other_query"] = statement_query_raise(
        statement_id=w["other_statement"].pk, user=w["other_supplier"], text="Globex query"
    )
    return w


@pytest.fixture
def admin_client(w):
    client = Client()
    client.force_login(w["procurement"])
    return client


def query_url(query, view="change"):
    return reverse(f"admin:billing_statementquery_{view}", args=[query.pk])


def test_the_queue_lists_the_buyers_open_queries_only(w, admin_client):
    response = admin_client.get(reverse("admin:billing_statementquery_changelist"))
    assert response.status_code == 200
    assert [q.pk for q in response.context["cl"].result_list] == [w["query"].pk]
    assert b"Globex" not in response.content
    assert admin_client.get(query_url(w["other_query"])).status_code == 302  # "does not exist"
    for view in ("answer", "resolve"):
        assert admin_client.post(query_url(w["other_query"], view), {"text": "x"}).status_code == 404
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:billing_statementquery_changelist") in index


def test_the_queue_leaves_resolved_queries_out_unless_asked(w, admin_client):
    admin_client.post(query_url(w["query"], "resolve"), {"resolution": "explained", "text": "As agreed."})
    url = reverse("admin:billing_statementquery_changelist")
    assert not list(admin_client.get(url).context["cl"].result_list)
    resolved = admin_client.get(url, {"state": "resolved"}).context["cl"].result_list
    assert [q.pk for q in resolved] == [w["query"].pk]


def test_procurement_answers_and_the_thread_shows_both_sides(w, admin_client):
    response = admin_client.post(query_url(w["query"], "answer"), {"text": "We counted 1,500."})
    assert response.status_code == 302
    page = admin_client.get(query_url(w["query"])).content.decode()
    assert "Voice was 1,600 calls." in page and "We counted 1,500." in page
    assert "northwind-user" in page and "acme-procurement" in page
    assert StatementQuery.objects.get(pk=w["query"].pk).status == "open"


def test_a_bad_answer_is_refused_with_a_message(w, admin_client):
    response = admin_client.post(query_url(w["query"], "answer"), {"text": "bell\x07"})
    assert response.status_code == 400 and "U+0007" in response.content.decode()
    assert w["query"].messages.count() == 1


def test_procurement_explains_a_query(w, admin_client):
    response = admin_client.post(
        query_url(w["query"], "resolve"), {"resolution": "explained", "text": "Calls count on answer."}
    )
    assert response.status_code == 302
    query = StatementQuery.objects.get(pk=w["query"].pk)
    assert (query.status, query.resolved_by) == ("explained", w["procurement"])
    page = admin_client.get(query_url(query)).content.decode()
    assert 'id="query-resolve"' not in page and "Calls count on answer." in page


def test_accepting_with_a_corrected_kpi_file_links_the_adjustment_draft(
    w, admin_client, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("corrected.csv", corrected_file(w["contract"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            query_url(w["query"], "resolve"),
            {"resolution": "accepted", "text": "Agreed: 1,600.", "kpi_file": upload},
        )
    assert response.status_code == 302
    query = StatementQuery.objects.get(pk=w["query"].pk)
    assert query.status == "accepted" and query.correction_run.status == "succeeded"
    adjustment = Statement.objects.get(adjusts=w["statement"])
    assert adjustment.billing_run_id == query.correction_run_id and adjustment.status == "draft"
    page = admin_client.get(query_url(query)).content.decode()
    assert reverse("admin:billing_statement_change", args=[adjustment.pk]) in page


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"resolution": "accepted", "text": "Agreed."},
            "needs the corrected KPI file for its month or the amount",
        ),
        ({"resolution": "accepted", "text": "Agreed.", "agreed_amount": "1e400"}, "no more than 16 digits"),
        ({"resolution": "accepted", "text": "Agreed.", "agreed_amount": "NaN"}, "Enter a number"),
        (
            {"resolution": "accepted", "text": "Agreed.", "agreed_amount": "0.005"},
            "more than 2 decimal places",
        ),
        ({"resolution": "accepted", "text": "Agreed.", "agreed_amount": "9" * 30}, "no more than 16 digits"),
        (
            {"resolution": "explained", "text": "No.", "agreed_amount": "5.00"},
            "leave the file and the amount out",
        ),
        ({"resolution": "rejected", "text": "No."}, "Select a valid choice"),
        ({"resolution": "explained", "text": ""}, "This field is required"),
        (
            {"resolution": "accepted", "text": "Agreed.", "kpi": b"contract,kpi\nACME-T-001,nope\n"},
            "was refused",
        ),
        (
            {"resolution": "accepted", "text": "Agreed.", "kpi": b"\x00\x01binary"},
            "was refused",
        ),
    ],
)
def test_a_bad_resolution_is_refused_whole(
    w, admin_client, data, problem, django_capture_on_commit_callbacks
):
    data = dict(data)
    if "kpi" in data:
        data["kpi_file"] = SimpleUploadedFile("bad.csv", data.pop("kpi"))
    batches, runs = KpiBatch.objects.count(), BillingRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(query_url(w["query"], "resolve"), data)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert StatementQuery.objects.get(pk=w["query"].pk).status == "open"
    assert (KpiBatch.objects.count(), BillingRun.objects.count()) == (batches, runs)


def test_a_file_over_the_limit_is_refused_before_it_is_read(w, admin_client, settings):
    settings.KPI_FILE_MAX_BYTES = 50
    upload = SimpleUploadedFile("big.csv", corrected_file(w["contract"]))
    response = admin_client.post(
        query_url(w["query"], "resolve"), {"resolution": "accepted", "text": "Agreed.", "kpi_file": upload}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "the file big.csv is more than 50 bytes, the limit" in page
    assert w["query"].__class__.objects.get(pk=w["query"].pk).status == "open"


def test_the_statement_page_shows_it_is_queried_and_acknowledged(w, admin_client):
    url = reverse("admin:billing_statement_change", args=[w["statement"].pk])
    page = admin_client.get(url).content.decode()
    assert 'id="queried-badge"' in page and query_url(w["query"]) in page
    assert "Not acknowledged by the supplier." in page
    statement_acknowledge(statement_id=w["statement"].pk, user=w["supplier"])
    page = admin_client.get(url).content.decode()
    assert "Acknowledged by the supplier: northwind-user" in page


def test_the_month_close_page_flags_a_document_with_an_open_query(w, admin_client):
    url = reverse("admin:billing_statement_month_close")
    response = admin_client.get(url, {"period": "2026-01", "state": "queried"})
    assert [row.contract.reference for row in response.context["page"]] == ["ACME-T-001"]
    assert 'class="attention queried"' in response.content.decode()
    admin_client.post(query_url(w["query"], "resolve"), {"resolution": "explained", "text": "Counted."})
    response = admin_client.get(url, {"period": "2026-01", "state": "queried"})
    assert list(response.context["page"]) == []
    assert 'class="attention queried"' not in admin_client.get(url, {"period": "2026-01"}).content.decode()


def test_accepting_with_an_agreed_amount_links_an_adjustment_with_the_agreed_line(
    w, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            query_url(w["query"], "resolve"),
            {"resolution": "accepted", "text": "We agree on 150.00.", "agreed_amount": "150.00"},
            follow=True,
        )
    assert (
        "amount 150.0000 agreed" in response.content.decode()
        or "amount 150.00 agreed" in response.content.decode()
    )
    adjustment = Statement.objects.get(adjusts=w["statement"])
    assert list(adjustment.lines.values_list("kind", "amount")) == [("agreed", 150)]
    page = admin_client.get(query_url(w["query"])).content.decode()
    assert reverse("admin:billing_statement_change", args=[adjustment.pk]) in page
