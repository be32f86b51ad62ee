"""Drafts written in bulk (``COPY`` on PostgreSQL) read back as they were priced, and the
database refuses new lines on issued statements however they are inserted."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from billing import inputs, services
from billing.models import BillingRun, Statement, StatementLine
from billing.services import statement_approve, statement_issue, statements_price
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db
JAN, FEB = Period(2026, 1), Period(2026, 2)
STORED = (
    "contract_id",
    "period",
    "revision",
    "terms_version_id",
    "billing_run_id",
    "status",
    "document_type",
    "adjusts_id",
    "replaces_id",
    "number",
    "currency",
    "net",
    "tax",
    "gross",
    "tax_rate",
    "flags",
    "inputs",
    "buyer_details",
    "supplier_details",
    "issue_date",
    "due_date",
    "void_reason",
    "pdf_sha256",
    "created_at",
    "updated_at",
    "approved_at",
)


def test_a_chunk_of_drafts_reads_back_as_priced():
    contracts = [load_contract(f"ACME-B-{n}", supplier=f"S{n} Contact Ltd") for n in range(3)]
    load_kpis("".join(month(c.reference, "2026-01", 1200 + 300 * n, 78 + n) for n, c in enumerate(contracts)))
    load_kpis(month(contracts[0].reference, "2026-02", 5000, 90), name="feb.csv")
    run = BillingRun.objects.create(period="2026-02")
    january = statements_price(contract_ids=[c.pk for c in contracts], period=JAN)
    priced = statements_price(contract_ids=[c.pk for c in contracts], period=FEB, billing_run_id=run.pk)
    for contract in contracts:
        statement = priced[contract.pk]
        stored = Statement.objects.get(pk=statement.pk)
        assert {name: getattr(stored, name) for name in STORED} == {
            name: getattr(statement, name) for name in STORED
        }
        assert (stored.status, stored.number, stored.pdf.name, stored.billing_run_id) == (
            "draft",
            None,
            "",
            run.pk,
        )
        assert stored.inputs["terms"]["version_id"] == stored.terms_version_id
        # The one-month earn-back window: January's values, as January's draft saw them.
        assert stored.inputs["kpi_history"] == {
            "2026-01": {code: kpi["value"] for code, kpi in january[contract.pk].inputs["kpis"].items()}
        }
        lines = list(stored.lines.all())
        assert [line.position for line in lines] == list(range(len(lines)))
        assert sum(line.amount for line in lines) == stored.net
    first = Statement.objects.get(pk=priced[contracts[0].pk].pk)
    assert [(line.kind, line.amount, line.detail != {}) for line in first.lines.all()] == [
        ("fixed_fee", Decimal("10000.00"), True),
        ("unit_rate", Decimal("11000.00"), True),
    ]
    assert first.inputs["kpis"]["contacts_voice"] == {
        "value": "5000",
        "numerator": None,
        "denominator": None,
        "batch_ids": [first.inputs["kpis"]["contacts_voice"]["batch_ids"][0]],
    }
    # 10,000 + 3,000 + 8,000 in February against 10,000 + 3,000 + 400 − 670 in January.
    assert (first.net, january[contracts[0].pk].net) == (Decimal("21000.00"), Decimal("12730.00"))
    # January's credits are on a draft: February's earn-back of them waits for its issue.
    assert [flag["code"] for flag in first.flags] == ["earn_back_pending", "net_changed"]
    # The other two were not measured in February: flagged, and credited as missed.
    second = Statement.objects.get(pk=priced[contracts[1].pk].pk)
    assert "kpi_not_measured" in [flag["code"] for flag in second.flags]
    assert second.inputs["kpis"] == {}


def test_a_rerun_replaces_drafts_in_bulk_and_keeps_revisions_rising():
    contracts = [load_contract(f"ACME-R-{n}", supplier=f"R{n} Contact Ltd") for n in range(2)]
    load_kpis("".join(month(c.reference, "2026-01", 1500, 85) for c in contracts))
    ids = [c.pk for c in contracts]
    first = statements_price(contract_ids=ids, period=JAN)
    statement_approve(statement_id=first[ids[1]].pk)
    second = statements_price(contract_ids=ids, period=JAN)
    assert second[ids[0]].revision == first[ids[0]].revision + 1
    assert not Statement.objects.filter(pk=first[ids[0]].pk).exists()
    assert second[ids[1]].pk == first[ids[1]].pk  # approved: left as it is
    assert Statement.objects.get(pk=first[ids[1]].pk).status == "approved"


def test_a_conflicting_write_is_an_integrity_error_and_the_run_records_it(monkeypatch):
    contracts = [load_contract(f"ACME-C-{n}", supplier=f"C{n} Contact Ltd") for n in range(2)]
    load_kpis("".join(month(c.reference, "2026-01", 1500, 85) for c in contracts))
    ids = [c.pk for c in contracts]
    first = statements_price(contract_ids=ids, period=JAN)
    # As if the month's statements had not been read: the new drafts collide with the stored ones.
    monkeypatch.setattr(inputs, "_statements_of_months", lambda contract_ids, period: ({}, {}, {}))
    with pytest.raises(IntegrityError):
        statements_price(contract_ids=ids, period=JAN)
    run = BillingRun.objects.create(period="2026-01", total=2)
    services.billing_run_price_chunk(run_id=run.pk, contract_ids=ids)
    run.refresh_from_db()
    assert (run.done, run.failed) == (2, 2)
    assert set(run.errors.values()) == {"could not be saved for 2026-01; run it again"}
    assert set(Statement.objects.filter(period="2026-01").values_list("pk", flat=True)) == {
        first[cid].pk for cid in ids
    }


@pytest.fixture
def issued_and_draft():
    contracts = [load_contract(f"ACME-I-{n}", supplier=f"I{n} Contact Ltd") for n in range(2)]
    load_kpis("".join(month(c.reference, "2026-01", 1500, 78) for c in contracts))
    drafts = statements_price(contract_ids=[c.pk for c in contracts], period=JAN)
    issued = drafts[contracts[0].pk]
    statement_approve(statement_id=issued.pk)
    return statement_issue(statement_id=issued.pk, issue_date=date(2026, 2, 3)), drafts[contracts[1].pk]


INSERT = (
    "INSERT INTO billing_statementline (statement_id, position, component_id, kind, kpi, amount, "
    "explanation, detail) VALUES (%s, 90, 'x', 'fixed_fee', '', 1, '', '{}'), "
    "(%s, 91, 'x', 'fixed_fee', '', 1, '', '{}')"
)


@pytest.mark.postgres
def test_postgresql_refuses_new_lines_on_an_issued_statement_below_the_orm(issued_and_draft):
    import psycopg

    issued, draft = issued_and_draft
    before = StatementLine.objects.count()
    with (
        pytest.raises(DatabaseError, match="cannot be changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(INSERT, [issued.pk, issued.pk])
    # One issued line among draft lines refuses the whole insert.
    with (
        pytest.raises(DatabaseError, match="cannot be changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(INSERT, [draft.pk, issued.pk])
    with (
        pytest.raises(psycopg.errors.RaiseException, match="cannot be changed"),  # raw psycopg cursor
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY billing_statementline (statement_id, position, component_id, kind, kpi, amount, "
            "explanation, detail) FROM STDIN"
        ) as copy,
    ):
        copy.write_row((draft.pk, 95, "x", "fixed_fee", "", Decimal(1), "", "{}"))
        copy.write_row((issued.pk, 95, "x", "fixed_fee", "", Decimal(1), "", "{}"))
    assert StatementLine.objects.count() == before


@pytest.mark.postgres
def test_postgresql_accepts_new_lines_on_a_draft(issued_and_draft):
    _issued, draft = issued_and_draft
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [draft.pk, draft.pk])
    assert list(draft.lines.filter(position__gte=90).values_list("position", flat=True)) == [90, 91]
