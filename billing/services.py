"""Writes for billing: pricing drafts, the billing run, approving, issuing, voiding, paying.

Pricing a month reads down: ``statements_price`` loads a chunk of contracts' months
(``billing.inputs.contract_months``), prices each with the pure core (``pricing.price_period``,
then ``pricing.correction.correction`` for an issued month) and saves the results
(``billing.bulk``), in one transaction; nothing calls back up.

Lock rules: pricing a contract's month locks the contract row first (several contracts in
primary-key order), so two runs of the same month serialise per contract; issuing a month
locks one contract row at a time, then its statements of the month in primary-key order,
then the number-series row, inside one transaction per contract (a single issue from the
admin starts at the statement row). Numbers come only from the locked series row.

A billing run beats a heart (``BillingRun.heartbeat_at``) at its start and whenever a
contract or chunk finishes; a run silent for ``BILLING_RUN_STALE_AFTER`` seconds is dead.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta
from decimal import Decimal

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from contracts.models import Contract
from contracts.selectors import self_billing_problem
from pricing import price_period
from pricing.correction import correction
from pricing.period import Period
from pricing.result import WAITING_FLAGS, PricedStatement

from .actors import check_four_eyes_approve, check_four_eyes_issue, require_permission
from .bulk import NewStatement, check_storable, drafts_delete, snapshot_json, write_statements
from .chunking import PDFS, PRICING, chunked, worker_processes
from .dispatch import task_send
from .document_json import frozen_representation
from .documents import BUYER_REFERENCE_KEY, PARTY_FIELDS
from .errors import BillingError, contract_error
from .events import statement_event_record, statement_events_record_priced
from .feed import feed_write_lock
from .inputs import ContractMonth, MonthInputs, PreviousMonth, contract_months
from .models import BillingRun, NumberSeries, Statement, stale_after
from .signals import statement_issued

logger = logging.getLogger(__name__)

NET_CHANGE_REVIEW = Decimal("0.25")


# --- pricing a month: load, price, save -----------------------------------------------------


def statements_price(
    *, contract_ids: list[int], period: Period, billing_run_id: int | None = None
) -> dict[int, Statement | BillingError | None]:
    """Price ``period`` for each contract, in one transaction holding the contracts' row locks.

    Per contract: a draft is replaced by a new one; an approved statement is left (returned);
    an issued or paid month is priced again on the terms version it was issued with, and the
    difference from what was billed becomes a draft adjustment document (``None`` when
    nothing changed; a stale draft adjustment is removed either way). A contract whose pricing
    raises anything (``PricingError``, a ``decimal`` error from an absurd amount, an amount too
    large to store) maps to a ``BillingError`` naming it; the others are still priced. Loading
    the chunk and the bulk write are shared: if they raise, the exception propagates and
    nothing is saved (the run then prices the chunk's contracts one by one, see
    ``billing_run_price_chunk``).
    """
    result: dict[int, Statement | BillingError | None] = {}
    with transaction.atomic():
        months = contract_months(contract_ids=contract_ids, period=period)
        new, replaced, corrected, kinds = [], [], [], []
        for month in months:
            outcome = _price_month(month, period, billing_run_id)
            if isinstance(outcome, NewStatement):
                new.append(outcome)
                kinds.append(_priced_event_kind(month, outcome))
            else:
                result[month.contract.pk] = outcome
            if isinstance(outcome, BillingError) or month.inputs is None:
                continue  # left as it is: a failure, or an approved month
            if month.billed is not None:
                corrected.append(month.live.pk)  # its stale draft adjustments go
            elif month.live is not None:
                replaced.append(month.live.pk)  # the draft it replaces goes
        drafts_delete(statement_ids=replaced, adjusting=corrected)
        written = write_statements(new)
        for statement in written:
            result[statement.contract_id] = statement
        statement_events_record_priced(
            statements=written, kinds=kinds, actor_id=_run_actor_id(billing_run_id)
        )
    return result


def _priced_event_kind(month: ContractMonth, outcome: NewStatement) -> tuple[str, int | None]:
    """What writing ``outcome`` is in the document's history, and the draft it replaces."""
    if outcome.adjusts is not None:
        return ("adjustment created", None)
    return ("re-priced", month.live.pk) if month.live is not None else ("created", None)


