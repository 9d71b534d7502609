"""Feed faults through a local server that speaks BMKG's protocol: none crashes the poll,
none creates an event, each shows in feed health, and the next poll fetches the feed again
(a broken body is not remembered as seen). Also the silent-feed check, the request budget
and the CAP files a poll could not fetch."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from siaga.db import utcnow
from siaga.hazards import polling
from siaga.hazards.models import FeedState, HazardEvent, HazardKind
from siaga.messaging.models import Message
from tests.fakes.bmkg import DATA

AUTOGEMPA = "/DataMKG/TEWS/autogempa.json"
REAL = (DATA / "autogempa.json").read_bytes()


def _events() -> int:
    from siaga.extensions import db

    return db.session.scalar(select(func.count(HazardEvent.id)))


def _as_list_item() -> bytes:
    data = json.loads(REAL)
    data["Infogempa"]["gempa"] = [list(data["Infogempa"]["gempa"].values())]  # a list where an object was
    return json.dumps(data).encode()


FAULTS = {
    "403": (403, None, "403"),
    "503": (503, None, "503"),
    "truncated JSON": (None, REAL[: len(REAL) // 2], "FeedParseError"),
    "HTML page with status 200": (None, b"<html><body>Service Unavailable</body></html>", "FeedParseError"),
    "empty body": (None, b"", "FeedParseError"),
    "list where an object was expected": (None, _as_list_item(), "Error"),
    "JSON null": (None, b"null", "FeedParseError"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_is_a_failed_poll_in_health_and_the_next_poll_tries_again(db_session, bmkg, fault):
    status, body, reason = FAULTS[fault]
    if status:
        bmkg.errors[AUTOGEMPA] = status
    else:
        bmkg.serve(AUTOGEMPA, body)
    first = polling.poll("autogempa")
    assert first.status == "error" and reason in first.error
    assert _events() == 0
    # The same broken answer again: fetched again (no If-None-Match from the broken one), failed again.
    second = polling.poll("autogempa")
    assert second.status == "error"
    assert "If-None-Match" not in bmkg.requests[-1][1]
    state = db_session.get(FeedState, "autogempa")
    assert state.consecutive_failures == 2 and state.last_success_at is None and state.last_body_hash is None
    health = {h["feed"]: h for h in polling.health()}["autogempa"]
    assert health["ok"] is False and health["consecutive_failures"] == 2 and reason in health["last_error"]
    # The feed recovers: the real payload is ingested at once.
    bmkg.errors.pop(AUTOGEMPA, None)
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    third = polling.poll("autogempa")
    assert third.status == "new" and third.created == 1 and state.consecutive_failures == 0


def test_a_hung_server_times_out_and_shows_in_health(db_session, bmkg, monkeypatch):
    monkeypatch.setattr(polling, "FEED_TIMEOUT", (2.0, 0.3))  # the real ones are 5 s and 10 s
    monkeypatch.setattr(polling, "FEED_RETRIES", 0)
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    bmkg.delays[AUTOGEMPA] = 1.5
    result = polling.poll("autogempa")
    assert result.status == "error" and "Timeout" in result.error
    assert _events() == 0
    health = {h["feed"]: h for h in polling.health()}["autogempa"]
    assert health["consecutive_failures"] == 1 and "Timeout" in health["last_error"]


def test_unknown_extra_fields_are_ignored(db_session, bmkg):
    data = json.loads(REAL)
    data["Infogempa"]["gempa"]["FieldBaru"] = {"nested": [1, 2]}
    data["Infogempa"]["versi"] = "2.0"
    bmkg.serve(AUTOGEMPA, json.dumps(data))
    assert polling.poll("autogempa").created == 1


def test_a_quake_outside_indonesia_is_stored_without_impact_or_alert(db_session, bmkg, make_shelter, users):
    make_shelter(name="Posko Sekayu", lat=-2.88, lon=103.85)
    bmkg.serve_fixture("/inatews/datagempa.json", "inatews-datagempa-m6.9-fiji-outside-indonesia-2023.json")
    result = polling.poll("inatews")
    assert result.status == "new" and result.created == 1 and not result.message_ids
    ev = db_session.scalars(select(HazardEvent)).one()
    assert ev.kind == HazardKind.EARTHQUAKE and ev.lon < 0 and ev.severity == 0 and not list(ev.impacts)


def test_the_poll_task_records_a_poll_that_dies(app, db_session, bmkg, monkeypatch):
    """What Celery's soft time limit (or a bug) raises inside the poll ends in feed health."""
    from celery.exceptions import SoftTimeLimitExceeded

    from siaga.hazards.tasks import poll_feed

    def overrun(name):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(polling, "poll", overrun)
    assert poll_feed.run("autogempa") == "error"
    state = db_session.get(FeedState, "autogempa")
    assert state.consecutive_failures == 1 and "SoftTimeLimitExceeded" in state.last_error


# ---------------------------------------------------------------- weather warnings: CAP files


CAP = (DATA / "cap-alert-CGT20260924002-id.xml").read_text()
CAP_ID = CAP.split("<identifier>", 1)[1].split("</identifier>", 1)[0]


