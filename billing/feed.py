"""Reads for accounting systems that keep in sync: documents changed since a moment, by a
keyset cursor over (``updated_at``, ``id``), and the finance events of documents in id order.

Both feeds resume from the last thing a client saw, so neither may ever serve a row that sorts
after one still uncommitted: that row would be skipped for ever once it commits. Every change
of an issued document's state (issue, void, payment) goes through ``billing.services._locked``,
which takes :func:`feed_write_lock` first, before the document's ``updated_at`` and its
event's id are assigned, and holds it to the end of its transaction; a feed reads under
:func:`feed_read_lock`, which waits until no such transaction is in flight (and holds new ones
back while it reads). So whatever a page holds, every row that could sort before it is already
committed or never will be. On SQLite, which lets one transaction write at a time, the
writers' lock is that write lock, taken before the values, and readers need none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.core import signing
from django.db import connection
from django.db.models import Count, Q, QuerySet, Window
from django.utils.dateparse import parse_datetime

from contracts.selectors import currency_decimal_places
from core.databases import database_path
from pricing.money import quantum

from .models import Statement, StatementEvent

# The one PostgreSQL advisory lock key of the feeds (any fixed 64-bit number; "GSFEED" in ASCII).
FEED_LOCK_KEY = 0x475346454544
# The events a finance system follows; an issued document that adjusts another is told apart.
FEED_EVENT_KINDS = ("issued", "voided", "paid")
ADJUSTMENT_ISSUED = "adjustment issued"
FEED_EVENT_TYPES = ("issued", ADJUSTMENT_ISSUED, "voided", "paid")
MAX_CURSOR_CHARS = 200
MAX_DATETIME_CHARS = 40
MAX_EVENT_ID = 2**63 - 1
CURSOR_SALT = "billing.feed.cursor"


class FeedError(ValueError):
    """A feed parameter that is not valid; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _write_lock_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [FEED_LOCK_KEY])


def _read_lock_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK_KEY])


