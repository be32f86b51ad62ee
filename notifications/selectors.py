"""Reads for notifications: who receives an event's email, and a user's choices."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from billing.models import Statement
from contracts.models import Membership

from .models import KIND_ROLES, NotificationKind, NotificationPreference


def notification_recipients(*, kind: str, statement: Statement) -> QuerySet:
    """The users who receive ``kind``'s email about ``statement``, in primary-key order:
    active users with an email address whose membership is the kind's role (``KIND_ROLES``)
    at the statement's contract supplier (supplier kinds) or buyer (procurement kinds), and
    who have not turned the kind off. No one else, staff and superusers included.

    Raises ``KeyError`` for an unknown kind."""
    role = KIND_ROLES[NotificationKind(kind)]
    organisation_id = (
        statement.contract.supplier_id if role == Membership.Role.SUPPLIER else statement.contract.buyer_id
    )
    turned_off = NotificationPreference.objects.filter(user=OuterRef("pk"), kind=kind, enabled=False)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__role=role,
            membership__organisation_id=organisation_id,
        )
        .exclude(email="")
        .exclude(Exists(turned_off))
        .order_by("pk")
    )


def notification_kinds_for(*, user) -> list[NotificationKind]:
    """The kinds ``user`` can receive, by its membership's role (none without a membership)."""
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        return []
    return [kind for kind, role in KIND_ROLES.items() if role == membership.role]


def notification_preferences(*, user) -> dict[str, bool]:
    """``user``'s choice for each kind it can receive (``notification_kinds_for``): True unless
    turned off."""
    off = set(NotificationPreference.objects.filter(user=user, enabled=False).values_list("kind", flat=True))
    return {str(kind): kind not in off for kind in notification_kinds_for(user=user)}
