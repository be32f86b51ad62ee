"""Who sees which issued documents: the one place that decides it for the API."""

from django.db.models import QuerySet

from .models import Statement

VISIBLE_STATUSES = ("issued", "paid", "void")


def visible_statements(user) -> QuerySet[Statement]:
    """Issued documents ``user`` may see: procurement (view permission) all, a finance user its
    buyer's, a supplier user its own; anyone else none. Drafts are never visible here."""
    statements = Statement.objects.filter(status__in=VISIBLE_STATUSES)
    if user.has_perm("billing.view_statement"):
        return statements
    membership = getattr(user, "membership", None)
    if membership is None:
        return statements.none()
    if membership.role == "supplier":
        return statements.filter(contract__supplier=membership.organisation)
    return statements.filter(contract__buyer=membership.organisation)


def can_record_payments(user) -> bool:
    membership = getattr(user, "membership", None)
    return user.has_perm("billing.change_statement") or (
        membership is not None and membership.role == "finance"
    )