def _rss(bmkg, *names):
    """The index as BMKG writes it: each item's guid is its CAP file's identifier."""
    items = "".join(
        f"<item><title>{n}</title><link>{bmkg.base_url}/alerts/nowcast/id/{n}_alert.xml</link>"
        f"<guid>{CAP_ID}.{n}</guid></item>"
        for n in names
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def _cap(name: str) -> bytes:
    """The real CAP file under another identifier (another warning)."""
    return CAP.replace(CAP_ID, f"{CAP_ID}.{name}").encode()


def test_a_cap_file_that_failed_is_fetched_by_the_next_poll(db_session, bmkg):
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, "A", "B"))
    bmkg.serve("/alerts/nowcast/id/A_alert.xml", _cap("A"))
    bmkg.serve("/alerts/nowcast/id/B_alert.xml", _cap("B"))
    bmkg.errors["/alerts/nowcast/id/B_alert.xml"] = 503
    first = polling.poll("nowcast")
    assert first.created == 1 and first.pending == 1 and "B_alert.xml" in first.error
    state = db_session.get(FeedState, "nowcast")
    assert state.consecutive_failures == 0 and "B_alert.xml" in state.last_error
    assert state.last_body_hash is None and state.etag is None  # the index is fetched again
    del bmkg.errors["/alerts/nowcast/id/B_alert.xml"]
    second = polling.poll("nowcast")
    assert second.created == 1 and second.pending == 0
    assert (
        db_session.scalar(select(func.count(HazardEvent.id)).where(HazardEvent.kind == HazardKind.WEATHER))
        == 2
    )
    assert polling.poll("nowcast").status == "not_modified"
    fetched = [p for p, _ in bmkg.requests if p.endswith("_alert.xml")]
    assert sorted(fetched) == sorted(
        ["/alerts/nowcast/id/A_alert.xml"] + ["/alerts/nowcast/id/B_alert.xml"] * 2
    )


def test_cap_files_per_poll_are_capped_and_the_rest_follow(db_session, bmkg, monkeypatch):
    monkeypatch.setattr(polling, "CAP_FILES_PER_POLL", 2)
    names = ["A", "B", "C"]
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, *names))
    for n in names:
        bmkg.serve(f"/alerts/nowcast/id/{n}_alert.xml", _cap(n))
    first = polling.poll("nowcast")
    assert (first.created, first.pending) == (2, 1)
    second = polling.poll("nowcast")
    assert (second.created, second.pending) == (1, 0)
    assert len([p for p, _ in bmkg.requests if p.endswith("_alert.xml")]) == 3  # each file once


# ---------------------------------------------------------------- silent feeds, request budget


def test_a_silent_feed_notices_coordinators_once(db_session, bmkg, users, app):
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    polling.poll("autogempa")
    assert polling.check_feeds() == ()  # fresh: nothing to say
    state = db_session.get(FeedState, "autogempa")
    minutes = app.config["SIAGA_FEED_SILENT_MINUTES"]
    state.last_success_at = utcnow() - timedelta(minutes=minutes + 1)  # the poller stopped
    sent = polling.check_feeds()
    assert sent
    notice = db_session.scalars(select(Message).where(Message.kind == "feed_down")).one()
    assert "tidak berhasil diambil" in notice.body_id and "worker" in notice.body_en
    assert polling.check_feeds() == ()  # one notice per outage
    # It recovers, then goes silent again later: a new outage, a new notice.
    polling.poll("autogempa")
    assert state.notice_sent_at is None
    state.last_success_at = utcnow() - timedelta(minutes=minutes + 5)
    assert polling.check_feeds()
    assert db_session.scalar(select(func.count(Message.id)).where(Message.kind == "feed_down")) == 2


def test_beat_checks_feeds_every_minute_and_the_schedule_stays_under_bmkgs_limit(app, monkeypatch):
    schedule = app.extensions["celery"].conf.beat_schedule
    for setting in ("SIAGA_BMKG_TEWS_URL", "SIAGA_INATEWS_URL", "SIAGA_NOWCAST_URL"):
        assert polling.is_bmkg(app.config[setting]), setting  # the defaults are BMKG's servers
    check = schedule["hazards-check-feeds"]
    assert check["task"] == "hazards.check_feeds" and check["schedule"].total_seconds() == 60
    # worst case: every try of every index and, for the nowcast, the most CAP files a poll fetches
    worst = polling.requests_per_minute(app.config)
    expected = (polling.FEED_RETRIES + 1) * (
        60 / 60 + 60 / 60 + 3 * 60 / 300
    ) + polling.CAP_FILES_PER_POLL * 60 / 300
    assert worst == pytest.approx(expected) and worst < polling.BMKG_LIMIT_PER_MINUTE
    monkeypatch.setitem(app.config, "SIAGA_POLL_AUTOGEMPA_SECONDS", 1)
    with pytest.raises(ValueError, match="SIAGA_POLL_"):
        polling.beat_entries(app)
    # A drill or mirror on another server is not BMKG's to limit.
    monkeypatch.setitem(app.config, "SIAGA_BMKG_TEWS_URL", "http://127.0.0.1:8099/DataMKG/TEWS/")
    assert polling.requests_per_minute(app.config) < worst
    assert "poll-autogempa" in polling.beat_entries(app)


def test_check_feeds_task_commits_the_notice(app, db_session, bmkg, users):
    from siaga.hazards.tasks import check_feeds

    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    polling.poll("autogempa")
    db_session.get(FeedState, "autogempa").last_success_at = utcnow() - timedelta(days=1)
    assert check_feeds.run() >= 1
