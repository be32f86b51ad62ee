"""Reads for the portal's queries: a statement's threads, badges, acknowledgement."""

from __future__ import annotations

from billing.models import Statement
from billing.permissions import visible_statements
from billing.query_selectors import (
    queried_statement_ids,
    query_adjustments,
    statement_acknowledgement,
    statement_queries,
)


def line_choices(statement: Statement) -> list[tuple[int, str]]:
    """The document's lines as (position, label) for the subject of a new query."""
    return [
        (
            line.position,
            f"Line {line.position}: {line.component_id} {line.kind}" + (f" ({line.kpi})" if line.kpi else ""),
        )
        for line in statement.lines.order_by("position")
    ]


def statement_query_page(*, user, statement: Statement) -> dict:
    """What the statement page shows of queries: each query with its thread and (accepted)
    the adjustment it led to, among the documents ``user`` may see; whether one is open; the
    acknowledgement and whether the document can be acknowledged or queried."""
    queries = list(statement_queries(statement=statement))
    adjustments = query_adjustments(queries, within=visible_statements(user))
    acknowledgement = statement_acknowledgement(statement=statement)
    frozen = statement.status in (Statement.Status.ISSUED, Statement.Status.PAID)
    return {
        "queries": [{"query": query, "adjustment": adjustments.get(query.pk)} for query in queries],
        "queried": any(query.is_open for query in queries),
        "can_query": frozen,
        "acknowledgement": acknowledgement,
        "can_acknowledge": frozen
        and acknowledgement is None
        and statement.contract.self_billing
        and statement.document_type == Statement.DocumentType.INVOICE,
        "line_choices": line_choices(statement),
    }


def queried_ids(statement_ids: list[int]) -> set[int]:
    """Which documents of a page have an open query (one query)."""
    return queried_statement_ids(statement_ids)
