"""Polling BMKG feeds: conditional GET, parse, ingest, health. Called by the thin tasks.

Each feed has its own :class:`FeedState` row: ETag/Last-Modified for conditional GET
(BMKG does not document them, so the body hash is compared too), last success, last
error, consecutive failures, last new item. A feed failing ``SIAGA_FEED_FAILURES_NOTICE``
times in a row, or without success for ``SIAGA_FEED_SILENT_MINUTES``, raises one notice
to coordinators per outage; :func:`check_feeds` (beat, every minute) raises it for a feed
that went silent, so a stalled poller is noticed too.

Bounded time and load (BMKG allows 60 requests a minute, and the poll task has a 50 s soft
limit): a feed index is fetched with ``FEED_TIMEOUT`` and ``FEED_RETRIES`` (at most
2 × (5 + 10) s + 1 s backoff = 31 s against a server that never answers; a ``Retry-After``
is obeyed up to 5 s, :data:`siaga.core.http.RETRY_AFTER_MAX`); the CAP files of weather
warnings are fetched once each (``CAP_TIMEOUT``, no retry), at most ``CAP_FILES_PER_POLL`` per
poll and only while the poll is younger than ``CAP_BUDGET_SECONDS``: worst case 31 + 8 + 8 =
47 s (an index that took longer leaves its CAP files to the next poll). What a poll could
not fetch is fetched by the next one: the index body and its validators are only remembered
once everything it lists was ingested.
:func:`requests_per_minute` is the worst case of the configured schedule (every try of every
request), checked against :data:`BMKG_LIMIT_PER_MINUTE` when beat's schedule is built.

Weather warnings: the index answering is not enough. A nowcast poll that tried CAP files and
got none of them (BMKG's firewall answering 403 to each, say) is a failed poll, counted like
any other; one that got some is a success whose last error names the files that failed. A
CAP file answering 404 (the index linking a file the server does not have, seen in the demo
server) or one that cannot be read, while other warnings of the same index are already in, is
that file's fault, not the feed's: reported, not counted.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from flask import current_app
from sqlalchemy import select

from siaga.core.http import BROWSER_USER_AGENT, conditional_get, make_session
from siaga.db import utcnow
from siaga.extensions import db
from siaga.hazards.models import FeedState, HazardEvent, HazardKind
from siaga.hazards.reports import Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feed:
    name: str
    base_setting: str
    path: str
    interval_setting: str
    label: str


FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        Feed(
            "autogempa",
            "SIAGA_BMKG_TEWS_URL",
            "autogempa.json",
            "SIAGA_POLL_AUTOGEMPA_SECONDS",
            "Gempa terbaru (autogempa)",
        ),
        Feed(
            "gempaterkini",
            "SIAGA_BMKG_TEWS_URL",
            "gempaterkini.json",
            "SIAGA_POLL_LISTS_SECONDS",
            "Gempa M5+ (gempaterkini)",
        ),
        Feed(
            "gempadirasakan",
            "SIAGA_BMKG_TEWS_URL",
            "gempadirasakan.json",
            "SIAGA_POLL_LISTS_SECONDS",
            "Gempa dirasakan",
        ),
        Feed(
            "inatews",
            "SIAGA_INATEWS_URL",
            "datagempa.json",
            "SIAGA_POLL_INATEWS_SECONDS",
            "InaTEWS (tsunami)",
        ),
        Feed(
            "nowcast",
            "SIAGA_NOWCAST_URL",
            "",
            "SIAGA_POLL_NOWCAST_SECONDS",
            "Peringatan dini cuaca (nowcast)",
        ),
    )
}


def feed_url(feed: Feed) -> str:
    base = current_app.config[feed.base_setting]
    if not feed.path:
        return str(base)
    return urljoin(base if base.endswith("/") else base + "/", feed.path)


#: BMKG's published limit: 60 requests a minute per client.
BMKG_LIMIT_PER_MINUTE = 60
#: ``(connect, read)`` seconds and re-tries for a feed index (1 s backoff before the re-try).
FEED_TIMEOUT: tuple[float, float] = (5.0, 10.0)
FEED_RETRIES = 1
#: A CAP file: one try (a failed file is fetched again by the next poll).
CAP_TIMEOUT: tuple[float, float] = (3.0, 5.0)
#: At most this many CAP files per nowcast poll; the rest on the next polls.
CAP_FILES_PER_POLL = 10
#: No new CAP download starts once the poll is this old (the task's soft limit is 50 s).
CAP_BUDGET_SECONDS = 31.0


def _session() -> requests.Session:
    return make_session(timeout=FEED_TIMEOUT, retries=FEED_RETRIES, backoff_factor=1.0, browser_like=True)


def _cap_session() -> requests.Session:
    return make_session(timeout=CAP_TIMEOUT, retries=0, browser_like=True)


def is_bmkg(url: str) -> bool:
    """Whether ``url`` is one of BMKG's servers (their limit applies; not to a local mirror or drill)."""
    host = (urlsplit(url).hostname or "").lower()
    return "bmkg" in host


