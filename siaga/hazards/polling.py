"""Polling BMKG feeds: conditional GET, parse, ingest, health. Called by the thin tasks.

Each feed has its own :class:`FeedState` row: ETag/Last-Modified for conditional GET
(BMKG does not document them, so the body hash is compared too), last success, last
error, consecutive failures, last new item. A feed failing ``SIAGA_FEED_FAILURES_NOTICE``
times in a row, or without success for ``SIAGA_FEED_SILENT_MINUTES``, raises one notice
to coordinators per outage.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

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


def _session() -> requests.Session:
    return make_session(timeout=(5.0, 20.0), retries=2, backoff_factor=1.0, browser_like=True)


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
    #: the events this poll created or updated, each once, with "created" or "updated"
    events: list[tuple[HazardEvent, str]] = field(default_factory=list)


def fetch_reports(feed: Feed, body: bytes, session: requests.Session) -> list[Report]:
    """Parse a feed body into normalised reports (nowcast: fetch the CAP files it links)."""
    from siaga.hazards import bmkg

    if feed.name != "nowcast":
        return bmkg.reports_from(feed.name, body)
    reports: list[Report] = []
    known = set(
        db.session.scalars(select(HazardEvent.identifier).where(HazardEvent.kind == HazardKind.WEATHER))
    )
    for link in bmkg.nowcast_links(body, feed_url(feed)):
        if link.identifier and link.identifier in known:
            continue
        # One missing or broken CAP file must not hide the other warnings.
        try:
            resp = session.get(link.url)
            resp.raise_for_status()
            reports.extend(bmkg.reports_from("cap", resp.content))
        except (requests.RequestException, bmkg.FeedParseError) as exc:
            log.warning("nowcast: skipped %s (%s)", link.url, exc)
    return reports


def poll(name: str) -> PollResult:
    """Fetch, parse and ingest one feed; flushes, the caller commits."""
    from siaga.hazards.bmkg import FeedParseError
    from siaga.hazards.services import process_reports
    from siaga.messaging.services import queued_ids

    feed = FEEDS[name]
    state = _state(feed)
    now = utcnow()
    state.last_checked_at = now
    session = _session()
    try:
        got = conditional_get(session, feed_url(feed), etag=state.etag, last_modified=state.last_modified)
        if got.not_modified:
            _ok(state)
            return PollResult(name, "not_modified")
        body = got.body or b""
        digest = hashlib.sha256(body).hexdigest()
        state.etag, state.last_modified = got.etag, got.last_modified
        if digest == state.last_body_hash:
            _ok(state)
            return PollResult(name, "unchanged")
        reports = fetch_reports(feed, body, session)
    except (requests.RequestException, FeedParseError, ValueError) as exc:
        return _failed(state, feed, exc)
    finally:
        session.close()
    result = PollResult(name, "new", reports=len(reports))
    messages: list[int] = []
    seen: set[int] = set()
    for ev, outcome, msg in process_reports(reports):
        if outcome == "created":
            result.created += 1
        elif outcome == "updated":
            result.updated += 1
        if outcome in ("created", "updated"):
            if id(ev) in seen:  # created and revised in one body: still a new event
                continue
            seen.add(id(ev))
            result.events.append((ev, outcome))
        if msg is not None:
            messages.extend(queued_ids(msg))
    state.last_body_hash = digest
    if result.created or result.updated:
        state.last_new_item_at = now
    _ok(state)
    result.message_ids = tuple(messages)
    db.session.flush()
    return result


def _ok(state: FeedState) -> None:
    state.last_success_at = utcnow()
    state.consecutive_failures = 0
    state.notice_sent_at = None


def _failed(state: FeedState, feed: Feed, exc: Exception) -> PollResult:
    from siaga.core.time import format_local
    from siaga.messaging import services as messaging

    state.consecutive_failures = (state.consecutive_failures or 0) + 1
    state.last_error_at = utcnow()
    state.last_error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("feed %s failed (%s times): %s", feed.name, state.consecutive_failures, state.last_error)
    message_ids: tuple[int, ...] = ()
    if is_down(state) and state.notice_sent_at is None:
        msg = messaging.create_message(
            kind="feed_down",
            facts={
                "feed": feed.label,
                "failures": state.consecutive_failures,
                "since": format_local(state.last_success_at or state.last_error_at),
            },
            recipients=messaging.coordinators_on_duty(),
            severity=2,
            requires_ack=False,
            source={"feed": feed.name},
            dedupe_key=f"feed_down:{feed.name}:{state.last_error_at:%Y%m%d%H%M%S}",
        )
        state.notice_sent_at = utcnow()
        if msg is not None:
            message_ids = tuple(messaging.queued_ids(msg))
    db.session.flush()
    return PollResult(feed.name, "error", error=state.last_error, message_ids=message_ids)


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
    """One periodic task per feed, on the feeds queue."""
    return {
        f"poll-{name}": {
            "task": "hazards.poll_feed",
            "schedule": timedelta(seconds=app.config[feed.interval_setting]),
            "args": [name],
            "options": {"queue": "feeds", "expires": app.config[feed.interval_setting]},
        }
        for name, feed in FEEDS.items()
    }


__all__ = ["BROWSER_USER_AGENT", "FEEDS", "Feed", "PollResult", "health", "poll"]