def _run_actor_id(billing_run_id: int | None) -> int | None:
    """Who started the run: ``BillingRun.requested_by`` (the system actor for scheduled runs)."""
    if billing_run_id is None:
        return None
    return BillingRun.objects.filter(pk=billing_run_id).values_list("requested_by_id", flat=True).first()


def _price_month(
    month: ContractMonth, period: Period, billing_run_id: int | None
) -> NewStatement | Statement | BillingError | None:
    """What one contract's month becomes: its approved statement as it is, a new draft or
    draft adjustment to write, ``None`` (an issued month with nothing to correct), or the
    ``BillingError`` that stops it. Reads nothing: ``month`` holds every input."""
    contract, loaded = month.contract, month.inputs
    if loaded is None:
        return month.live
    if isinstance(loaded, BillingError):
        return loaded
    try:
        priced = price_period(loaded.inputs)
        if month.billed is None:
            check_storable(contract.reference, period, priced)
            flags = review_flags(
                priced, loaded.snapshot, month.previous, month.live, kpi_checks=loaded.kpi_check_failures
            )
            return _new_statement(month, period, billing_run_id, loaded, priced, flags)
        adjustment = correction(priced, month.billed, loaded.inputs.terms)
        if adjustment is None:
            return None
        check_storable(contract.reference, period, adjustment)
        flags = [{"code": "adjustment", "message": f"corrects {month.live.number} after KPI changes"}]
        flags += kpi_check_flags(loaded.kpi_check_failures)
        return _new_statement(month, period, billing_run_id, loaded, adjustment, flags, adjusts=month.live)
    except Exception as error:  # one contract's failure is its own, not the chunk's
        return contract_error(reference=contract.reference, period=period, error=error)


def _new_statement(
    month: ContractMonth,
    period: Period,
    billing_run_id: int | None,
    loaded: MonthInputs,
    priced: PricedStatement,
    flags: list,
    adjusts: Statement | None = None,
) -> NewStatement:
    """The draft (or, with ``adjusts``, the draft adjustment) of ``priced`` to write."""
    return NewStatement(
        contract=month.contract,
        period=period,
        revision=month.revision,
        terms_version_id=loaded.version_id,
        billing_run_id=billing_run_id,
        priced=priced,
        flags=flags,
        inputs=loaded.snapshot,
        inputs_json=snapshot_json(loaded.snapshot, loaded.components_json),
        adjusts=adjusts,
    )


def review_flags(
    priced: PricedStatement,
    snapshot: dict,
    previous: PreviousMonth | None,
    replaced: Statement | None,
    *,
    kpi_checks: tuple = (),
) -> list:
    """The pricing's flags, plus a net change over 25 % from last month, changed inputs, and
    each of the contract's ``kpi_checks`` the month's values fail (``kpi_checks``, from
    :mod:`kpis.consistency`): a figure that does not add up is never a silent pass."""
    flags = [
        {"code": str(f.code), "message": f.message, "component": f.component_id, "kpi": f.kpi}
        for f in priced.flags
    ]
    if (
        previous is not None
        and previous.net
        and abs(priced.net - previous.net) > abs(previous.net) * NET_CHANGE_REVIEW
    ):
        change = (priced.net - previous.net) / abs(previous.net) * 100
        flags.append({"code": "net_changed", "message": f"net changed {change:+.1f}% from {previous.period}"})
    if replaced is not None and replaced.inputs.get("kpis") != snapshot["kpis"]:
        flags.append({"code": "inputs_changed", "message": "KPI inputs changed since the previous draft"})
    return flags + kpi_check_flags(kpi_checks)


