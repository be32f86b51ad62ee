"""Reads for the supplier portal.

Every query here starts from :func:`billing.permissions.visible_statements`, so a document
the user may not see is simply not found (the views turn that into a 404, never a 403).
Drafts and approved statements are never visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from billing.documents import ScorecardRow, StatementDocument, documents
from billing.models import Statement
from billing.permissions import visible_statements
from billing.statement_context import statement_pdf_context
from contracts.models import Kpi, Membership
from core.formatting import kpi_display
from pricing.period import Period

from .charts import trend_chart
from .queries import statement_query_page

PAGE_SIZE = 25
TREND_MONTHS = 12


def portal_access(user) -> bool:
    """Whether ``user`` may use the portal: a signed-in member of a supplier organisation.

    Finance users use the finance API and procurement the admin; anyone else (no membership)
    sees nothing here."""
    membership = getattr(user, "membership", None)
    return bool(
        user.is_authenticated and membership is not None and membership.role == Membership.Role.SUPPLIER
    )


def portal_statements(*, user) -> QuerySet[Statement]:
    """The issued, paid and void documents ``user`` may see, newest period first."""
    return visible_statements(user).order_by("-period", "contract__reference", "revision")


def statement_filter_choices(*, user) -> dict[str, list[str]]:
    """The periods (newest first) and contract references among ``user``'s documents, in one query."""
    pairs = set(visible_statements(user).values_list("period", "contract__reference").distinct())
    return {
        "periods": sorted({period for period, _ in pairs}, reverse=True),
        "contracts": sorted({reference for _, reference in pairs}),
    }


def statement_list(
    *, user, period: str = "", status: str = "", document_type: str = "", contract: str = ""
) -> QuerySet[Statement]:
    """``user``'s documents narrowed by the filters given (an empty filter does not narrow)."""
    statements = portal_statements(user=user)
    if period:
        statements = statements.filter(period=period)
    if status:
        statements = statements.filter(status=status)
    if document_type:
        statements = statements.filter(document_type=document_type)
    if contract:
        statements = statements.filter(contract__reference=contract)
    return statements


@dataclass(frozen=True, slots=True)
class CurrencyBalance:
    """The gross totals of a list's documents in one currency (Decimals as summed, at most the
    currency's places; credit notes count negative): ``outstanding`` issued and not yet paid,
    ``overdue`` the part of it past its due date, ``paid`` recorded as paid. Void documents
    count in none of them."""

    currency: str
    documents: int
    outstanding: Decimal
    overdue: Decimal
    paid: Decimal


def statement_balances(*, statements: QuerySet[Statement], today: date) -> list[CurrencyBalance]:
    """Per currency (by code), the balances of ``statements`` (a :func:`statement_list`, so the
    list's filters apply), summed by the database in one query; never added across currencies.
    A document is overdue when it is issued, unpaid and its due date is before ``today``
    (due today is not overdue yet)."""
    issued = Q(status=Statement.Status.ISSUED)
    rows = (
        statements.order_by()
        .values("currency")
        .annotate(
            documents=Count("pk"),
            outstanding=Sum("gross", filter=issued),
            overdue=Sum("gross", filter=issued & Q(due_date__lt=today)),
            paid=Sum("gross", filter=Q(status=Statement.Status.PAID)),
        )
        .order_by("currency")
    )
    zero = Decimal(0)
    return [
        CurrencyBalance(
            currency=str(row["currency"]),
            documents=row["documents"],
            outstanding=row["outstanding"] or zero,
            overdue=row["overdue"] or zero,
            paid=row["paid"] or zero,
        )
        for row in rows
    ]


def statement_documents(statement_ids: list[int]) -> list[StatementDocument]:
    """The documents of ``statement_ids`` (a page of :func:`statement_list`), in that order."""
    by_id = documents(statement_ids)
    return [by_id[pk] for pk in statement_ids]


def statement_for_user(*, user, number: str) -> Statement | None:
    """The document numbered ``number`` if ``user`` may see it, else ``None``."""
    return visible_statements(user).filter(number=number).first()


