"""A real HTTP receiver on 127.0.0.1 and two buyers with an endpoint each, for the webhook tests."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.functional.portal.conftest import price
from tests.integration.billing.conftest import load_contract
from webhooks.models import EventType, WebhookEndpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the receiver was sent, and the statuses it answers with in turn (then 204)."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 204


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = receiver.next_status()
            if 300 <= status < 400:
                self.send_response(status)
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()
                return
            text = b"" if status == 204 else f"answer {status}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def serving():
    """A receiver on a free port of 127.0.0.1, served by a thread until the block ends."""
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver():
    with serving() as state:
        yield state


@pytest.fixture
def second_receiver():
    with serving() as state:
        yield state


ALL_EVENTS = [choice.value for choice in EventType]


@pytest.fixture
def buyers(db, receiver, second_receiver):
    """Acme's contract with Alpha and Globex's with Beta, an approved January each; Acme's
    endpoint on ``receiver``, Globex's on ``second_receiver``, both subscribed to every event."""
    acme = load_contract("ACME-W-001", supplier="Alpha CX Ltd")
    globex = load_contract(
        "GLOBEX-W-001", supplier="Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd"
    )
    return {
        "acme": acme,
        "globex": globex,
        "acme_draft": price(acme, "2026-01"),
        "globex_draft": price(globex, "2026-01", voice=900, service_level=85),
        "acme_endpoint": WebhookEndpoint.objects.create(
            buyer=acme.buyer, url=receiver.url(), event_types=ALL_EVENTS
        ),
        "globex_endpoint": WebhookEndpoint.objects.create(
            buyer=globex.buyer, url=second_receiver.url(), event_types=ALL_EVENTS
        ),
    }


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch):
    """Issuing queues the PDF after commit too; its rendering is tested in billing's tests."""
    from billing import pdf

    monkeypatch.setattr(pdf, "statement_pdf_store", lambda *, statement_id: None)


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
