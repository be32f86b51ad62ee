"""Reads for billing: the live statement of a month, prior credits for earn-back, history."""

from __future__ import annotations

from django.db.models import QuerySet

from pricing.period import Period
from pricing.terms import ContractTerms, ServiceCredit

from .models import Statement


def live_statement(*, contract_id: int, period: Period) -> Statement | None:
    """The month's original statement that is not void (drafts included), or ``None``."""
    return (
        Statement.objects.filter(contract_id=contract_id, period=str(period), adjusts__isnull=True)
        .exclude(status=Statement.Status.VOID)
        .first()
    )


def earn_back_months(terms: ContractTerms) -> int:
    """The longest earn-back window of the terms (0 without earn-back)."""
    return max((c.earn_back_months or 0 for c in terms.components if isinstance(c, ServiceCredit)), default=0)


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
