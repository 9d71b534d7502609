"""Outbound HTTP for Siaga Bencana: ``requests`` sessions that always time out.

Every call Siaga makes to another server (BMKG feeds, WhatsApp/SMS gateways, the
Telegram Bot API, webhooks) goes through a session built by :func:`make_session`:

* a default ``(connect, read)`` timeout is applied to *every* request that does not
  pass its own, including ``timeout=None`` (requests' "wait forever"), so a hung
  server can never hang a worker;
* urllib3's :class:`~urllib3.util.Retry` re-tries connection failures and
  502/503/504 answers with exponential backoff, but only re-sends *idempotent*
  methods (GET, HEAD, OPTIONS) after a server answered; a POST is never sent twice
  by this layer (connection errors, where nothing reached the server, are retried
  for every method);
* a configurable User-Agent: an honest ``SiagaBencana/...`` by default, or a
  browser-like string for servers (some BMKG mirrors) that refuse unknown agents.

:func:`conditional_get` fetches a URL with ``If-None-Match`` / ``If-Modified-Since``
so feed pollers only download and parse what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

#: ``(connect, read)`` seconds applied when a call gives no timeout.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 20.0)
#: The honest default agent; servers can tell who is calling and whom to contact.
DEFAULT_USER_AGENT = "SiagaBencana/0.1 (disaster coordination; python-requests)"
#: For servers that reject non-browser agents (seen on some BMKG endpoints).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
#: Answers worth re-trying for idempotent requests (gateway trouble, not our fault).
RETRY_STATUSES: frozenset[int] = frozenset({502, 503, 504})
#: Methods urllib3 may re-send after the server answered.
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})

TimeoutValue = float | tuple[float, float] | tuple[float, None] | None

#: The longest a server's ``Retry-After`` makes a re-try wait, in seconds: a worker's time
#: limit is shorter than what an overloaded server may ask (BMKG answers 503 with minutes).
RETRY_AFTER_MAX = 5.0


class BackoffRetry(Retry):
    """urllib3's Retry with a backoff before the *first* re-try too (urllib3 2 re-tries at
    once the first time: with one re-try that is no backoff at all), and ``Retry-After``
    obeyed up to :data:`RETRY_AFTER_MAX` seconds."""

    def get_backoff_time(self) -> float:
        errors = 0
        for attempt in reversed(self.history):
            if attempt.redirect_location is not None:
                break
            errors += 1
        if errors == 0:
            return 0.0
        return float(max(0.0, min(self.backoff_max, self.backoff_factor * 2 ** (errors - 1))))

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        after = super().get_retry_after(response)
        return None if after is None else min(after, RETRY_AFTER_MAX)


class TimeoutHTTPAdapter(HTTPAdapter):
    """An adapter that substitutes a default timeout when a request has none.

    Done at the adapter (not ``Session.request``) so it also covers
    ``session.send(prepared)`` and redirects.
    """

    def __init__(self, timeout: tuple[float, float], max_retries: Retry | int | None = 0) -> None:
        self.default_timeout = timeout
        super().__init__(max_retries=max_retries)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: TimeoutValue = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send ``request``, with the default timeout when ``timeout`` is None."""
        if timeout is None:
            timeout = self.default_timeout
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )


def make_retry(retries: int, backoff_factor: float) -> Retry:
    """The urllib3 retry policy described in the module docstring.

    ``retries=0`` disables re-tries entirely (the caller, e.g. a Celery task,
    re-tries instead).
    """
    if retries <= 0:
        return Retry(total=0, read=False, redirect=False, raise_on_status=False)
    return BackoffRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        redirect=False,  # requests follows redirects itself
        other=0,
        backoff_factor=backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,  # give the caller the last 5xx response, not an exception
    )


def make_session(
    *,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    retries: int = 3,
    backoff_factor: float = 0.5,
    user_agent: str | None = None,
    browser_like: bool = False,
    headers: Mapping[str, str] | None = None,
) -> requests.Session:
    """Build a :class:`requests.Session` with a default timeout, retries and User-Agent.

    :param timeout: ``(connect, read)`` seconds used whenever a call passes no timeout.
    :param retries: urllib3 re-tries for connect errors and 502/503/504 (idempotent
        methods only for the latter); ``0`` disables them.
    :param backoff_factor: sleep ``backoff_factor * 2 ** (n - 1)`` seconds before the n-th
        re-try (capped by urllib3's ``backoff_max``), or the server's ``Retry-After`` up to
        :data:`RETRY_AFTER_MAX` seconds.
    :param user_agent: explicit User-Agent; wins over ``browser_like``.
    :param browser_like: use :data:`BROWSER_USER_AGENT` instead of the default.
    :param headers: extra default headers for every request.

    The caller owns the session and should ``close()`` it (or use it in a ``with``).
    """
    if len(timeout) != 2 or any(t is None or t <= 0 for t in timeout):
        raise ValueError(f"timeout must be (connect, read) seconds > 0, got {timeout!r}")
    session = requests.Session()
    adapter = TimeoutHTTPAdapter(timeout, max_retries=make_retry(retries, backoff_factor))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if user_agent is None:
        user_agent = BROWSER_USER_AGENT if browser_like else DEFAULT_USER_AGENT
    session.headers["User-Agent"] = user_agent
    if headers:
        session.headers.update(headers)
    return session


class ConditionalResponse(NamedTuple):
    """What :func:`conditional_get` returns; unpacks as ``(status, body, etag, last_modified)``.

    ``body`` is ``None`` for 304 Not Modified. ``etag``/``last_modified`` are the
    validators to send next time: the server's new ones, or on 304 the ones sent
    (servers may omit them from a 304).
    """

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304 Not Modified."""
        return self.status == 304


def conditional_get(
    session: requests.Session,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: TimeoutValue = None,
    raise_for_status: bool = True,
) -> ConditionalResponse:
    """GET ``url`` with ``If-None-Match``/``If-Modified-Since`` from a previous answer.

    :param etag: the ``ETag`` of the previous answer, sent as ``If-None-Match``.
    :param last_modified: its ``Last-Modified``, sent as ``If-Modified-Since``.
    :param timeout: overrides the session default for this call.
    :param raise_for_status: raise :class:`requests.HTTPError` on 4xx/5xx (default);
        when False, such answers are returned with their body.
    """
    request_headers: dict[str, str] = dict(headers or {})
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    with session.get(url, headers=request_headers, timeout=timeout) as response:
        if response.status_code == 304:
            return ConditionalResponse(
                304,
                None,
                response.headers.get("ETag") or etag,
                response.headers.get("Last-Modified") or last_modified,
            )
        if raise_for_status:
            response.raise_for_status()
        return ConditionalResponse(
            response.status_code,
            response.content,
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
        )
