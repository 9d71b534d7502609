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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
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
    timeout_setting,
)

log = logging.getLogger("siaga.messaging.channels.webhook")

SIGNATURE_HEADER = "X-Siaga-Signature"
TIMESTAMP_HEADER = "X-Siaga-Timestamp"
IDEMPOTENCY_HEADER = "X-Siaga-Idempotency-Key"
DEFAULT_TOLERANCE_S = 300


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
    ) -> None:
        super().__init__(session=session, timeout=timeout)
        self._secret = Secret(secret)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], session: requests.Session | None = None) -> Self:
        """Build from ``WEBHOOK_SECRET`` (the HMAC key shared with receivers)."""
        return cls(require(settings, "WEBHOOK_SECRET"), session=session, timeout=timeout_setting(settings))

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
