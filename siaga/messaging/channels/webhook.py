"""Signed JSON webhooks, for partner systems (BPBD dashboards, radio-room screens).

Each delivery is ``POST <address URL>`` with a JSON body and the headers

* ``X-Siaga-Timestamp``: Unix seconds when it was signed;
* ``X-Siaga-Signature``: ``sha256=`` + hex HMAC-SHA256 with the shared secret over
  ``f"{timestamp}.{body}"`` (the exact body bytes, UTF-8);
* ``X-Siaga-Idempotency-Key``: the message's idempotency key, when it has one, so
  receivers can drop a retried delivery they already processed.

Receivers check with :func:`verify_signature`: a wrong signature, a tampered body
or a timestamp further than ``tolerance_s`` from their clock (a replay) fails.

Body::

    {"id": "<idempotency key or null>", "subject": "...", "text": "...",
     "link": "<url or null>", "metadata": {...}, "sent_at": "2024-01-01T00:00:00Z"}

Answers: 2xx ok; 408/429/5xx and network errors transient (``Retry-After`` honoured);
other 4xx and redirects (not followed: a signed body must not wander) permanent.

Internal addresses: webhook URLs are typed in by people, so a URL whose host is (or
resolves to) a loopback, private, link-local, multicast, reserved or unspecified address
is refused (a permanent failure naming the reason), which keeps the server from being used
to reach the task force's own network (SSRF: the database, Redis, a cloud metadata
service). ``WEBHOOK_ALLOW_PRIVATE=1`` lifts this for a receiver inside the same network
(and for tests with local receivers). The check resolves the name just before the POST (a
name that does not resolve is retried later, never posted to blind); a name that changes its
answer between the check and the connection (DNS rebinding) is not covered, and the
redirect a receiver might answer with is never followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import ClassVar, Self
from urllib.parse import urlsplit

import requests

from .base import (
    HttpChannel,
    OutgoingMessage,
    Secret,
    SendResult,
    require,
    setting,
    timeout_setting,
)

log = logging.getLogger("siaga.messaging.channels.webhook")

SIGNATURE_HEADER = "X-Siaga-Signature"
TIMESTAMP_HEADER = "X-Siaga-Timestamp"
IDEMPOTENCY_HEADER = "X-Siaga-Idempotency-Key"
DEFAULT_TOLERANCE_S = 300


_TRUE = frozenset({"1", "true", "yes", "on"})


class UnresolvableHost(Exception):
    """The webhook host's name does not resolve (now): the delivery is retried later."""


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for any address that is not plainly on the public internet, also when an IPv6
    address carries an IPv4 one (mapped, 6to4, Teredo)."""
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
        if ip.teredo is not None:
            candidates += list(ip.teredo)
    return any(not a.is_global or a.is_multicast or a.is_unspecified for a in candidates)


def internal_address_reason(host: str, *, resolve: bool = True) -> str | None:
    """Why ``host`` must not receive webhooks (not a public address), or None when it may.

    ``host`` is a name or an IP literal; a name is resolved (every address it has counts)
    unless ``resolve`` is False (forms check literals only: no DNS wait while saving).
    Refused: loopback, private, shared (100.64/10, carrier-grade NAT and some cloud metadata
    services), link-local (169.254/16, cloud metadata), multicast, reserved, documentation
    and unspecified addresses, and IPv6 forms that carry such an IPv4 address. A name that
    does not resolve raises :class:`UnresolvableHost`.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        addresses = {ipaddress.ip_address(name)}
    except ValueError:
        if not resolve:
            return None
        try:
            infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise UnresolvableHost(host) from exc
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    for ip in sorted(addresses, key=str):
        if _not_public(ip):
            return f"{host} is an internal address ({ip})"
    return None


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-Siaga-Signature`` value: ``sha256=<hex HMAC of "{timestamp}.{body}">``."""
    signed = _as_bytes(str(timestamp)) + b"." + _as_bytes(body)
    return "sha256=" + hmac.new(_as_bytes(secret), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: str | int | None,
    body: bytes | str,
    header: str | None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    *,
    now: float | None = None,
) -> bool:
    """True when ``header`` is the signature of ``body`` at ``timestamp`` and the
    timestamp is within ``tolerance_s`` seconds of ``now`` (default: the clock).

    Pass the raw request body (bytes as received, not re-serialised JSON) and the
    ``X-Siaga-Timestamp`` / ``X-Siaga-Signature`` header values. Compares in
    constant time; any malformed input is simply False.
    """
    if not secret or header is None or timestamp is None:
        return False
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


class WebhookChannel(HttpChannel):
    """POSTs signed JSON to the URL given as the address."""

    name: ClassVar[str] = "webhook"
    max_length: ClassVar[int | None] = None

    def __init__(
        self,
        secret: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
        allow_private: bool = False,
    ) -> None:
        super().__init__(session=session, timeout=timeout)
        self._secret = Secret(secret)
        self.allow_private = allow_private

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], session: requests.Session | None = None) -> Self:
        """Build from ``WEBHOOK_SECRET`` (the HMAC key shared with receivers) and
        ``WEBHOOK_ALLOW_PRIVATE`` (1 to allow receivers on internal addresses)."""
        return cls(
            require(settings, "WEBHOOK_SECRET"),
            session=session,
            timeout=timeout_setting(settings),
            allow_private=setting(settings, "WEBHOOK_ALLOW_PRIVATE").lower() in _TRUE,
        )

    def secrets(self) -> tuple[Secret, ...]:
        return (self._secret,)

    def normalize_address(self, address: str) -> str:
        """An ``http(s)://`` URL with a host."""
        url = address.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{address!r} is not an http:// or https:// URL")
        return url

    def payload(self, message: OutgoingMessage, *, sent_at: datetime | None = None) -> bytes:
        """The JSON body bytes for ``message``."""
        when = (sent_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = {
            "id": message.idempotency_key,
            "subject": message.subject,
            "text": message.text,
            "link": message.link,
            "metadata": dict(message.metadata),
            "sent_at": when,
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def signed_headers(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        """Content-Type, timestamp and signature headers for ``body``."""
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(self._secret.reveal(), ts, body),
        }

    def send(self, address: str, message: OutgoingMessage) -> SendResult:
        """POST ``message`` to the URL ``address``."""
        try:
            url = self.normalize_address(address)
        except ValueError as exc:
            return SendResult.permanent(f"webhook: {exc}")
        if not self.allow_private:
            try:
                reason = internal_address_reason(urlsplit(url).hostname or "")
            except UnresolvableHost as exc:
                return SendResult.transient(f"webhook: cannot resolve {exc}")
            if reason:
                return SendResult.permanent(f"webhook: refused, {reason}")
        body = self.payload(message)
        headers = self.signed_headers(body)
        if message.idempotency_key:
            headers[IDEMPOTENCY_HEADER] = " ".join(message.idempotency_key.split())
        response = self._post(url, data=body, headers=headers)
        if isinstance(response, SendResult):
            return response
        with response:
            if 200 <= response.status_code < 300:
                return SendResult.success(
                    response.headers.get("X-Request-Id") or None, status_code=response.status_code
                )
            return self._http_failure(response, response.text[:200])