def _month_snapshots(*, user, statement: Statement, periods: list[Period]) -> dict[str, dict]:
    """Per period, the KPI values of the latest visible, not void document of the contract.

    Adjustments carry the corrected month's values and come after the original (a higher
    revision), so they win. Values come only from documents ``user`` may see, never from
    KPI rows of months not yet issued."""
    rows = (
        visible_statements(user)
        .filter(contract_id=statement.contract_id, period__in=[str(p) for p in periods])
        .exclude(status=Statement.Status.VOID)
        .order_by("period", "revision")
        .values_list("period", "inputs")
    )
    return {period: inputs.get("kpis", {}) for period, inputs in rows}


def _value(snapshot: dict, code: str) -> Decimal | None:
    raw = (snapshot.get(code) or {}).get("value")
    return None if raw is None else Decimal(raw)


def kpi_trends(*, user, statement: Statement, scorecard: tuple[ScorecardRow, ...]) -> list[dict]:
    """A 12-month trend per KPI of the statement's month, up to and including its period.

    KPIs with a target (the scorecard) come first, then the others by name. A month with no
    visible document, or where the KPI was not measured, is a gap (``None``), never zero. Values
    and the target are the KPI's display text (its unit's places, as the scorecard's table);
    the chart is :func:`portal.charts.trend_chart` on the catalogue's scale of the KPI."""
    end = Period.parse(statement.period)
    periods = [end.shift(-offset) for offset in range(TREND_MONTHS - 1, -1, -1)]
    snapshots = _month_snapshots(user=user, statement=statement, periods=periods)
    targets = {row.code: row.target for row in scorecard}
    codes = set(statement.inputs.get("kpis", {})) | set(targets)
    catalogue = {kpi.code: kpi for kpi in Kpi.objects.filter(code__in=codes)}
    ordered = [code for code in targets if code in catalogue] + sorted(
        (code for code in catalogue if code not in targets), key=lambda code: catalogue[code].name
    )
    trends = []
    currency = str(statement.currency)
    for code in ordered:
        kpi = catalogue[code]

        def shown(value: Decimal | None, kpi=kpi) -> str | None:
            return None if value is None else kpi_display(value, kpi.unit, currency=currency)

        points = [(str(period), _value(snapshots.get(str(period), {}), code)) for period in periods]
        measured = [(label, value) for label, value in points if value is not None]
        target = targets.get(code)
        trends.append(
            {
                "code": code,
                "name": kpi.name,
                "unit": kpi.get_unit_display(),
                "lower_is_better": kpi.direction == Kpi.Direction.LOWER_IS_BETTER,
                "target": shown(target),
                "first": str(periods[0]),
                "last": str(periods[-1]),
                "measured": len(measured),
                "latest": shown(measured[-1][1]) if measured else None,
                "rows": [{"period": label, "value": shown(value)} for label, value in points],
                "chart": trend_chart(
                    points,
                    target,
                    unit=kpi.unit,
                    scale_min=kpi.min_value,
                    scale_max=kpi.max_value,
                    currency=currency,
                ),
            }
        )
    return trends


def statement_page(*, user, statement: Statement) -> dict:
    """Everything the statement page shows: the PDF's context of its document (lines, totals,
    scorecard), the document itself (status, void reason, what it replaces), the linked
    documents ``user`` may see, and the KPI trends."""
    document = documents([statement.pk], with_scorecard=True)[statement.pk]
    context = statement_pdf_context(document=document)
    visible = visible_statements(user).order_by("revision")
    context.update(
        {
            "document": document,
            "adjusts_visible": visible.filter(pk=statement.adjusts_id).exists()
            if statement.adjusts_id
            else False,
            "adjustments": list(
                visible.filter(adjusts=statement).values("number", "document_type", "status")
            ),
            "replaces_visible": visible.filter(pk=statement.replaces_id).exists()
            if statement.replaces_id
            else False,
            "replacements": list(visible.filter(replaces=statement).values("number", "status")),
            "trends": kpi_trends(user=user, statement=statement, scorecard=document.scorecard),
            **statement_query_page(user=user, statement=statement),
        }
    )
    return context
