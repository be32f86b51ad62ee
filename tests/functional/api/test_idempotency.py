"""Recording a payment is idempotent per key: one winner under concurrency, byte-identical replays."""

import datetime
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from billing.models import IdempotencyKey, Statement
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Membership
from pricing.period import Period
from tests.integration.billing.conftest import load_contract, load_kpis, month


def issued_document() -> Statement:
    contract = load_contract("ACME-I-001", "Northwind CX Ltd")
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period.parse("2026-01"))
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=datetime.date(2026, 2, 3))


def finance_client(document: Statement) -> APIClient:
    user, _ = User.objects.get_or_create(username="finance-acme")
    Membership.objects.get_or_create(user=user, defaults={"organisation": document.buyer, "role": "finance"})
    client = APIClient()
    client.force_authenticate(user)
    return client


def mark_paid(client: APIClient, number: str, day: int, key: str):
    return client.post(
        f"/api/v1/invoices/{number}/mark-paid/",
        {"paid_at": f"2026-03-{day:02d}T10:00:00Z"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.mark.django_db(transaction=True)
def test_one_key_sent_with_eight_bodies_at_once_has_exactly_one_winner(kpi_catalogue):
    document = issued_document()
    responses: list = []
    start = threading.Barrier(8)

    def send(day: int) -> None:
        client = finance_client(document)
        start.wait()
        try:
            responses.append((day, mark_paid(client, document.number, day, "race-1")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(day,)) for day in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(response.status_code for _, response in responses)
    assert statuses == [200] + [409] * 7
    (winner_day,) = [day for day, response in responses if response.status_code == 200]
    paid = Statement.objects.get(pk=document.pk)
    assert paid.status == "paid" and paid.paid_at.day == winner_day
    assert IdempotencyKey.objects.filter(key="race-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_key_and_body_sent_at_once_replays_the_same_bytes(kpi_catalogue):
    document = issued_document()
    responses: list = []
    start = threading.Barrier(4)

    def send() -> None:
        client = finance_client(document)
        start.wait()
        try:
            responses.append(mark_paid(client, document.number, 5, "race-2"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [response.status_code for response in responses] == [200] * 4
    assert len({response.content for response in responses}) == 1


def test_a_replay_is_the_first_response_byte_for_byte(db, kpi_catalogue):
    document = issued_document()
    client = finance_client(document)
    first = mark_paid(client, document.number, 1, "k1")
    # time passes and the document's live state is read differently: the replay is still the first
    replay = mark_paid(client, document.number, 1, "k1")
    assert first.status_code == replay.status_code == 200
    assert replay.content == first.content and replay["Content-Type"] == first["Content-Type"]
    assert first.json()["status"] == "paid"
    conflict = mark_paid(client, document.number, 2, "k1")
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "Idempotency-Key was used with another request"}


@pytest.mark.parametrize("key", ["x" * 201, "tab\there", "é-key", "nul\x00key"])
def test_a_key_that_cannot_be_stored_is_a_400_and_stores_nothing(db, kpi_catalogue, key):
    document = issued_document()
    response = mark_paid(finance_client(document), document.number, 1, key)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not IdempotencyKey.objects.exists()
    assert Statement.objects.get(pk=document.pk).status == "issued"


def test_a_refused_payment_leaves_the_key_free(db, kpi_catalogue):
    document = issued_document()
    client = finance_client(document)
    before_issue = client.post(
        f"/api/v1/invoices/{document.number}/mark-paid/",
        {"paid_at": "2026-01-01T10:00:00Z"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert before_issue.status_code == 400  # paid before the document was issued
    assert not IdempotencyKey.objects.exists()
    assert mark_paid(client, document.number, 3, "k2").status_code == 200