def kpi_check_flags(failures: tuple) -> list[dict]:
    """A ``kpi_check_failed`` flag per failed consistency rule, on a draft as on a draft adjustment."""
    return [{"code": "kpi_check_failed", "message": f.message, "kpi": f.kpi} for f in failures]


def statement_price_draft(
    *, contract_id: int, period: Period, billing_run_id: int | None = None
) -> Statement | None:
    """Price ``period`` for one contract (``statements_price`` of one): the new draft, the
    approved statement left alone, an issued month's draft adjustment, or ``None`` when an
    issued month has nothing to correct. Raises ``BillingError`` when there are no terms in
    force or the pricing refuses the inputs."""
    result = statements_price(contract_ids=[contract_id], period=period, billing_run_id=billing_run_id)[
        contract_id
    ]
    if isinstance(result, BillingError):
        raise result
    return result


# --- the billing run ------------------------------------------------------------------------


def billing_runs_mark_stale(*, period: Period | None = None) -> int:
    """Mark ``stale`` every running run (of ``period``, or of any month) whose last heartbeat is
    older than ``BILLING_RUN_STALE_AFTER`` seconds: its process died (``kill -9``, a lost
    worker, a chord whose callback never came). Returns how many were marked. A stale run
    blocks nothing; ``billing_run_resume`` prices what it left."""
    cutoff = timezone.now() - stale_after()
    runs = BillingRun.objects.filter(status=BillingRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    if period is not None:
        runs = runs.filter(period=str(period))
    return runs.update(status=BillingRun.Status.STALE)


def billing_run_create(
    *, period: Period, contract_reference: str | None = None, buyer_id: int | None = None, requested_by=None
) -> BillingRun:
    """A run for every contract active in ``period`` (only one buyer's with ``buyer_id``, or
    one contract), with its first heartbeat. Dead runs of the month are marked stale first;
    runs still alive are left to go on (two runs of a month serialise per contract). Raises
    ``BillingError`` for an unknown contract reference (or one of another buyer)."""
    from contracts.selectors import contracts_active_in_period

    contracts = contracts_active_in_period(period=period)
    if buyer_id is not None:
        contracts = contracts.filter(buyer_id=buyer_id)
    if contract_reference:
        known = Contract.objects.filter(reference=contract_reference)
        if not (known if buyer_id is None else known.filter(buyer_id=buyer_id)).exists():
            raise BillingError(f"no contract with reference {contract_reference!r}")
        contracts = contracts.filter(reference=contract_reference)
    billing_runs_mark_stale(period=period)
    now = timezone.now()
    return BillingRun.objects.create(
        period=str(period),
        contract_reference=contract_reference or "",
        buyer_id=buyer_id,
        total=contracts.count(),
        status=BillingRun.Status.RUNNING,
        requested_by=requested_by,
        started_at=now,
        heartbeat_at=now,
    )


def billing_run_contract_ids(*, run: BillingRun) -> list[int]:
    """Every contract the run covers (its buyer's only, when it has one), by reference."""
    from contracts.selectors import contracts_active_in_period

    contracts = contracts_active_in_period(period=Period.parse(run.period))
    if run.buyer_id is not None:
        contracts = contracts.filter(buyer_id=run.buyer_id)
    if run.contract_reference:
        contracts = contracts.filter(reference=run.contract_reference)
    return list(contracts.order_by("reference").values_list("pk", flat=True))


def billing_run_pending_contract_ids(*, run: BillingRun) -> list[int]:
    """The run's contracts it has not priced a statement for yet, by reference (all of them
    for a new run). Contracts it left alone (an approved month, an issued month with no
    correction) come back too: pricing them again changes nothing."""
    priced = set(
        Statement.objects.filter(billing_run=run, period=run.period).values_list("contract_id", flat=True)
    )
    return [pk for pk in billing_run_contract_ids(run=run) if pk not in priced]


def _record(run_id: int, done: int, errors: dict[str, str]) -> None:
    """Count finished contracts, keep their errors and beat the run's heart: one atomic update
    when there are no errors, otherwise under the run's row lock."""
    now = timezone.now()
    if not errors:
        BillingRun.objects.filter(pk=run_id).update(done=F("done") + done, heartbeat_at=now)
        return
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        run.errors = {**run.errors, **errors}
        run.failed = F("failed") + len(errors)
        run.done = F("done") + done
        run.heartbeat_at = now
        run.save(update_fields=["errors", "failed", "done", "heartbeat_at"])


def _price_one(run_id: int, contract_id: int, period: Period) -> dict[int, Statement | BillingError | None]:
    """Price one contract of a run; whatever it raises becomes its ``BillingError``. A unique
    conflict (another process saved the same month at the same moment) is retried once, after
    that process committed."""
    for attempt in (1, 2):
        try:
            return statements_price(contract_ids=[contract_id], period=period, billing_run_id=run_id)
        except IntegrityError as error:
            if attempt == 2:
                failure = error
        except Exception as error:
            failure = error
            break
    reference = Contract.objects.filter(pk=contract_id).values_list("reference", flat=True).first()
    if isinstance(failure, IntegrityError):
        logger.warning("contract %s %s: a conflicting write twice", contract_id, period, exc_info=failure)
        return {contract_id: BillingError(f"could not be saved for {period}; run it again")}
    return {
        contract_id: contract_error(
            reference=reference or f"contract {contract_id}",
            period=period,
            error=failure,
            step="priced and saved",
        )
    }


def billing_run_price_chunk(*, run_id: int, contract_ids: list[int]) -> None:
    """Price a chunk of a run's contracts into drafts and record them on the run (with a
    heartbeat). A contract that cannot be priced, for whatever reason, is recorded on the run
    with its error and does not stop the others; if the chunk as a whole fails (its shared
    load or bulk insert raised, or a conflicting concurrent write), each of its contracts is
    priced on its own, so one bad contract never costs its neighbours their drafts. Only
    ``BaseException``s that are not ``Exception`` (a worker being killed) get through."""
    period = Period.parse(BillingRun.objects.values_list("period", flat=True).get(pk=run_id))
    if len(contract_ids) == 1:
        results = _price_one(run_id, contract_ids[0], period)
    else:
        try:
            results = statements_price(contract_ids=contract_ids, period=period, billing_run_id=run_id)
        except Exception:
            for contract_id in contract_ids:
                billing_run_price_chunk(run_id=run_id, contract_ids=[contract_id])
            return
    failed = {cid: result for cid, result in results.items() if isinstance(result, BillingError)}
    errors = {}
    if failed:
        references = dict(Contract.objects.filter(pk__in=failed).values_list("pk", "reference"))
        errors = {references.get(cid, f"contract {cid}"): str(result) for cid, result in failed.items()}
    _record(run_id, len(contract_ids), errors)


def billing_run_chunks(*, run: BillingRun) -> list[list[int]]:
    """The run's contracts still to price, in chunks sized for the worker processes that take
    them (``billing.chunking``: about four a worker, 100 to 1,000 contracts each)."""
    ids = billing_run_pending_contract_ids(run=run)
    return chunked(ids, workers=worker_processes(), rule=PRICING)


def billing_run_finish(*, run_id: int) -> BillingRun:
    """End the run: ``failed`` ("finished with errors") when any contract is in its errors,
    ``succeeded`` otherwise. A run marked stale that was alive after all is finished too."""
    run = BillingRun.objects.get(pk=run_id)
    run.status = BillingRun.Status.FAILED if run.failed else BillingRun.Status.SUCCEEDED
    run.finished_at = run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "heartbeat_at"])
    return run


