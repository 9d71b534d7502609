"""WhatsApp through a Fonnte-style HTTP gateway.

The gateway API (Fonnte and look-alikes): ``POST {base}/send`` with header
``Authorization: <token>`` (the bare token, no "Bearer") and form fields ``target``
(``628…``), ``message`` and ``countryCode`` (``62``). It answers HTTP 200 with JSON:
``{"status": true, "id": ["…"], "process": "pending", "target": ["628…"]}`` on
success, ``{"status": false, "reason": "…"}`` on failure.

Failure reasons are free text; those naming the token, an invalid or unregistered
target are permanent, anything else (device disconnected, queue busy, rate limit)
is retried. HTTP 429 and 5xx are transient (``Retry-After`` honoured); other 4xx
are permanent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import requests

from .base import (
    HttpChannel,
    OutgoingMessage,
    Secret,
    SendResult,
    check_http_url,
    require,
    setting,
    timeout_setting,
)
from .phone import normalize_msisdn
from .text import truncate_keeping_link

log = logging.getLogger("siaga.messaging.channels.whatsapp")

#: Reasons that retrying will not fix (matched case-insensitively).
PERMANENT_REASONS = re.compile(
    r"token|unauthori[sz]ed|invalid|not valid|not registered|not exist|tidak valid|tidak terdaftar",
    re.IGNORECASE,
)
#: Reasons that mean "slow down" (retry later, a minute by default).
RATE_LIMIT_REASONS = re.compile(r"rate.?limit|too many|limit exceeded", re.IGNORECASE)
RATE_LIMIT_DEFAULT_WAIT = 60.0


class WhatsAppChannel(HttpChannel):
    """WhatsApp messages through a Fonnte-style gateway."""

    name: ClassVar[str] = "whatsapp"
    #: WhatsApp itself allows far more; long alerts are unreadable on a phone anyway.
    max_length: ClassVar[int | None] = 4096

    def __init__(
        self,
        url: str,
        token: str,
        *,
        country_code: str = "62",
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(session=session, timeout=timeout)
        base = url.rstrip("/")
        self.url = base if base.endswith("/send") else f"{base}/send"
        self._token = Secret(token)
        self.country_code = country_code

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], session: requests.Session | None = None) -> Self:
        """Build from ``WHATSAPP_URL``, ``WHATSAPP_TOKEN`` and optional ``WHATSAPP_COUNTRY_CODE``."""
        return cls(
            check_http_url(require(settings, "WHATSAPP_URL"), "WHATSAPP_URL"),
            require(settings, "WHATSAPP_TOKEN"),
            country_code=setting(settings, "WHATSAPP_COUNTRY_CODE", "62"),
            session=session,
            timeout=timeout_setting(settings),
        )

    def secrets(self) -> tuple[Secret, ...]:
        return (self._token,)

    def normalize_address(self, address: str) -> str:
        """The ``628…`` form of an Indonesian mobile number."""
        return normalize_msisdn(address)

    def send(self, address: str, message: OutgoingMessage) -> SendResult:
        """POST the message to ``{url}`` for one number."""
        try:
            target = self.normalize_address(address)
        except ValueError as exc:
            return SendResult.permanent(f"whatsapp: {exc}")
        assert self.max_length is not None
        text = truncate_keeping_link(message.text, self.max_length, message.link)
        response = self._post(
            self.url,
            headers={"Authorization": self._token.reveal()},
            data={"target": target, "message": text, "countryCode": self.country_code},
        )
        if isinstance(response, SendResult):
            return response
        with response:
            return self._interpret(response)

    def _interpret(self, response: requests.Response) -> SendResult:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not response.ok:
            detail = _reason(body) or response.text[:200]
            return self._http_failure(response, detail)
        if not isinstance(body, dict):
            return self._http_failure_text(response, "answer is not JSON", permanent=False)
        if body.get("status") is True:
            ids = body.get("id") or []
            if not isinstance(ids, list):
                ids = [ids]
            return SendResult.success(",".join(str(i) for i in ids) or None, status_code=response.status_code)
        reason = _reason(body) or "gateway refused the message"
        error = self.redact(f"whatsapp: {reason}")
        if RATE_LIMIT_REASONS.search(reason):
            log.warning("%s (rate limited)", error)
            return SendResult.transient(error, retry_after=RATE_LIMIT_DEFAULT_WAIT, status_code=200)
        if PERMANENT_REASONS.search(reason):
            log.warning("%s (permanent)", error)
            return SendResult.permanent(error, status_code=200)
        log.warning("%s", error)
        return SendResult.transient(error, status_code=200)

    def _http_failure_text(self, response: requests.Response, detail: str, *, permanent: bool) -> SendResult:
        error = self.redact(f"whatsapp: HTTP {response.status_code}: {detail}")
        if permanent:
            return SendResult.permanent(error, status_code=response.status_code)
        return SendResult.transient(error, status_code=response.status_code)


def _reason(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("reason", "detail", "message"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return ""