def requests_per_minute(config: Any) -> float:
    """Worst case of BMKG requests a minute for the configured intervals: every try of every
    feed index at its interval, and for the nowcast also ``CAP_FILES_PER_POLL`` CAP files.
    Feeds pointed at another server (a mirror, a drill) do not count."""
    total = 0.0
    for feed in FEEDS.values():
        if not is_bmkg(str(config[feed.base_setting])):
            continue
        interval = _interval(config, feed)
        if interval <= 0:  # set in app.config directly (the environment is bounded): no limit at all
            return math.inf
        per_poll = (FEED_RETRIES + 1) + (CAP_FILES_PER_POLL if feed.name == "nowcast" else 0)
        total += per_poll * 60 / interval
    return total


def _interval(config: Any, feed: Feed) -> float:
    """The feed's polling interval in seconds; 0 for one that is not a positive number."""
    try:
        value = float(config[feed.interval_setting])
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def _state(feed: Feed) -> FeedState:
    state = db.session.get(FeedState, feed.name)
    if state is None:
        state = FeedState(
            name=feed.name, url=feed_url(feed), consecutive_failures=0, first_checked_at=utcnow()
        )
        db.session.add(state)
        db.session.flush()
    state.url = feed_url(feed)
    return state


@dataclass
class PollResult:
    feed: str
    status: str  #: new, unchanged, not_modified, error
    reports: int = 0
    created: int = 0
    updated: int = 0
    message_ids: tuple[int, ...] = ()
    error: str | None = None
    #: nowcast: CAP files that failed or were left for the next poll (the index is fetched again)
    pending: int = 0
    #: the events this poll created or updated, each once, with "created" or "updated"
    events: list[tuple[HazardEvent, str]] = field(default_factory=list)


@dataclass
class Fetched:
    """A feed body's reports; ``pending``/``problems``: CAP files not ingested this time.

    Nowcast only: ``attempted`` CAP files were downloaded this poll, ``problems`` holds one line
    per file that failed (``missing`` of them answered 404), ``known`` of the index's warnings
    were already in before this poll.
    """

    reports: list[Report]
    pending: int = 0
    problems: list[str] = field(default_factory=list)
    attempted: int = 0
    missing: int = 0
    broken: int = 0
    known: int = 0

    @property
    def cap_failed(self) -> bool:
        """Whether the poll failed on its CAP files: it tried some and got none because the
        server refused or did not answer (403, 5xx, a timeout), or got none at all with nothing
        of the index in yet. A file that is missing (404) or unreadable while the index's other
        warnings are in is the file's fault, not the feed's: shown, not counted (see the module
        docstring)."""
        if not self.attempted or len(self.problems) < self.attempted:
            return False
        refused = self.attempted - self.missing - self.broken
        return refused > 0 or not self.known

    def cap_summary(self) -> str | None:
        """What the CAP files of this poll left undone, for ``last_error``; None when nothing."""
        deferred = self.pending - len(self.problems)
        if self.problems:
            text = f"{len(self.problems)} of {self.attempted} CAP files failed"
            if deferred:
                text += f" ({deferred} more left for the next poll)"
            return f"{text}: " + "; ".join(self.problems)
        if deferred:
            return f"{deferred} CAP file(s) not fetched yet (left for the next poll)"
        return None


def _why(exc: BaseException) -> tuple[int | None, str]:
    """A failed CAP file's HTTP status, if it got one, and a short reason (``403 Forbidden``)."""
    response = getattr(exc, "response", None)
    if isinstance(exc, requests.HTTPError) and response is not None:
        return response.status_code, f"{response.status_code} {response.reason or ''}".strip()
    return None, f"{type(exc).__name__}: {exc}"[:160]


