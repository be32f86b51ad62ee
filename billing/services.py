"""Writes for billing: pricing drafts, the billing run, approving, issuing, voiding, paying.

Lock rules: pricing a contract's month locks the contract row first, so two runs of the
same month serialise per contract; issuing locks the statement row, then the number-series
row, in that order, inside one transaction. Numbers come only from the locked series row.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from contracts.models import Contract
from contracts.selectors import currency_decimal_places
from pricing import PricingError, price_period
from pricing.money import Rounding, round_money
from pricing.period import Period
from pricing.result import PricedStatement
from pricing.text import money_text

from .drafts import (
    BillingError,
    month_inputs_for_contracts,
    new_statement,
    next_revisions,
    save_statements,
    statements_price_drafts,
)
from .models import BillingRun, NumberSeries, Statement
from .serializers import frozen_representation


def statement_price_draft(
    *, contract_id: int, period: Period, billing_run_id: int | None = None
) -> Statement | None:
    """Price ``period`` for one contract into a draft statement (idempotent).

    A previous draft is replaced; an approved statement is left alone (returns it); for an
    issued or paid month a late correction is priced into a draft adjustment document
    (``statement_price_adjustment``). Raises ``BillingError`` when there are no terms in force
    or the pricing refuses the inputs.
    """
    result = statements_price_drafts(
        contract_ids=[contract_id],
        period=period,
        billing_run_id=billing_run_id,
        adjust=statement_price_adjustment,
    )[contract_id]
    if isinstance(result, BillingError):
        raise result
    return result


def _issued_totals(original: Statement) -> dict[tuple[str, str, str], Decimal]:
    """What has been billed so far per (component, kind, KPI): the original plus issued adjustments."""
    totals: dict[tuple[str, str, str], Decimal] = {}
    documents = [original, *original.adjustments.filter(status__in=["issued", "paid"])]
    for document in documents:
        for line in document.lines.all():
            key = (line.component_id, line.kind, line.kpi)
            totals[key] = totals.get(key, Decimal(0)) + line.amount
    return totals


def statement_price_adjustment(*, original: Statement, billing_run_id: int | None = None) -> Statement | None:
    """Re-price an issued month on the terms version it was issued with; the difference, line
    by line, becomes a draft adjustment document (a credit note when negative). No difference:
    no document (and a stale draft adjustment is removed). Call inside a transaction holding
    the contract lock."""
    contract, period = original.contract, Period.parse(original.period)
    loaded = month_inputs_for_contracts(
        contracts=[contract], period=period, versions={contract.pk: original.terms_version}
    )[contract.pk]
    snapshot = loaded.snapshot
    priced = price_period(loaded.inputs)
    billed = _issued_totals(original)
    new: dict[tuple[str, str, str], Decimal] = {}
    explanations = {}
    for line in priced.lines:
        key = (line.component_id, str(line.kind), line.kpi or "")
        new[key] = new.get(key, Decimal(0)) + line.amount
        explanations[key] = line.explanation
    lines = []
    places = currency_decimal_places(str(contract.currency))
    for key in list(billed) + [k for k in new if k not in billed]:
        difference = new.get(key, Decimal(0)) - billed.get(key, Decimal(0))
        if difference:
            was, now = (
                money_text(billed.get(key, Decimal(0)), places),
                money_text(new.get(key, Decimal(0)), places),
            )
            text = f"Correction: was {was}, now {now}. {explanations.get(key, 'No longer due.')}"
            lines.append(dataclasses.replace(_line_for(key), amount=difference, explanation=text))
    revision = next_revisions([contract.pk], period)[contract.pk]
    original.adjustments.filter(status=Statement.Status.DRAFT).delete()
    if not lines:
        return None
    net = sum((line.amount for line in lines), Decimal(0))
    tax = round_money(
        net * contract.tax_rate / 100, decimal_places=places, rounding=Rounding(contract.rounding)
    )
    document_type = "credit_note" if net < 0 else "invoice"
    adjustment = PricedStatement(tuple(lines), net, tax, net + tax, document_type)
    flags = [{"code": "adjustment", "message": f"corrects {original.number} after KPI changes"}]
    statement = new_statement(
        contract=contract,
        period=period,
        version_id=original.terms_version_id,
        priced=adjustment,
        snapshot=snapshot,
        flags=flags,
        run_id=billing_run_id,
        revision=revision,
        adjusts=original,
    )
    return save_statements([(statement, tuple(lines))])[0]


def _line_for(key):
    from pricing.result import Line, LineKind

    component_id, kind, kpi = key
    return Line(component_id, LineKind(kind), Decimal(0), "", {}, kpi or None)


# --- the billing run ------------------------------------------------------------------------


def billing_run_create(
    *, period: Period, contract_reference: str | None = None, requested_by=None
) -> BillingRun:
    """A run for every contract active in ``period`` (or one contract). Raises ``BillingError``
    for an unknown contract reference."""
    from contracts.selectors import contracts_active_in_period

    contracts = contracts_active_in_period(period=period)
    if contract_reference:
        if not Contract.objects.filter(reference=contract_reference).exists():
            raise BillingError(f"no contract with reference {contract_reference!r}")
        contracts = contracts.filter(reference=contract_reference)
    return BillingRun.objects.create(
        period=str(period),
        contract_reference=contract_reference or "",
        total=contracts.count(),
        status=BillingRun.Status.RUNNING,
        requested_by=requested_by,
        started_at=timezone.now(),
    )


def billing_run_contract_ids(*, run: BillingRun) -> list[int]:
    from contracts.selectors import contracts_active_in_period

    contracts = contracts_active_in_period(period=Period.parse(run.period))
    if run.contract_reference:
        contracts = contracts.filter(reference=run.contract_reference)
    return list(contracts.order_by("reference").values_list("pk", flat=True))


CHUNK = 100  # contracts per task: big enough for bulk loads and inserts, small enough to spread


def _record(run_id: int, done: int, errors: dict[str, str]) -> None:
    """Count finished contracts and keep their errors: one atomic update when there are no
    errors, otherwise under the run's row lock."""
    if not errors:
        BillingRun.objects.filter(pk=run_id).update(done=F("done") + done)
        return
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        run.errors = {**run.errors, **errors}
        run.failed = F("failed") + len(errors)
        run.done = F("done") + done
        run.save(update_fields=["errors", "failed", "done"])


