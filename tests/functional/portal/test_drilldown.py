"""The terms behind a statement and the drill-down from each of its lines: the rate card of the
version that priced it in words, each line's KPIs as priced with their breakdown by channel and
site and the files they came from, and nothing of another supplier's."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.services import statement_price_draft
from contracts.models import Contract
from contracts.services import contract_import_content
from kpis.models import KpiBatch
from pricing.period import Period
from tests.integration.billing.conftest import load_kpis

from .conftest import issue, signed_in

pytestmark = pytest.mark.django_db

CONTRACT = """
reference: ACME-DRILL-001
title: Drill-down care
buyer: {name: Acme Telecom plc, code: ACME, country: GB, vat_number: GB123456782, address: "1 Exchange Sq\\nLondon"}
supplier: {name: Alpha CX Ltd, country: GB}
currency: GBP
tax_rate: "20"
start: 2026-01-01
payment_terms_days: 30
self_billing: true
self_billing_agreement: {start: 2026-01-01, end: 2028-12-31}
kpi_checks:
  - {kpi: contacts_total, equals_sum_of: [contacts_voice, contacts_chat], tolerance_percent: "0.05"}
terms:
  - effective_from: 2026-01
    components:
      - {id: mgmt, type: fixed_fee, amount: "10000.00"}
      - id: voice
        type: unit_rate
        measure: contacts_voice
        bands: [{up_to: 10000, price: "3.00"}, {up_to: null, price: "2.00"}]
      - id: handling
        type: unit_rate
        measure: contacts_total
        bands: [{up_to: null, price: "0.10"}]
      - id: sla
        type: service_credit
        at_risk_percent: "10"
        kpis:
          - {kpi: service_level, target: "80", credit_percent: "5"}
  - effective_from: 2026-06
    components:
      - {id: mgmt, type: fixed_fee, amount: "99999.00"}
