"""Reads for billing: the live statement of a month, prior credits for earn-back, history,
dead billing runs."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from pricing.components.credits import earn_back_window
from pricing.period import Period
from pricing.result import WAITING_FLAGS
from pricing.terms import ContractTerms

from .models import BillingRun, Statement, StatementEvent, stale_after


def live_statement(*, contract_id: int, period: Period) -> Statement | None:
    """The month's original statement that is not void (drafts included), or ``None``."""
    return (
        Statement.objects.filter(contract_id=contract_id, period=str(period), adjusts__isnull=True)
        .exclude(status=Statement.Status.VOID)
        .first()
    )


def earn_back_months(terms: ContractTerms) -> int:
    """The longest earn-back window of the terms (0 without earn-back)."""
    return earn_back_window(terms.components)


def statements_waiting(*, statements) -> list[str]:
    """Why each of ``statements`` that read an earlier month without an issued document is
    not final (its ``earn_back_pending``, ``settlement_pending`` and ``rolling_cap_pending``
    flags): ``"REF 2026-04: <the flag's message>"``, for the run's warning."""
    return [
        f"{statement.contract.reference} {statement.period}: {flag['message']}"
        for statement in statements
        for flag in statement.flags
        if flag.get("code") in WAITING_FLAGS
    ]


def statements_for_period(*, period: Period, status: str = "all") -> QuerySet[Statement]:
    """Statements of ``period`` ordered by contract reference: ``issued`` (issued, paid and void
    documents), ``draft`` (drafts and approved), or ``all``."""
    statements = Statement.objects.filter(period=str(period)).select_related("contract", "adjusts")
    if status == "issued":
        statements = statements.filter(status__in=["issued", "paid", "void"])
    elif status == "draft":
        statements = statements.filter(status__in=["draft", "approved"])
    # Revisions grow with time, so an original comes before the adjustments that correct it.
    return statements.prefetch_related("lines").order_by("contract__reference", "revision")


def billing_runs_stale(*, period: Period | None = None) -> QuerySet[BillingRun]:
    """Runs (of ``period``, or of any month) that are dead: marked ``stale``, or still
    ``running`` with no heartbeat for ``BILLING_RUN_STALE_AFTER`` seconds, newest first."""
    cutoff = timezone.now() - stale_after()
    runs = BillingRun.objects.filter(
        Q(status=BillingRun.Status.STALE)
        | Q(status=BillingRun.Status.RUNNING)
        & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    )
    if period is not None:
        runs = runs.filter(period=str(period))
    return runs.order_by("-created_at")


def document_of(statement_id: int) -> int:
    """The ``document_id`` of ``statement_id``'s history: that of its first event, or its own id."""
    root = (
        StatementEvent.objects.filter(statement_id=statement_id).values_list("document_id", flat=True).first()
    )
    return statement_id if root is None else root


def statement_events(
    *, statement: Statement, kinds: tuple[str, ...] | None = None
) -> QuerySet[StatementEvent]:
    """The history of ``statement``'s document (across the drafts it replaced), oldest first,
    with each actor; only ``kinds`` when given."""
    events = StatementEvent.objects.filter(document_id=document_of(statement.pk)).select_related("actor")
    if kinds is not None:
        events = events.filter(kind__in=kinds)
    return events.order_by("at", "pk")


def statement_pdfs_stored(*, statement_ids: list[int]) -> int:
    """How many of the statements have their PDF stored (one query): the progress of a month's
    PDFs on the workers."""
    return Statement.objects.filter(pk__in=statement_ids).exclude(pdf="").count()