def billing_run_price_chunk(*, run_id: int, contract_ids: list[int]) -> None:
    """Price a chunk of a run's contracts into drafts. A contract that cannot be priced is
    recorded on the run and does not stop the others; if the chunk as a whole fails (a
    conflicting concurrent write), each contract is retried on its own."""
    period = Period.parse(BillingRun.objects.values_list("period", flat=True).get(pk=run_id))
    try:
        results = statements_price_drafts(
            contract_ids=contract_ids, period=period, billing_run_id=run_id, adjust=statement_price_adjustment
        )
    except (IntegrityError, PricingError):
        if len(contract_ids) == 1:
            results = {contract_ids[0]: BillingError(f"could not be saved for {period}; run it again")}
        else:
            for contract_id in contract_ids:
                billing_run_price_chunk(run_id=run_id, contract_ids=[contract_id])
            return
    failed = {cid: result for cid, result in results.items() if isinstance(result, BillingError)}
    errors = {}
    if failed:
        references = dict(Contract.objects.filter(pk__in=failed).values_list("pk", "reference"))
        errors = {references[cid]: str(result) for cid, result in failed.items()}
    _record(run_id, len(contract_ids), errors)


def billing_run_price_contract(*, run_id: int, contract_id: int) -> None:
    """Price one contract of a run (a chunk of one)."""
    billing_run_price_chunk(run_id=run_id, contract_ids=[contract_id])


def billing_run_chunks(*, run: BillingRun) -> list[list[int]]:
    ids = billing_run_contract_ids(run=run)
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def billing_run_finish(*, run_id: int) -> BillingRun:
    run = BillingRun.objects.get(pk=run_id)
    run.status = BillingRun.Status.FAILED if run.failed else BillingRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


# --- statement states -----------------------------------------------------------------------


def _locked(statement_id: int) -> Statement:
    return (
        Statement.objects.select_for_update()
        .select_related("contract__buyer", "contract__supplier")
        .get(pk=statement_id)
    )


def statement_approve(*, statement_id: int, user=None) -> Statement:
    """draft → approved. Raises ``BillingError`` from any other state."""
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status != Statement.Status.DRAFT:
            raise BillingError(f"{statement} is {statement.status}: only a draft can be approved")
        statement.status = Statement.Status.APPROVED
        statement.approved_at = timezone.now()
        statement.save(update_fields=["status", "approved_at", "updated_at"])
        return statement


