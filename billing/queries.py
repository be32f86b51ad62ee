"""Writes and reads for suppliers' queries on issued documents, and acknowledgements.

A supplier user raises a query on a document it may see (``visible_statements``) that is
issued or paid, on one of its lines or on the whole document; both sides write to its
thread; procurement of the document's buyer, with ``billing.resolve_statementquery``,
resolves it as *explained* (nothing changes) or *accepted* with a corrected KPI file for the
document's contract and month. Acceptance ingests the file as the buyer and starts a billing
run of that contract-month, whose correction is an adjustment draft reviewed, approved and
issued like any other; the query links to it (:func:`query_adjustments`).

Lock rules: each write takes the query's row (or, to raise or acknowledge, the statement's)
with ``select_for_update``, re-reads its state, checks it, then writes, in one transaction.
Every step is also an event in the statement's history, and the ``billing.signals`` are sent
once the transaction commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contracts.selectors import currency_decimal_places
from contracts.tenancy import EVERYTHING, buyer_scope
from kpis.services import kpi_batch_ingest
from pricing.period import Period

from . import services, signals, tasks
from .dispatch import task_send
from .documents import component_title, component_titles
from .errors import BillingError
from .events import statement_event_record
from .models import (
    QueryMessage,
    Statement,
    StatementAcknowledgement,
    StatementEvent,
    StatementLine,
    StatementQuery,
)
from .permissions import visible_statements
from .query_models import MAX_MESSAGE_CHARS

QUERYABLE_STATUSES = (Statement.Status.ISSUED, Statement.Status.PAID)
RESOLUTIONS = (StatementQuery.Status.EXPLAINED, StatementQuery.Status.ACCEPTED)
MAX_FILE_ERRORS_SHOWN = 20
MAX_AGREED_AMOUNT = Decimal("1000000000000")  # 10^12 in the currency, either way
# Line and paragraph separators, bidirectional overrides: as contract texts refuse them.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class QueryRefused(BillingError):
    """A query, message, resolution or acknowledgement refused; the message says why (and, for
    a corrected KPI file, ``errors`` lists the file's problems)."""

    def __init__(self, message: str, errors: Iterable[str] = ()):
        super().__init__(message)
        self.errors = list(errors)


@dataclass(frozen=True)
class CorrectedFile:
    """A corrected KPI file uploaded to accept a query: its name and bytes."""

    name: str
    content: bytes


def query_text(text) -> str:
    """``text`` stripped, line breaks as ``\\n``. Raises ``QueryRefused`` when it is empty,
    longer than ``MAX_MESSAGE_CHARS`` (4,000) characters, or holds a control character (tab
    included), a lone surrogate, a line or paragraph separator or a bidirectional override."""
    if not isinstance(text, str):
        raise QueryRefused("write the message as text")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise QueryRefused("write a message: it cannot be empty")
    if len(text) > MAX_MESSAGE_CHARS:
        raise QueryRefused(f"the message is {len(text):,} characters long; at most {MAX_MESSAGE_CHARS:,}")
    for char in text:
        if char != "\n" and (unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI_CONTROLS):
            name = unicodedata.name(char, "control character").lower()
            raise QueryRefused(f"the message contains {name} (U+{ord(char):04X}), which is not allowed")
    return text


def query_subject(line: StatementLine | None, title: str = "") -> str:
    """What a query is about, in words: the line as the statement numbers it (from 1), by its
    component's title (else its id made readable) with the id, kind and KPI after it, or the
    whole statement."""
    if line is None:
        return "the whole statement"
    codes = ", ".join(filter(None, (line.component_id, line.kind.replace("_", " "), line.kpi)))
    return f"line {line.position + 1}: {component_title(line.component_id, title)} ({codes})"


def _title_of_line(statement: Statement, line: StatementLine | None) -> str:
    """The title the contract gives the line's component in the statement's terms (``""``)."""
    if line is None:
        return ""
    return component_titles([statement.terms_version_id])[statement.terms_version_id].get(
        line.component_id, ""
    )


def _supplier_statement(user, statement_id: int) -> Statement:
    """The statement under its row lock if ``user`` is a supplier user who may see it."""
    membership = getattr(user, "membership", None)
    if membership is None or membership.role != "supplier":
        raise QueryRefused("only the supplier's users raise queries and acknowledge documents")
    statement = (
        visible_statements(user)
        .select_for_update(of=("self",))
        .select_related("contract")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None:
        raise QueryRefused("no such statement")
    return statement


def _is_buyer_of(user, statement: Statement) -> bool:
    scope = buyer_scope(user)
    return scope is EVERYTHING or (scope is not None and scope == statement.buyer_id)


def _locked_query(query_id: int) -> StatementQuery:
    query = (
        StatementQuery.objects.select_for_update(of=("self",))
        .select_related("statement")
        .filter(pk=query_id)
        .first()
    )
    if query is None:
        raise QueryRefused("no such query")
    return query


def _send_on_commit(signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=StatementQuery, **kwargs))


def statement_query_raise(
    *, statement_id: int, user, text: str, line_position: int | None = None
) -> StatementQuery:
    """Raise a query on an issued or paid document, on its line at ``line_position`` (``None``:
    the whole document), by a supplier user who may see the document, with its first message.
    Records a "query raised" event and sends ``signals.query_raised`` after commit. Raises
    ``QueryRefused`` for another user, a document it may not see (worded as unknown), a void
    document, a position that is not one of the document's lines, or a bad ``text``."""
    text = query_text(text)
    with transaction.atomic():
        statement = _supplier_statement(user, statement_id)
        if statement.status not in QUERYABLE_STATUSES:
            raise QueryRefused(
                f"{statement.number} is {statement.status}: only an issued or paid document can be queried"
            )
        line = None
        if line_position is not None:
            line = StatementLine.objects.filter(statement=statement, position=line_position).first()
            if line is None:
                raise QueryRefused(f"{statement.number} has no line {line_position}")
        now = timezone.now()
        query = StatementQuery.objects.create(
            statement=statement,
            line_position=line_position,
            subject=query_subject(line, _title_of_line(statement, line)),
            raised_by=user,
            raised_at=now,
        )
        QueryMessage.objects.create(
            query=query, author=user, side=QueryMessage.Side.SUPPLIER, at=now, text=text
        )
        statement_event_record(
            statement=statement,
            kind=StatementEvent.Kind.QUERY_RAISED,
            actor=user,
            at=now,
            query=query.pk,
            subject=query.subject,
        )
        _send_on_commit(
            signals.query_raised,
            statement=statement,
            query_id=query.pk,
            subject=query.subject,
            text=text,
            actor=user,
        )
        return query


def _side(user, query: StatementQuery) -> str:
    """The side ``user`` writes for on ``query``'s thread. Raises ``QueryRefused`` for anyone
    who is neither the document's supplier nor procurement of its buyer with the permission."""
    membership = getattr(user, "membership", None)
    if membership is not None and membership.role == "supplier":
        if not visible_statements(user).filter(pk=query.statement_id).exists():
            raise QueryRefused("no such query")
        return QueryMessage.Side.SUPPLIER
    if _is_buyer_of(user, query.statement) and user.has_perm("billing.resolve_statementquery"):
        return QueryMessage.Side.BUYER
    raise QueryRefused("no such query")


def statement_query_reply(*, query_id: int, user, text: str) -> QueryMessage:
    """Add a message to an open query's thread, by its supplier's user or by procurement of
    the document's buyer (``billing.resolve_statementquery``). Procurement's reply records a
    "query answered" event and sends ``signals.query_answered`` (``resolution=""``). Raises
    ``QueryRefused`` for a resolved query, anyone else (worded as unknown) or a bad ``text``."""
    text = query_text(text)
    with transaction.atomic():
        query = _locked_query(query_id)
        side = _side(user, query)
        if not query.is_open:
            raise QueryRefused(f"query {query.pk} is {query.status}: its thread is closed")
        message = QueryMessage.objects.create(query=query, author=user, side=side, text=text)
        if side == QueryMessage.Side.BUYER:
            statement_event_record(
                statement=query.statement,
                kind=StatementEvent.Kind.QUERY_ANSWERED,
                actor=user,
                at=message.at,
                query=query.pk,
            )
            _send_on_commit(
                signals.query_answered,
                statement=query.statement,
                query_id=query.pk,
                subject=query.subject,
                text=text,
                actor=user,
                resolution="",
            )
        return message


def _ingest_correction(query: StatementQuery, user, corrected: CorrectedFile):
    """Ingest ``corrected`` as ``user`` (the buyer), naming only the query's contract and month.
    Raises ``QueryRefused`` with the file's errors otherwise."""
    statement = query.statement
    result = kpi_batch_ingest(
        file_name=corrected.name,
        content=corrected.content,
        source="admin",
        uploaded_by=user,
        allowed_contracts=[statement.contract_id],
    )
    if result.status == "rejected":
        shown = [str(error) for error in result.errors[:MAX_FILE_ERRORS_SHOWN]]
        raise QueryRefused(
            f"{corrected.name}: the file was refused ({result.error_count:,} problem(s)); nothing changed",
            shown,
        )
    if result.status == "duplicate":
        raise QueryRefused(f"{corrected.name}: this file was already ingested; nothing changed")
    if result.status != "accepted":
        raise QueryRefused(f"{corrected.name}: the file was not accepted ({result.status}); nothing changed")
    batch = result.batch
    if batch.periods != [statement.period]:
        raise QueryRefused(
            f"{corrected.name}: the corrected file must hold only {statement.period}, "
            f"not {', '.join(batch.periods)}; nothing changed"
        )
    return batch


def agreed_amount_checked(amount, *, currency: str) -> Decimal:
    """``amount`` as agreed: a ``Decimal``, not zero, less than 10^12 in magnitude, with no
    more places than the currency's minor unit. Raises ``QueryRefused`` otherwise."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise QueryRefused("the agreed amount must be a number")
    if amount.is_zero():
        raise QueryRefused("an agreed amount of zero changes nothing: resolve the query as explained")
    if abs(amount) >= MAX_AGREED_AMOUNT:
        raise QueryRefused(f"the agreed amount must be less than {MAX_AGREED_AMOUNT:,} either way")
    places = currency_decimal_places(currency)
    if -amount.as_tuple().exponent > places:
        raise QueryRefused(f"the agreed amount has more than {places} decimal places for {currency}")
    return amount


def statement_query_resolve(
    *,
    query_id: int,
    user,
    resolution: str,
    text: str,
    corrected: CorrectedFile | None = None,
    agreed_amount: Decimal | None = None,
) -> StatementQuery:
    """Resolve an open query as ``explained`` or ``accepted``, with procurement's answer
    (``text``), by procurement of the document's buyer with ``billing.resolve_statementquery``.

    Accepted needs either ``corrected``, a KPI file (the usual format) for the document's
    contract and month only, ingested as the buyer, or ``agreed_amount``, an amount in the
    document's currency the two sides agreed (owed to the supplier if positive), priced from
    then on as an ``agreed`` line of the month (see :func:`agreed_amount_checked`). Either way a
    billing run of that contract-month is started once the transaction commits (its
    correction becomes an adjustment draft). One transaction:
    a refused file refuses the whole resolution and nothing changes. Records a "query resolved"
    event and sends ``signals.query_answered`` with the resolution after commit. Raises
    ``QueryRefused`` for a resolved query, an unknown resolution, a bad text or file, or a user
    who may not resolve it (worded as an unknown query for another buyer's)."""
    if resolution not in RESOLUTIONS:
        raise QueryRefused("resolve a query as explained or accepted")
    text = query_text(text)
    if resolution == StatementQuery.Status.ACCEPTED and (corrected is None) == (agreed_amount is None):
        raise QueryRefused(
            "an accepted query needs the corrected KPI file for its month or the amount agreed (one of them)"
        )
    if resolution == StatementQuery.Status.EXPLAINED and (corrected is not None or agreed_amount is not None):
        raise QueryRefused("an explained query changes nothing: leave the corrected file and amount out")
    with transaction.atomic():
        query = _locked_query(query_id)
        statement = query.statement
        if not _is_buyer_of(user, statement) or not user.has_perm("billing.resolve_statementquery"):
            raise QueryRefused("no such query")
        if not query.is_open:
            raise QueryRefused(f"query {query.pk} is already {query.status}")
        now = timezone.now()
        detail = {"query": query.pk, "resolution": resolution}
        if resolution == StatementQuery.Status.ACCEPTED:
            if corrected is not None:
                query.correction_batch = _ingest_correction(query, user, corrected)
                detail["kpi_batch"] = query.correction_batch.pk
            else:
                query.agreed_amount = agreed_amount_checked(agreed_amount, currency=str(statement.currency))
                detail["agreed_amount"] = str(query.agreed_amount)
            run = services.billing_run_create(
                period=Period.parse(statement.period),
                contract_reference=statement.contract.reference,
                buyer_id=statement.buyer_id,
                requested_by=user,
            )
            query.correction_run = run
            detail["billing_run"] = run.pk
            transaction.on_commit(lambda run_id=run.pk: task_send(tasks.run_billing, run_id))
        QueryMessage.objects.create(query=query, author=user, side=QueryMessage.Side.BUYER, at=now, text=text)
        query.status = resolution
        query.resolved_by = user
        query.resolved_at = now
        query.save(
            update_fields=[
                "status",
                "resolved_by",
                "resolved_at",
                "correction_batch",
                "correction_run",
                "agreed_amount",
            ]
        )
        statement_event_record(
            statement=statement, kind=StatementEvent.Kind.QUERY_RESOLVED, actor=user, at=now, **detail
        )
        _send_on_commit(
            signals.query_answered,
            statement=statement,
            query_id=query.pk,
            subject=query.subject,
            text=text,
            actor=user,
            resolution=resolution,
        )
        return query


def statement_acknowledge(*, statement_id: int, user) -> StatementAcknowledgement:
    """A supplier user who may see it acknowledges an issued or paid self-billed invoice; who
    and when are recorded (and an "acknowledged" event). Raises ``QueryRefused`` for a document
    already acknowledged, one that is not a self-billed invoice, void, or not visible to
    ``user`` (worded as unknown)."""
    with transaction.atomic():
        statement = _supplier_statement(user, statement_id)
        if not statement.contract.self_billing or statement.document_type != Statement.DocumentType.INVOICE:
            raise QueryRefused(
                f"{statement.number} is not a self-billed invoice: there is nothing to acknowledge"
            )
        if statement.status not in QUERYABLE_STATUSES:
            raise QueryRefused(f"{statement.number} is {statement.status}: it cannot be acknowledged")
        existing = (
            StatementAcknowledgement.objects.filter(statement=statement)
            .select_related("acknowledged_by")
            .first()
        )
        if existing is not None:
            raise QueryRefused(
                f"{statement.number} was already acknowledged by {existing.acknowledged_by.username} "
                f"on {timezone.localtime(existing.acknowledged_at):%d %B %Y %H:%M}"
            )
        acknowledgement = StatementAcknowledgement.objects.create(statement=statement, acknowledged_by=user)
        statement_event_record(
            statement=statement,
            kind=StatementEvent.Kind.ACKNOWLEDGED,
            actor=user,
            at=acknowledgement.acknowledged_at,
        )
        return acknowledgement
