"""Where a webhook may be sent: the one place of the rule against server-side request forgery.

A URL is https with a host name or a public IP address, no user name or password in it. Plain
http and the loopback host (127.0.0.1, ::1, localhost) are allowed only with the
``WEBHOOK_ALLOW_LOOPBACK`` setting (development and tests). A host name is resolved at each
delivery and every address it resolves to must be public (not private, loopback, link-local,
reserved, multicast or unspecified); the request then goes to the address that was checked, so
a name that resolves differently a moment later (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

LOOPBACK_NAMES = {"localhost", "localhost."}
URL_MAX = 500


class AddressRefused(Exception):
    """The URL or an address its host resolves to is not one a webhook may be sent to."""


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False))


def address_refusal(address: str) -> str | None:
    """Why an IP address may not receive a webhook, or None when it may. Loopback addresses
    are allowed with ``WEBHOOK_ALLOW_LOOPBACK`` only."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if _loopback_allowed() else f"{address} is a loopback address"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return f"{address} is not a public address"
    return None


def url_refusal(url: str) -> str | None:
    """Why ``url`` may not be an endpoint, checked without resolving its host, or None."""
    if len(url) > URL_MAX:
        return f"the URL is longer than {URL_MAX} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the URL is not valid"
    host = (parts.hostname or "").lower()
    if not host:
        return "the URL has no host"
    if parts.username is not None or parts.password is not None:
        return "the URL must not hold a user name or password"
    if port == 0:
        return "the URL's port is not valid"
    loopback = host in LOOPBACK_NAMES
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        refusal = address_refusal(host)
        if refusal:
            return refusal
        mapped = getattr(literal, "ipv4_mapped", None)
        loopback = (mapped or literal).is_loopback
    if loopback and not _loopback_allowed():
        return f"{host} is a loopback host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and loopback:
        return None
    return "the URL must start with https://"


def validate_webhook_url(url: str) -> None:
    """The model field's validator: raises ``ValidationError`` with :func:`url_refusal`'s reason."""
    refusal = url_refusal(url)
    if refusal:
        raise ValidationError(f"Webhook URL refused: {refusal}.")


def checked_address(url: str) -> str:
    """The IP address to connect to for ``url``: its host resolved, every address it resolves
    to checked. Raises ``AddressRefused`` when the URL or any address is refused or the host
    does not resolve."""
    refusal = url_refusal(url)
    if refusal:
        raise AddressRefused(refusal)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"{parts.hostname} does not resolve: {error}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise AddressRefused(f"{parts.hostname} does not resolve")
    for address in addresses:
        refusal = address_refusal(address)
        if refusal:
            raise AddressRefused(f"{parts.hostname} resolves to {refusal}")
    return addresses[0]