def fetch_reports(feed: Feed, body: bytes, started: float | None = None) -> Fetched:
    """Parse a feed body into normalised reports (nowcast: fetch the CAP files it links that
    we do not have yet, within the limits in the module docstring)."""
    from siaga.hazards import bmkg
    from siaga.hazards.services import fit_identifier

    if feed.name != "nowcast":
        return Fetched(bmkg.reports_from(feed.name, body))
    started = time.monotonic() if started is None else started
    out = Fetched([])
    known = set(
        db.session.scalars(select(HazardEvent.identifier).where(HazardEvent.kind == HazardKind.WEATHER))
    )
    links = list(bmkg.nowcast_links(body, feed_url(feed)))
    wanted = [link for link in links if fit_identifier(link.identifier) not in known]
    out.known = len(links) - len(wanted)
    with _cap_session() as session:
        for n, link in enumerate(wanted):
            if n >= CAP_FILES_PER_POLL or time.monotonic() - started > CAP_BUDGET_SECONDS:
                out.pending += len(wanted) - n
                break
            # One missing or broken CAP file must not hide the other warnings.
            out.attempted += 1
            try:
                resp = session.get(link.url)
                resp.raise_for_status()
                out.reports.extend(bmkg.reports_from("cap", resp.content))
            except (requests.RequestException, bmkg.FeedParseError) as exc:
                log.warning("nowcast: skipped %s (%s)", link.url, exc)
                out.pending += 1
                status, reason = _why(exc)
                out.missing += int(status == 404)
                out.broken += int(isinstance(exc, bmkg.FeedParseError))
                name = urlsplit(link.url).path.rsplit("/", 1)[-1] or link.url
                out.problems.append(f"{name}: {reason}")
    return out


def poll(name: str) -> PollResult:
    """Fetch, parse and ingest one feed; flushes, the caller commits."""
    from siaga.hazards.bmkg import FeedParseError
    from siaga.hazards.services import ingest_reports

    feed = FEEDS[name]
    state = _state(feed)
    now = utcnow()
    started = time.monotonic()
    state.last_checked_at = now
    try:
        with _session() as session:
            got = conditional_get(session, feed_url(feed), etag=state.etag, last_modified=state.last_modified)
        if got.not_modified:
            _ok(state)
            return PollResult(name, "not_modified")
        body = got.body or b""
        digest = hashlib.sha256(body).hexdigest()
        if digest == state.last_body_hash:
            state.etag, state.last_modified = _validators(got)
            _ok(state)
            return PollResult(name, "unchanged")
        fetched = fetch_reports(feed, body, started)
    except (requests.RequestException, FeedParseError, ValueError) as exc:
        return _failed(state, feed, exc)
    except Exception as exc:  # a payload no parser rule foresaw: a failed poll, not a dead task
        log.exception("feed %s: unexpected error reading the payload", name)
        return _failed(state, feed, exc)
    summary = fetched.cap_summary()
    if fetched.cap_failed:
        # The index answered but not one warning it lists could be had (e.g. every CAP file
        # blocked): a failed poll. Nothing was fetched, so nothing to ingest; the index is
        # downloaded again next time and its files tried again.
        return _failed(state, feed, summary or "CAP files failed", pending=fetched.pending)
    done = ingest_reports(fetched.reports)
    result = PollResult(
        name,
        "new",
        reports=len(fetched.reports),
        created=done.created,
        updated=done.updated,
        message_ids=done.message_ids,
        events=done.events,
        pending=fetched.pending,
    )
    if result.created or result.updated:
        state.last_new_item_at = now
    _ok(state)
    if fetched.pending:
        # The index answered, but some warnings it lists are not in yet: keep neither its hash
        # nor its validators, so the next poll downloads it again and fetches what is missing.
        # A success, but what failed shows in feed health (it does not count toward a notice).
        state.last_error_at = utcnow()
        state.last_error = (summary or f"{fetched.pending} CAP file(s) not fetched yet")[:500]
        result.error = state.last_error
    else:
        # Only now: a body that failed to parse or ingest is downloaded again next time.
        state.last_body_hash = digest
        state.etag, state.last_modified = _validators(got)
    db.session.flush()
    return result


