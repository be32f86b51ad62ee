"""The HTTP POST of one webhook: to the address ``webhooks.addresses`` checked, no redirect
followed, the connection and each read bounded by a timeout, at most ``READ_MAX`` bytes of
the answer read."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .addresses import checked_address

READ_MAX = 2048


@dataclass(frozen=True)
class Answer:
    status_code: int
    body_excerpt: str


def webhook_post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url`` and return the receiver's status and the start of its answer.

    The host is resolved and checked first (``checked_address``) and the connection made to
    that address, the Host header and TLS name staying the URL's host. A 3xx is returned as it
    is (not followed). Raises ``AddressRefused`` for a refused address and ``OSError`` /
    ``http.client.HTTPException`` when the receiver cannot be reached or answers badly;
    ``timeout`` (seconds) bounds the connection and each read."""
    address = checked_address(url)
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def connect_to_checked_address(host_port, timeout, source_address=None):
        return socket.create_connection((address, host_port[1]), timeout, source_address)

    # http.client opens its socket through this attribute: replacing it on the instance makes
    # the connection go to the checked address without resolving the host a second time.
    connection._create_connection = connect_to_checked_address
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        connection.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        excerpt = response.read(READ_MAX).decode("utf-8", "replace")
        return Answer(status_code=response.status, body_excerpt=excerpt)
    finally:
        connection.close()
