"""Which contracts a user may submit KPI files for: the one place that decides it.

The same rule serves the command line (no user: every contract), the admin upload and the
API, and ingestion applies it before anything else, so a file naming a contract its submitter
does not act for learns no more than a file naming a contract that does not exist.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from contracts.models import Contract, Membership
from contracts.tenancy import for_buyer_scope

from .models import KpiBatch, KpiResult


class NotActingForAnyone(Exception):
    """The user is not a superuser and acts for no organisation."""


def kpi_party(user) -> tuple[str, int | None]:
    """The party a KPI file of ``user`` comes from, with its organisation's id: ``supplier``
    for a supplier user, ``buyer`` for a buyer's finance or procurement user, ``operator`` for
    the command line (no user) or anyone acting for no organisation."""
    membership = getattr(user, "membership", None) if user is not None else None
    if membership is None:
        return "operator", None
    party = "supplier" if membership.role == Membership.Role.SUPPLIER else "buyer"
    return party, membership.organisation_id


def kpi_submittable_contract_ids(*, user) -> QuerySet | None:
    """Ids of the contracts ``user`` may submit KPI results for (a lazy query, used as a
    subquery); ``None`` means every contract.

    A superuser: every contract. A membership decides next, whatever permissions the user
    also holds: a supplier user its organisation's contracts as supplier, a finance or
    procurement user its organisation's contracts as buyer (as ``contracts.tenancy`` scopes
    procurement's admin). Raises ``NotActingForAnyone`` for anyone else, staff without a
    membership included: permissions alone name no party.
    """
    if user.is_superuser:
        return None
    membership = getattr(user, "membership", None)
    if membership is not None:
        contracts = Contract.objects.all()
        if membership.role == Membership.Role.SUPPLIER:
            contracts = contracts.filter(supplier_id=membership.organisation_id)
        else:
            contracts = contracts.filter(buyer_id=membership.organisation_id)
        return contracts.values_list("pk", flat=True)
    raise NotActingForAnyone("your account does not act for an organisation")


def batches_for_buyer_of(user, queryset: QuerySet[KpiBatch] | None = None) -> QuerySet[KpiBatch]:
    """The batches ``user`` may see and review: for a procurement user, those whose every row
    is of its buyer's contracts (a batch that also holds another buyer's rows would show that
    buyer's references); for a superuser, all of them; for anyone else, none."""
    results = KpiResult.objects.filter(batch_id=OuterRef("pk"))
    return for_buyer_scope(
        user,
        KpiBatch.objects.all() if queryset is None else queryset,
        lambda batches, buyer_id: batches.filter(
            Exists(results.filter(contract__buyer_id=buyer_id)),
            ~Exists(results.exclude(contract__buyer_id=buyer_id)),
        ),
    )


def openable_batch_ids(user, ids) -> set[int]:
    """The batches among ``ids`` whose page ``user`` may open (:func:`batches_for_buyer_of`):
    a file that also holds another buyer's rows is named where it is used, not linked."""
    ids = set(ids)
    return set(batches_for_buyer_of(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def batches_submitted_for(user) -> QuerySet[KpiBatch]:
    """The batches submitted for the organisation ``user`` acts for (by any of its members),
    newest first: what a supplier sees of its own submissions, their review included. Every
    batch for a superuser; none for anyone else."""
    batches = KpiBatch.objects.select_related("uploaded_by", "reviewed_by").order_by("-id")
    if user.is_superuser:
        return batches
    membership = getattr(user, "membership", None)
    if membership is None:
        return batches.none()
    return batches.filter(organisation_id=membership.organisation_id)
