"""Writes for billing: pricing drafts, the billing run, approving, issuing, voiding, paying.

Lock rules: pricing a contract's month locks the contract row first, so two runs of the
same month serialise per contract; issuing locks the statement row, then the number-series
row, in that order, inside one transaction. Numbers come only from the locked series row.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from contracts.models import Contract, TermsVersion
from contracts.selectors import contract_terms_for_period, currency_decimal_places, terms_version_for_period
from kpis.selectors import kpi_history, kpi_month_values
from pricing import PricingError, price_period
from pricing.money import Rounding, round_money
from pricing.period import Period
from pricing.result import PricedStatement
from pricing.terms import PricingInput
from pricing.text import money_text

from .models import BillingRun, NumberSeries, Statement, StatementLine
from .selectors import earn_back_months, live_statement, prior_credits

NET_CHANGE_REVIEW = Decimal("0.25")


class BillingError(Exception):
    """A statement cannot be priced or moved to the asked state; the message says why."""


def _month_inputs(contract: Contract, period: Period, version: TermsVersion):
    terms = contract_terms_for_period(contract=contract, period=period, version=version)
    months = kpi_month_values(contract_id=contract.pk, period=period)
    window = earn_back_months(terms)
    history = kpi_history(contract_id=contract.pk, periods=[period.shift(-i) for i in range(1, window + 1)])
    inputs = PricingInput(
        period=period,
        terms=terms,
        kpis={code: month.value for code, month in months.items()},
        kpi_history=history,
        prior_credits=prior_credits(contract_id=contract.pk, period=period, months=window),
    )
    snapshot = {
        "terms": {
            "version_id": version.pk,
            "effective_from": version.effective_from,
            "components": [
                {"id": c.component_id, "type": c.type, "params": c.params}
                for c in version.components.order_by("position", "id")
            ],
        },
        "kpis": {
            code: {
                "value": None if m.value is None else str(m.value),
                "numerator": None if m.numerator is None else str(m.numerator),
                "denominator": None if m.denominator is None else str(m.denominator),
                "batch_ids": list(m.batch_ids),
            }
            for code, m in sorted(months.items())
        },
        "kpi_history": {
            str(p): {c: None if v is None else str(v) for c, v in vals.items()} for p, vals in history.items()
        },
        "prior_credits": [
            {"period": str(c.period), "component": c.component_id, "kpi": c.kpi, "amount": str(c.amount)}
            for c in inputs.prior_credits
        ],
    }
    return inputs, snapshot


def _flags(
    priced: PricedStatement, contract: Contract, period: Period, snapshot: dict, replaced: Statement | None
):
    flags = [
        {"code": str(f.code), "message": f.message, "component": f.component_id, "kpi": f.kpi}
        for f in priced.flags
    ]
    previous = live_statement(contract_id=contract.pk, period=period.previous())
    if (
        previous is not None
        and previous.net
        and abs(priced.net - previous.net) > abs(previous.net) * NET_CHANGE_REVIEW
    ):
        change = (priced.net - previous.net) / abs(previous.net) * 100
        flags.append({"code": "net_changed", "message": f"net changed {change:+.1f}% from {previous.period}"})
    if replaced is not None and replaced.inputs.get("kpis") != snapshot["kpis"]:
        flags.append({"code": "inputs_changed", "message": "KPI inputs changed since the previous draft"})
    return flags


def _next_revision(contract, period: Period) -> int:
    """Revisions count every statement of the month, so a replaced draft's number is never reused."""
    return (
        Statement.objects.filter(contract=contract, period=str(period)).aggregate(r=Max("revision"))["r"] or 0
    ) + 1


