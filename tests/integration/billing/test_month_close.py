"""The month-close rows: each contract's month in the right stage, with what it is missing,
for the user's buyer only, in a constant number of queries."""

import dataclasses
import typing
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.month_close import (
    MonthCloseRow,
    month_close_counts,
    month_close_rows,
    month_close_select,
    month_close_total,
    terms_kpi_codes,
)
from billing.pdf import statement_pdf_store
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract, Membership
from contracts.selectors import terms_in_force_for_contracts
from contracts.services import contract_import_content
from kpis.services import kpi_batch_ingest
from pricing import components
from pricing.period import Period
from tests.integration.billing.conftest import HEADER, load_contract, load_kpis, month

pytestmark = pytest.mark.django_db

FEBRUARY = Period.parse("2026-02")
REQUIRED = ("contacts_voice", "service_level")  # what the conftest contract's terms read


def procurement_user(username: str, buyer) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=buyer, role="procurement")
    return User.objects.get(pk=user.pk)


def month_close_world() -> dict:
    """February for Acme's four contracts, one in each stage, and Globex's one draft:

    * ACME-1 has no KPI file (not priced, both KPIs missing);
    * ACME-2 has a file without service_level: a draft flagged kpi_not_measured;
    * ACME-3 is approved;
    * ACME-4 is issued with its PDF stored, and a supplier's change to it waits for review.
    """
    acme = [load_contract(f"ACME-{n}", "Alpha CX Ltd") for n in range(1, 5)]
    globex = load_contract("GLOBEX-1", "Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd")
    load_kpis("ACME-2,2026-02,,contacts_voice,1200,,,voice,\n", name="acme-2.csv")
    for contract in (acme[2], acme[3], globex):
        load_kpis(month(contract.reference, "2026-02", 1500, 85), name=f"{contract.reference}.csv")
    statements = {c.reference: statement_price_draft(contract_id=c.pk, period=FEBRUARY) for c in acme[1:]}
    statement_approve(statement_id=statements["ACME-3"].pk)
    statement_approve(statement_id=statements["ACME-4"].pk)
    statement_issue(statement_id=statements["ACME-4"].pk, issue_date=date(2026, 3, 2))
    statement_pdf_store(statement_id=statements["ACME-4"].pk)
    statement_price_draft(contract_id=globex.pk, period=FEBRUARY)
    supplier = User.objects.create_user("alpha-user")
    Membership.objects.create(user=supplier, organisation=acme[3].supplier, role="supplier")
    held = kpi_batch_ingest(
        file_name="late.csv",
        content=(HEADER + "ACME-4,2026-02,,contacts_voice,1600,,,voice,\n").encode(),
        source="api",
        uploaded_by=supplier,
    )
    assert held.status == "pending_review", held.errors
    return {
        "acme": acme,
        "globex": globex,
        "alice": procurement_user("alice", acme[0].buyer),
        "bob": procurement_user("bob", acme[0].buyer),
        "gloria": procurement_user("gloria", globex.buyer),
    }


@pytest.fixture
def world():
    return month_close_world()


def by_reference(rows: list[MonthCloseRow]) -> dict[str, MonthCloseRow]:
    return {row.contract.reference: row for row in rows}


def test_each_contract_is_in_its_stage_with_what_it_is_missing(world):
    rows = by_reference(month_close_rows(user=world["alice"], period=FEBRUARY))
    assert list(rows) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4"]
    stages = {ref: (row.stage, row.missing, len(row.batch_ids), row.pdf_stored) for ref, row in rows.items()}
    assert stages == {
        "ACME-1": ("unpriced", REQUIRED, 0, None),
        "ACME-2": ("draft", ("service_level",), 1, None),
        "ACME-3": ("approved", (), 1, None),
        "ACME-4": ("issued", (), 1, True),
    }
    assert [flag["code"] for flag in rows["ACME-2"].statement.flags] == ["kpi_not_measured"]
    assert rows["ACME-2"].flagged_drafts == (rows["ACME-2"].statement,)
    assert rows["ACME-4"].statement.number and rows["ACME-4"].pending_batches == 1
    assert {ref: row.pending_batches for ref, row in rows.items() if ref != "ACME-4"} == dict.fromkeys(
        ["ACME-1", "ACME-2", "ACME-3"], 0
    )


