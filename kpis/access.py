"""Which contracts a user may submit KPI files for: the one place that decides it.

The same rule serves the command line (no user: every contract), the admin upload and the
API, and ingestion applies it before anything else, so a file naming a contract its submitter
does not act for learns no more than a file naming a contract that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet

from contracts.models import Contract, Membership


class NotActingForAnyone(Exception):
    """The user is not a superuser and acts for no organisation."""


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
