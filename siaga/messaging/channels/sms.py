"""SMS through a Zenziva-style HTTP gateway.

The gateway API: ``POST {SMS_URL}`` with form fields ``userkey``, ``passkey``,
``nohp`` (the number) and ``pesan`` (the text). It answers JSON such as
``{"messageId": "…", "to": "628…", "status": "1", "text": "Success"}``; a
``status`` other than ``"1"`` is a refusal whose ``text`` says why. Refusals naming
the user/pass key or an invalid number are permanent; others (balance, queue) are
retried. HTTP 429/5xx are transient, other 4xx permanent.

Long text follows ``SMS_MODE``:

* ``split`` (default): one gateway call per part of up to 153 GSM characters (67
  UCS-2), at most ``SMS_MAX_PARTS`` (default 3) parts, the link whole in the last
  part; text that needs more parts is shortened. If a later part fails, the result
  is a failure naming the parts already delivered (a retry re-sends all of them:
  a repeated part is better than a lost warning).
* ``shorten``: always one SMS of up to 160 (70) characters, text cut, link kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self

import requests

from .base import (
    ChannelConfigError,
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
from .text import SMS_GSM_SINGLE, shorten_sms, split_sms

log = logging.getLogger("siaga.messaging.channels.sms")

SmsMode = Literal["split", "shorten"]
PERMANENT_REASONS = re.compile(
    r"userkey|passkey|api ?key|invalid|tidak valid|salah|unauthori[sz]ed|blacklist|blokir", re.IGNORECASE
)


class SmsChannel(HttpChannel):
    """SMS through a Zenziva-style gateway."""

    name: ClassVar[str] = "sms"
    #: One SMS in GSM 7-bit; longer text is split (``split``) or cut (``shorten``).
    max_length: ClassVar[int | None] = SMS_GSM_SINGLE

    def __init__(
        self,
        url: str,
        userkey: str,
        passkey: str,
        *,
        mode: SmsMode = "split",
        max_parts: int = 3,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        if mode not in ("split", "shorten"):
            raise ChannelConfigError("setting SMS_MODE must be 'split' or 'shorten'")
        if max_parts < 1:
            raise ChannelConfigError("setting SMS_MAX_PARTS must be at least 1")
        super().__init__(session=session, timeout=timeout)
        self.url = url
        self._userkey = Secret(userkey)
        self._passkey = Secret(passkey)
        self.mode: SmsMode = mode
        self.max_parts = max_parts

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], session: requests.Session | None = None) -> Self:
        """Build from ``SMS_URL``, ``SMS_USERKEY``, ``SMS_PASSKEY`` and optional
        ``SMS_MODE`` (split|shorten) and ``SMS_MAX_PARTS``."""
        mode = setting(settings, "SMS_MODE", "split").lower()
        raw_parts = setting(settings, "SMS_MAX_PARTS", "3")
        if not raw_parts.isdigit():
            raise ChannelConfigError("setting SMS_MAX_PARTS must be a whole number")
        if mode not in ("split", "shorten"):
            raise ChannelConfigError("setting SMS_MODE must be 'split' or 'shorten'")
        return cls(
            check_http_url(require(settings, "SMS_URL"), "SMS_URL"),
            require(settings, "SMS_USERKEY"),
            require(settings, "SMS_PASSKEY"),
            mode="split" if mode == "split" else "shorten",
            max_parts=int(raw_parts),
            session=session,
            timeout=timeout_setting(settings),
        )

    def secrets(self) -> tuple[Secret, ...]:
        return (self._userkey, self._passkey)

    def normalize_address(self, address: str) -> str:
        """The ``628…`` form of an Indonesian mobile number."""
        return normalize_msisdn(address)

    def parts_for(self, message: OutgoingMessage) -> list[str]:
        """The SMS texts ``message`` becomes under this channel's mode."""
        if self.mode == "shorten":
            return [shorten_sms(message.text, message.link)]
        return split_sms(message.text, message.link, max_parts=self.max_parts)

    def send(self, address: str, message: OutgoingMessage) -> SendResult:
        """Send every part to one number, in order."""
        try:
            number = self.normalize_address(address)
        except ValueError as exc:
            return SendResult.permanent(f"sms: {exc}")
        parts = self.parts_for(message)
        ids: list[str] = []
        for index, part in enumerate(parts, start=1):
            result = self._send_one(number, part)
            if not result.ok:
                if len(parts) == 1:
                    return result
                note = f"part {index} of {len(parts)} failed"
                if ids:
                    note += f" after {len(ids)} delivered ({','.join(ids)})"
                return SendResult(
                    ok=False,
                    permanent_failure=result.permanent_failure,
                    retry_after=result.retry_after,
                    error=f"{result.error} [{note}]",
                    status_code=result.status_code,
                )
            if result.provider_id:
                ids.append(result.provider_id)
        return SendResult.success(",".join(ids) or None, status_code=200)

    def _send_one(self, number: str, text: str) -> SendResult:
        response = self._post(
            self.url,
            data={
                "userkey": self._userkey.reveal(),
                "passkey": self._passkey.reveal(),
                "nohp": number,
                "pesan": text,
            },
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
            detail = str(body.get("text", "")) if isinstance(body, dict) else response.text[:200]
            return self._http_failure(response, detail)
        if not isinstance(body, dict):
            error = self.redact(f"sms: HTTP {response.status_code}: answer is not JSON")
            return SendResult.transient(error, status_code=response.status_code)
        if str(body.get("status")) == "1":
            message_id = body.get("messageId")
            return SendResult.success(
                str(message_id) if message_id not in (None, "") else None, status_code=response.status_code
            )
        reason = str(body.get("text") or "gateway refused the message")
        error = self.redact(f"sms: {reason}")
        if PERMANENT_REASONS.search(reason):
            log.warning("%s (permanent)", error)
            return SendResult.permanent(error, status_code=response.status_code)
        log.warning("%s", error)
        return SendResult.transient(error, status_code=response.status_code)
