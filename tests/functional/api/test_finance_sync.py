"""A buyer's accounting system kept in sync through the finance API and its webhooks.

It starts from nothing, registers a webhook endpoint (a real receiver on 127.0.0.1), follows
``/api/v1/events/`` and the invoice list's ``updated_since`` feed page by page while documents
are issued, paid, voided and adjusted around it, takes in each signed webhook, records
payments itself through ``mark-paid``, and ends with exactly the documents, statuses and
amounts the database holds, by the feeds and by the webhooks alike."""

from dataclasses import dataclass, field
from datetime import date

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from billing.document_json import datetime_text
from billing.models import Statement
from billing.services import (
    statement_approve,
    statement_issue,
    statement_mark_paid,
    statement_price_draft,
    statement_void,
)
from contracts.models import Contract, Organisation
from pricing.period import Period
from tests.integration.billing.conftest import load_kpis, month
from tests.integration.webhooks.conftest import Receiver, serving
from webhooks.models import EventType, WebhookEndpoint

pytestmark = pytest.mark.django_db
EPOCH = "2000-01-01T00:00:00Z"
# What the system keeps of each document, and compares with the database at the end.
KEPT = ("status", "document_type", "adjusts", "currency", "net", "tax", "gross", "paid_at")
STATUS_AFTER = {"issued": "issued", "adjustment issued": "issued", "paid": "paid", "voided": "void"}


@dataclass
class FinanceSystem:
    """The accounting system's local copy: documents by number (``KEPT``), the status and
    amount each has by the events it followed, and where it is in both feeds."""

    client: APIClient
    page_size: int = 2
    documents: dict[str, dict] = field(default_factory=dict)
    by_events: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    last_event: int = 0
    cursor: str | None = None
    receiver: Receiver | None = None
    secret: str = ""
    received: int = 0
    webhooks: list[dict] = field(default_factory=list)
    by_webhooks: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def get(self, url: str, params: dict | None = None) -> dict:
        response = self.client.get(url, params)
        assert response.status_code == 200, response.content
        return response.json()

    def events_page(self) -> bool:
        """Read one page of events after the last one seen; whether there may be more."""
        page = self.get("/api/v1/events/", {"after": self.last_event, "page_size": self.page_size})
        for event in page["results"]:
            assert event["id"] > self.last_event
            self.last_event = event["id"]
            self.by_events[event["number"]] = (
                STATUS_AFTER[event["type"]],
                event["amount"],
                event["currency"],
            )
        return page["next"] is not None

    def documents_page(self) -> bool:
        """Read one page of documents changed since the last cursor (from the start the first
        time); whether there may be more."""
        params = {"cursor": self.cursor} if self.cursor else {"updated_since": EPOCH}
        page = self.get("/api/v1/invoices/", {**params, "page_size": self.page_size})
        for document in page["results"]:
            self.keep(document)
        self.cursor = page["cursor"] or self.cursor
        return page["next"] is not None

    def keep(self, document: dict) -> None:
        self.documents[document["number"]] = {name: document[name] for name in KEPT}

    def receive_webhooks(self) -> None:
        """Take in the deliveries the receiver got since the last call: each verified with the
        endpoint's secret (Standard Webhooks), kept in ``webhooks``, and the status and amount
        it says kept per document in ``by_webhooks``."""
        new = self.receiver.requests[self.received :]
        self.received += len(new)
        for request in new:
            payload = Webhook(self.secret).verify(request.body, request.headers)
            self.webhooks.append(payload)
            data = payload["data"]
            self.by_webhooks[data["number"]] = (data["status"], data["gross"], data["currency"])

    def sync(self) -> None:
        """Follow both feeds to their ends."""
        self.receive_webhooks()
        while self.events_page():
            pass
        while self.documents_page():
            pass

    def pay(self, number: str, key: str) -> None:
        """Record a payment through the API, retried once as after a timeout (the same key)."""
        for _ in range(2):
            response = self.client.post(
                f"/api/v1/invoices/{number}/mark-paid/", {}, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            assert response.status_code == 200, response.content
            self.keep(response.json())


def database_copy(buyer_code: str) -> dict[str, dict]:
    """The buyer's issued documents straight from the rows, as the system keeps them."""
    return {
        statement.number: {
            "status": statement.status,
            "document_type": statement.document_type,
            "adjusts": statement.adjusts.number if statement.adjusts else None,
            "currency": str(statement.currency),
            "net": f"{statement.net:.2f}",
            "tax": f"{statement.tax:.2f}",
            "gross": f"{statement.gross:.2f}",
            "paid_at": datetime_text(statement.paid_at),
        }
        for statement in Statement.objects.filter(buyer__code=buyer_code).select_related("adjusts")
    }


def issue(contract: Contract, period: str, voice: int, issue_date: date) -> Statement:
    """Price ``period`` of ``contract`` on a KPI file of ``voice`` calls, approve and issue it
    (an adjustment when the month is already issued)."""
    load_kpis(month(contract.reference, period, voice, 80), name=f"{contract.reference}-{period}-{voice}.csv")
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse(period))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=issue_date)


