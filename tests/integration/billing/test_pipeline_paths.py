"""The PostgreSQL-only paths of pricing a month give what their portable paths give, run on
PostgreSQL on the same data: the month's statement rows, the credit lines earn-back reads, the
terms in force, and the writer of new statements and lines."""

from datetime import date

import pytest
from django.db import transaction

from billing.bulk import NewStatement, drafts_delete, snapshot_json, write_statements
from billing.inputs import contract_months, credit_lines, statement_rows
from billing.models import Statement
from billing.services import statement_approve, statement_issue, statements_price
from contracts.models import Component, TermsVersion
from contracts.selectors import versions_in_force
from pricing import price_period
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
JAN, FEB = Period(2026, 1), Period(2026, 2)


@pytest.fixture
def issued_january():
    """Three contracts with service credits in January, the first two issued, the third a
    draft; the first with a second terms version from February."""
    contracts = [load_contract(f"ACME-P-{n}", supplier=f"P{n} Contact Ltd") for n in range(3)]
    load_kpis("".join(month(c.reference, "2026-01", 1200 + 100 * n, 70 + n) for n, c in enumerate(contracts)))
    january = statements_price(contract_ids=[c.pk for c in contracts], period=JAN)
    for contract in contracts[:2]:
        statement_approve(statement_id=january[contract.pk].pk)
        statement_issue(statement_id=january[contract.pk].pk, issue_date=date(2026, 2, 3))
    later = TermsVersion.objects.create(contract=contracts[0], effective_from="2026-02")
    for position, component_id in ((2, "late"), (1, "early")):
        Component.objects.create(
            version=later,
            position=position,
            component_id=component_id,
            type="fixed_fee",
            params={"amount": "5.00"},
        )
    return [c.pk for c in contracts]


@pytest.mark.database_path("billing.statement_rows")
def test_the_statement_rows_of_both_paths_agree(issued_january):
    statements_price(contract_ids=issued_january, period=FEB)
    for months in (["2026-01", "2026-02"], ["2026-01"], ["2025-12"]):
        rows = statement_rows.postgresql(issued_january, months)
        assert sorted(rows) == sorted(statement_rows.portable(issued_january, months))
    assert len(statement_rows.postgresql(issued_january, ["2026-01", "2026-02"])) == 6


@pytest.mark.database_path("billing.credit_lines")
def test_the_credit_lines_of_both_paths_agree(issued_january):
    lines = credit_lines.postgresql(issued_january, "2026-01")
    assert lines == credit_lines.portable(issued_january, "2026-01")  # in the same order
    assert {contract_id for contract_id, *_ in lines} == set(issued_january[:2])  # issued documents only
    assert (
        credit_lines.postgresql(issued_january, "2026-02")
        == credit_lines.portable(issued_january, "2026-02")
        == []
    )


@pytest.mark.database_path("contracts.terms_in_force")
def test_the_terms_in_force_of_both_paths_agree(issued_january):
    for period in (Period(2025, 12), JAN, FEB):
        assert versions_in_force.postgresql(issued_january, period) == versions_in_force.portable(
            issued_january, period
        )
    latest, components = versions_in_force.postgresql(issued_january, FEB)
    assert [c[1] for c in components if c[0] == latest[issued_january[0]][0]] == ["early", "late"]


def _written(write, new: list[NewStatement]) -> tuple[list, list]:
    """What ``write`` stores for ``new`` and returns, read back, then rolled back."""
    with transaction.atomic():
        returned = write(new)
        stored = Statement.objects.filter(pk__in=[s.pk for s in returned]).order_by("contract_id")
        fields = [
            f.attname
            for f in Statement._meta.concrete_fields
            if f.attname not in ("id", "created_at", "updated_at")
        ]
        rows = [
            (
                [getattr(s, name) for name in fields],
                [
                    (
                        line.position,
                        line.component_id,
                        line.kind,
                        line.kpi,
                        line.amount,
                        line.explanation,
                        line.detail,
                    )
                    for line in s.lines.all()
                ],
                None not in (s.created_at, s.updated_at),
            )
            for s in stored
        ]
        given = [[getattr(s, name) for name in fields] + [s._state.adding] for s in returned]
        transaction.set_rollback(True)
    return rows, given


@pytest.mark.database_path("billing.write_statements")
def test_the_writers_of_both_paths_store_the_same_statements(issued_january):
    months = {m.contract.pk: m for m in contract_months(contract_ids=issued_january, period=JAN)}
    drafts_delete(statement_ids=[months[issued_january[2]].live.pk], adjusting=[])  # replaced, as a run does
    new = []
    for contract_id in issued_january:
        loaded, m = months[contract_id].inputs, months[contract_id]
        new.append(
            NewStatement(
                contract=m.contract,
                period=JAN,
                revision=m.revision,
                terms_version_id=loaded.version_id,
                billing_run_id=None,
                priced=price_period(loaded.inputs),
                flags=[{"code": "x", "message": "ü"}],
                inputs=loaded.snapshot,
                inputs_json=snapshot_json(loaded.snapshot, loaded.components_json),
                adjusts=m.live if m.billed is not None else None,
            )
        )
    copied, bulk_created = (
        _written(write_statements.postgresql, new),
        _written(write_statements.portable, new),
    )
    assert copied == bulk_created
    rows, _ = copied
    assert len(rows) == 3 and all(lines for _, lines, _ in rows)
    assert write_statements.postgresql([]) == write_statements.portable([]) == []