def billing_run_resume(*, run_id: int) -> BillingRun:
    """Make a dead (stale) run, or one that finished with errors, running again, so that what
    it has not priced yet (``billing_run_pending_contract_ids``: contracts never reached and
    the failed ones) is priced under the same run. Its errors are cleared (the failed contracts
    are tried again) and ``done`` counts the contracts it already priced.

    Raises ``BillingError`` for an unknown run, a run still alive (heartbeat within
    ``BILLING_RUN_STALE_AFTER`` seconds) or one that succeeded.
    """
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise BillingError(f"no billing run {run_id}")
        if run.status == BillingRun.Status.SUCCEEDED:
            raise BillingError(f"billing run {run_id} priced every contract: nothing to resume")
        if run.status in (BillingRun.Status.RUNNING, BillingRun.Status.PENDING) and not run.is_stale:
            seconds = int(stale_after().total_seconds())
            raise BillingError(
                f"billing run {run_id} is still running (last heartbeat {run.heartbeat_at:%Y-%m-%d %H:%M:%S}); "
                f"it can be resumed once it has been silent for {seconds} s"
            )
        scope = billing_run_contract_ids(run=run)
        pending = billing_run_pending_contract_ids(run=run)
        run.total, run.done, run.failed, run.errors = len(scope), len(scope) - len(pending), 0, {}
        run.status = BillingRun.Status.RUNNING
        run.heartbeat_at = timezone.now()
        run.finished_at = None
        run.save(update_fields=["total", "done", "failed", "errors", "status", "heartbeat_at", "finished_at"])
    return run


