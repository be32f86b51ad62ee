"""Buyer tenancy: which rows a user may see and change, the one place that decides it.

A procurement user (``Membership`` role procurement) acts for one buyer and sees that buyer's
rows only; a superuser sees every row; anyone else (staff without a procurement membership
included) sees none. Each admin and the API pass their queryset and the path from its model
to the contract's buyer; nothing else restates the rule.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Contract, Membership, Organisation

EVERYTHING = object()  # the scope of a superuser


def procurement_buyer_id(user) -> int | None:
    """The id of the buyer organisation ``user`` acts for as procurement, or None (no
    membership, another role, an anonymous or inactive user). Reads the membership already
    cached on the user where there is one."""
    if not getattr(user, "is_active", False):
        return None
    try:
        membership = user.membership
    except (Membership.DoesNotExist, AttributeError):
        return None
    if membership.role != Membership.Role.PROCUREMENT:
        return None
    return membership.organisation_id


def buyer_scope(user):
    """``EVERYTHING`` for an active superuser, else the procurement buyer id or None."""
    if getattr(user, "is_active", False) and getattr(user, "is_superuser", False):
        return EVERYTHING
    return procurement_buyer_id(user)


def for_buyer_scope(user, queryset: QuerySet, restrict) -> QuerySet:
    """``queryset`` for ``user``: unchanged for a superuser, ``restrict(queryset, buyer_id)``
    for a procurement user, empty for anyone else. For rows whose buyer is not one lookup away
    (a batch spanning contracts, a run kept by its buyer or by one contract's reference)."""
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return queryset
    if scope is None:
        return queryset.none()
    return restrict(queryset, scope)


def for_buyer_of(user, queryset: QuerySet, *, buyer_path: str) -> QuerySet:
    """``queryset`` restricted to the rows of the buyer ``user`` acts for.

    ``buyer_path`` is the lookup from the queryset's model to the buyer's id, e.g.
    ``"buyer_id"`` for contracts, ``"contract__buyer_id"`` for terms versions and statements.
    A superuser gets ``queryset`` unchanged; a user without a procurement membership gets
    ``queryset.none()``."""
    return for_buyer_scope(user, queryset, lambda rows, buyer_id: rows.filter(**{buyer_path: buyer_id}))


def contracts_for_buyer_of(user, queryset: QuerySet[Contract] | None = None) -> QuerySet[Contract]:
    """The contracts ``user`` may see (see :func:`for_buyer_of`)."""
    return for_buyer_of(user, Contract.objects.all() if queryset is None else queryset, buyer_path="buyer_id")


def organisations_for_buyer_of(
    user, queryset: QuerySet[Organisation] | None = None
) -> QuerySet[Organisation]:
    """The organisations ``user`` may see and change: its buyer, the suppliers the buyer has
    contracts with, and organisations that are nobody's yet (no contract, no member), so that
    a supplier created for a new contract can be chosen for it. Another buyer, that buyer's
    other suppliers and their members' organisations are never included."""
    queryset = Organisation.objects.all() if queryset is None else queryset
    scope = buyer_scope(user)
    if scope is EVERYTHING:
        return queryset
    if scope is None:
        return queryset.none()
    supplier_of_buyer = Contract.objects.filter(supplier_id=OuterRef("pk"), buyer_id=scope)
    in_any_contract = Contract.objects.filter(Q(supplier_id=OuterRef("pk")) | Q(buyer_id=OuterRef("pk")))
    has_members = Membership.objects.filter(organisation_id=OuterRef("pk"))
    return queryset.filter(
        Q(pk=scope) | Exists(supplier_of_buyer) | (~Exists(in_any_contract) & ~Exists(has_members))
    )


class BuyerScopedAdminMixin:
    """For a ``ModelAdmin`` or inline: rows, foreign-key choices and everything built on
    ``get_queryset`` (change, delete and history views, actions, list filters that read the
    admin's queryset, autocomplete) limited to the user's buyer by :func:`for_buyer_of`.

    ``buyer_path`` names the lookup to the buyer's id. A foreign key to a model whose admin is
    scoped too offers only the rows that admin shows, so another buyer's row is never a choice.
    """

    buyer_path: str = "buyer_id"

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def scope_queryset(self, request, queryset):
        return for_buyer_of(request.user, queryset, buyer_path=self.buyer_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if "queryset" not in kwargs and isinstance(related_admin, BuyerScopedAdminMixin):
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
