"""The single interface every messaging channel implements, and the helpers they share.

A channel turns one :class:`OutgoingMessage` for one address into one provider call
and answers with a :class:`SendResult`; it never raises for delivery problems, so
the caller (a Celery task working through the outbox) decides from the result:

* ``ok`` - delivered to the provider; store ``provider_id``;
* ``permanent_failure`` - do not retry (bad address, chat not found, bad token);
* otherwise transient - retry after :func:`retry_delay` (which honours
  ``retry_after`` from Telegram's 429 or a gateway's ``Retry-After``).

:class:`ChannelError` is raised only for misconfiguration (missing URL or secret),
at construction time.

Secrets are held in :class:`Secret` (whose ``repr``/``str`` is ``***``) and every
error text a channel produces passes through :meth:`Channel.redact`, so tokens,
pass keys and passwords never reach pages, logs or the audit log.

Channels that need no network (the in-app inbox) subclass :class:`Channel`
directly; HTTP channels subclass :class:`HttpChannel`.
"""

from __future__ import annotations

import email.utils
import logging
import math
import secrets as _secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import quote, quote_plus

import requests

from siaga.core.http import make_session

log = logging.getLogger("siaga.messaging.channels")

REDACTED = "***"


class ChannelError(Exception):
    """A channel cannot work at all (e.g. a required setting is missing or invalid)."""