"""
# Voice by day and site (14,200), chat as one figure (6,500), the total given in its own right
# (20,705: 5 more than voice + chat, within the rule's 0.05 %), service level by day and site
# (11,200 / 14,600 = 76.71 %, below its target of 80: a credit line).
JANUARY = """\
ACME-DRILL-001,,2026-01-01,contacts_voice,4000,,,voice,leeds
ACME-DRILL-001,,2026-01-02,contacts_voice,4100,,,voice,leeds
ACME-DRILL-001,,2026-01-01,contacts_voice,3000,,,voice,cardiff
ACME-DRILL-001,,2026-01-02,contacts_voice,3100,,,voice,cardiff
ACME-DRILL-001,2026-01,,contacts_chat,6500,,,chat,
ACME-DRILL-001,2026-01,,contacts_total,20705,,,,
ACME-DRILL-001,,2026-01-01,service_level,,3000,4100,voice,leeds
ACME-DRILL-001,,2026-01-02,service_level,,3100,4200,voice,leeds
ACME-DRILL-001,,2026-01-01,service_level,,2500,3100,voice,cardiff
ACME-DRILL-001,,2026-01-02,service_level,,2600,3200,voice,cardiff
"""
# Cardiff's voice month restated after issue: the file carries the whole month for that key.
CARDIFF_FIX = "ACME-DRILL-001,2026-01,,contacts_voice,5000,,,voice,cardiff\n"
MGMT, VOICE, HANDLING, SLA = 1, 2, 3, 4


@pytest.fixture
def drill(world):
    """Alpha's January of ACME-DRILL-001, issued; the buyer's user named on its KPI file."""
    contract_import_content(file_name="drill.yaml", content=CONTRACT.encode())
    contract = Contract.objects.get(reference="ACME-DRILL-001")
    load_kpis(JANUARY, name="drill-2026-01.csv")
    statement = issue(statement_price_draft(contract_id=contract.pk, period=Period(2026, 1)))
    buyer_user = User.objects.create_user("jane-procurement-buyer")
    KpiBatch.objects.filter(file_name="drill-2026-01.csv").update(uploaded_by=buyer_user, party="buyer")
    return {**world, "contract": contract, "statement": statement}


def page(client, statement, suffix: str):
    response = client.get(f"/statements/{statement.number}/{suffix}")
    assert response.status_code == 200, (suffix, response.status_code)
    return response, re.sub(r"\s+", " ", response.content.decode())


def test_the_lines_are_the_ones_the_fixture_says(drill):
    lines = list(drill["statement"].lines.order_by("position").values_list("component_id", "kind", "kpi"))
    assert lines == [
        ("mgmt", "fixed_fee", ""),
        ("voice", "unit_rate", ""),
        ("handling", "unit_rate", ""),
        ("sla", "service_credit", "service_level"),
    ]


def test_the_terms_page_says_the_version_that_priced_the_statement_in_words(drill):
    _, body = page(signed_in(drill["alpha"]), drill["statement"], "terms/")
    for expected in [
        "Version 1",
        "<dd>2026-01</dd>",
        "<dd>GBP</dd>",
        "<dd>20%</dd>",
        "Fixed fee: GBP 10,000.00 a month",
        "Voice contacts handled: GBP 3.00 each up to 10,000; GBP 2.00 each above 10,000",
        "All contacts handled: GBP 0.10 each",
        "Service level (answered within threshold) below 80 → 5 % credit",
        "All contacts handled equals Voice contacts handled + Chat contacts handled, within 0.05 %",
        'class="sub code">contacts_total</span>',  # the code in small print beside the name
    ]:
        assert expected in body, expected
    assert "99,999.00" not in body  # the June version did not price January
    sources = re.findall(
        r'class="sub code">(\w+)</span></span></th> <td data-label="Measured by">(\w+)', body
    )
    assert sources == [
        ("contacts_voice", "Supplier"),
        ("contacts_total", "Supplier"),
        ("service_level", "Supplier"),
    ]


def test_the_statement_page_links_the_terms_and_every_line(drill):
    _, body = page(signed_in(drill["alpha"]), drill["statement"], "")
    number = drill["statement"].number
    assert f'href="/statements/{number}/terms/"' in body
    for line in (MGMT, VOICE, HANDLING, SLA):
        assert f'href="/statements/{number}/lines/{line}/"' in body
    assert f'href="/statements/{number}/lines/5/"' not in body


def test_a_fixed_fee_line_uses_no_kpi_and_shows_its_term(drill):
    response, body = page(signed_in(drill["alpha"]), drill["statement"], f"lines/{MGMT}/")
    assert "This line uses no KPI" in body
    assert "Fixed fee: GBP 10,000.00 a month" in body
    assert response.context["kpis"] == [] and response.context["batches"] == []


def shown(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("%", ""))


def test_a_sum_kpis_sites_add_up_to_the_value_it_was_priced_with(drill):
    response, body = page(signed_in(drill["alpha"]), drill["statement"], f"lines/{VOICE}/")
    [voice] = response.context["kpis"]
    priced = Decimal(drill["statement"].inputs["kpis"]["contacts_voice"]["value"])
    assert (voice["code"], voice["value"], voice["row_count"]) == ("contacts_voice", "14,200", 4)
    by_channel, by_site = voice["breakdowns"]
    assert [(row["label"], row["value"], row["row_count"]) for row in by_site["rows"]] == [
        ("cardiff", "6,100", 2),
        ("leeds", "8,100", 2),
    ]
    assert [(row["label"], row["value"]) for row in by_channel["rows"]] == [("voice", "14,200")]
    for breakdown in (by_channel, by_site):
        assert sum(shown(row["value"]) for row in breakdown["rows"]) == priced
        assert not breakdown["truncated"]
    # The rule naming the KPI, with the month's figures.
    assert "Held</span> this month: 20,705 against 14,200 + 6,500 = 20,700" in body


def test_a_total_kpi_says_it_is_reported_in_its_own_right_and_how_far_it_may_differ(drill):
    response, body = page(signed_in(drill["alpha"]), drill["statement"], f"lines/{HANDLING}/")
    [total] = response.context["kpis"]
    assert (total["code"], total["value"], total["one_figure"]) == ("contacts_total", "20,705", True)
    assert [(row["label"], row["value"]) for row in total["breakdowns"][0]["rows"]] == [
        ("(no channel)", "20,705")
    ]
    assert (
        "All contacts handled is reported in its own right: it is not added up from Voice contacts handled "
        "and Chat contacts handled, so the two can differ" in body
    )
    assert 'within 0.05 %. <span class="result result-met">Held</span>' in body


def test_a_ratio_kpis_sites_are_the_ratio_of_their_own_rows(drill):
    response, body = page(signed_in(drill["alpha"]), drill["statement"], f"lines/{SLA}/")
    [level] = response.context["kpis"]
    assert (level["code"], level["value"], level["numerator"], level["denominator"]) == (
        "service_level",
        "76.71%",
        "11,200",
        "14,600",
    )
    by_site = level["breakdowns"][1]
    assert [(row["label"], row["value"]) for row in by_site["rows"]] == [
        ("cardiff", "80.95%"),
        ("leeds", "73.49%"),
    ]
    assert "never an average" in body


def test_the_files_are_named_with_their_party_never_the_uploaders_name(drill):
    response, body = page(signed_in(drill["alpha"]), drill["statement"], f"lines/{VOICE}/")
    [batch] = response.context["batches"]
    assert (batch["file_name"], batch["party"], batch["status"], batch["rows_used"], batch["month_rows"]) == (
        "drill-2026-01.csv",
        "Buyer",
        "Accepted",
        4,
        10,
    )
    assert "drill-2026-01.csv" in body and "jane-procurement-buyer" not in body


def test_a_correction_after_issue_changes_neither_the_original_nor_its_files(drill):
    load_kpis(CARDIFF_FIX, name="drill-cardiff-fix.csv")
    adjustment = issue(
        statement_price_draft(contract_id=drill["contract"].pk, period=Period(2026, 1)),
        issue_date=date(2026, 3, 4),
    )
    client = signed_in(drill["alpha"])
    response, body = page(client, drill["statement"], f"lines/{VOICE}/")
    [voice] = response.context["kpis"]
    assert (voice["value"], voice["row_count"]) == ("14,200", 4)
    assert [(row["label"], row["value"]) for row in voice["breakdowns"][1]["rows"]] == [
        ("cardiff", "6,100"),
        ("leeds", "8,100"),
    ]
    assert "drill-cardiff-fix.csv" not in body
    voice_line = adjustment.lines.get(component_id="voice").position + 1
    response, body = page(client, adjustment, f"lines/{voice_line}/")
    [voice] = response.context["kpis"]
    assert voice["value"] == "13,100"  # Leeds 8,100 as first given + Cardiff 5,000 as restated
    assert [(row["label"], row["value"]) for row in voice["breakdowns"][1]["rows"]] == [
        ("cardiff", "5,000"),
        ("leeds", "8,100"),
    ]
    assert [b["file_name"] for b in response.context["batches"]] == [
        "drill-2026-01.csv",
        "drill-cardiff-fix.csv",
    ]


@pytest.mark.parametrize(
    "suffix",
    ["lines/0/", "lines/5/", "lines/10001/", "lines/99999999999999999999999999999/", "lines/-1/", "lines/x/"],
)
def test_a_line_the_statement_does_not_have_is_a_404(drill, suffix):
    response = signed_in(drill["alpha"]).get(f"/statements/{drill['statement'].number}/{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize("suffix", ["terms/", f"lines/{MGMT}/", f"lines/{VOICE}/", f"lines/{SLA}/"])
def test_another_supplier_gets_a_404_for_the_terms_and_every_line(drill, suffix):
    number = drill["statement"].number
    response = signed_in(drill["beta"]).get(f"/statements/{number}/{suffix}")
    assert response.status_code == 404
    body = response.content.decode()
    assert number not in body and "drill-2026-01.csv" not in body and "ACME-DRILL-001" not in body
    # …while Beta's own statement answers.
    for own in ("terms/", "lines/1/"):
        assert (
            signed_in(drill["beta"]).get(f"/statements/{drill['beta_jan'].number}/{own}").status_code == 200
        )


def test_a_lines_page_costs_the_same_queries_whatever_the_number_of_rows(drill):
    february = "".join(
        f"ACME-DRILL-001,,2026-02-{day:02d},contacts_voice,{100 + day},,,voice,{site}\n"
        f"ACME-DRILL-001,,2026-02-{day:02d},service_level,,{70 + day % 20},100,voice,{site}\n"
        for day in range(1, 29)
        for site in ("leeds", "cardiff", "york")
    )
    load_kpis(february + "ACME-DRILL-001,2026-02,,contacts_total,9000,,,,\n", name="drill-2026-02.csv")
    feb = issue(statement_price_draft(contract_id=drill["contract"].pk, period=Period(2026, 2)))
    client = signed_in(drill["alpha"])
    counts = []
    for statement in (drill["statement"], feb):
        with CaptureQueriesContext(connection) as queries:
            response, _ = page(client, statement, f"lines/{VOICE}/")
        counts.append(len(queries))
    assert response.context["kpis"][0]["row_count"] == 84
    assert counts[0] == counts[1], counts
