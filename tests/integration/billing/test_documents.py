"""Statement documents: the bulk builder and the in-memory one agree, and the PostgreSQL path
that reads rows by a list of ids gives the portable path's rows."""

from datetime import date

import pytest

from billing.documents import CONTRACTS, LINES, STATEMENT_INPUTS, STATEMENTS, document, documents, rows_by_ids
from billing.models import Statement
from billing.serializers import FROZEN
from billing.services import statement_approve, statement_issue, statement_mark_paid, statement_price_draft
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def statements(db):
    """An issued and paid January, its credit note, and a February draft."""
    contract = load_contract()
    load_kpis(month(contract.reference, "2026-01", 1500, 78), name="jan.csv")
    january = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=january.pk)
    statement_issue(statement_id=january.pk, issue_date=date(2026, 2, 3))
    statement_mark_paid(statement_id=january.pk, paid_at="2026-03-01T10:00:00Z")
    load_kpis(month(contract.reference, "2026-01", 1000, 78), name="fix.csv")
    credit = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=credit.pk)
    statement_issue(statement_id=credit.pk, issue_date=date(2026, 3, 4))
    load_kpis(month(contract.reference, "2026-02", 1600, 82), name="feb.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 2))
    return [january.pk, credit.pk, draft.pk]


def test_a_statement_in_memory_is_the_document_of_its_row(statements):
    by_id = documents(statements, with_scorecard=True)
    for statement in Statement.objects.filter(pk__in=statements):
        assert document(statement, with_scorecard=True) == by_id[statement.pk]
    january, credit, draft = (by_id[pk] for pk in statements)
    assert (january.status, credit.document_type, credit.adjusts, draft.number) == (
        "paid",
        "credit_note",
        january.number,
        None,
    )
    assert january.scorecard and {row.code for row in january.scorecard} >= {"service_level"}
    assert documents(statements)[january.id].scorecard is None
    assert documents([]) == {} and documents([max(statements) + 1000]) == {}


def test_documents_take_the_same_number_of_queries_for_one_statement_or_many(
    statements, django_assert_num_queries
):
    with django_assert_num_queries(4):
        documents(statements[:1])
    with django_assert_num_queries(4):
        documents(statements)
    with django_assert_num_queries(6):
        documents(statements, with_scorecard=True)


@pytest.mark.postgres
@pytest.mark.database_path("billing.rows_by_ids")
@pytest.mark.parametrize("query", [STATEMENTS, STATEMENT_INPUTS, CONTRACTS, LINES, FROZEN])
def test_rows_by_ids_are_the_same_rows_with_the_ids_as_one_array(statements, query):
    contract_ids = list(Statement.objects.filter(pk__in=statements).values_list("contract_id", flat=True))
    ids = contract_ids if query is CONTRACTS else statements
    for chosen in (ids, ids[:1], [*ids, max(ids) + 1000]):  # the compiled SQL runs again with other ids
        fast, portable = rows_by_ids.postgresql(query, chosen), rows_by_ids.portable(query, chosen)
        if query is not LINES:  # the lines are ordered; the others are keyed by their first column
            fast, portable = sorted(fast, key=lambda row: row[0]), sorted(portable, key=lambda row: row[0])
        assert fast == portable and fast
        assert all(isinstance(row, tuple) for row in fast)
