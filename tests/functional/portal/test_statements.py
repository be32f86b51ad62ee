"""The statement list and page: only the supplier's issued documents, each line explained,
the scorecard and trends, the stored PDF, and adjustments linked both ways."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.pdf import statement_pdf_store
from billing.services import statement_approve, statement_mark_paid
from portal import selectors

from .conftest import issue, price, signed_in

pytestmark = pytest.mark.django_db


def numbers_listed(response) -> list[str]:
    return re.findall(r'<a href="/statements/([A-Z0-9-]+)/">', response.content.decode())


@pytest.fixture
def history(world):
    """Alpha: January and February issued (February paid), a credit note correcting January
    (fewer contacts than first reported), March only approved."""
    alpha = world["alpha_contract"]
    feb = issue(world["alpha_feb_draft"], issue_date=date(2026, 3, 3))
    statement_mark_paid(statement_id=feb.pk)
    adjustment = issue(price(alpha, "2026-01", voice=1000, name="jan-fix.csv"), issue_date=date(2026, 3, 4))
    assert adjustment.document_type == "credit_note"
    march = price(alpha, "2026-03", voice=1700, service_level=90)
    statement_approve(statement_id=march.pk)
    return {**world, "alpha_feb": feb, "alpha_jan_fix": adjustment, "alpha_mar_approved": march}


def test_the_list_shows_only_the_suppliers_issued_documents(world):
    statement_approve(statement_id=world["alpha_feb_draft"].pk)  # approved is not issued either
    response = signed_in(world["alpha"]).get("/statements/")
    assert response.status_code == 200
    assert numbers_listed(response) == [world["alpha_jan"].number]
    body = response.content.decode()
    assert world["beta_jan"].number not in body and "ACME-B-001" not in body
    assert "2026-02" not in body  # the approved February is neither listed nor offered as a period
    for expected in ["2026-01", "Invoice", "£13,300.00", "£15,960.00", "Issued", "5 Mar 2026"]:
        assert expected in body, expected


def test_the_list_is_newest_first_and_filters_by_period_status_type_and_contract(history):
    client = signed_in(history["alpha"])
    jan, feb, fix = history["alpha_jan"].number, history["alpha_feb"].number, history["alpha_jan_fix"].number
    assert numbers_listed(client.get("/statements/")) == [feb, jan, fix]
    cases = [
        ({"period": "2026-01"}, [jan, fix]),
        ({"status": "paid"}, [feb]),
        ({"status": "issued", "period": "2026-01"}, [jan, fix]),
        ({"document_type": "credit_note"}, [fix]),
        ({"document_type": "invoice", "period": "2026-01"}, [jan]),
        ({"contract": "ACME-A-001", "status": "paid"}, [feb]),
        ({"status": "void"}, []),
    ]
    for query, expected in cases:
        assert numbers_listed(client.get("/statements/", query)) == expected, query
    page = client.get("/statements/", {"status": "void"}).content.decode()
    assert "No statements match these filters." in page
    assert (
        '<option value="paid" selected>Paid</option>'
        in client.get("/statements/", {"status": "paid"}).content.decode()
    )


def test_an_unknown_filter_value_is_reported_and_not_applied(history):
    response = signed_in(history["alpha"]).get("/statements/", {"period": "1999-01", "status": "paid"})
    body = response.content.decode()
    assert "Some filters were not recognised" in body and "Period: Select a valid choice." in body
    assert numbers_listed(response) == [history["alpha_feb"].number]


def test_the_list_is_paginated_and_pages_keep_the_filters(history, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    client = signed_in(history["alpha"])
    first = client.get("/statements/", {"period": "2026-01"})
    assert numbers_listed(first) == [history["alpha_jan"].number]
    body = first.content.decode()
    assert "2 documents, page 1 of 2" in body
    assert 'href="?period=2026-01&amp;page=2" rel="next"' in body
    second = client.get("/statements/", {"period": "2026-01", "page": 2})
    assert numbers_listed(second) == [history["alpha_jan_fix"].number]
    assert numbers_listed(client.get("/statements/", {"period": "2026-01", "page": "x"})) == [
        history["alpha_jan"].number
    ]


def test_the_list_takes_the_same_number_of_queries_for_one_row_or_many(world):
    client = signed_in(world["alpha"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/statements/").status_code == 200
        return len(captured)

    one = queries()
    issue(world["alpha_feb_draft"], issue_date=date(2026, 3, 3))
    for period, voice in [("2026-03", 1700), ("2026-04", 1800)]:
        issue(price(world["alpha_contract"], period, voice=voice), issue_date=date(2026, 5, 3))
    issue(price(world["alpha_contract"], "2026-01", service_level=85, name="jan-fix.csv"))
    many = queries()
    assert len(numbers_listed(client.get("/statements/"))) == 5
    assert one == many


def test_the_statement_page_explains_every_line_with_totals_and_scorecard(world):
    statement = world["alpha_jan"]
    response = signed_in(world["alpha"]).get(f"/statements/{statement.number}/")
    assert response.status_code == 200
    body = response.content.decode()
    for line in statement.lines.all():
        assert f'<td data-label="How it was calculated" class="explanation">{line.explanation}</td>' in body
    assert (
        "Service level (answered within threshold) 78 missed target 80; 5% of charges 14,000.00 → -700.00"
        in body
    )
    assert "<h1>Self-billed invoice ACME-2026-000001</h1>" in body
    for expected in [
        "£10,000.00",
        "-£700.00",
        "£13,300.00",
        "VAT at 20%",
        "£2,660.00",
        "£15,960.00",
    ]:
        assert expected in body, expected
    assert "KPI scorecard for 2026-01" in body
    scorecard = re.search(r'<table class="data kpis">.*?</table>', body, re.S).group(0)
    assert re.search(
        r"Service level \(answered within threshold\)</th>\s*<td[^>]*>—</td>\s*<td[^>]*>80.00%</td>"
        r"\s*<td[^>]*>—</td>\s*<td[^>]*>78.00%</td>",
        scorecard,
    )  # a service credit's target alone: no threshold or stretch
    assert "result-missed" in scorecard
    assert 'role="img" aria-labelledby="scorecard-title scorecard-desc"' in body
    assert f'href="/statements/{statement.number}/pdf/"' in body


def test_the_page_draws_a_12_month_trend_per_kpi_with_gaps_for_missing_months(world):
    """January and February issued, March only drafted, April issued: on April's page March
    is a gap (no dot, the line broken), and the months before January are gaps too."""
    alpha = world["alpha_contract"]
    issue(world["alpha_feb_draft"], issue_date=date(2026, 3, 3))
    price(alpha, "2026-03", voice=1700, service_level=99)
    april = issue(price(alpha, "2026-04", voice=1800, service_level=85), issue_date=date(2026, 5, 5))
    body = signed_in(world["alpha"]).get(f"/statements/{april.number}/").content.decode()

    assert "KPI trends, up to 12 months to 2026-04" in body
    titles = re.findall(r'<title id="trend-(\w+)-title">([^<]*)</title>', body)
    assert titles == [
        ("service_level", "Service level (answered within threshold), 2025-05 to 2026-04"),
        ("contacts_voice", "Voice contacts handled, 2025-05 to 2026-04"),
    ]
    chart = re.search(
        r'<figure class="trend" aria-labelledby="trend-service_level-heading">.*?</figure>', body, re.S
    )
    chart = chart.group(0)
    assert 'role="img"' in chart
    dots = re.findall(r"<title>(\d{4}-\d{2}): ([^<]+)</title></circle>", chart)
    # At the table's precision; the draft's 99 is not shown.
    assert dots == [("2026-01", "78.00%"), ("2026-02", "82.00%"), ("2026-04", "85.00%")]
    lines = re.findall(r'<polyline points="([^"]+)"', chart)
    assert len(lines) == 1 and len(lines[0].split()) == 2  # January–February; April stands alone
    # The axis runs January to April only; March inside it is a labelled gap.
    assert re.findall(r'text-anchor="middle">(\w{3})</text>', chart) == ["Jan", "Feb", "Mar", "Apr"]
    assert "<title>2026-03: no value</title>" in chart and ">no value</text>" in chart
    assert re.findall(r'dominant-baseline="middle">([^<]+)</text>', chart)[:3] == ["100%", "50%", "0%"]
    assert "Measured in 3 of 12 months, latest 85.00%, target 80.00%." in chart
    rows = dict(re.findall(r'<th scope="row">(\d{4}-\d{2})</th><td class="amount">(.*?)</td>', chart))
    assert len(rows) == 12 and rows["2026-04"] == "85.00%"
    assert "no value" in rows["2026-03"] and "no value" in rows["2025-05"]
    assert 'class="target-line"' in chart


def test_the_pdf_download_is_the_stored_file(world):
    statement = world["alpha_jan"]
    client = signed_in(world["alpha"])
    statement_pdf_store(statement_id=statement.pk)  # what issuing queues after its commit
    statement.refresh_from_db()
    response = client.get(f"/statements/{statement.number}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{statement.number}.pdf"'
    served = b"".join(response.streaming_content)
    assert served.startswith(b"%PDF") and served == statement.pdf.open("rb").read()


def test_a_pdf_not_stored_yet_is_rendered_once_and_then_served_as_stored(world):
    statement = world["alpha_jan"]
    client = signed_in(world["alpha"])
    first = b"".join(client.get(f"/statements/{statement.number}/pdf/").streaming_content)
    statement.refresh_from_db()
    assert first.startswith(b"%PDF") and first == statement.pdf.open("rb").read()
    stored_name = statement.pdf.name
    again = b"".join(client.get(f"/statements/{statement.number}/pdf/").streaming_content)
    statement.refresh_from_db()
    assert again == first and statement.pdf.name == stored_name


def test_an_adjustment_and_the_statement_it_corrects_link_to_each_other(world):
    alpha, original = world["alpha_contract"], world["alpha_jan"]
    client = signed_in(world["alpha"])
    draft = price(alpha, "2026-01", service_level=85, name="jan-fix.csv")
    assert draft.adjusts_id == original.pk
    assert "Adjusted by" not in client.get(f"/statements/{original.number}/").content.decode()

    adjustment = issue(draft, issue_date=date(2026, 3, 4))
    page = client.get(f"/statements/{original.number}/").content.decode()
    assert (
        f'Adjusted by <a href="/statements/{adjustment.number}/">{adjustment.number}</a> (invoice, issued)'
        in page
    )
    page = client.get(f"/statements/{adjustment.number}/").content.decode()
    assert f'This document adjusts <a href="/statements/{original.number}/">{original.number}</a>' in page
    assert "Correction: was -700.00, now 0.00." in page
    listed = client.get("/statements/").content.decode()
    assert f'<span class="sub">adjusts {original.number}</span>' in listed
    # The corrected month's KPI values are the ones its trend shows.
    assert "<title>2026-01: 85.00%</title>" in page


def test_the_page_says_who_issued_the_document_and_who_recorded_its_payment(world):
    from django.contrib.auth.models import User

    from billing.services import statement_issue

    issuer = User.objects.create_superuser("acme-issuer", "issuer@acme.example", "x")
    payer = User.objects.create_superuser("acme-payments", "payments@acme.example", "x")
    draft = world["alpha_feb_draft"]
    statement_approve(statement_id=draft.pk)
    feb = statement_issue(statement_id=draft.pk, user=issuer, issue_date=date(2026, 3, 3))
    client = signed_in(world["alpha"])
    body = client.get(f"/statements/{feb.number}/").content.decode()
    assert re.search(r"<dt>Issued by</dt><dd>acme-issuer</dd>", body)
    assert "recorded by" not in body  # not paid yet
    statement_mark_paid(statement_id=feb.pk, paid_at="2026-03-20T10:00:00Z", user=payer)
    body = client.get(f"/statements/{feb.number}/").content.decode()
    assert "<dt>Paid</dt><dd>20 March 2026, recorded by acme-payments</dd>" in body
