"""Polling BMKG feeds: conditional GET, parse, ingest, health. Called by the thin tasks.

Each feed has its own :class:`FeedState` row: ETag/Last-Modified for conditional GET
(BMKG does not document them, so the body hash is compared too), last success, last
error, consecutive failures, last new item. A feed failing ``SIAGA_FEED_FAILURES_NOTICE``
times in a row, or without success for ``SIAGA_FEED_SILENT_MINUTES``, raises one notice
to coordinators per outage; :func:`check_feeds` (beat, every minute) raises it for a feed
that went silent, so a stalled poller is noticed too.

Bounded time and load (BMKG allows 60 requests a minute, and the poll task has a 50 s soft
limit): a feed index is fetched with ``FEED_TIMEOUT`` and ``FEED_RETRIES`` (at most
2 × (5 + 10) s + 1 s backoff = 31 s against a server that never answers); the CAP files of
weather warnings are fetched once each (``CAP_TIMEOUT``, no retry), at most
``CAP_FILES_PER_POLL`` per poll and only while the poll is younger than ``CAP_BUDGET_SECONDS``:
worst case 31 + 8 + 8 = 47 s. What a poll could not fetch is fetched by the next one: the
index body and its validators are only remembered once everything it lists was ingested.
:func:`requests_per_minute` is the worst case of the configured schedule (every try of every
request), checked against :data:`BMKG_LIMIT_PER_MINUTE` when beat's schedule is built.
"""

from __future__ import annotations

import hashlib
import logging
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
#: ``(connect, read)`` seconds and re-tries for a feed index (urllib3 backs off 1 s between tries).
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
        per_poll = (FEED_RETRIES + 1) + (CAP_FILES_PER_POLL if feed.name == "nowcast" else 0)
        total += per_poll * 60 / config[feed.interval_setting]
    return total


def _state(feed: Feed) -> FeedState:
    state = db.session.get(FeedState, feed.name)
    if state is None:
        state = FeedState(name=feed.name, url=feed_url(feed), consecutive_failures=0)
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
    """A feed body's reports; ``pending``/``problems``: CAP files not ingested this time."""

    reports: list[Report]
    pending: int = 0
    problems: list[str] = field(default_factory=list)


def fetch_reports(feed: Feed, body: bytes, started: float | None = None) -> Fetched:
    """Parse a feed body into normalised reports (nowcast: fetch the CAP files it links that
    we do not have yet, within the limits in the module docstring)."""
    from siaga.hazards import bmkg

    if feed.name != "nowcast":
        return Fetched(bmkg.reports_from(feed.name, body))
    started = time.monotonic() if started is None else started
    out = Fetched([])
    known = set(
        db.session.scalars(select(HazardEvent.identifier).where(HazardEvent.kind == HazardKind.WEATHER))
    )
    wanted = [link for link in bmkg.nowcast_links(body, feed_url(feed)) if link.identifier not in known]
    with _cap_session() as session:
        for n, link in enumerate(wanted):
            if n >= CAP_FILES_PER_POLL or time.monotonic() - started > CAP_BUDGET_SECONDS:
                out.pending += len(wanted) - n
                break
            # One missing or broken CAP file must not hide the other warnings.
            try:
                resp = session.get(link.url)
                resp.raise_for_status()
                out.reports.extend(bmkg.reports_from("cap", resp.content))
            except (requests.RequestException, bmkg.FeedParseError) as exc:
                log.warning("nowcast: skipped %s (%s)", link.url, exc)
                out.pending += 1
                out.problems.append(f"{link.url}: {type(exc).__name__}: {exc}")
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
            state.etag, state.last_modified = got.etag, got.last_modified
            _ok(state)
            return PollResult(name, "unchanged")
        fetched = fetch_reports(feed, body, started)
    except (requests.RequestException, FeedParseError, ValueError) as exc:
        return _failed(state, feed, exc)
    except Exception as exc:  # a payload no parser rule foresaw: a failed poll, not a dead task
        log.exception("feed %s: unexpected error reading the payload", name)
        return _failed(state, feed, exc)
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
        state.last_error_at = utcnow()
        state.last_error = (f"{fetched.pending} CAP file(s) not fetched yet; " + "; ".join(fetched.problems))[
            :500
        ]
        result.error = state.last_error
    else:
        # Only now: a body that failed to parse or ingest is downloaded again next time.
        state.last_body_hash = digest
        state.etag, state.last_modified = got.etag, got.last_modified
    db.session.flush()
    return result


def _ok(state: FeedState) -> None:
    state.last_success_at = utcnow()
    state.consecutive_failures = 0
    state.notice_sent_at = None


def _failed(state: FeedState, feed: Feed, exc: BaseException) -> PollResult:
    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.last_error_at = utcnow()
    state.last_error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("feed %s failed (%s times): %s", feed.name, state.consecutive_failures, state.last_error)
    message_ids = _notice_if_down(state, feed)
    db.session.flush()
    return PollResult(feed.name, "error", error=state.last_error, message_ids=message_ids)


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
            dedupe_key=f"feed_silent:{feed.name}:{state.last_success_at:%Y%m%d%H%M%S}"
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
    last = state.last_success_at
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
