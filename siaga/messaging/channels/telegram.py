"""Telegram through the Bot API ``sendMessage`` method.

``POST {api}/bot{token}/sendMessage`` with JSON ``{"chat_id": …, "text": …}``; the
answer is ``{"ok": true, "result": {"message_id": N, …}}`` or
``{"ok": false, "error_code": N, "description": "…", "parameters": {…}}``.

* 429 "Too Many Requests" carries ``parameters.retry_after`` (seconds): transient,
  and the result's ``retry_after`` says how long to wait.
* 400 (chat not found, message too long...), 401 (bad token), 403 (bot blocked,
  kicked) are permanent; a 400 with ``parameters.migrate_to_chat_id`` (a group
  became a supergroup) is permanent too and its error names the new chat id.
* 5xx and network errors are transient.

Text is sent plain (no ``parse_mode``: alert text must not be parsed as markup) and
shortened to 4,096 characters keeping the link. An in-process :class:`Throttle`,
shared by all channel objects for the same bot, paces sends (about 1 per second per
chat, 30 per second overall, as Telegram asks); across worker processes the 429
``retry_after`` path does the rest.

The token is part of the URL path, so every error text is redacted and the URL
itself is never logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import requests

from .base import (
    ChannelConfigError,
    HttpChannel,
    OutgoingMessage,
    Secret,
    SendResult,
    Throttle,
    check_http_url,
    float_setting,
    require,
    setting,
    timeout_setting,
)
from .text import TELEGRAM_MAX, truncate_telegram

log = logging.getLogger("siaga.messaging.channels.telegram")

DEFAULT_API_URL = "https://api.telegram.org"
_CHAT_ID = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
_TOKEN = re.compile(r"^[0-9]+:[A-Za-z0-9_-]+$")

_throttles: dict[tuple[str, float, float], Throttle] = {}
_throttles_lock = threading.Lock()


def shared_throttle(token: str, interval: float, global_interval: float) -> Throttle:
    """One :class:`Throttle` per bot (and pacing) in this process, so pacing holds even
    when a channel object is built per delivery. Keyed by a hash, never the token."""
    key = (hashlib.sha256(token.encode()).hexdigest(), interval, global_interval)
    with _throttles_lock:
        throttle = _throttles.get(key)
        if throttle is None:
            throttle = _throttles[key] = Throttle(interval=interval, global_interval=global_interval)
        return throttle


class TelegramChannel(HttpChannel):
    """Telegram messages from a bot to a chat id (user, group, channel) or ``@channel``."""

    name: ClassVar[str] = "telegram"
    max_length: ClassVar[int | None] = TELEGRAM_MAX

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        per_chat_rate: float = 1.0,
        global_rate: float = 30.0,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(session=session, timeout=timeout)
        self._token = Secret(token)
        self.api_url = api_url.rstrip("/")
        self.throttle = shared_throttle(
            token,
            1.0 / per_chat_rate if per_chat_rate > 0 else 0.0,
            1.0 / global_rate if global_rate > 0 else 0.0,
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], session: requests.Session | None = None) -> Self:
        """Build from ``TELEGRAM_BOT_TOKEN`` and optional ``TELEGRAM_API_URL``,
        ``TELEGRAM_RATE_PER_CHAT`` (messages/s, default 1, 0 = no pacing) and
        ``TELEGRAM_RATE_GLOBAL`` (default 30)."""
        token = require(settings, "TELEGRAM_BOT_TOKEN")
        if not _TOKEN.match(token):
            raise ChannelConfigError("setting TELEGRAM_BOT_TOKEN does not look like a bot token (123:ABC…)")
        return cls(
            token,
            api_url=check_http_url(
                setting(settings, "TELEGRAM_API_URL", DEFAULT_API_URL), "TELEGRAM_API_URL"
            ),
            per_chat_rate=float_setting(settings, "TELEGRAM_RATE_PER_CHAT", 1.0),
            global_rate=float_setting(settings, "TELEGRAM_RATE_GLOBAL", 30.0),
            session=session,
            timeout=timeout_setting(settings),
        )

    def secrets(self) -> tuple[Secret, ...]:
        return (self._token,)

    def normalize_address(self, address: str) -> str:
        """A numeric chat id (negative for groups) or a public ``@channelname``."""
        chat = address.strip()
        if not _CHAT_ID.match(chat):
            raise ValueError(
                f"{address!r} is not a Telegram chat id (a number such as -1001234567890) or @name"
            )
        return chat

    def send(self, address: str, message: OutgoingMessage) -> SendResult:
        """Call ``sendMessage`` for one chat."""
        try:
            chat_id = self.normalize_address(address)
        except ValueError as exc:
            return SendResult.permanent(f"telegram: {exc}")
        payload: dict[str, Any] = {
            "chat_id": int(chat_id) if not chat_id.startswith("@") else chat_id,
            "text": truncate_telegram(message.text, message.link),
        }
        self.throttle.wait(chat_id)
        response = self._post(f"{self.api_url}/bot{self._token.reveal()}/sendMessage", json=payload)
        if isinstance(response, SendResult):
            return response
        with response:
            return self._interpret(response)

    def _interpret(self, response: requests.Response) -> SendResult:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.ok:  # 2xx without JSON: a proxy in the way, probably passing
                error = self.redact(f"telegram: HTTP {response.status_code}: answer is not JSON")
                return SendResult.transient(error, status_code=response.status_code)
            return self._http_failure(response, "answer is not JSON")
        if response.ok and body.get("ok") is True:
            result = body.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return SendResult.success(
                str(message_id) if message_id is not None else None, status_code=response.status_code
            )
        raw_code = body.get("error_code")
        code: int = raw_code if isinstance(raw_code, int) else response.status_code
        description = str(body.get("description") or "no description")
        raw_parameters = body.get("parameters")
        parameters: dict[str, Any] = raw_parameters if isinstance(raw_parameters, dict) else {}
        error = self.redact(f"telegram: {code}: {description}")
        if code == 429:
            retry_after = _number(parameters.get("retry_after"))
            log.warning("%s (retry after %s s)", error, retry_after)
            return SendResult.transient(error, retry_after=retry_after, status_code=code)
        if "migrate_to_chat_id" in parameters:
            error = self.redact(f"{error} (the group moved to chat id {parameters['migrate_to_chat_id']})")
            return SendResult.permanent(error, status_code=code)
        if code >= 500 or code == 408:
            log.warning("%s", error)
            return SendResult.transient(
                error, retry_after=_number(parameters.get("retry_after")), status_code=code
            )
        log.warning("%s (permanent)", error)
        return SendResult.permanent(error, status_code=code)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0.0, float(value))