@pytest.fixture
def receiver(monkeypatch, settings):
    """The accounting system's webhook receiver on 127.0.0.1; no retry waits, no PDF rendering
    (issuing queues it after commit too; it is tested in billing's tests)."""
    from billing import pdf

    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    monkeypatch.setattr(pdf, "statement_pdf_store", lambda *, statement_id: None)
    with serving() as state:
        yield state


def test_a_finance_system_syncs_from_nothing_to_exactly_the_database(
    two_buyers, finance_token, receiver, django_capture_on_commit_callbacks
):
    acme = two_buyers["ACME"]
    first, second = (Contract.objects.get(reference=reference) for reference in ("ACME-001", "ACME-002"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {finance_token}")
    endpoint = WebhookEndpoint.objects.create(
        buyer=Organisation.objects.get(code="ACME"),
        url=receiver.url(),
        event_types=[choice.value for choice in EventType],
    )
    system = FinanceSystem(client, receiver=receiver, secret=endpoint.secret)
    # Each block of changes commits as in production (its webhooks are delivered on commit).
    committed = django_capture_on_commit_callbacks

    # A first page of each feed, then the world moves on while the system is half-way through.
    assert system.events_page() and system.documents_page()
    with committed(execute=True):
        statement_mark_paid(statement_id=acme[0].pk)  # seen already: comes again at the end
        statement_void(statement_id=acme[4].pk, reason="issued to the wrong cost centre")  # not yet seen
        adjustment = issue(first, "2026-01", 1500, date(2026, 4, 2))  # a late correction of January
        april = issue(second, "2026-04", 1400, date(2026, 5, 4))  # a new month
    system.sync()
    assert len(system.webhooks) == 4  # one each: paid, voided, adjustment issued, issued

    # The system pays two documents itself (one of them the adjustment), then more happens.
    with committed(execute=True):
        system.pay(acme[1].number, key="remittance-0001")
        system.pay(adjustment.number, key="remittance-0002")
    with committed(execute=True):
        statement_void(statement_id=april.pk, reason="duplicate of a manual invoice")
        replacement = issue(second, "2026-04", 1450, date(2026, 5, 6))
        statement_mark_paid(statement_id=replacement.pk)
    system.sync()

    expected = database_copy("ACME")
    assert system.documents == expected
    assert system.by_events == {
        number: (document["status"], document["gross"], document["currency"])
        for number, document in expected.items()
    }
    assert {adjustment.number, april.number, replacement.number} <= set(system.documents)
    assert system.documents[adjustment.number]["adjusts"] == acme[0].number
    # Every change made since the endpoint was registered came as a signed webhook, once, and
    # the last one of each document says what the database says.
    changed = {acme[0].number, acme[1].number, acme[4].number, adjustment.number, april.number}
    assert set(system.by_webhooks) == changed | {replacement.number}
    assert system.by_webhooks == {number: system.by_events[number] for number in system.by_webhooks}
    kinds = [(payload["data"]["number"], payload["type"]) for payload in system.webhooks]
    assert len(kinds) == len(set(kinds)) == 9  # 4, then 2 payments (each retried: one event), 3
