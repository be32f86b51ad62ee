"""Multi-month terms through billing: earlier months' documents loaded per chunk and kept in
the snapshot, a quarter's true-up after three issued months, and an earn-back that waits for
an earlier month's issue and is priced again when it comes."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.services import (
    statement_approve,
    statement_issue,
    statement_price_draft,
    statements_price,
)
from contracts.models import Contract
from contracts.services import contract_import_content
from pricing.period import Period

from .conftest import CONTRACT, load_contract, load_kpis, month

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = Period(2026, 1), Period(2026, 2), Period(2026, 3)

SETTLED = CONTRACT.replace(
    "      - id: sla\n",
    '      - {{id: uplift, type: revenue_share, baseline_amount: "100000.00", actual_measure: retention_revenue,\n'
    '         supplier_percent: "10", settlement: {{period: quarter, provisional_percent: "80"}}}}\n'
    "      - id: sla\n",
).replace(
    "        earn_back_months: 1\n",
    '        earn_back_months: 1\n        rolling_cap_percent: "4"\n        excess: carry_forward\n',
)


def load_settled(reference="ACME-Q-001") -> Contract:
    content = SETTLED.format(
        reference=reference, supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    contract_import_content(file_name=f"{reference}.yaml", content=content.encode())
    return Contract.objects.get(reference=reference)


def revenue(reference, period, amount):
    return f"{reference},{period},,retention_revenue,{amount},,,,\n"


def issue(statement, day):
    statement_approve(statement_id=statement.pk)
    return statement_issue(statement_id=statement.pk, issue_date=day)


def lines_of(statement):
    return [(line.kind, line.amount) for line in statement.lines.order_by("position")]


def test_a_quarter_is_trued_up_after_three_issued_months(django_capture_on_commit_callbacks):
    contract = load_settled()
    ref = contract.reference
    # Charges 10,000 + 1,000 × 3 + 500 × 2 = 14,000 each month; service level met (no credit).
    # Revenue 130,000, 90,000, 140,000 against 100,000 a month: 10 % of the period's uplift
    # 60,000 = 6,000; on account 80 % of 3,000, nothing, 80 % of 4,000 = 5,600; true-up 400.
    for period, amount in (("2026-01", 130000), ("2026-02", 90000), ("2026-03", 140000)):
        load_kpis(month(ref, period, 1500, 90) + revenue(ref, period, amount), name=f"{period}.csv")
    with django_capture_on_commit_callbacks(execute=True):
        for period, day in ((JAN, date(2026, 2, 3)), (FEB, date(2026, 3, 3))):
            issue(statement_price_draft(contract_id=contract.pk, period=period), day)
    march = statement_price_draft(contract_id=contract.pk, period=MAR)
    assert lines_of(march) == [
        ("fixed_fee", Decimal("10000.00")),
        ("unit_rate", Decimal("4000.00")),
        ("revenue_share", Decimal("3200.00")),
        ("true_up", Decimal("400.00")),
    ]
    true_up = march.lines.get(kind="true_up")
    assert "paid on account 2026-01 2,400.00 + 2026-03 3,200.00 = 5,600.00" in true_up.explanation
    # The snapshot records what was read: the two issued months' lines and charges, and the
    # KPI values of the quarter's earlier months.
    assert march.inputs["prior_charges"] == {"2026-01": "14000.00", "2026-02": "14000.00"}
    assert {(line["period"], line["kind"], line["amount"]) for line in march.inputs["prior_lines"]} >= {
        ("2026-01", "revenue_share", "2400.00"),
    }
    assert sorted(march.inputs["kpi_history"]) == ["2026-01", "2026-02"]
    assert march.inputs["kpi_history"]["2026-02"]["retention_revenue"] == "90000"
    assert not [flag for flag in march.flags if flag["code"].endswith("_pending")]


def test_earlier_documents_are_loaded_once_per_chunk():
    contracts = [load_settled(f"ACME-Q-00{i}") for i in range(1, 4)]
    text = "".join(month(c.reference, p, 1500, 70) for c in contracts for p in ("2026-01", "2026-02"))
    load_kpis(text)
    for contract in contracts:
        issue(statement_price_draft(contract_id=contract.pk, period=JAN), date(2026, 2, 3))

    def queries(ids):
        with CaptureQueriesContext(connection) as captured:
            statements_price(contract_ids=ids, period=FEB)
        return len(captured.captured_queries)

    # The same queries for one contract as for two (each priced here for the first time).
    assert queries([contracts[0].pk]) == queries([c.pk for c in contracts[1:]])
    # Each contract's rolling cap read its own January: January's 700 credit (5 % of 14,000)
    # was levied up to 4 % of 14,000 = 560, 140 carried. February's room: 4 % of 28,000 =
    # 1,120 − 560 = 560: January's 140 first, then 420 of February's 700 (280 carried).
    for contract in contracts:
        february = contract.statements.get(period="2026-02")
        assert february.inputs["prior_charges"] == {"2026-01": "14000.00"}
        credits = [
            (line.amount, line.detail.get("origin"))
            for line in february.lines.order_by("position")
            if line.kind == "service_credit"
        ]
        assert credits == [(Decimal("-140.00"), "2026-01"), (Decimal("-420.00"), None)]
        assert (
            february.lines.filter(kind="service_credit").last().detail["carried"]
            == "2026-02|service_level|280.00"
        )


def test_earn_back_waits_for_the_earlier_month_and_is_priced_again_when_it_is_issued(
    django_capture_on_commit_callbacks,
):
    contract = load_contract()
    ref = contract.reference
    load_kpis(month(ref, "2026-01", 1500, 70) + month(ref, "2026-02", 1500, 90))
    january = statement_price_draft(contract_id=contract.pk, period=JAN)
    february = statement_price_draft(contract_id=contract.pk, period=FEB)
    # January's 5 % credit (−700) is on a draft: February cannot read it, says so, pays nothing.
    waiting = [flag for flag in february.flags if flag["code"] == "earn_back_pending"]
    assert waiting and "2026-01" in waiting[0]["message"]
    assert "earn_back" not in [kind for kind, _ in lines_of(february)]
    with django_capture_on_commit_callbacks(execute=True):
        issue(january, date(2026, 2, 3))
    repriced = contract.statements.get(period="2026-02", status="draft")
    assert repriced.pk != february.pk
    assert ("earn_back", Decimal("700.00")) in lines_of(repriced)
    assert "earn_back_pending" not in [flag["code"] for flag in repriced.flags]


def test_billing_back_months_at_once_warns_of_the_waiting_earn_back():
    contract = load_contract()
    load_kpis(month(contract.reference, "2026-01", 1500, 70) + month(contract.reference, "2026-02", 1500, 90))
    err = StringIO()
    for period in ("2026-01", "2026-02"):
        call_command("run_billing", "--period", period, stdout=StringIO(), stderr=err)
    assert (
        "waiting: ACME-T-001 2026-02: sla: the earn-back of 2026-01's credits waits for 2026-01 to be issued"
        in err.getvalue()
    )


def test_the_admin_run_page_warns_of_drafts_waiting_for_an_earlier_month(admin_client):
    contract = load_contract()
    load_kpis(month(contract.reference, "2026-01", 1500, 70) + month(contract.reference, "2026-02", 1500, 90))
    statement_price_draft(contract_id=contract.pk, period=JAN)
    response = admin_client.post(
        reverse("admin:billing_billingrun_run"), {"period": "2026-02", "contract": ""}, follow=True
    )
    shown = [str(message) for message in response.context["messages"]]
    assert any(
        text.startswith(
            "1 draft(s) wait for an earlier month's issue: ACME-T-001 2026-02: sla: the earn-back"
        )
        for text in shown
    ), shown
