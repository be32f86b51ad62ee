"""Procurement's month page (one line per KPI, as priced) and its drill-down to a KPI's rows."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import KpiBatch
from kpis.services import kpi_batch_ingest
from tests.integration.billing.conftest import HEADER, load_contract

pytestmark = pytest.mark.django_db
MONTH = reverse("admin:kpis_month")
ROWS = reverse("admin:kpis_month_rows")


def daily_voice(days: int, sites=("leeds", "cardiff"), per_day=1000, period_start=date(2026, 3, 1)) -> str:
    lines = []
    for n in range(days):
        for site in sites:
            day = (period_start + timedelta(days=n)).isoformat()
            lines.append(f"ACME-T-001,,{day},contacts_voice,{per_day + n},,,voice,{site}\n")
    return "".join(lines)


def ingest(text: str, name: str, user=None):
    result = kpi_batch_ingest(
        file_name=name, content=(HEADER + text).encode(), source="admin", uploaded_by=user
    )
    assert result.status == "accepted", result.errors
    return result.batch


@pytest.fixture
def contract(checked_contract):
    return checked_contract


@pytest.fixture
def procurement(acme_procurement):
    return acme_procurement


@pytest.fixture
def client_in(client, procurement):
    client.force_login(procurement)
    return client


@pytest.fixture
def march(contract, procurement):
    """March: 31 days × 2 sites of voice, corrected for Leeds by a later file; a service level as
    one monthly ratio; contacts that do not add up; and a file of chat held for review."""
    first = ingest(daily_voice(31), "voice.csv", user=procurement)
    fix = ingest(daily_voice(31, sites=("leeds",), per_day=2000), "voice-fix.csv")
    ingest(
        "ACME-T-001,2026-03,,service_level,,12345,14321,voice,\n"
        "ACME-T-001,2026-03,,contacts_total,31673,,,,\n"
        "ACME-T-001,2026-03,,cost_to_serve,118457.025,,,,\n",
        "monthly.csv",
    )
    held = ingest("ACME-T-001,2026-03,,contacts_chat,6862,,,chat,\n", "chat.csv")
    KpiBatch.objects.filter(pk=held.pk).update(status=KpiBatch.Status.PENDING)
    return {"first": first, "fix": fix, "held": held}


def line_of(response, code):
    return next(line for line in response.context["overview"].lines if line.kpi.code == code)


def test_one_line_per_kpi_as_priced(client_in, contract, march):
    response = client_in.get(MONTH, {"contract": contract.pk, "period": "2026-03"})
    assert response.status_code == 200
    lines = response.context["overview"].lines
    assert [line.kpi.code for line in lines] == [
        "contacts_chat",
        "contacts_total",
        "contacts_voice",
        "cost_to_serve",
        "service_level",
    ]
    content = response.content.decode()
    # Counts: whole, with separators; 31 Leeds days from the fix, 31 Cardiff days from the first file.
    voice = sum(2000 + n for n in range(31)) + sum(1000 + n for n in range(31))
    assert f'<td class="number" title="{voice}">{voice:,}</td>' in content
    assert '<span class="uncounted">+31 superseded</span>' in content
    assert line_of(response, "contacts_voice").row_count == 62
    # Money two places (the exact value in the title), a percentage one place with Σ numerator/denominator.
    assert '<td class="number" title="118457.025">118,457.03</td>' in content
    assert '<td class="number" title="86.2020808603">86.2</td>' in content
    assert '<td class="number">12,345</td>\n      <td class="number">14,321</td>' in content
    # The batches that count, with who submitted them.
    voice_batches = line_of(response, "contacts_voice").batches
    assert [b.pk for b in voice_batches] == [march["first"].pk, march["fix"].pk]
    assert "voice.csv · buyer · Acme Telecom plc · procurement-acme" in content
    assert "voice-fix.csv · operator" in content
    # Chat is held for review: not measured, its row not counted, no batch counts.
    assert line_of(response, "contacts_chat").month is None
    assert ">not measured</td>" in content and "+1 pending review" in content and "none counts" in content
    # Each line links to its rows.
    assert f'href="{ROWS}?contract={contract.pk}&amp;period=2026-03&amp;kpi=contacts_voice"' in content


def test_the_month_page_warns_of_each_failed_consistency_check(client_in, contract, march):
    KpiBatch.objects.filter(pk=march["held"].pk).update(status=KpiBatch.Status.ACCEPTED)
    response = client_in.get(MONTH, {"contract": contract.pk, "period": "2026-03"})
    content = response.content.decode()
    assert 'id="kpi-check-failures"' in content
    assert (
        "Consistency check failed: ACME-T-001 2026-03: contacts_total 31,673 is not contacts_voice" in content
    )


def test_without_a_period_the_latest_month_is_shown(client_in, contract, march):
    ingest("ACME-T-001,2026-02,,contacts_total,5,,,,\n", "feb.csv")
    response = client_in.get(MONTH, {"contract": contract.pk})
    assert response.context["period"] == "2026-03"
    assert "Months with results: 2026-03, 2026-02" in response.content.decode()


def test_the_month_page_reads_as_many_queries_for_ten_rows_as_for_thousands(client_in, contract, procurement):
    ingest(daily_voice(5), "small.csv")
    with CaptureQueriesContext(connection) as small:
        assert client_in.get(MONTH, {"contract": contract.pk, "period": "2026-03"}).status_code == 200
    ingest(daily_voice(31, sites=[f"site-{n}" for n in range(40)]), "large.csv", user=procurement)
    with CaptureQueriesContext(connection) as large:
        response = client_in.get(MONTH, {"contract": contract.pk, "period": "2026-03"})
    assert line_of(response, "contacts_voice").row_count == 31 * 40 + 5 * 2
    assert len(large) == len(small), [q["sql"] for q in large]


def test_the_drill_down_pages_one_kpis_rows_marking_each(client_in, contract, march):
    query = {"contract": contract.pk, "period": "2026-03", "kpi": "contacts_voice"}
    response = client_in.get(ROWS, query)
    assert response.status_code == 200
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.marked)) == (93, 1, 93)
    statuses = [(item["row"].site, item["row"].batch_id, item["current"]) for item in page.marked]
    # Cardiff from the first file (current); Leeds newest batch first: the fix current, the first superseded.
    assert statuses[:31] == [("cardiff", march["first"].pk, True)] * 31
    assert statuses[31:62] == [("leeds", march["fix"].pk, True)] * 31
    assert statuses[62:] == [("leeds", march["first"].pk, False)] * 31
    content = response.content.decode()
    assert content.count("<td>current</td>") == 62 and content.count("<td>superseded</td>") == 31
    # Only the KPI's rows: the month's other KPIs are not read.
    assert {item["row"].kpi.code for item in page.marked} == {"contacts_voice"}
    chat = client_in.get(ROWS, {**query, "kpi": "contacts_chat"})
    assert "<td>pending review</td>" in chat.content.decode()


def test_the_drill_down_is_paginated_with_a_bounded_query(client_in, contract, procurement):
    ingest(daily_voice(31, sites=[f"site-{n:02d}" for n in range(8)]), "big.csv")  # 248 rows
    query = {"contract": contract.pk, "period": "2026-03", "kpi": "contacts_voice"}
    counts = []
    for number, size in ((1, 100), (2, 100), (3, 48)):
        with CaptureQueriesContext(connection) as queries:
            response = client_in.get(ROWS, {**query, "page": number})
        page = response.context["page"]
        assert (page.number, len(page.marked), page.paginator.num_pages) == (number, size, 3)
        counts.append(len(queries))
        # The page's rows are read with a LIMIT of at most a page, never the month's (the
        # batches' EXISTS subqueries, which ask whether a batch may be opened, aside).
        limits = [
            int(m)
            for q in queries
            if 'FROM "kpis_kpiresult"' in q["sql"].split(" WHERE ")[0]
            for m in re.findall(r"LIMIT (\d+)", q["sql"])
        ]
        assert limits == [size], [q["sql"] for q in queries]
    assert len(set(counts)) == 1
    content = response.content.decode()
    assert "page 3 of 3" in content and 'rel="prev"' in content and 'rel="next"' not in content
    assert f"?contract={contract.pk}&amp;period=2026-03&amp;kpi=contacts_voice&amp;page=2" in content


@pytest.mark.parametrize(
    ("params", "field"),
    [
        # Hostile or mistaken parameters are form errors on the page, never an error page.
        ({"page": "4"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "9" * 30}, "page"),
        ({"kpi": "first_call_res"}, "kpi"),
        ({"kpi": "csat\x00"}, "kpi"),
        ({"kpi": "x" * 5000}, "kpi"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-03\x00"}, "period"),
        ({"contract": "abc"}, "contract"),
        ({"contract": "999999"}, "contract"),
    ],
)
def test_bad_drill_down_parameters_are_form_errors(client_in, contract, march, params, field):
    query = {"contract": contract.pk, "period": "2026-03", "kpi": "contacts_voice", **params}
    response = client_in.get(ROWS, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors and response.context["page"] is None


@pytest.mark.parametrize("period", ["2026-13", "2026-03\x00", "x" * 5000])
def test_a_bad_month_is_a_form_error(client_in, contract, march, period):
    response = client_in.get(MONTH, {"contract": contract.pk, "period": period})
    assert response.status_code == 200 and "period" in response.context["form"].errors


def test_another_buyers_contract_is_neither_shown_nor_drilled_into(client_in, contract, march):
    other = load_contract("GLOBEX-T-001", "Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    kpi_batch_ingest(
        file_name="globex.csv",
        content=(HEADER + "GLOBEX-T-001,2026-03,,contacts_voice,777,,,voice,\n").encode(),
        source="cli",
    )
    month = client_in.get(MONTH, {"contract": other.pk, "period": "2026-03"})
    rows = client_in.get(ROWS, {"contract": other.pk, "period": "2026-03", "kpi": "contacts_voice"})
    for response in (month, rows):
        assert response.status_code == 200 and "contract" in response.context["form"].errors
        assert b"GLOBEX" not in response.content and b"globex.csv" not in response.content
    # The contract list offers only the buyer's own contract.
    assert list(month.context["form"].fields["contract"].queryset) == [contract]