def test_flags_are_named_once_with_how_often_they_are_raised(world):
    statement_price_draft(contract_id=world["acme"][0].pk, period=FEBRUARY)  # no KPI at all
    rows = by_reference(month_close_rows(user=world["alice"], period=FEBRUARY))
    assert rows["ACME-1"].flag_counts == [("kpi_not_measured", 2)]
    assert rows["ACME-2"].flag_counts == [("kpi_not_measured", 1)]
    assert rows["ACME-3"].flag_counts == []


def test_another_buyers_contracts_never_appear_and_a_user_of_no_buyer_sees_none(world):
    assert [r.contract.reference for r in month_close_rows(user=world["gloria"], period=FEBRUARY)] == [
        "GLOBEX-1"
    ]
    staff = User.objects.create_user("staff", is_staff=True)
    assert month_close_rows(user=staff, period=FEBRUARY) == []
    root = User.objects.create_superuser("root", "root@example.test", "pw")
    assert len(month_close_rows(user=root, period=FEBRUARY)) == 5


def test_filters_counts_and_sorts(world):
    rows = month_close_rows(user=world["alice"], period=FEBRUARY)

    def refs(**kwargs):
        return [row.contract.reference for row in month_close_select(rows, **kwargs)]

    # Each filter holds the rows in that stage, or with that condition in any stage.
    assert refs(state="missing") == ["ACME-1", "ACME-2"]
    assert refs(state="pending") == ["ACME-4"]
    assert refs(state="unpriced") == ["ACME-1"]
    assert refs(state="draft") == refs(state="flagged") == ["ACME-2"]
    assert refs(state="approved") == ["ACME-3"]
    assert refs(state="issued") == ["ACME-4"]
    assert month_close_counts(rows) == {
        "all": 4,
        "missing": 2,
        "pending": 1,
        "unpriced": 1,
        "draft": 1,
        "flagged": 1,
        "queried": 0,
        "approved": 1,
        "issued": 1,
    }
    # Sorts: reference either way; stage least advanced first; net with months not priced last.
    assert refs(order="-reference") == ["ACME-4", "ACME-3", "ACME-2", "ACME-1"]
    assert refs(order="-state") == ["ACME-4", "ACME-3", "ACME-2", "ACME-1"]
    nets = {row.contract.reference: row.statement.net for row in rows if row.statement}
    by_net = sorted(nets, key=lambda ref: (nets[ref], ref))
    assert refs(order="net") == [*by_net, "ACME-1"]
    assert refs(order="-net") == [*reversed(by_net), "ACME-1"]
    assert month_close_total(rows) == {"GBP": sum(nets.values())}


def test_an_issued_document_with_an_open_query_is_flagged_until_it_is_resolved(world):
    from billing.queries import statement_query_raise, statement_query_resolve

    acme_4 = world["acme"][3]
    issued = by_reference(month_close_rows(user=world["alice"], period=FEBRUARY))["ACME-4"].statement
    supplier = User.objects.get(username="alpha-user")
    query = statement_query_raise(statement_id=issued.pk, user=supplier, text="Why 1,500 calls?")
    rows = month_close_rows(user=world["alice"], period=FEBRUARY)
    assert [row.contract.reference for row in month_close_select(rows, state="queried")] == [acme_4.reference]
    assert by_reference(rows)["ACME-4"].queried_documents[0].pk == issued.pk
    assert month_close_counts(rows)["queried"] == 1
    statement_query_resolve(query_id=query.pk, user=world["alice"], resolution="explained", text="Counted.")
    assert month_close_counts(month_close_rows(user=world["alice"], period=FEBRUARY))["queried"] == 0


def test_an_issued_month_with_a_draft_adjustment_has_a_draft_to_approve(world):
    acme_4 = world["acme"][3]
    load_kpis(month("ACME-4", "2026-02", 1700, 85), name="correction.csv")
    adjustment = statement_price_draft(contract_id=acme_4.pk, period=FEBRUARY)
    assert adjustment.adjusts_id is not None
    row = by_reference(month_close_rows(user=world["alice"], period=FEBRUARY))["ACME-4"]
    assert row.stage == "draft" and row.adjustments == (adjustment,)
    assert row.documents == (row.statement, adjustment) and row.pdf_stored is True


