"""The feeds never serve a row ahead of an uncommitted one that sorts before it.

A payment recorded in a transaction that commits late took its event id and its document's
``updated_at`` before a second payment that commits at once. A client that read the second
and resumed after it (``after=``, a cursor) would never see the first. The writers hold the
feeds' shared lock from before those values are taken to their commit; a feed's read waits
for the exclusive one, so it answers only once the first payment has committed, and holds
both. PostgreSQL only: SQLite lets one transaction write at a time."""

import threading
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from billing.feed import FEED_LOCK_KEY, feed_events, feed_read_lock, feed_write_lock
from billing.models import Statement
from billing.services import statement_approve, statement_issue, statement_mark_paid, statement_price_draft
from pricing.period import Period

from .conftest import load_contract, load_kpis, month

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SETTLE_SECONDS = 1.0  # long enough for a reader that is not held back to have answered


PARTIES = (
    ("ACME", "Acme Telecom plc", "Alpha CX Ltd"),
    ("GLOBEX", "Globex Mobile Ltd", "Beta CX Ltd"),
    ("INITECH", "Initech plc", "Gamma CX Ltd"),
)


@pytest.fixture
def documents(kpi_catalogue):
    """January invoices between three pairs of parties, and a superuser's client (who sees all).

    No two share a party: two changes of documents with a party in common already wait for
    each other, as each locks the parties' rows with the document's (``billing.services._locked``)."""
    issued = []
    for code, name, supplier in PARTIES:
        contract = load_contract(f"{code}-L-001", supplier=supplier, buyer_code=code, buyer_name=name)
        load_kpis(month(contract.reference, "2026-01", 1500, 78), name=f"{contract.reference}.csv")
        draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
        statement_approve(statement_id=draft.pk)
        issued.append(statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3)))
    user = User.objects.create_superuser("auditor")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return issued, client


def in_thread(work) -> tuple[threading.Thread, dict]:
    """``work()`` on a thread of its own (its own database connection); its result in ``out``."""
    out = {}

    def run():
        try:
            out["result"] = work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def paid_but_not_committed(statement: Statement):
    """A payment of ``statement`` whose transaction stays open until ``release`` is set."""
    recorded, release = threading.Event(), threading.Event()

    def pay():
        with transaction.atomic():
            statement_mark_paid(statement_id=statement.pk)
            recorded.set()
            assert release.wait(30)

    thread, _ = in_thread(pay)
    assert recorded.wait(30)
    return thread, release


def _last_event_id(client) -> int:
    return client.get("/api/v1/events/").json()["results"][-1]["id"]


@pytest.mark.parametrize("feed", ["events", "updated_since"])
def test_a_feed_waits_for_a_change_that_commits_late_and_serves_it_before_a_later_one(documents, feed):
    (late, early, _), client = documents
    start_after = _last_event_id(client)
    since = timezone.now().isoformat()
    slow, release = paid_but_not_committed(late)  # took the lower event id and the earlier time
    statement_mark_paid(statement_id=early.pk)  # committed at once

    def read():
        if feed == "events":
            response = client.get("/api/v1/events/", {"after": start_after})
        else:
            response = client.get("/api/v1/invoices/", {"updated_since": since})
        assert response.status_code == 200
        return [item["number"] for item in response.json()["results"]]

    reader, out = in_thread(read)
    reader.join(SETTLE_SECONDS)
    assert reader.is_alive(), "the feed answered while an earlier change was uncommitted"
    release.set()
    slow.join(30)
    reader.join(30)
    assert out["result"] == [late.number, early.number]


def test_without_the_read_lock_the_late_change_would_be_skipped(documents):
    """The hazard the lock prevents, shown: read without it, the later payment is served alone."""
    (late, early, _), client = documents
    start_after = _last_event_id(client)
    slow, release = paid_but_not_committed(late)
    try:
        statement_mark_paid(statement_id=early.pk)
        served = feed_events(Statement.objects.all(), after=start_after, limit=10)
        assert [event.number for event in served] == [early.number]
    finally:
        release.set()
        slow.join(30)
    committed = feed_events(Statement.objects.all(), after=start_after, limit=10)
    assert [event.number for event in committed] == [late.number, early.number]  # the lower id committed last


def _feed_locks_held() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            [FEED_LOCK_KEY],
        )
        return sorted(mode for (mode,) in cursor.fetchall())


@pytest.mark.database_path("billing.feed_write_lock")
@pytest.mark.database_path("billing.feed_read_lock")
def test_the_feed_locks_give_the_same_result_on_both_paths_and_take_the_lock_to_the_commit(documents):
    for path, mode in ((feed_write_lock, "ShareLock"), (feed_read_lock, "ExclusiveLock")):
        with transaction.atomic():
            assert path.postgresql() is None and path.portable() is None
            assert _feed_locks_held() == [mode]
        assert _feed_locks_held() == []
