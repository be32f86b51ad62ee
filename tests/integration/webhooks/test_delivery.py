"""Webhook delivery to a real receiver on 127.0.0.1: signed per Standard Webhooks, retried
with backoff after failures, every attempt logged; and a resend."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import transaction
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from billing.models import Statement, StatementEvent
from billing.services import statement_approve, statement_issue, statement_mark_paid, statement_void
from tests.functional.portal.conftest import issue, price
from webhooks import services, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db


def issued(draft, django_capture_on_commit_callbacks) -> Statement:
    with django_capture_on_commit_callbacks(execute=True):
        return issue(draft)


def test_an_issued_document_is_posted_signed_and_the_receiver_verifies_it(
    buyers, receiver, django_capture_on_commit_callbacks
):
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    secret = buyers["acme_endpoint"].secret
    assert secret.startswith("whsec_")
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "statement.issued"
    data = payload["data"]
    assert data["number"] == statement.number and data["status"] == "issued"
    assert data["document_type"] == "invoice" and data["currency"] == "GBP"
    assert Decimal(data["gross"]) == statement.gross and data["gross"].count(".") == 1
    assert len(data["gross"].split(".")[1]) == 2  # the currency's places
    assert data["issue_date"] == "2026-02-03" and data["adjusts"] is None
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    assert request.headers["webhook-id"] == message.message_id and message.message_id.startswith("msg_")
    assert request.headers["Content-Type"] == "application/json"
    assert (message.status, message.attempts) == ("delivered", 1)
    assert list(message.deliveries.values_list("attempt", "status_code")) == [(1, 204)]


def test_a_signature_made_with_another_secret_or_over_another_body_does_not_verify(
    buyers, receiver, django_capture_on_commit_callbacks
):
    issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(buyers["globex_endpoint"].secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(buyers["acme_endpoint"].secret).verify(
            request.body.replace(b"issued", b"voided"), request.headers
        )


def test_a_receiver_that_fails_twice_then_recovers_gets_it_on_the_third_attempt(
    buyers, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses[:] = [500, 500]
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    attempts = list(message.deliveries.order_by("attempt").values_list("attempt", "status_code"))
    assert attempts == [(1, 500), (2, 500), (3, 204)]
    failed = message.deliveries.filter(status_code=500)
    assert all(d.next_retry_at is not None and d.response_excerpt == "answer 500" for d in failed)
    assert message.deliveries.get(attempt=3).next_retry_at is None
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 3)
    # Every attempt carried the same webhook-id, each signed for its own timestamp.
    assert len(receiver.requests) == 3
    assert {r.headers["webhook-id"] for r in receiver.requests} == {message.message_id}
    for request in receiver.requests:
        Webhook(buyers["acme_endpoint"].secret).verify(request.body, request.headers)


def test_the_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 200
    assert [services.retry_delay(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_a_receiver_that_never_recovers_is_given_up_after_the_last_attempt_and_resent_later(
    buyers, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses[:] = [503, 503, 503]
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.deliveries.get(attempt=3).next_retry_at is None
    # Resent (as the admin's action does): the same message, attempt 4, delivered.
    services.webhook_message_resend(message_id=message.pk)
    assert tasks.webhook_deliver.apply(args=[message.pk]).get() == "delivered"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 4)
    assert receiver.requests[-1].headers["webhook-id"] == message.message_id


def test_a_delivered_message_is_not_sent_again_by_a_duplicated_task(
    buyers, receiver, django_capture_on_commit_callbacks
):
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    assert tasks.webhook_deliver.apply(args=[message.pk]).get() == "skipped"
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    buyers, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses[:] = [302]
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    assert message.status == "failed"
    assert list(message.deliveries.values_list("status_code", flat=True)) == [302]
    assert len(receiver.requests) == 1  # nothing went to the Location


def test_a_receiver_that_is_down_is_logged_with_its_error(
    buyers, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    endpoint = buyers["acme_endpoint"]
    endpoint.url = "http://127.0.0.1:9/hooks"  # the discard port: nothing listens
    endpoint.save()
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get(statement_id=statement.pk)
    assert message.status == "failed"
    errors = list(message.deliveries.order_by("attempt").values_list("status_code", "error"))
    assert len(errors) == 2 and all(code is None and "Connection" in error for code, error in errors)


def test_a_slow_receiver_is_cut_off_by_the_timeout(
    buyers, receiver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    import time

    original = receiver.next_status

    def slow():
        time.sleep(2)
        return original()

    monkeypatch.setattr(receiver, "next_status", slow)
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(message__statement_id=statement.pk)
    assert delivery.status_code is None and "timed out" in delivery.error
    assert delivery.duration_ms < 1900


def test_void_paid_and_adjustment_issued_are_events_too(buyers, receiver, django_capture_on_commit_callbacks):
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        statement_mark_paid(statement_id=statement.pk)
    adjustment = issued(price(buyers["acme"], "2026-01", voice=1700), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        statement_void(statement_id=adjustment.pk, reason="Issued in error")
    payloads = [json.loads(r.body) for r in receiver.requests]
    assert [p["type"] for p in payloads] == [
        "statement.issued",
        "statement.paid",
        "statement.adjustment_issued",
        "statement.voided",
    ]
    assert payloads[1]["data"]["status"] == "paid" and payloads[1]["data"]["paid_at"]
    assert payloads[2]["data"]["adjusts"] == statement.number
    assert payloads[3]["data"]["number"] == adjustment.number
    assert payloads[3]["data"]["void_reason"] == "Issued in error"


def test_an_endpoint_receives_only_the_event_types_it_subscribes_to(
    buyers, receiver, django_capture_on_commit_callbacks
):
    endpoint = buyers["acme_endpoint"]
    endpoint.event_types = ["statement.paid"]
    endpoint.save()
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        statement_mark_paid(statement_id=statement.pk)
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["statement.paid"]


def test_another_buyers_endpoint_never_receives_a_document(
    buyers, receiver, second_receiver, django_capture_on_commit_callbacks
):
    acme = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    globex = issued(buyers["globex_draft"], django_capture_on_commit_callbacks)
    assert [json.loads(r.body)["data"]["number"] for r in receiver.requests] == [acme.number]
    assert [json.loads(r.body)["data"]["number"] for r in second_receiver.requests] == [globex.number]
    assert not WebhookMessage.objects.filter(
        endpoint=buyers["globex_endpoint"], statement_id=acme.pk
    ).exists()


def test_an_inactive_endpoint_gets_no_message(buyers, receiver, django_capture_on_commit_callbacks):
    WebhookMessage.objects.all().delete()
    endpoint = buyers["acme_endpoint"]
    endpoint.active = False
    endpoint.save()
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    assert not WebhookMessage.objects.filter(statement_id=statement.pk).exists()
    assert receiver.requests == []


# --- the outbox is written in the change's transaction --------------------------------------


def test_the_outbox_row_is_written_inside_the_issuing_transaction_before_commit(
    buyers, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        statement = issue(buyers["acme_draft"])
        # Not yet committed: the row exists, pending, and nothing has been sent.
        message = WebhookMessage.objects.get(statement_id=statement.pk)
        assert message.status == "pending" and receiver.requests == []
    assert callbacks  # the delivery task waits for the commit


def test_a_rolled_back_change_writes_no_outbox_row_and_sends_nothing(
    buyers, receiver, django_capture_on_commit_callbacks
):
    statement = issued(buyers["acme_draft"], django_capture_on_commit_callbacks)
    receiver.requests.clear()

    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Abort), transaction.atomic():
        statement_mark_paid(statement_id=statement.pk)
        assert WebhookMessage.objects.filter(event_type="statement.paid").exists()
        raise Abort
    assert not WebhookMessage.objects.filter(event_type="statement.paid").exists()
    assert Statement.objects.get(pk=statement.pk).status == "issued"
    assert receiver.requests == []


def test_a_failing_outbox_write_rolls_the_change_back(buyers, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    statement_approve(statement_id=buyers["acme_draft"].pk)
    monkeypatch.setattr(services, "webhook_messages_record", broken)
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        statement_issue(statement_id=buyers["acme_draft"].pk)
    statement = Statement.objects.get(pk=buyers["acme_draft"].pk)
    assert (statement.status, statement.number) == ("approved", None)


def test_a_test_event_is_signed_and_delivered(buyers, receiver):
    message = services.webhook_test_message_create(endpoint_id=buyers["acme_endpoint"].pk)
    assert tasks.webhook_deliver.apply(args=[message.pk]).get() == "delivered"
    (request,) = receiver.requests
    payload = Webhook(buyers["acme_endpoint"].secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint"] == receiver.url()


def test_recording_an_event_costs_no_query_unless_it_is_a_webhook_event_and_then_one(
    buyers, django_assert_num_queries
):
    WebhookEndpoint.objects.all().delete()
    statement = buyers["acme_draft"]
    approved = StatementEvent(kind="approved", statement_id=statement.pk)
    with django_assert_num_queries(0):
        assert services.webhook_messages_record(event=approved, statement=statement) == []
    issued_event = StatementEvent(kind="issued", statement_id=statement.pk)
    with django_assert_num_queries(1):  # the buyer's endpoints: none
        assert services.webhook_messages_record(event=issued_event, statement=statement) == []


def test_a_message_whose_endpoint_was_deleted_is_skipped_not_failed(buyers, receiver):
    message = services.webhook_test_message_create(endpoint_id=buyers["acme_endpoint"].pk)
    buyers["acme_endpoint"].delete()
    assert tasks.webhook_deliver.apply(args=[message.pk]).get() == "skipped"
    assert receiver.requests == []
