"""Accruals (billing.accruals): each method on known months, hand-computed; a KPI never
measured; a contract without terms; currencies apart; accrued against actual after issue;
the command's JSON and CSV; and nothing written."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.accruals import accruals_report
from billing.models import Statement, StatementEvent, StatementLine
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Component, Contract, Membership, Organisation, TermsVersion
from contracts.services import contract_import_content
from pricing.period import Period

from .conftest import CONTRACT, load_contract, load_kpis, month

pytestmark = pytest.mark.django_db

APRIL, MARCH = Period(2026, 4), Period(2026, 3)
# voice contacts and service level (numerator, denominator) per month: the levels are 90 %,
# 70 % and 75 %, the first over ten times the contacts of the others.
MONTHS = {"2026-01": (1200, 900, 1000), "2026-02": (1500, 70, 100), "2026-03": (1800, 75, 100)}


def load_months(contract, months=MONTHS):
    for period, (voice, numerator, denominator) in months.items():
        load_kpis(
            month(contract.reference, period, voice, numerator, denominator),
            name=f"{contract.reference}-{period}.csv",
        )


def issue(contract, period: Period):
    draft = statement_price_draft(contract_id=contract.pk, period=period)
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=period.next().first_day.replace(day=3))


def row_of(report, reference):
    (row,) = [row for row in report["contracts"] if row["contract"] == reference]
    return row


def amounts(row, key="accrued"):
    return {c["component"]: c[key] for c in row["components"]}


def kpi(row, code):
    (estimate,) = [k for k in row["kpis"] if k["kpi"] == code]
    return estimate


@pytest.fixture
def contract():
    contract = load_contract()
    load_months(contract)
    return contract


# Terms (conftest.CONTRACT): a fee of 10,000.00; voice at 3.00 for the first 1,000 contacts
# and 2.00 beyond; a credit of 5 % of charges when the service level is below 80; tax 20 %.


def test_last_prices_the_latest_measured_month(contract):
    row = row_of(accruals_report(period=APRIL, method="last"), contract.reference)
    # March: 1,800 contacts → 3,000 + 1,600 = 4,600; charges 14,600; 75 < 80 → 5 % = -730.
    assert amounts(row) == {"mgmt": "10000.00", "voice": "4600.00", "sla": "-730.00"}
    assert row["accrued"] == {"net": "13870.00", "tax": "2774.00", "gross": "16644.00"}
    assert (row["estimate"], row["method"], row["actual"], row["difference"]) == (True, "last", None, None)
    assert all(c["estimate"] is True and c["method"] == "last" for c in row["components"])
    assert kpi(row, "contacts_voice") == {
        "kpi": "contacts_voice",
        "value": "1800",
        "source": "last",
        "months": ["2026-03"],
        "note": "",
    }
    assert kpi(row, "service_level")["months"] == ["2026-03"]


def test_average_3_takes_a_ratio_of_the_summed_parts(contract):
    row = row_of(accruals_report(period=APRIL, method="average_3"), contract.reference)
    # Voice: (1,200 + 1,500 + 1,800) / 3 = 1,500 → 3,000 + 1,000 = 4,000. Service level:
    # 1,045 / 1,200 = 87.08 %, met (the mean of the monthly levels, 78.33 %, would have missed).
    assert amounts(row) == {"mgmt": "10000.00", "voice": "4000.00", "sla": "0.00"}
    assert row["accrued"]["net"] == "14000.00"
    level = kpi(row, "service_level")
    assert (level["value"], level["months"]) == ("87.0833333333", ["2026-03", "2026-02", "2026-01"])
    assert "numerators" in level["note"]
    assert Decimal(kpi(row, "contacts_voice")["value"]) == 1500


def test_target_prices_each_kpi_at_its_target_and_says_when_there_is_none(contract):
    row = row_of(accruals_report(period=APRIL, method="target"), contract.reference)
    # Service level at its target 80: met. Voice has no target: March's 1,800 → 4,600.
    assert amounts(row) == {"mgmt": "10000.00", "voice": "4600.00", "sla": "0.00"}
    assert row["accrued"]["net"] == "14600.00"
    assert (kpi(row, "service_level")["value"], kpi(row, "service_level")["source"]) == ("80", "target")
    voice = kpi(row, "contacts_voice")
    assert (voice["source"], voice["months"]) == ("last", ["2026-03"])
    assert "no target in the terms" in voice["note"]


def test_the_months_own_kpis_are_not_used(contract):
    load_months(contract, {"2026-04": (100, 10, 100)})
    row = row_of(accruals_report(period=APRIL, method="last"), contract.reference)
    assert kpi(row, "contacts_voice")["months"] == ["2026-03"]
    assert row["accrued"]["net"] == "13870.00"


def test_a_kpi_never_measured_is_priced_as_not_measured():
    contract = load_contract("ACME-T-002")
    load_kpis(f"{contract.reference},2026-03,,contacts_voice,1500,,,voice,\n", name="voice.csv")
    row = row_of(accruals_report(period=APRIL, method="average_3"), contract.reference)
    level = kpi(row, "service_level")
    assert (level["value"], level["source"], level["months"]) == (None, "not measured", [])
    # Not measured is missed: 5 % of charges 14,000.00.
    assert amounts(row)["sla"] == "-700.00"
    assert "kpi_not_measured" in row["flags"]
    assert "only 1 measured month" in kpi(row, "contacts_voice")["note"]


def test_a_contract_without_terms_in_force_is_skipped_with_its_reason(contract):
    bare = load_contract("ACME-T-003")
    TermsVersion.objects.filter(contract=bare).delete()
    report = accruals_report(period=APRIL, method="last")
    assert [row["contract"] for row in report["contracts"]] == [contract.reference]
    assert report["skipped"] == [{"contract": "ACME-T-003", "reason": "no terms version in force in 2026-04"}]


def test_currencies_are_totalled_apart(contract):
    content = CONTRACT.format(
        reference="ACME-E-001", supplier="Euro CX GmbH", buyer_code="ACME", buyer_name="Acme Telecom plc"
    ).replace("currency: GBP", "currency: EUR")
    contract_import_content(file_name="ACME-E-001.yaml", content=content.encode())
    load_months(Contract.objects.get(reference="ACME-E-001"))
    report = accruals_report(period=APRIL, method="last")
    assert row_of(report, "ACME-E-001")["currency"] == "EUR"
    assert sorted(report["totals"]) == ["EUR", "GBP"]
    for currency in ("EUR", "GBP"):
        assert report["totals"][currency]["contracts"] == 1
        assert report["totals"][currency]["accrued"]["net"] == "13870.00"


def test_once_issued_the_month_shows_accrued_against_actual(contract):
    issued = issue(contract, MARCH)
    report = accruals_report(period=MARCH, method="last")
    row = row_of(report, contract.reference)
    # Accrued from February: 1,500 contacts → 4,000, charges 14,000, 70 < 80 → -700; net 13,300.
    # Billed: 1,800 → 4,600, charges 14,600, 75 < 80 → -730; net 13,870.
    assert amounts(row) == {"mgmt": "10000.00", "voice": "4000.00", "sla": "-700.00"}
    assert amounts(row, "actual") == {"mgmt": "10000.00", "voice": "4600.00", "sla": "-730.00"}
    assert amounts(row, "difference") == {"mgmt": "0.00", "voice": "600.00", "sla": "-30.00"}
    assert row["actual"] == {
        "documents": [issued.number],
        "net": "13870.00",
        "tax": "2774.00",
        "gross": "16644.00",
    }
    assert row["difference"] == {"net": "570.00", "tax": "114.00", "gross": "684.00"}
    compared = report["totals"]["GBP"]["compared"]
    assert (compared["contracts"], compared["difference"]["net"], compared["absolute_difference"]) == (
        1,
        "570.00",
        "570.00",
    )
    assert compared["error_percent"] == "4.11"  # 570 / 13,870


def test_an_issued_adjustment_counts_in_the_actual(contract):
    original = issue(contract, MARCH)
    load_kpis(month(contract.reference, "2026-03", 2000, 75), name="late.csv")
    adjustment = issue(contract, MARCH)
    assert adjustment.adjusts_id == original.pk
    row = row_of(accruals_report(period=MARCH, method="last"), contract.reference)
    # 2,000 contacts → 5,000; charges 15,000; -750: net 14,250, of which the original billed 13,870.
    assert row["actual"]["documents"] == [original.number, adjustment.number]
    assert amounts(row, "actual") == {"mgmt": "10000.00", "voice": "5000.00", "sla": "-750.00"}
    assert row["actual"]["net"] == "14250.00"


def test_accruing_writes_no_statement_line_or_event(contract):
    issue(contract, MARCH)
    before = [
        set(model.objects.values_list("pk", flat=True))
        for model in (Statement, StatementLine, StatementEvent)
    ]
    for method in ("last", "average_3", "target"):
        accruals_report(period=APRIL, method=method)
        accruals_report(period=MARCH, method=method)
    call_command("accrue", "--period", "2026-04", "--method", "last", stdout=io.StringIO())
    after = [
        set(model.objects.values_list("pk", flat=True))
        for model in (Statement, StatementLine, StatementEvent)
    ]
    assert after == before
    assert not Statement.objects.filter(period="2026-04").exists()


def test_the_command_prints_json_and_csv(contract):
    out = io.StringIO()
    call_command("accrue", "--period", "2026-04", "--method", "last", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["version"], report["period"], report["method"]) == (1, "2026-04", "last")
    out = io.StringIO()
    call_command("accrue", "--period", "2026-04", "--method", "last", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["contract"], r["component"], r["accrued"], r["estimate"]) for r in rows] == [
        (contract.reference, "mgmt", "10000.00", "true"),
        (contract.reference, "voice", "4600.00", "true"),
        (contract.reference, "sla", "-730.00", "true"),
    ]
    assert rows[0]["gl_code"] == "" and rows[0]["actual"] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13", "--method", "last"], "not a valid period"),
        (["--period", "April", "--method", "last"], "not a period"),
        (["--period", "2026-04", "--method", "last", "--user", "nobody"], "no active user"),
        (["--period", "0001-01", "--method", "last"], "accruals start in 1900"),
    ],
)
def test_the_command_refuses_bad_arguments(contract, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("accrue", *args, stdout=io.StringIO())


def test_the_command_refuses_a_suppliers_user(contract):
    user = User.objects.create_user("northwind")
    Membership.objects.create(user=user, organisation=contract.supplier, role="supplier")
    with pytest.raises(CommandError, match="finance and procurement"):
        call_command(
            "accrue", "--period", "2026-04", "--method", "last", "--user", "northwind", stdout=io.StringIO()
        )


def test_the_number_of_queries_does_not_grow_with_the_contracts(contract, django_assert_max_num_queries):
    issue(contract, MARCH)
    with CaptureQueriesContext(connection) as one:
        accruals_report(period=MARCH, method="average_3")
    for index in range(2, 5):
        other = load_contract(f"ACME-T-10{index}")
        load_months(other)
        issue(other, MARCH)
    with django_assert_max_num_queries(len(one.captured_queries)):
        report = accruals_report(period=MARCH, method="average_3")
    assert len(report["contracts"]) == 4


def test_the_command_with_a_user_accrues_only_its_buyers_contracts(contract):
    load_contract("GLOBEX-T-001", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    user = User.objects.create_user("finance-globex")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code="GLOBEX"), role="finance")
    out = io.StringIO()
    call_command("accrue", "--period", "2026-04", "--method", "last", "--user", "finance-globex", stdout=out)
    assert [row["contract"] for row in json.loads(out.getvalue())["contracts"]] == ["GLOBEX-T-001"]


def test_gl_code_and_cost_centre_are_read_from_the_components_parameters(contract):
    component = Component.objects.get(version__contract=contract, component_id="voice")
    component.params = {**component.params, "gl_code": "5100", "cost_centre": "CC-VOICE"}
    component.save()
    voice = [
        c
        for c in row_of(accruals_report(period=APRIL, method="last"), contract.reference)["components"]
        if c["component"] == "voice"
    ]
    assert (voice[0]["gl_code"], voice[0]["cost_centre"]) == ("5100", "CC-VOICE")
