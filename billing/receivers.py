"""Billing's answers to what happens below it (``kpis.signals``)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from contracts.models import Contract
from kpis.signals import kpi_batch_accepted
from pricing.period import Period

from . import services, tasks
from .dispatch import task_send
from .events import statement_event_record
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
