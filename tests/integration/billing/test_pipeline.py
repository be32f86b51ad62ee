"""Pricing a month is one pipeline (load, price, save) whatever the month's state: a chunk of
drafts and a chunk of corrections each take the same number of queries for 3 contracts as for
30, corrections priced in a chunk are the ones priced one at a time, and the writer names every
column of the tables it writes."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.bulk import JSON_COLUMNS, LINE_COLUMNS, PLAIN_COLUMNS, STATEMENT_COLUMNS
from billing.models import Statement, StatementLine
from billing.services import statement_approve, statement_issue, statements_price
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = pytest.mark.django_db
JAN = Period(2026, 1)


def contracts_of_january(count: int, prefix: str, service_level: int = 78):
    contracts = [
        load_contract(f"{prefix}-{n:03d}", supplier=f"{prefix.replace('-', '')}{n} Contact Ltd")
        for n in range(count)
    ]
    load_kpis(
        "".join(month(c.reference, "2026-01", 1200 + 10 * n, service_level) for n, c in enumerate(contracts))
    )
    return [c.pk for c in contracts]


def queries_of(contract_ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = statements_price(contract_ids=contract_ids, period=JAN)
    assert all(isinstance(r, Statement) for r in result.values()), result
    return len(queries)


def issue(contract_ids: list[int]) -> None:
    for statement in Statement.objects.filter(contract_id__in=contract_ids, period="2026-01", status="draft"):
        statement_approve(statement_id=statement.pk)
        statement_issue(statement_id=statement.pk, issue_date=date(2026, 2, 3))


def test_a_chunk_of_drafts_takes_the_same_queries_for_3_and_for_30_contracts():
    few, many = contracts_of_january(3, "Q-FEW"), contracts_of_january(30, "Q-MANY")
    assert queries_of(few) == queries_of(many)  # new drafts
    assert queries_of(few) == queries_of(many)  # the drafts replaced


def test_a_chunk_of_corrections_takes_the_same_queries_for_3_and_for_30_contracts():
    few, many = contracts_of_january(3, "A-FEW"), contracts_of_january(30, "A-MANY")
    statements_price(contract_ids=few + many, period=JAN)
    issue(few + many)
    late = Statement.objects.filter(contract_id__in=few + many).select_related("contract")
    load_kpis("".join(month(s.contract.reference, "2026-01", 1700, 85) for s in late), name="late.csv")
    assert queries_of(few) == queries_of(many)  # new draft adjustments
    assert queries_of(few) == queries_of(many)  # the draft adjustments replaced
    adjustments = Statement.objects.filter(contract_id__in=few + many, adjusts__isnull=False)
    assert adjustments.count() == 33 and set(adjustments.values_list("status", flat=True)) == {"draft"}


def _documents(contract_ids: list[int]) -> list[tuple]:
    """Each contract's January documents as far as their content goes, contract by contract."""
    rows = []
    for s in Statement.objects.filter(contract_id__in=contract_ids).order_by("contract_id", "revision"):
        lines = [
            (line.component_id, line.kind, line.kpi, line.amount, line.explanation) for line in s.lines.all()
        ]
        rows.append(
            (
                s.contract_id,
                s.revision,
                s.status,
                s.document_type,
                s.adjusts_id,
                s.net,
                s.tax,
                s.gross,
                s.flags,
                s.inputs,
                lines,
            )
        )
    return rows


def test_corrections_priced_in_a_chunk_are_the_ones_priced_one_at_a_time():
    chunk, alone = contracts_of_january(4, "C-CHUNK"), contracts_of_january(4, "C-ALONE")
    statements_price(contract_ids=chunk + alone, period=JAN)
    issue(chunk + alone)
    # An issued adjustment already billed part of the first contract of each group.
    load_kpis(
        month("C-CHUNK-000", "2026-01", 1500, 78) + month("C-ALONE-000", "2026-01", 1500, 78),
        name="first.csv",
    )
    statements_price(contract_ids=[chunk[0], alone[0]], period=JAN)
    issue([chunk[0], alone[0]])
    late = [
        (f"C-{group}-{n:03d}", 1200 + 10 * n + 300 * (n % 2), 70 + 5 * n)
        for group in ("CHUNK", "ALONE")
        for n in range(4)
    ]
    load_kpis(
        "".join(month(reference, "2026-01", voice, sl) for reference, voice, sl in late), name="late.csv"
    )
    in_chunk = statements_price(contract_ids=chunk, period=JAN)
    one_at_a_time = [statements_price(contract_ids=[cid], period=JAN)[cid] for cid in alone]
    assert [type(r) for r in in_chunk.values()] == [type(r) for r in one_at_a_time]

    def content(rows):  # ids and document numbers differ between the groups
        return [
            (*row[1:4], *row[5:8], [flag["code"] for flag in row[8]], row[9]["kpis"].keys(), row[10])
            for row in rows
        ]

    assert content(_documents(chunk)) == content(_documents(alone))
    adjustments = Statement.objects.filter(contract_id__in=chunk, status="draft")
    assert adjustments.count() >= 2 and all(a.adjusts_id for a in adjustments)


def test_the_writer_names_every_column_of_statements_and_lines():
    stored = [f.column for f in Statement._meta.concrete_fields]
    assert sorted(STATEMENT_COLUMNS) == sorted(stored)  # a new column must be written by the COPY path too
    assert len(set(STATEMENT_COLUMNS)) == len(STATEMENT_COLUMNS)
    assert set(JSON_COLUMNS) == {
        f.column for f in Statement._meta.concrete_fields if f.get_internal_type() == "JSONField"
    } - {"inputs"}
    assert not set(PLAIN_COLUMNS) & {"id", "inputs", "pdf", *JSON_COLUMNS}
    assert sorted(LINE_COLUMNS) == sorted(
        f.column for f in StatementLine._meta.concrete_fields if not f.primary_key
    )