def test_a_contract_without_terms_in_force_is_missing_its_terms(world):
    contract_import_content(file_name="late.yaml", content=LATE_TERMS.encode())
    row = by_reference(month_close_rows(user=world["alice"], period=FEBRUARY))["ACME-LATE"]
    assert (row.has_terms, row.required, row.stage) == (False, (), "unpriced")
    assert row.matches("missing")


# An Acme contract from January, with its terms versions to follow.
ACME_CONTRACT = """
title: Test care
buyer: {name: Acme Telecom plc, code: ACME, country: GB, vat_number: GB123456782}
supplier: {name: Alpha CX Ltd, country: GB}
currency: GBP
tax_rate: "20"
start: 2026-01-01
terms:
"""
LATE_TERMS = (
    "reference: ACME-LATE"
    + ACME_CONTRACT
    + """
  - effective_from: 2026-03
    components:
      - {id: mgmt, type: fixed_fee, amount: "100.00"}
"""
)


def test_the_rows_take_the_same_number_of_queries_for_3_and_30_contracts(db):
    def queries(count: int, offset: int) -> int:
        contracts = [load_contract(f"BULK-{offset + n:03d}") for n in range(count)]
        for contract in contracts[1:]:
            load_kpis(month(contract.reference, "2026-02", 1500, 85), name=f"{contract.reference}.csv")
            statement_price_draft(contract_id=contract.pk, period=FEBRUARY)
        Contract.objects.filter(pk__in=[c.pk for c in contracts]).update(title=f"group {offset}")
        user = User.objects.create_superuser(f"root{offset}", "r@example.test", "pw")
        with CaptureQueriesContext(connection) as captured:
            rows = month_close_rows(user=user, period=FEBRUARY)
            for row in rows:
                row.stage, row.contract.supplier.name, [d.approved_by for d in row.documents]
        assert len(rows) == count + offset
        return len(captured)

    assert queries(3, 0) == queries(27, 3)


def test_terms_kpi_codes_lists_every_kpi_the_components_read(db):
    contract_import_content(file_name="every-type.yaml", content=EVERY_TYPE.encode())
    contract = Contract.objects.get(reference="EVERY-TYPE")
    terms = terms_in_force_for_contracts(contracts=[contract], period=FEBRUARY)[contract.pk].terms
    # In component order, each field's as the dataclass lists them, each code once.
    assert terms_kpi_codes(terms) == (
        "contacts_voice",
        "cost_to_serve",
        "contacts_total",
        "retention_revenue",
        "customers_retained",
        "saves_reversed",
        "csat",
        "fcr",
        "service_level",
    )


# The design's example contract, one component of each type (a KPI named twice is listed once).
EVERY_TYPE = (
    "reference: EVERY-TYPE"
    + ACME_CONTRACT
    + """
  - effective_from: 2026-01
    components:
      - {id: mgmt, type: fixed_fee, amount: "15000.00"}
      - {id: voice, type: unit_rate, measure: contacts_voice, bands: [{up_to: null, price: "2.00"}]}
      - {id: savings, type: gain_share, baseline_unit_cost: "4.00", volume_measure: contacts_total,
         actual_measure: cost_to_serve, supplier_percent: "50"}
      - {id: uplift, type: revenue_share, baseline_amount: "120000.00",
         actual_measure: retention_revenue, supplier_percent: "10"}
      - {id: saves, type: outcome_fee, measure: customers_retained, fee: "25.00",
         clawback_measure: saves_reversed}
      - id: experience
        type: experience_bonus
        pool_percent: "3"
        kpis:
          - {kpi: csat, weight: 50, threshold: "80", target: "85", stretch: "90"}
          - {kpi: fcr, weight: 50, threshold: "70", target: "75", stretch: "80"}
      - id: sla
        type: service_credit
        at_risk_percent: "12"
        kpis:
          - {kpi: service_level, target: "80", credit_percent: "5"}
          - {kpi: csat, target: "80", credit_percent: "3"}
"""
)


def test_every_component_field_naming_a_kpi_follows_the_convention_terms_kpi_codes_reads():
    """A new component type that names a KPI under another field name would go unlisted."""
    for component_type in typing.get_args(components.Component):
        for field in dataclasses.fields(component_type):
            names_kpi = "kpi" in field.name or "measure" in field.name
            assert not names_kpi or field.name in ("measure", "kpis") or field.name.endswith("_measure"), (
                component_type.__name__,
                field.name,
            )