def _save_statement(
    *, contract, period, version, priced, snapshot, flags, run_id, lines, revision, adjusts=None
):
    statement = Statement.objects.create(
        contract=contract,
        period=str(period),
        revision=revision,
        terms_version=version,
        billing_run_id=run_id,
        document_type=str(priced.document_type),
        adjusts=adjusts,
        currency=str(contract.currency),
        net=priced.net,
        tax=priced.tax,
        gross=priced.gross,
        tax_rate=contract.tax_rate,
        flags=flags,
        inputs=snapshot,
    )
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=statement,
            position=n,
            component_id=line.component_id,
            kind=str(line.kind),
            kpi=line.kpi or "",
            amount=line.amount,
            explanation=line.explanation,
            detail=dict(line.detail),
        )
        for n, line in enumerate(lines)
    )
    return statement


def statement_price_draft(
    *, contract_id: int, period: Period, billing_run_id: int | None = None
) -> Statement | None:
    """Price ``period`` for one contract into a draft statement (idempotent).

    A previous draft is replaced; an approved statement is left alone (returns it); for an
    issued or paid month a late correction is priced into a draft adjustment document
    (``statement_price_adjustment``). Raises ``BillingError`` when there are no terms in force
    or the pricing refuses the inputs.
    """
    with transaction.atomic():
        contract = (
            Contract.objects.select_for_update().select_related("buyer", "supplier").get(pk=contract_id)
        )
        live = live_statement(contract_id=contract_id, period=period)
        if live is not None and live.status == Statement.Status.APPROVED:
            return live
        if live is not None and live.is_frozen:
            return statement_price_adjustment(original=live, billing_run_id=billing_run_id)
        version = terms_version_for_period(contract=contract, period=period)
        if version is None:
            raise BillingError(f"{contract.reference}: no terms version in force in {period}")
        inputs, snapshot = _month_inputs(contract, period, version)
        try:
            priced = price_period(inputs)
        except PricingError as error:
            raise BillingError(f"{contract.reference} {period}: {error}") from None
        flags = _flags(priced, contract, period, snapshot, live)
        revision = _next_revision(contract, period)
        if live is not None:
            live.delete()
        return _save_statement(
            contract=contract,
            period=period,
            version=version,
            priced=priced,
            snapshot=snapshot,
            flags=flags,
            run_id=billing_run_id,
            lines=priced.lines,
            revision=revision,
        )


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
    inputs, snapshot = _month_inputs(contract, period, original.terms_version)
    priced = price_period(inputs)
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
    revision = _next_revision(contract, period)
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
    return _save_statement(
        contract=contract,
        period=period,
        version=original.terms_version,
        priced=adjustment,
        snapshot=snapshot,
        flags=flags,
        run_id=billing_run_id,
        lines=lines,
        adjusts=original,
        revision=revision,
    )


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


def billing_run_price_contract(*, run_id: int, contract_id: int) -> None:
    """Price one contract of a run; a failure is recorded on the run and does not stop others."""
    run = BillingRun.objects.get(pk=run_id)
    try:
        statement_price_draft(contract_id=contract_id, period=Period.parse(run.period), billing_run_id=run_id)
    except (BillingError, PricingError, IntegrityError) as error:
        reference = Contract.objects.filter(pk=contract_id).values_list("reference", flat=True).first()
        with transaction.atomic():
            locked = BillingRun.objects.select_for_update().get(pk=run_id)
            locked.errors = {**locked.errors, reference: str(error)}
            locked.failed = F("failed") + 1
            locked.done = F("done") + 1
            locked.save(update_fields=["errors", "failed", "done"])
        return
    BillingRun.objects.filter(pk=run_id).update(done=F("done") + 1)


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
    """Approve and issue every draft of ``period`` (adjustments included), in contract order."""
    drafts = Statement.objects.filter(period=str(period), status__in=["draft", "approved"])
    if contract_reference:
        drafts = drafts.filter(contract__reference=contract_reference)
    issued = []
    for statement_id, status in drafts.order_by("contract__reference", "adjusts_id", "pk").values_list(
        "pk", "status"
    ):
        if status == Statement.Status.DRAFT:
            statement_approve(statement_id=statement_id)
        issued.append(statement_issue(statement_id=statement_id, issue_date=issue_date))
    return issued
