"""Server-side request forgery: an endpoint's URL is refused unless it is https to a public
address; the host is resolved and checked again at each delivery, and nothing is sent to a
refused address."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from webhooks import services
from webhooks.addresses import AddressRefused, checked_address, url_refusal, validate_webhook_url
from webhooks.models import WebhookEndpoint, WebhookMessage

REFUSED = [
    # Not https (plain http only to loopback, with the setting)
    "http://hooks.example.com/x",
    "ftp://hooks.example.com/x",
    "file:///etc/passwd",
    # Private, link-local (cloud metadata), unspecified, reserved, multicast, shared addresses
    "https://10.0.0.5/x",
    "https://172.16.3.4/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://0.0.0.0/x",
    "https://240.0.0.1/x",
    "https://224.0.0.1/x",
    "https://100.64.0.1/x",
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://[::ffff:10.0.0.1]/x",
    # Loopback, without the setting
    "https://127.0.0.1/x",
    "https://localhost/x",
    "http://127.0.0.1:8000/x",
    "https://[::1]/x",
    # Credentials in the URL, no host, an absurd length
    "https://user:pass@hooks.example.com/x",
    "https:///x",
    "https://hooks.example.com/" + "a" * 500,
]


@pytest.fixture
def no_loopback(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False


@pytest.mark.usefixtures("no_loopback")
@pytest.mark.parametrize("url", REFUSED)
def test_a_url_that_is_not_https_to_a_public_address_is_refused(url):
    assert url_refusal(url)
    with pytest.raises(ValidationError, match="Webhook URL refused"):
        validate_webhook_url(url)


@pytest.mark.usefixtures("no_loopback")
@pytest.mark.parametrize("url", ["https://hooks.example.com/x", "https://93.184.215.14:8443/in?a=1"])
def test_https_to_a_public_host_is_accepted(url):
    assert url_refusal(url) is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost/x", "https://127.0.0.1/x"])
def test_loopback_is_accepted_with_the_setting_only(url, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert url_refusal(url) is None
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert url_refusal(url)


def resolving_to(monkeypatch, *addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("no_loopback")
def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(monkeypatch):
    resolving_to(monkeypatch, "93.184.215.14", "10.1.2.3")  # one bad address is enough
    with pytest.raises(AddressRefused, match=r"10\.1\.2\.3"):
        checked_address("https://hooks.example.com/x")
    resolving_to(monkeypatch, "93.184.215.14")
    assert checked_address("https://hooks.example.com/x") == "93.184.215.14"


@pytest.mark.usefixtures("no_loopback")
def test_a_name_that_does_not_resolve_is_refused(monkeypatch):
    def fails(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fails)
    with pytest.raises(AddressRefused, match="does not resolve"):
        checked_address("https://hooks.example.com/x")


@pytest.mark.django_db
def test_a_delivery_to_a_host_that_now_resolves_to_loopback_sends_nothing_and_is_logged(
    buyers, receiver, settings, monkeypatch
):
    """An endpoint saved with a public name whose DNS later points at the loopback (where the
    receiver listens): the delivery is refused before any connection."""
    endpoint = buyers["acme_endpoint"]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        url=f"https://hooks.example.com:{receiver.port}/hooks"
    )
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    resolving_to(monkeypatch, "127.0.0.1")
    message = services.webhook_test_message_create(endpoint_id=endpoint.pk)
    delivery = services.webhook_message_deliver(message_id=message.pk, sending_attempt=1)
    assert (
        delivery.status_code is None
        and delivery.error.startswith("refused:")
        and "loopback" in delivery.error
    )
    assert receiver.requests == []
    assert WebhookMessage.objects.get(pk=message.pk).status == "failed"


@pytest.mark.django_db
def test_an_endpoint_saved_with_a_refused_url_fails_validation(buyers, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    endpoint = WebhookEndpoint(
        buyer=buyers["acme"].buyer, url="https://169.254.169.254/", event_types=["statement.paid"]
    )
    with pytest.raises(ValidationError) as raised:
        endpoint.full_clean()
    assert "url" in raised.value.message_dict