class ChannelConfigError(ChannelError):
    """A required setting is missing or malformed; the message names the key, never its value."""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class Secret:
    """A secret value that does not print itself.

    ``str()``, ``repr()`` and f-strings show ``***``; call :meth:`reveal` at the one
    place the value is put on the wire.
    """

    _value: str

    def reveal(self) -> str:
        """The real value, for the request that needs it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str, secrets: Iterable[Secret | str | None]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` by ``***``.

    Longer secrets are replaced first so one secret containing another is fully hidden.
    URL-encoded forms are replaced too (a token may appear quoted in a URL).
    """
    values: set[str] = set()
    for s in secrets:
        raw = s.reveal() if isinstance(s, Secret) else s
        if raw:
            values.update({raw, quote(raw, safe=""), quote_plus(raw)})
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One message to deliver, independent of the channel.

    :ivar text: the body, plain text (no markup; channels do not parse it).
    :ivar subject: a short title; email uses it as Subject, webhooks send it, chat
        channels ignore it (put what matters in ``text``).
    :ivar link: a URL that must survive shortening (e.g. the alert's page).
    :ivar idempotency_key: stable per (message, recipient); sent where a provider
        supports it (webhook header, e-mail Message-ID) so retries can be deduplicated.
    :ivar metadata: small string data for structured channels (webhook body) and logs.
    """

    text: str
    subject: str = ""
    link: str | None = None
    idempotency_key: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SendResult:
    """The outcome of one :meth:`Channel.send`.

    :ivar ok: the provider accepted the message.
    :ivar provider_id: the provider's id for it (message id), if any; several ids
        (SMS parts) are joined with commas.
    :ivar permanent_failure: retrying will not help (bad address, blocked bot...).
    :ivar retry_after: seconds the provider asked us to wait before retrying.
    :ivar error: what went wrong, with secrets redacted; ``None`` when ok.
    :ivar status_code: the provider's HTTP status (or SMTP code), when there was one.
    """

    ok: bool
    provider_id: str | None = None
    permanent_failure: bool = False
    retry_after: float | None = None
    error: str | None = None
    status_code: int | None = None

    @property
    def retryable(self) -> bool:
        """Failed, but may succeed if sent again later."""
        return not self.ok and not self.permanent_failure

    @classmethod
    def success(cls, provider_id: str | None = None, status_code: int | None = None) -> SendResult:
        """The provider accepted the message."""
        return cls(ok=True, provider_id=provider_id, status_code=status_code)

    @classmethod
    def transient(
        cls, error: str, *, retry_after: float | None = None, status_code: int | None = None
    ) -> SendResult:
        """A failure worth retrying (after ``retry_after`` seconds if given)."""
        return cls(ok=False, error=error, retry_after=retry_after, status_code=status_code)

    @classmethod
    def permanent(cls, error: str, *, status_code: int | None = None) -> SendResult:
        """A failure retrying will not fix."""
        return cls(ok=False, permanent_failure=True, error=error, status_code=status_code)


class Channel(ABC):
    """A way to reach people; one subclass per provider, chosen by ``name``.

    Subclasses set ``name`` and ``max_length`` (the most characters of text one
    ``send`` carries unshortened; ``None`` for no practical limit), implement
    :meth:`send` and usually :meth:`normalize_address`, and list their secrets in
    :meth:`secrets` so :meth:`redact` hides them.
    """

    name: ClassVar[str]
    max_length: ClassVar[int | None] = None

    @abstractmethod
    def send(self, address: str, message: OutgoingMessage) -> SendResult:
        """Deliver ``message`` to ``address``; never raises for delivery problems."""

    def normalize_address(self, address: str) -> str:
        """The canonical form of ``address``; raises ``ValueError`` if it is not valid here.

        Views can call this when a recipient is saved, so bad numbers are caught at
        input time rather than at send time.
        """
        address = address.strip()
        if not address:
            raise ValueError("address is empty")
        return address

    def secrets(self) -> tuple[Secret | str | None, ...]:
        """Values that must never appear in error texts, logs or reprs."""
        return ()

    def redact(self, text: str) -> str:
        """``text`` with this channel's secrets replaced by ``***``."""
        return redact(text, self.secrets())

    def close(self) -> None:  # noqa: B027 - optional hook, most channels hold nothing
        """Release network resources (HTTP sessions); safe to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


_rng = _secrets.SystemRandom()


def retry_delay(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = 5.0,
    cap: float = 900.0,
    jitter: Callable[[float, float], float] = _rng.uniform,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    Exponential backoff with "full jitter" (a uniform draw in ``[0, base * 2**attempt]``,
    at most ``cap``) so many failed sends do not retry in lock-step. When the provider
    said ``retry_after``, never retry sooner than that (plus up to a second of jitter,
    so a burst of 429s does not come back in the same second).
    """
    ceiling = min(cap, base * (2 ** max(0, attempt)))
    delay = jitter(0.0, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after + jitter(0.0, 1.0))
    return delay


class Throttle:
    """In-process pacing: at least ``interval`` seconds between sends per key, and
    ``global_interval`` between any two sends.

    Telegram allows about 1 message/s per chat and 30/s overall; pacing inside one
    worker avoids most 429s (the 429 ``retry_after`` path still covers several
    workers). Intervals of 0 disable it. Thread-safe.
    """

    def __init__(
        self,
        interval: float = 0.0,
        global_interval: float = 0.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.global_interval = global_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_for_key: dict[str, float] = {}
        self._next_any = 0.0

    def wait(self, key: str) -> float:
        """Block until a send to ``key`` is allowed; return the seconds waited."""
        if self.interval <= 0 and self.global_interval <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            start = max(now, self._next_any, self._next_for_key.get(key, 0.0))
            self._next_any = start + self.global_interval
            self._next_for_key[key] = start + self.interval
            if len(self._next_for_key) > 10_000:  # forget keys whose slot has passed
                self._next_for_key = {k: t for k, t in self._next_for_key.items() if t > now}
        waited = start - now
        if waited > 0:
            self._sleep(waited)
        return waited


class HttpChannel(Channel):
    """Base for channels that POST to an HTTP API: session handling and error mapping.

    A session passed in is shared and not closed by :meth:`close`; otherwise the
    channel builds its own with :func:`siaga.core.http.make_session` *without*
    urllib3 retries (a POST must not be repeated behind the outbox's back; the
    task retries with :func:`retry_delay`).
    """

    #: Default ``(connect, read)`` timeout for this channel's calls.
    timeout: tuple[float, float] = (5.0, 20.0)

    def __init__(
        self, *, session: requests.Session | None = None, timeout: tuple[float, float] | None = None
    ) -> None:
        if timeout is not None:
            self.timeout = timeout
        self._owns_session = session is None
        self._session = session if session is not None else make_session(timeout=self.timeout, retries=0)

    @property
    def session(self) -> requests.Session:
        """The HTTP session used for calls."""
        return self._session

    def close(self) -> None:
        """Close the session if this channel created it."""
        if self._owns_session:
            self._session.close()

    def _post(self, url: str, **kwargs: Any) -> requests.Response | SendResult:
        """POST and return the response; or a :class:`SendResult`: transient on network
        errors, permanent on a redirect (never followed)."""
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        try:
            response = self._session.post(url, **kwargs)
        except requests.Timeout as exc:
            return self._network_failure("timed out", exc)
        except requests.ConnectionError as exc:
            return self._network_failure("connection failed", exc)
        except requests.RequestException as exc:
            return self._network_failure("request failed", exc)
        if response.is_redirect or 300 <= response.status_code < 400:
            # A POST is not re-sent elsewhere (a signed or authorised body must not
            # wander); a redirect means the configured URL is wrong.
            status = response.status_code
            response.close()
            error = self.redact(f"{self.name}: HTTP {status}: redirect not followed; check the URL")
            log.warning("%s (permanent)", error)
            return SendResult.permanent(error, status_code=status)
        return response

    def _network_failure(self, what: str, exc: Exception) -> SendResult:
        error = self.redact(f"{self.name}: {what}: {type(exc).__name__}: {exc}")
        log.warning("%s", error)
        return SendResult.transient(error)

    def _http_failure(self, response: requests.Response, detail: str) -> SendResult:
        """Map an HTTP error answer to a result: 429/408/5xx transient, other 4xx permanent."""
        status = response.status_code
        error = self.redact(f"{self.name}: HTTP {status}: {detail}".strip())
        if status == 429 or status == 408 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            log.warning("%s (retry after %s)", error, retry_after)
            return SendResult.transient(error, retry_after=retry_after, status_code=status)
        log.warning("%s (permanent)", error)
        return SendResult.permanent(error, status_code=status)


def require(settings: Mapping[str, str], key: str) -> str:
    """The non-empty setting ``key`` (or ``SIAGA_<key>``); :class:`ChannelConfigError` if absent."""
    value = setting(settings, key)
    if not value:
        raise ChannelConfigError(f"setting {key} (environment SIAGA_{key}) is required")
    return value


def setting(settings: Mapping[str, str], key: str, default: str = "") -> str:
    """``settings[key]``, else ``settings["SIAGA_" + key]``, else ``default``; stripped."""
    value = settings.get(key)
    if value is None or str(value).strip() == "":
        value = settings.get(f"SIAGA_{key}")
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip()


def float_setting(settings: Mapping[str, str], key: str, default: float) -> float:
    """A number setting; :class:`ChannelConfigError` names the key when it is not a number."""
    raw = setting(settings, key)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ChannelConfigError(f"setting {key} must be a number") from None
    if math.isnan(value) or value < 0:
        raise ChannelConfigError(f"setting {key} must be a number >= 0")
    return value


def timeout_setting(settings: Mapping[str, str]) -> tuple[float, float] | None:
    """``(HTTP_CONNECT_TIMEOUT, HTTP_READ_TIMEOUT)`` when either is set, else None."""
    if not setting(settings, "HTTP_CONNECT_TIMEOUT") and not setting(settings, "HTTP_READ_TIMEOUT"):
        return None
    connect = float_setting(settings, "HTTP_CONNECT_TIMEOUT", 5.0)
    read = float_setting(settings, "HTTP_READ_TIMEOUT", 20.0)
    if connect <= 0 or read <= 0:
        raise ChannelConfigError("settings HTTP_CONNECT_TIMEOUT and HTTP_READ_TIMEOUT must be > 0")
    return (connect, read)


def check_http_url(url: str, key: str) -> str:
    """``url`` without a trailing slash, if it is http(s); else :class:`ChannelConfigError`."""
    if not url.lower().startswith(("http://", "https://")):
        raise ChannelConfigError(f"setting {key} must be an http:// or https:// URL")
    return url.rstrip("/")