def _validators(got: Any) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified to send back next time; one longer than its column is
    dropped (no conditional GET for that feed) rather than failing the poll on PostgreSQL."""
    columns = FeedState.__table__.c
    etag = got.etag if got.etag and len(got.etag) <= columns.etag.type.length else None
    modified = got.last_modified
    if modified and len(modified) > columns.last_modified.type.length:
        modified = None
    return etag, modified


def _ok(state: FeedState) -> None:
    state.last_success_at = utcnow()
    state.consecutive_failures = 0
    state.notice_sent_at = None


def _failed(state: FeedState, feed: Feed, exc: BaseException | str, pending: int = 0) -> PollResult:
    """Count a failed poll (``exc``: what went wrong, or its description) and notice when down."""
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.last_error_at = utcnow()
    state.last_error = (exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}")[:500]
    log.warning("feed %s failed (%s times): %s", feed.name, state.consecutive_failures, state.last_error)
    message_ids = _notice_if_down(state, feed)
    db.session.flush()
    return PollResult(feed.name, "error", error=state.last_error, message_ids=message_ids, pending=pending)


def record_failure(name: str, exc: BaseException) -> PollResult:
    """Record a poll that died outside :func:`poll`'s own error handling (e.g. the task's time
    limit), in a fresh transaction: the caller rolled back what the poll had begun."""
    feed = FEEDS[name]
    state = _state(feed)
    state.last_checked_at = utcnow()
    return _failed(state, feed, exc)


def _notice_if_down(state: FeedState, feed: Feed) -> tuple[int, ...]:
    """One notice to the coordinators on duty per outage (failing or silent); the queued ids."""
    from siaga.core.time import format_local
    from siaga.messaging import services as messaging

    message_ids: tuple[int, ...] = ()
    if is_down(state) and state.notice_sent_at is None:
        silent = (state.consecutive_failures or 0) < current_app.config["SIAGA_FEED_FAILURES_NOTICE"]
        quiet_since = state.last_success_at or state.first_checked_at  # see is_down
        msg = messaging.create_message(
            kind="feed_down",
            facts={
                "feed": feed.label,
                "failures": state.consecutive_failures,
                "since": format_local(state.last_success_at or state.last_error_at),
                "silent": silent,
            },
            recipients=messaging.coordinators_on_duty(),
            severity=2,
            requires_ack=False,
            source={"feed": feed.name},
            # one per outage: a silent one is known by its last success, a failing one by its error
            dedupe_key=f"feed_silent:{feed.name}:{quiet_since:%Y%m%d%H%M%S}"
            if silent
            else f"feed_down:{feed.name}:{state.last_error_at:%Y%m%d%H%M%S}",
        )
        state.notice_sent_at = utcnow()
        if msg is not None:
            message_ids = tuple(messaging.queued_ids(msg))
    return message_ids


def check_feeds() -> tuple[int, ...]:
    """Notice coordinators of every feed that failed or went silent (no success for
    ``SIAGA_FEED_SILENT_MINUTES``) and was not noticed yet: a poller that stopped (worker
    gone, task killed) never reaches :func:`_failed`. Flushes; the caller commits and enqueues."""
    states = {s.name: s for s in db.session.scalars(select(FeedState))}
    message_ids: list[int] = []
    for name, feed in FEEDS.items():
        if name in states:
            message_ids.extend(_notice_if_down(states[name], feed))
    db.session.flush()
    return tuple(message_ids)


def is_down(state: FeedState) -> bool:
    cfg = current_app.config
    if (state.consecutive_failures or 0) >= cfg["SIAGA_FEED_FAILURES_NOTICE"]:
        return True
    silent = timedelta(minutes=cfg["SIAGA_FEED_SILENT_MINUTES"])
    last = state.last_success_at or state.first_checked_at  # never answered: silent since the first try
    return last is not None and utcnow() - last > silent


def health() -> list[dict[str, Any]]:
    states = {s.name: s for s in db.session.scalars(select(FeedState))}
    out = []
    for name, feed in FEEDS.items():
        s = states.get(name)
        out.append(
            {
                "feed": name,
                "label": feed.label,
                "ok": bool(s and s.last_success_at and not is_down(s)),
                "last_success_at": s.last_success_at.isoformat() if s and s.last_success_at else None,
                "last_error_at": s.last_error_at.isoformat() if s and s.last_error_at else None,
                "last_error": s.last_error if s else None,
                "consecutive_failures": s.consecutive_failures if s else 0,
                "last_new_item_at": s.last_new_item_at.isoformat() if s and s.last_new_item_at else None,
            }
        )
    return out


def beat_entries(app: Any) -> dict[str, Any]:
    """One periodic task per feed, on the feeds queue, and the silent-feed check every minute.

    Refuses a schedule whose worst case (:func:`requests_per_minute`) exceeds BMKG's limit.
    """
    for feed in FEEDS.values():
        if _interval(app.config, feed) <= 0:
            raise ValueError(
                f"{feed.interval_setting} must be a positive number of seconds, "
                f"got {app.config[feed.interval_setting]!r}"
            )
    worst = requests_per_minute(app.config)
    if worst > BMKG_LIMIT_PER_MINUTE:
        raise ValueError(
            f"BMKG polling intervals allow up to {worst:.0f} requests a minute, over BMKG's limit of "
            f"{BMKG_LIMIT_PER_MINUTE}: raise SIAGA_POLL_*_SECONDS"
        )
    entries: dict[str, Any] = {
        f"poll-{name}": {
            "task": "hazards.poll_feed",
            "schedule": timedelta(seconds=app.config[feed.interval_setting]),
            "args": [name],
            "options": {"queue": "feeds", "expires": app.config[feed.interval_setting]},
        }
        for name, feed in FEEDS.items()
    }
    entries["hazards-check-feeds"] = {
        "task": "hazards.check_feeds",
        "schedule": timedelta(seconds=60),
        "options": {"queue": "feeds", "expires": 60},
    }
    return entries


__all__ = ["BROWSER_USER_AGENT", "FEEDS", "Feed", "PollResult", "health", "poll"]
