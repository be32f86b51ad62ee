"""Billing's answers to what happens below it (``kpis.signals``)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from contracts.models import Contract, TermsVersion
from contracts.signals import index_values_imported
from kpis.signals import kpi_batch_accepted
from pricing.period import Period

from . import services, tasks
from .dispatch import task_send
from .events import statement_event_record
from .inputs import indexation_months
from .models import Statement, StatementEvent


@receiver(kpi_batch_accepted, dispatch_uid="billing.correct_issued_months")
def correct_issued_months(sender, *, batch, user, months, **kwargs) -> list[int]:
    """A supplier's batch held for review was accepted: each issued month it changes gets an
    "inputs changed" event on its statement, naming the batch, who submitted it and who accepted
    it, and a billing run of its own (started by the reviewer, once the acceptance is committed)
    whose correction is an adjustment to review like any other. Returns the runs' ids."""
    contracts = Contract.objects.in_bulk({contract_id for contract_id, _ in months})
    runs = []
    for contract_id, period in months:
        contract = contracts[contract_id]
        issued = (
            Statement.objects.filter(
                contract_id=contract_id, period=period, adjusts__isnull=True, status__in=("issued", "paid")
            )
            .order_by("revision")
            .first()
        )
        if issued is not None:
            statement_event_record(
                statement=issued,
                kind=StatementEvent.Kind.INPUTS_CHANGED,
                actor=user,
                kpi_batch=batch.pk,
                submitted_by=batch.uploaded_by.username if batch.uploaded_by else "",
                party=batch.party,
                accepted_by=user.username,
            )
        run = services.billing_run_create(
            period=Period.parse(period),
            contract_reference=contract.reference,
            buyer_id=contract.buyer_id,
            requested_by=user,
        )
        transaction.on_commit(lambda run_id=run.pk: task_send(tasks.run_billing, run_id))
        runs.append(run.pk)
    return runs


@receiver(index_values_imported, dispatch_uid="billing.reprice_indexed_months")
def reprice_indexed_months(sender, *, series, periods, user, **kwargs) -> list[int]:
    """Index values of ``series`` were added or revised for ``periods``: every month whose
    statement read one of those months (wanted or, while it was not yet published, read in
    its place; from the statement's input snapshot) gets a billing run of its own, started by
    ``user`` once the import is committed. A draft is priced again; an issued month is priced
    again on the terms it was issued with and the difference is a draft adjustment, as for a
    late KPI correction; an approved month is left as it is. Returns the runs' ids."""
    changed = set(periods)
    indexed = TermsVersion.objects.filter(indexation__isnull=False).values("contract_id")
    statements = Statement.objects.filter(
        contract_id__in=indexed, adjusts__isnull=True, period__gte=min(periods)
    ).exclude(status=Statement.Status.VOID)
    months = sorted(
        {
            (contract_id, period)
            for contract_id, period, inputs in statements.values_list("contract_id", "period", "inputs")
            if _reads(inputs, series, changed)
        }
    )
    contracts = Contract.objects.in_bulk({contract_id for contract_id, _ in months})
    runs = []
    for contract_id, period in months:
        contract = contracts[contract_id]
        run = services.billing_run_create(
            period=Period.parse(period),
            contract_reference=contract.reference,
            buyer_id=contract.buyer_id,
            requested_by=user,
        )
        transaction.on_commit(lambda run_id=run.pk: task_send(tasks.run_billing, run_id))
        runs.append(run.pk)
    return runs


def _reads(inputs: dict, series: str, months: set[str]) -> bool:
    code, read = indexation_months(inputs or {})
    return code == series and bool(read & months)
