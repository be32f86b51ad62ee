"""The monthly billing run, statement states, numbering, immutability, corrections, export."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from billing.immutability import ImmutableError
from billing.models import BillingRun, Statement, StatementLine
from billing.services import (
    BillingError,
    statement_approve,
    statement_issue,
    statement_mark_paid,
    statement_price_draft,
    statement_void,
    statements_issue_period,
)
from contracts.models import TermsVersion
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = Period(2026, 1), Period(2026, 2), Period(2026, 3)


def issue(statement, day=date(2026, 2, 3)):
    statement_approve(statement_id=statement.pk)
    return statement_issue(statement_id=statement.pk, issue_date=day)


def test_a_draft_has_lines_totals_flags_and_the_inputs_it_used(contract):
    batch = load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=JAN)
    # 10,000 + (1,000 × 3 + 500 × 2 = 4,000) = 14,000 charges; SL 78 < 80 → 5 % = −700
    assert [(line.kind, line.amount) for line in draft.lines.all()] == [
        ("fixed_fee", Decimal("10000.00")),
        ("unit_rate", Decimal("4000.00")),
        ("service_credit", Decimal("-700.00")),
    ]
    assert (draft.status, draft.net, draft.tax, draft.gross) == (
        "draft",
        Decimal("13300"),
        Decimal("2660"),
        Decimal("15960"),
    )
    assert draft.inputs["kpis"]["service_level"] == {
        "value": "78.0000000000",
        "numerator": "78",
        "denominator": "100",
        "batch_ids": [batch.batch.pk],
    }
    assert draft.inputs["terms"]["effective_from"] == "2026-01"
    assert draft.terms_version == TermsVersion.objects.get(contract=contract)


def test_rerunning_replaces_the_draft_and_flags_changed_inputs(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    first = statement_price_draft(contract_id=contract.pk, period=JAN)
    load_kpis(f"{contract.reference},2026-01,,contacts_voice,1600,,,voice,\n", name="fix.csv")
    second = statement_price_draft(contract_id=contract.pk, period=JAN)
    assert not Statement.objects.filter(pk=first.pk).exists()
    assert second.revision == first.revision + 1
    assert "inputs_changed" in [flag["code"] for flag in second.flags]
    assert list(Statement.objects.filter(contract=contract, period="2026-01")) == [second]


def test_rerunning_never_touches_approved_or_issued_statements(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=JAN)
    statement_approve(statement_id=draft.pk)
    assert statement_price_draft(contract_id=contract.pk, period=JAN).pk == draft.pk
    issued = statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    assert (
        statement_price_draft(contract_id=contract.pk, period=JAN) is None
    )  # nothing changed: no adjustment
    issued.refresh_from_db()
    assert (issued.status, issued.net) == ("issued", Decimal("13300.00"))


def test_issuing_numbers_are_gap_free_per_buyer_and_credit_notes_have_their_own_series(contract):
    other = load_contract("ACME-T-002", supplier="Other CX Ltd")
    for c in (contract, other):
        load_kpis(month(c.reference, "2026-01", 1500, 90), name=f"{c.reference}.csv")
    call_command("run_billing", "--period", "2026-01", stdout=StringIO(), stderr=StringIO())
    issued = statements_issue_period(period=JAN, issue_date=date(2026, 2, 3))
    assert [s.number for s in issued] == ["ACME-2026-000001", "ACME-2026-000002"]
    first = issued[0]
    assert first.buyer_details == {
        "name": "Acme Telecom plc",
        "code": "ACME",
        "address": "1 Exchange Sq\nLondon",
        "country": "GB",
        "vat_number": "GB123456782",
        "registration_number": "",
        "iban": "",
        "bic": "",
        "sort_code": "",
        "account_number": "",
        "remittance_email": "",
        "buyer_reference": "",
    }
    assert (first.issue_date, first.due_date) == (date(2026, 2, 3), date(2026, 3, 5))
    # A correction lowers January's volume: the credit note takes the first number of its own series.
    load_kpis(f"{contract.reference},2026-01,,contacts_voice,1000,,,voice,\n", name="fix.csv")
    note = statement_price_draft(contract_id=contract.pk, period=JAN)
    assert (note.document_type, note.adjusts, note.net) == ("credit_note", first, Decimal("-1000.00"))
    assert issue(note).number == "ACME-CN-2026-000001"


def test_states_must_be_followed(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=JAN)
    with pytest.raises(BillingError, match="only an approved statement can be issued"):
        statement_issue(statement_id=draft.pk)
    with pytest.raises(BillingError, match="only an issued statement can be paid"):
        statement_mark_paid(statement_id=draft.pk)
    issued = issue(draft)
    with pytest.raises(BillingError, match="a reason is required"):
        statement_void(statement_id=issued.pk, reason=" ")
    paid = statement_mark_paid(statement_id=issued.pk)
    assert paid.status == "paid" and paid.paid_at is not None
    assert statement_mark_paid(statement_id=issued.pk).paid_at == paid.paid_at  # paying twice changes nothing
    with pytest.raises(BillingError, match="only an issued statement can be voided"):
        statement_void(statement_id=issued.pk, reason="wrong")


def test_voiding_frees_the_month_for_a_replacement(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    issued = issue(statement_price_draft(contract_id=contract.pk, period=JAN))
    void = statement_void(statement_id=issued.pk, reason="billed to the wrong entity")
    assert (void.status, void.void_reason, void.number) == (
        "void",
        "billed to the wrong entity",
        "ACME-2026-000001",
    )
    replacement = statement_price_draft(contract_id=contract.pk, period=JAN)
    assert replacement.status == "draft" and replacement.pk != issued.pk


# --- immutability ---------------------------------------------------------------------------


@pytest.fixture
def issued(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    return issue(statement_price_draft(contract_id=contract.pk, period=JAN))


def test_the_model_layer_refuses_to_change_an_issued_statement(issued):
    issued.net = Decimal("1.00")
    with pytest.raises(ImmutableError, match="net cannot change"):
        issued.save()
    issued.refresh_from_db()
    with pytest.raises(ImmutableError):
        issued.delete()
    with pytest.raises(ImmutableError):
        Statement.objects.filter(pk=issued.pk).update(gross=Decimal(0))
    with pytest.raises(ImmutableError):
        Statement.objects.filter(pk=issued.pk).delete()
    issued.status = "draft"
    with pytest.raises(ImmutableError, match="cannot go from issued to draft"):
        issued.save()
    issued.refresh_from_db()
    issued.api_representation = issued.api_representation.replace("13300.00", "1.00")
    with pytest.raises(ImmutableError, match="api_representation cannot change"):
        issued.save()
    with pytest.raises(ImmutableError):
        Statement.objects.filter(pk=issued.pk).update(api_representation=None)
    issued.refresh_from_db()
    issued.supplier_id = issued.buyer_id
    with pytest.raises(ImmutableError, match="supplier cannot change"):
        issued.save()


def test_the_model_layer_refuses_to_change_lines_of_an_issued_statement(issued):
    line = issued.lines.first()
    line.amount = Decimal("0.01")
    with pytest.raises(ImmutableError):
        line.save()
    with pytest.raises(ImmutableError):
        line.delete()
    with pytest.raises(ImmutableError):
        StatementLine.objects.filter(statement=issued).update(amount=0)
    with pytest.raises(ImmutableError):
        StatementLine.objects.filter(statement=issued).delete()
    with pytest.raises(ImmutableError):
        StatementLine.objects.create(
            statement=issued, position=99, component_id="x", kind="fixed_fee", amount=1, explanation=""
        )
    assert issued.lines.count() == 3


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_statement SET net = 0 WHERE id = %s",
        "UPDATE billing_statement SET number = 'X-1' WHERE id = %s",
        "UPDATE billing_statement SET status = 'draft' WHERE id = %s",
        "UPDATE billing_statement SET api_representation = NULL WHERE id = %s",
        "UPDATE billing_statement SET supplier_id = buyer_id WHERE id = %s",
        "DELETE FROM billing_statement WHERE id = %s",
        "UPDATE billing_statementline SET amount = 0 WHERE statement_id = %s",
        "DELETE FROM billing_statementline WHERE statement_id = %s",
    ],
)
def test_postgresql_refuses_changes_below_the_orm(issued, sql):
    from django.db import DatabaseError, transaction

    with (
        pytest.raises(DatabaseError, match=r"cannot be|cannot go"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [issued.pk])
    issued.refresh_from_db()
    assert issued.net == Decimal("13300.00")


@pytest.mark.postgres
def test_postgresql_allows_the_permitted_transitions(issued):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_statement SET status = 'paid', paid_at = now() WHERE id = %s", [issued.pk]
        )
    issued.refresh_from_db()
    assert issued.status == "paid"


# --- corrections ----------------------------------------------------------------------------


def test_a_correction_with_no_difference_issues_nothing(issued, contract):
    load_kpis(f"{contract.reference},2026-01,,contacts_voice,1500,,,voice,\n", name="same.csv")
    assert statement_price_draft(contract_id=contract.pk, period=JAN) is None
    assert not issued.adjustments.exists()


def test_a_positive_correction_is_a_supplementary_invoice_replaced_when_repriced(issued, contract):
    load_kpis(f"{contract.reference},2026-01,,service_level,,85,100,voice,\n", name="sl.csv")
    first = statement_price_draft(contract_id=contract.pk, period=JAN)
    assert (first.document_type, first.net) == ("invoice", Decimal("700.00"))  # the credit is no longer due
    assert first.lines.get().explanation.startswith("Correction: was -700.00, now 0.00.")
    load_kpis(f"{contract.reference},2026-01,,service_level,,79,100,voice,\n", name="sl2.csv")
    assert statement_price_draft(contract_id=contract.pk, period=JAN) is None  # back to what was issued
    assert not issued.adjustments.exists()


def test_adjustments_build_on_earlier_issued_adjustments(issued, contract):
    load_kpis(f"{contract.reference},2026-01,,contacts_voice,1600,,,voice,\n", name="a.csv")
    issue(
        statement_price_draft(contract_id=contract.pk, period=JAN)
    )  # +200.00 (and the credit grows by 10.00)
    load_kpis(f"{contract.reference},2026-01,,contacts_voice,1700,,,voice,\n", name="b.csv")
    second = statement_price_draft(contract_id=contract.pk, period=JAN)
    assert [(line.kind, line.amount) for line in second.lines.all()] == [
        ("unit_rate", Decimal("200.00")),
        ("service_credit", Decimal("-10.00")),
    ]


def test_earn_back_pays_back_an_issued_credit(issued, contract):
    load_kpis(month(contract.reference, "2026-02", 1500, 85), name="feb.csv")
    february = statement_price_draft(contract_id=contract.pk, period=FEB)
    assert [(line.kind, line.amount) for line in february.lines.all()][-1] == ("earn_back", Decimal("700.00"))


# --- the run and the export -----------------------------------------------------------------


def test_one_contract_failing_does_not_stop_the_others(contract):
    broken = load_contract("ACME-T-002", supplier="Other CX Ltd")
    TermsVersion.objects.filter(contract=broken).update(effective_from="2026-06")
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    err = StringIO()
    with pytest.raises(CommandError, match="1 contract"):
        call_command("run_billing", "--period", "2026-01", stdout=StringIO(), stderr=err)
    assert "ACME-T-002: ACME-T-002: no terms version in force in 2026-01" in err.getvalue()
    run = BillingRun.objects.get()
    assert (run.total, run.done, run.failed, run.status) == (2, 2, 1, "failed")
    assert Statement.objects.filter(contract=contract, status="draft").exists()


def test_export_statements_json(issued, contract):
    out = StringIO()
    call_command("export_statements", "--period", "2026-01", "--status", "issued", stdout=out)
    assert json.loads(out.getvalue()) == [
        {
            "contract": "ACME-T-001",
            "period": "2026-01",
            "status": "issued",
            "number": "ACME-2026-000001",
            "document_type": "invoice",
            "currency": "GBP",
            "lines": [
                {
                    "component": "mgmt",
                    "kind": "fixed_fee",
                    "amount": "10000.00",
                    "explanation": "Fixed fee 10,000.00 for the month → 10,000.00",
                },
                {
                    "component": "voice",
                    "kind": "unit_rate",
                    "amount": "4000.00",
                    "explanation": "1,500 voice contacts handled, graduated bands: 1,000 × 3.00 = 3,000.00 + 500 × 2.00 = 1,000.00 → 4,000.00",
                },
                {
                    "component": "sla",
                    "kind": "service_credit",
                    "amount": "-700.00",
                    "explanation": "Service level (answered within threshold) 78 missed target 80; 5% of charges 14,000.00 → -700.00",
                },
            ],
            "net": "13300.00",
            "tax": "2660.00",
            "gross": "15960.00",
            "flags": [],
            "approved_by": None,
            "issued_by": None,
        }
    ]
    draft_only = StringIO()
    call_command("export_statements", "--period", "2026-01", "--status", "draft", stdout=draft_only)
    assert json.loads(draft_only.getvalue()) == []
