"""Webhook endpoints in the admin: procurement registers its own buyer's endpoints (never
another's), reads the delivery log, resends a message and sends a test event."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from standardwebhooks import Webhook

from contracts.models import Membership
from tests.integration.billing.conftest import load_contract
from tests.integration.webhooks.conftest import serving
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from webhooks.services import webhook_test_message_create

pytestmark = pytest.mark.django_db

ENDPOINTS = reverse("admin:webhooks_webhookendpoint_changelist")
ADD = reverse("admin:webhooks_webhookendpoint_add")


def procurement_client(organisation, username: str) -> Client:
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    Membership.objects.create(user=user, organisation=organisation, role="procurement")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def acme_and_globex():
    acme = load_contract("ACME-WA-001", supplier="Alpha CX Ltd").buyer
    globex = load_contract(
        "GLOBEX-WA-001", supplier="Beta CX Ltd", buyer_code="GLOBEX", buyer_name="Globex Mobile Ltd"
    ).buyer
    return acme, globex


@pytest.fixture
def receiver():
    with serving() as state:
        yield state


def test_procurement_adds_an_endpoint_for_its_own_buyer_and_sees_its_secret(acme_and_globex):
    acme, globex = acme_and_globex
    client = procurement_client(acme, "acme-proc")
    form = client.get(ADD)
    assert form.status_code == 200 and b'name="buyer"' not in form.content
    data = {
        "url": "https://hooks.acme.example/in",
        "event_types": ["statement.issued", "statement.paid"],
        "description": "ERP",
        "active": "on",
        "buyer": globex.pk,  # ignored: the buyer is the user's own
    }
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.acme.example/in")
    assert endpoint.buyer_id == acme.pk
    assert endpoint.event_types == ["statement.issued", "statement.paid"]
    page = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret.startswith("whsec_") and endpoint.secret.encode() in page.content
    assert endpoint.secret.encode() not in client.get(ENDPOINTS).content  # not on the list


@pytest.mark.parametrize(
    "url",
    ["http://hooks.acme.example/in", "https://169.254.169.254/latest", "https://10.0.0.8/in", "not a url"],
)
def test_a_refused_url_is_a_form_error_and_saves_nothing(acme_and_globex, url, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    client = procurement_client(acme_and_globex[0], "acme-proc")
    response = client.post(ADD, {"url": url, "event_types": ["statement.issued"], "active": "on"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_type_or_none_is_a_form_error(acme_and_globex):
    client = procurement_client(acme_and_globex[0], "acme-proc")
    for event_types in (["statement.deleted"], []):
        response = client.post(ADD, {"url": "https://hooks.acme.example/in", "event_types": event_types})
        assert response.status_code == 200 and response.context["adminform"].form.errors["event_types"]
    assert not WebhookEndpoint.objects.exists()


def test_procurement_sees_only_its_buyers_endpoints_messages_and_deliveries(acme_and_globex):
    acme, globex = acme_and_globex
    mine = WebhookEndpoint.objects.create(
        buyer=acme, url="https://hooks.acme.example/in", event_types=["statement.paid"]
    )
    theirs = WebhookEndpoint.objects.create(
        buyer=globex, url="https://hooks.globex.example/in", event_types=["statement.paid"]
    )
    for endpoint in (mine, theirs):
        message = webhook_test_message_create(endpoint_id=endpoint.pk)
        WebhookDelivery.objects.create(message=message, attempt=1, status_code=500, at=message.created_at)
    client = procurement_client(acme, "acme-proc")
    for name in ("webhookendpoint", "webhookmessage", "webhookdelivery"):
        response = client.get(reverse(f"admin:webhooks_{name}_changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1, name
        assert b"globex" not in response.content.lower()
    assert client.get(reverse("admin:webhooks_webhookendpoint_change", args=[theirs.pk])).status_code in (
        302,
        404,
    )
    assert (
        theirs.secret.encode()
        not in client.get(
            reverse("admin:webhooks_webhookendpoint_change", args=[theirs.pk]), follow=True
        ).content
    )


def test_resend_delivers_a_failed_message_again_with_the_same_webhook_id(
    acme_and_globex, receiver, django_capture_on_commit_callbacks
):
    acme = acme_and_globex[0]
    endpoint = WebhookEndpoint.objects.create(buyer=acme, url=receiver.url(), event_types=["statement.paid"])
    message = webhook_test_message_create(endpoint_id=endpoint.pk)
    WebhookMessage.objects.filter(pk=message.pk).update(status="failed", attempts=8)
    client = procurement_client(acme, "acme-proc")
    url = reverse("admin:webhooks_webhookmessage_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "resend", ACTION_CHECKBOX_NAME: [message.pk]}, follow=True)
    assert b"queued to be sent again" in response.content
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 9)
    (request,) = receiver.requests
    assert request.headers["webhook-id"] == message.message_id
    assert list(message.deliveries.values_list("attempt", "status_code")) == [(9, 204)]
    # The log shows the attempt; resending from an attempt works the same way.
    log = client.get(reverse("admin:webhooks_webhookdelivery_changelist"))
    assert message.message_id.encode() in log.content
    delivery = message.deliveries.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "resend", ACTION_CHECKBOX_NAME: [delivery.pk]},
            follow=True,
        )
    assert len(receiver.requests) == 2 and message.deliveries.count() == 2


def test_send_test_event_posts_a_signed_test_to_the_endpoint(
    acme_and_globex, receiver, django_capture_on_commit_callbacks
):
    acme = acme_and_globex[0]
    endpoint = WebhookEndpoint.objects.create(buyer=acme, url=receiver.url(), event_types=["statement.paid"])
    client = procurement_client(acme, "acme-proc")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ENDPOINTS, {"action": "send_test_event", ACTION_CHECKBOX_NAME: [endpoint.pk]}, follow=True
        )
    assert b"test event(s) queued" in response.content
    (request,) = receiver.requests
    assert json.loads(request.body)["type"] == "webhook.test"
    Webhook(endpoint.secret).verify(request.body, request.headers)


def test_a_staff_user_without_a_buyer_cannot_add_endpoints(acme_and_globex):
    user = User.objects.create_user("staff", is_staff=True)
    user.groups.add(Group.objects.get(name="Procurement"))
    client = Client()
    client.force_login(user)
    assert client.get(ADD).status_code == 403