def _write_lock_portable() -> None:
    """A write that changes no row: SQLite then holds its one write lock for the transaction,
    so the timestamps and ids taken after it are taken in commit order."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Statement._meta.db_table} SET id = id WHERE 1 = 0")  # noqa: S608 (a model's table)


def _no_lock() -> None:
    """Once writers take their values in commit order (``_write_lock_portable``), a reader that
    sees only committed rows has nothing to wait for."""


# Shared by the writers of a document's state, in their transaction: many write at once.
feed_write_lock = database_path(
    "billing.feed_write_lock", postgresql=_write_lock_postgresql, portable=_write_lock_portable
)
# Exclusive, in the reading transaction: it waits for the writers in flight to commit.
feed_read_lock = database_path("billing.feed_read_lock", postgresql=_read_lock_postgresql, portable=_no_lock)


def updated_since_parse(text: str) -> datetime:
    """``text`` as an aware datetime in UTC: ISO 8601 with its offset from UTC (``Z`` or
    ``+01:00``), at most :data:`MAX_DATETIME_CHARS` characters. Raises ``FeedError`` otherwise."""
    problem = FeedError(
        "updated_since", "an ISO 8601 date and time with its offset, e.g. 2026-03-01T00:00:00Z"
    )
    if len(text) > MAX_DATETIME_CHARS:
        raise problem
    try:
        moment = parse_datetime(text.strip())
    except ValueError:
        raise problem from None
    if moment is None or moment.utcoffset() is None:
        raise problem
    try:
        # In UTC: the database is given no offset of its own (PostgreSQL refuses some that
        # ISO 8601 allows, e.g. +23:44).
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that takes the moment out of the years a datetime holds
        raise problem from None


@dataclass(frozen=True)
class FeedPosition:
    """Where a client is in the changed documents: after the document ``statement_id`` as it
    was at ``updated_at`` (both exclusive: the next page starts after it)."""

    updated_at: datetime
    statement_id: int


def cursor_text(position: FeedPosition) -> str:
    """``position`` as an opaque, signed text (the ``SECRET_KEY`` signs it): a client cannot
    make one up or change one without it being refused."""
    return signing.dumps([position.updated_at.isoformat(), position.statement_id], salt=CURSOR_SALT)


def cursor_parse(text: str) -> FeedPosition:
    """The position a cursor of :func:`cursor_text` holds. Raises ``FeedError`` for anything
    else: longer than :data:`MAX_CURSOR_CHARS`, a bad signature, or not a position."""
    problem = FeedError("cursor", "not a cursor this API gave: start again from updated_since")
    if len(text) > MAX_CURSOR_CHARS:
        raise problem
    try:
        moment_text, statement_id = signing.loads(text, salt=CURSOR_SALT)
        moment = datetime.fromisoformat(moment_text)
    except (signing.BadSignature, ValueError, TypeError):
        raise problem from None
    if moment.utcoffset() is None or type(statement_id) is not int or not 0 < statement_id <= MAX_EVENT_ID:
        raise problem
    return FeedPosition(moment, statement_id)


def statements_changed(
    statements: QuerySet[Statement], *, since: datetime | None, position: FeedPosition | None, limit: int
) -> tuple[list[tuple[int, datetime]], int]:
    """The first ``limit`` of ``statements`` whose ``updated_at`` is after ``since`` (exclusive)
    and that sort after ``position`` (exclusive), by (``updated_at``, ``id``) ascending: their
    (id, updated_at), and how many match from the first on (this page included). One query
    (a window count). Call it under :func:`feed_read_lock`."""
    if since is not None:
        statements = statements.filter(updated_at__gt=since)
    if position is not None:
        statements = statements.filter(
            Q(updated_at__gt=position.updated_at)
            | Q(updated_at=position.updated_at, pk__gt=position.statement_id)
        )
    rows = list(
        statements.order_by("updated_at", "pk")
        .annotate(matching=Window(Count("pk")))
        .values_list("pk", "updated_at", "matching")[:limit]
    )
    return [(pk, updated_at) for pk, updated_at, _ in rows], rows[0][2] if rows else 0


@dataclass(frozen=True)
class FeedEvent:
    """One finance event of a document: its ``id`` (increasing), ``type``
    (:data:`FEED_EVENT_TYPES`), the document's number and type, the number of the document it
    adjusts (or ``None``), its gross amount as a string with the currency's places, the
    currency, and when it happened."""

    id: int
    type: str
    number: str
    document_type: str
    adjusts: str | None
    amount: str
    currency: str
    at: datetime


def feed_events(statements: QuerySet[Statement], *, after: int, limit: int) -> list[FeedEvent]:
    """The first ``limit`` finance events (issued, voided, paid) with an id above ``after``, in
    id order, of the documents among ``statements``. Two queries: the events, then their
    documents. Call it under :func:`feed_read_lock`."""
    events = list(
        StatementEvent.objects.filter(
            pk__gt=after, kind__in=FEED_EVENT_KINDS, statement_id__in=statements.values("pk")
        )
        .order_by("pk")
        .values_list("pk", "kind", "statement_id", "at")[:limit]
    )
    documents = {
        row[0]: row[1:]
        for row in Statement.objects.filter(
            pk__in={statement_id for _, _, statement_id, _ in events}
        ).values_list("pk", "number", "document_type", "adjusts__number", "gross", "currency")
    }
    feed = []
    for pk, kind, statement_id, at in events:
        number, document_type, adjusts, gross, currency = documents[statement_id]
        feed.append(
            FeedEvent(
                id=pk,
                type=ADJUSTMENT_ISSUED if kind == "issued" and adjusts is not None else kind,
                number=number,
                document_type=document_type,
                adjusts=adjusts,
                amount=_amount_text(gross, str(currency)),
                currency=str(currency),
                at=at,
            )
        )
    return feed


def _amount_text(amount: Decimal, currency: str) -> str:
    return str(amount.quantize(quantum(currency_decimal_places(currency))))