# --- statement states -----------------------------------------------------------------------


def _locked(statement_id: int) -> Statement:
    """The statement under its row lock, after the feeds' shared lock (``billing.feed``: held to
    the commit, so no feed serves what sorts after this change before it commits). Raises
    ``BillingError`` when it no longer exists (a draft replaced by a run of its month since it
    was read)."""
    feed_write_lock()
    statement = (
        Statement.objects.select_for_update()
        .select_related("contract__buyer", "contract__supplier")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None:
        raise BillingError(f"statement {statement_id} no longer exists: its month was re-priced meanwhile")
    return statement


def statement_approve(*, statement_id: int, user=None) -> Statement:
    """draft → approved, by ``user`` when given (who needs ``billing.approve_statement`` and,
    with four-eyes on, must not have started the run that priced it). Raises ``BillingError``
    from any other state or when a rule refuses."""
    require_permission(user, "approve_statement", "approve statements")
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status != Statement.Status.DRAFT:
            raise BillingError(f"{statement} is {statement.status}: only a draft can be approved")
        check_four_eyes_approve(statement, user)
        statement.status = Statement.Status.APPROVED
        statement.approved_at = timezone.now()
        statement.approved_by = user
        statement.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
        statement_event_record(statement=statement, kind="approved", actor=user, at=statement.approved_at)
        return statement


def _party(organisation) -> dict:
    """``organisation``'s details as a document issued now keeps them: its code and
    ``billing.documents.PARTY_FIELDS`` (name, address, VAT and company numbers, payment details)."""
    return {"code": organisation.code, **{field: getattr(organisation, field) for field in PARTY_FIELDS}}


def number_series_prefix(statement: Statement, issue_date: date) -> str:
    """The prefix of the series a statement issued on ``issue_date`` takes its number from,
    when issuing creates that series: the buyer's code, ``CN`` for credit notes, the year."""
    code = statement.contract.buyer.code
    credit = statement.document_type == Statement.DocumentType.CREDIT_NOTE
    return f"{code}-CN-{issue_date.year}" if credit else f"{code}-{issue_date.year}"


def _next_number(statement: Statement, issue_date: date) -> str:
    buyer = statement.contract.buyer
    prefix = number_series_prefix(statement, issue_date)
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


def statement_issue(
    *, statement_id: int, user=None, issue_date: date | None = None, queue_pdf: bool = True
) -> Statement:
    """approved → issued, in one transaction: the statement row locked, the next gap-free
    number of the buyer's series (credit notes have their own), the parties' details and the
    buyer reference frozen, the due date set; the PDF is queued and ``billing.signals.statement_issued`` sent after commit. ``user``, when given, needs
    ``billing.issue_statement`` and, with four-eyes on, must not be who approved it. Raises
    ``BillingError`` unless approved or when a rule refuses. ``queue_pdf=False`` leaves the PDF
    to the caller (a month's issue queues its PDFs in chunks: ``statement_pdfs_queue``)."""
    require_permission(user, "issue_statement", "issue statements")
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status != Statement.Status.APPROVED:
            raise BillingError(f"{statement} is {statement.status}: only an approved statement can be issued")
        check_four_eyes_issue(statement, user)
        issue_date = issue_date or timezone.localdate()
        problem = self_billing_problem(statement.contract, issue_date)
        if problem:
            raise BillingError(problem)
        statement.number = _next_number(statement, issue_date)
        statement.status = Statement.Status.ISSUED
        statement.issue_date = issue_date
        statement.due_date = issue_date + timedelta(days=statement.contract.payment_terms_days)
        statement.issued_at = timezone.now()
        statement.issued_by = user
        statement.buyer_details = {
            **_party(statement.contract.buyer),
            BUYER_REFERENCE_KEY: statement.contract.buyer_reference,
        }
        statement.supplier_details = _party(statement.contract.supplier)
        statement.buyer_id = statement.contract.buyer_id
        statement.supplier_id = statement.contract.supplier_id
        statement.api_representation = frozen_representation(statement)
        statement.save()
        statement_event_record(
            statement=statement, kind="issued", actor=user, at=statement.issued_at, number=statement.number
        )
        if queue_pdf:
            transaction.on_commit(lambda: _queue_pdf(statement.pk))
        # Later drafts that read this month (earn-back, settlement, rolling cap) priced
        # without it: priced again once it counts.
        transaction.on_commit(
            lambda: statement_drafts_reprice_waiting(
                contract_id=statement.contract_id, period=statement.period
            )
        )
        # Once per issued document, after the outermost commit (a period's issue commits per
        # contract); nothing is sent for an issue that is rolled back.
        transaction.on_commit(
            lambda: statement_issued.send(sender=Statement, statement=statement, actor=user)
        )
        return statement


def statement_drafts_reprice_waiting(*, contract_id: int, period: str) -> list[Statement]:
    """Price again the contract's drafts of months after ``period`` that carry a
    ``WAITING_FLAGS`` flag (they read an earlier month that was not issued when they were
    priced), in month order so each reads the one before; called after an issue commits.
    Approved statements are left as they are (approving froze them for review). A draft that
    fails to price keeps its old version and is logged: the issue that called this has
    committed already. Returns the new drafts."""
    drafts = (
        Statement.objects.filter(
            contract_id=contract_id, period__gt=period, status=Statement.Status.DRAFT, adjusts__isnull=True
        )
        .order_by("period")
        .values_list("period", "flags")
    )
    waiting = [of_month for of_month, flags in drafts if any(f.get("code") in WAITING_FLAGS for f in flags)]
    repriced = []
    for of_month in waiting:
        try:
            draft = statement_price_draft(contract_id=contract_id, period=Period.parse(of_month))
        except BillingError as error:
            logger.warning("re-pricing the waiting draft of %s failed: %s", of_month, error)
            continue
        if draft is not None:
            repriced.append(draft)
    return repriced


# Queued by name: the tasks module imports this one, so importing it back would close a circle.
PDF_TASK = "billing.tasks.statement_render_pdf"


def _queue_pdf(statement_id: int) -> None:
    """Send ``PDF_TASK`` for the statement; in-process when Celery runs tasks eagerly (no broker)."""
    if PDF_TASK not in current_app.tasks:
        # A process that has not loaded the tasks modules yet (Celery's autodiscovery does it
        # on a worker, the admin on a web process): a signature of an unknown name would go to
        # the broker even when tasks run eagerly.
        current_app.loader.import_default_modules()
    task_send(current_app.tasks[PDF_TASK], statement_id)


# Queued by name, as PDF_TASK is.
PDFS_TASK = "billing.tasks.statements_render_pdfs"


def statement_pdfs_queue(*, statement_ids: list[int]) -> int:
    """Queue the PDFs of issued statements in chunks (``billing.chunking.PDFS``: about four per
    worker process, at most 50 statements each), one ``PDFS_TASK`` a chunk, so the workers
    render and store them in parallel; in-process, one chunk after the other, when tasks run
    eagerly. Idempotent: a PDF already stored is not rendered again. Returns how many tasks."""
    if PDFS_TASK not in current_app.tasks:
        current_app.loader.import_default_modules()  # see _queue_pdf
    chunks = chunked(list(statement_ids), workers=worker_processes(), rule=PDFS)
    for chunk in chunks:
        task_send(current_app.tasks[PDFS_TASK], chunk)
    return len(chunks)


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
        statement.voided_by = user
        statement.save(update_fields=["status", "void_reason", "voided_at", "voided_by", "updated_at"])
        statement_event_record(
            statement=statement,
            kind="voided",
            actor=user,
            at=statement.voided_at,
            reason=statement.void_reason,
        )
        return statement


def statement_mark_paid(*, statement_id: int, paid_at=None, user=None) -> Statement:
    """issued → paid (recorded from finance, by ``user`` when given: the API token's user).
    Paying a paid statement again changes nothing."""
    with transaction.atomic():
        statement = _locked(statement_id)
        if statement.status == Statement.Status.PAID:
            return statement
        if statement.status != Statement.Status.ISSUED:
            raise BillingError(f"{statement} is {statement.status}: only an issued statement can be paid")
        statement.status = Statement.Status.PAID
        statement.paid_at = paid_at or timezone.now()
        statement.paid_by = user
        statement.save(update_fields=["status", "paid_at", "paid_by", "updated_at"])
        statement_event_record(statement=statement, kind="paid", actor=user, paid_at=str(statement.paid_at))
        return statement


@dataclasses.dataclass
class IssueReport:
    """What one ``statements_issue_period_report`` call did with the statements it found.

    Each of the ``found`` drafts and approved statements ends in exactly one count:
    ``issued_found`` (issued here), ``already_issued`` (issued by another process first, or
    replaced by a draft that another process issued), ``voided`` (issued and voided by others
    meanwhile) or ``replaced`` (re-priced by a run before its contract was locked here; the
    replacement is issued here and is in ``issued``). ``issued`` may therefore hold more than
    ``issued_found``: the replacements, and adjustments priced after the start.
    """

    period: str
    found: int = 0
    issued: list[Statement] = dataclasses.field(default_factory=list)
    issued_found: int = 0
    already_issued: int = 0
    voided: int = 0
    replaced: int = 0

    @property
    def skipped(self) -> int:
        return self.already_issued + self.voided + self.replaced


def _issue_contract_month(
    contract_id: int, period: str, found: list[int], issue_date, report: IssueReport, user=None
) -> None:
    """Approve and issue a contract's drafts of the month in one transaction, and count what
    became of the statements ``found`` for it. Lock order: the contract row (the lock pricing
    takes, so no run replaces a draft while it is held), then its statements of the month in
    primary-key order, then the number series (``statement_issue``)."""
    live = [Statement.Status.DRAFT, Statement.Status.APPROVED]
    with transaction.atomic():
        locked = list(
            Contract.objects.select_for_update().filter(pk=contract_id).values_list("pk", flat=True)
        )
        current = []
        if locked:
            current = list(
                Statement.objects.select_for_update()
                .filter(contract_id=contract_id, period=period, status__in=live)
                .order_by("pk")
                .values_list("pk", "status", "revision")
            )
        issued_here = set()
        # Originals before the adjustments that correct them.
        for statement_id, status, _ in sorted(current, key=lambda row: row[2]):
            if status == Statement.Status.DRAFT:
                statement_approve(statement_id=statement_id, user=user)
            report.issued.append(
                statement_issue(statement_id=statement_id, issue_date=issue_date, user=user, queue_pdf=False)
            )
            issued_here.add(statement_id)
        now = dict(Statement.objects.filter(pk__in=found).values_list("pk", "status"))
    for statement_id in found:
        status = now.get(statement_id)
        if statement_id in issued_here:
            report.issued_found += 1
        elif status == Statement.Status.VOID:
            report.voided += 1
        elif status is None and issued_here:
            report.replaced += 1
        else:  # issued or paid by another process, or its replacement was
            report.already_issued += 1


def statements_issue_period_report(
    *,
    period: Period,
    contract_reference: str | None = None,
    issue_date=None,
    user=None,
    buyer_id: int | None = None,
    queue_pdfs: bool = True,
) -> IssueReport:
    """Approve and issue every draft and approved statement of ``period`` (adjustments
    included), contract by contract in reference order, one transaction per contract
    (``_issue_contract_month``): safe to run in several processes at once, and alongside runs
    of the same month. What another process issued, voided or re-priced meanwhile is skipped
    and counted (``IssueReport``), never an error. Raises ``BillingError`` only for a refusal
    that is not a concurrent change (the four-eyes rules among them, when ``user`` is given:
    with them on, a draft that ``user`` approves here cannot be issued by ``user`` too, so
    ``user`` issues statements approved by someone else); the contracts before it stay issued.
    The issued documents' PDFs are queued in chunks once committed (``statement_pdfs_queue``),
    unless ``queue_pdfs`` is off (the caller stores them from the report, showing progress);
    when a refusal stops the month, those issued before it are queued either way."""
    found = Statement.objects.filter(
        period=str(period), status__in=[Statement.Status.DRAFT, Statement.Status.APPROVED]
    )
    if contract_reference:
        found = found.filter(contract__reference=contract_reference)
    if buyer_id is not None:  # only that buyer's contracts
        found = found.filter(contract__buyer_id=buyer_id)
    by_contract: dict[int, list[int]] = {}
    for statement_id, contract_id in found.order_by("contract__reference", "revision").values_list(
        "pk", "contract_id"
    ):
        by_contract.setdefault(contract_id, []).append(statement_id)
    report = IssueReport(period=str(period), found=sum(map(len, by_contract.values())))
    try:
        for contract_id, statement_ids in by_contract.items():
            _issue_contract_month(contract_id, str(period), statement_ids, issue_date, report, user)
    except BaseException:
        # A refusal stopped the month: what was issued before it gets its PDFs all the same
        # (the caller, which does not get the report, cannot queue them).
        _queue_pdfs_on_commit(report)
        raise
    if queue_pdfs:
        _queue_pdfs_on_commit(report)
    return report


def _queue_pdfs_on_commit(report: IssueReport) -> None:
    issued_ids = [statement.pk for statement in report.issued]
    if issued_ids:
        transaction.on_commit(lambda: statement_pdfs_queue(statement_ids=issued_ids))


def statements_approve_period(
    *, period: Period, contract_reference: str | None = None, user=None, buyer_id: int | None = None
) -> list[Statement]:
    """Approve every draft of ``period`` (or of one contract) by ``user``, in contract
    reference order (only ``buyer_id``'s contracts when given), all or none in one
    transaction. Raises ``BillingError`` at the first
    refusal (a missing permission, the four-eyes rule), approving nothing."""
    drafts = Statement.objects.filter(period=str(period), status=Statement.Status.DRAFT)
    if contract_reference:
        drafts = drafts.filter(contract__reference=contract_reference)
    if buyer_id is not None:
        drafts = drafts.filter(contract__buyer_id=buyer_id)
    ids = list(drafts.order_by("contract__reference", "revision").values_list("pk", flat=True))
    with transaction.atomic():
        return [statement_approve(statement_id=pk, user=user) for pk in ids]


def statements_issue_period(
    *, period: Period, contract_reference: str | None = None, issue_date=None
) -> list[Statement]:
    """The statements ``statements_issue_period_report`` issued, in the order it issued them."""
    return statements_issue_period_report(
        period=period, contract_reference=contract_reference, issue_date=issue_date
    ).issued
