"""Reads of suppliers' queries and acknowledgements (written by :mod:`billing.queries`)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from .models import Statement, StatementAcknowledgement, StatementQuery


def open_query_exists() -> Exists:
    """An ``Exists`` for a statement query set: whether the document has an open query (no
    parameter of its own, so the finance API's compiled id query keeps the ids its only one)."""
    return Exists(StatementQuery.objects.filter(statement_id=OuterRef("pk"), resolved_at__isnull=True))


def queried_statement_ids(statement_ids: Iterable[int]) -> set[int]:
    """Which of ``statement_ids`` have an open query (one query)."""
    return set(
        StatementQuery.objects.filter(statement_id__in=list(statement_ids), resolved_at__isnull=True)
        .values_list("statement_id", flat=True)
        .distinct()
    )


def statement_queries(*, statement: Statement) -> QuerySet[StatementQuery]:
    """The document's queries, oldest first, with their lines, actors and threads."""
    return (
        StatementQuery.objects.filter(statement=statement)
        .select_related("raised_by", "resolved_by")
        .prefetch_related("messages__author")
        .order_by("raised_at", "pk")
    )


def query_adjustments(
    queries: Iterable[StatementQuery], *, within: QuerySet[Statement] | None = None
) -> dict:
    """For each accepted query (by id), the adjustment of its month created after it was
    accepted that is not void (the newest such), from ``within`` (the documents the reader
    may see; all statements when ``None``), or ``None`` while there is none. A draft adjustment
    is deleted and re-created when its month is priced again, so the link is found, not kept."""
    accepted = [q for q in queries if q.status == StatementQuery.Status.ACCEPTED]
    if not accepted:
        return {}
    statements = Statement.objects.all() if within is None else within
    found = {}
    for query in accepted:
        statement = query.statement
        found[query.pk] = (
            statements.filter(
                contract_id=statement.contract_id,
                period=statement.period,
                adjusts__isnull=False,
                created_at__gte=query.resolved_at,
            )
            .exclude(status=Statement.Status.VOID)
            .order_by("-revision")
            .first()
        )
    return found


def statement_acknowledgement(*, statement: Statement) -> StatementAcknowledgement | None:
    return (
        StatementAcknowledgement.objects.filter(statement=statement).select_related("acknowledged_by").first()
    )


def agreed_line_id(query_id: int) -> str:
    """The component id of the line an agreed amount is priced as (at most 50 characters)."""
    return f"query-{query_id}"


def agreed_amounts(*, contract_ids: list[int], period: str) -> dict[int, list[tuple[int, Decimal, str]]]:
    """Per contract, the amounts agreed on accepted queries of ``period``'s documents, as
    (query id, amount, subject), oldest query first (one query)."""
    found: dict[int, list[tuple[int, Decimal, str]]] = {}
    rows = (
        StatementQuery.objects.filter(
            statement__contract_id__in=contract_ids,
            statement__period=period,
            status=StatementQuery.Status.ACCEPTED,
            agreed_amount__isnull=False,
        )
        .order_by("pk")
        .values_list("statement__contract_id", "pk", "agreed_amount", "subject")
    )
    for contract_id, query_id, amount, subject in rows:
        found.setdefault(contract_id, []).append((query_id, amount, subject))
    return found