def _party(organisation) -> dict:
    return {
        "name": organisation.name,
        "code": organisation.code,
        "address": organisation.address,
        "country": organisation.country,
        "vat_number": organisation.vat_number,
    }


def _next_number(statement: Statement, issue_date: date) -> str:
    buyer = statement.contract.buyer
    credit = statement.document_type == Statement.DocumentType.CREDIT_NOTE
    prefix = f"{buyer.code}-CN-{issue_date.year}" if credit else f"{buyer.code}-{issue_date.year}"
    NumberSeries.objects.get_or_create(
        buyer=buyer, document_type=statement.document_type, year=issue_date.year, defaults={"prefix": prefix}
    )
    series = NumberSeries.objects.select_for_update().get(
        buyer=buyer, document_type=statement.document_type, year=issue_date.year
    )
    number = f"{series.prefix}-{series.next_value:06d}"
    series.next_value = F("next_value") + 1
    series.save(update_fields=["next_value"])
    return number


def statement_issue(*, statement_id: int, user=None, issue_date: date | None = None) -> Statement:
    """approved → issued, in one transaction: the statement row locked, the next gap-free
    number of the buyer's series (credit notes have their own), the parties' details frozen,
    due date set; the PDF is queued after commit. Raises ``BillingError`` unless approved."""
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status != Statement.Status.APPROVED:
            raise BillingError(f"{statement} is {statement.status}: only an approved statement can be issued")
        issue_date = issue_date or timezone.localdate()
        statement.number = _next_number(statement, issue_date)
        statement.status = Statement.Status.ISSUED
        statement.issue_date = issue_date
        statement.due_date = issue_date + timedelta(days=statement.contract.payment_terms_days)
        statement.issued_at = timezone.now()
        statement.buyer_details = _party(statement.contract.buyer)
        statement.supplier_details = _party(statement.contract.supplier)
        statement.buyer_id = statement.contract.buyer_id
        statement.supplier_id = statement.contract.supplier_id
        statement.api_representation = frozen_representation(statement)
        statement.save()
        transaction.on_commit(lambda: _queue_pdf(statement.pk))
        return statement


def _queue_pdf(statement_id: int) -> None:
    from . import tasks  # tasks import this module

    tasks.statement_render_pdf.delay(statement_id)


def statement_void(*, statement_id: int, reason: str, user=None) -> Statement:
    """issued → void, with a reason. Raises ``BillingError`` without a reason or from another state."""
    if not reason.strip():
        raise BillingError("a reason is required to void a statement")
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status != Statement.Status.ISSUED:
            raise BillingError(f"{statement} is {statement.status}: only an issued statement can be voided")
        statement.status = Statement.Status.VOID
        statement.void_reason = reason.strip()
        statement.voided_at = timezone.now()
        statement.save(update_fields=["status", "void_reason", "voided_at", "updated_at"])
        return statement


def statement_mark_paid(*, statement_id: int, paid_at=None) -> Statement:
    """issued → paid (recorded from finance). Paying a paid statement again changes nothing."""
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status == Statement.Status.PAID:
            return statement
        if statement.status != Statement.Status.ISSUED:
            raise BillingError(f"{statement} is {statement.status}: only an issued statement can be paid")
        statement.status = Statement.Status.PAID
        statement.paid_at = paid_at or timezone.now()
        statement.save(update_fields=["status", "paid_at", "updated_at"])
        return statement


def statements_issue_period(
    *, period: Period, contract_reference: str | None = None, issue_date=None
) -> list[Statement]:
    """Approve and issue every draft of ``period`` (adjustments included), in contract order.

    A statement issued meanwhile by someone else (another process issuing the same month) is
    skipped, not an error; any other refusal stops with ``BillingError``.
    """
    drafts = Statement.objects.filter(period=str(period), status__in=["draft", "approved"])
    if contract_reference:
        drafts = drafts.filter(contract__reference=contract_reference)
    issued = []
    for statement_id, status in drafts.order_by("contract__reference", "revision").values_list(
        "pk", "status"
    ):
        if status == Statement.Status.DRAFT:
            # Approved (or issued) meanwhile by another process: issuing re-checks under the row lock.
            with contextlib.suppress(BillingError):
                statement_approve(statement_id=statement_id)
        try:
            issued.append(statement_issue(statement_id=statement_id, issue_date=issue_date))
        except BillingError:
            if Statement.objects.filter(pk=statement_id, status__in=["issued", "paid", "void"]).exists():
                continue
            raise
    return issued
