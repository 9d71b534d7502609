"""Feed faults through a local server that speaks BMKG's protocol: none crashes the poll,
none creates an event, each shows in feed health, and the next poll fetches the feed again
(a broken body is not remembered as seen), on every feed. Also the silent-feed check, the
request budget, the CAP files a poll could not fetch (all of them blocked: a failed poll),
re-tries, and If-Modified-Since from a server that sends Last-Modified without an ETag."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

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


def test_a_feed_that_never_answered_is_silent_from_its_first_poll(db_session, bmkg, app, users):
    """Fewer failures than the notice needs (lists polled every 5 min), but no success ever."""
    bmkg.errors[AUTOGEMPA] = 503
    assert polling.poll("autogempa").status == "error"
    state = db_session.get(FeedState, "autogempa")
    assert state.first_checked_at is not None and state.last_success_at is None
    assert state.consecutive_failures < app.config["SIAGA_FEED_FAILURES_NOTICE"]
    assert polling.check_feeds() == ()  # just started
    state.first_checked_at = utcnow() - timedelta(minutes=app.config["SIAGA_FEED_SILENT_MINUTES"] + 1)
    assert polling.check_feeds()
    assert db_session.scalar(select(func.count(Message.id)).where(Message.kind == "feed_down")) == 1
    assert not {f["feed"]: f for f in polling.health()}["autogempa"]["ok"]


def test_an_overlong_validator_is_not_kept_and_the_poll_succeeds(db_session, bmkg):
    """PostgreSQL would refuse it (and the whole poll with it)."""
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    bmkg.last_modified[AUTOGEMPA] = "Sun, 06 Dec 2026 04:00:00 GMT" + " " * 100 + "x"
    assert polling.poll("autogempa").status == "new"
    db_session.flush()
    state = db_session.get(FeedState, "autogempa")
    assert state.last_modified is None and state.last_body_hash  # the body hash spares a re-parse
    assert polling.poll("autogempa").status == "unchanged"
    assert "If-Modified-Since" not in bmkg.requests[-1][1]


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


# ---------------------------------------------------------------- weather warnings: blocked CAP files


def _blocked(bmkg, names, status):
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, *names))
    for n in names:
        bmkg.serve(f"/alerts/nowcast/id/{n}_alert.xml", _cap(n))
        bmkg.errors[f"/alerts/nowcast/id/{n}_alert.xml"] = status


@pytest.mark.parametrize("status", [403, 404, 503])
def test_every_cap_file_refused_is_a_failed_poll_and_notices_coordinators(
    db_session, bmkg, app, users, monkeypatch, status
):
    """BMKG's firewall answering 403 to every CAP file: the index answers, yet no warning can be
    had. Each such poll counts as a failure, with a notice after SIAGA_FEED_FAILURES_NOTICE."""
    monkeypatch.setitem(app.config, "SIAGA_FEED_FAILURES_NOTICE", 2)
    _blocked(bmkg, "AB", status)
    first = polling.poll("nowcast")
    assert first.status == "error" and first.pending == 2 and not first.message_ids
    assert first.error.startswith("2 of 2 CAP files failed: ") and f"A_alert.xml: {status}" in first.error
    state = db_session.get(FeedState, "nowcast")
    assert state.consecutive_failures == 1 and state.last_success_at is None and state.last_body_hash is None
    second = polling.poll("nowcast")
    assert second.status == "error" and second.message_ids  # the second failure in a row: one notice
    assert polling.poll("nowcast").message_ids == ()  # one notice per outage
    notice = db_session.scalars(select(Message).where(Message.kind == "feed_down")).one()
    assert notice.source == {"feed": "nowcast"}
    health = {h["feed"]: h for h in polling.health()}["nowcast"]
    assert health["ok"] is False and health["consecutive_failures"] == 3
    assert health["last_error"].startswith("2 of 2 CAP files failed")
    assert _events() == 0
    # every poll tried the files again; once they answer, the warnings come in and the feed is ok
    assert [p for p, _ in bmkg.requests].count("/alerts/nowcast/id/A_alert.xml") == 3
    bmkg.errors.clear()
    recovered = polling.poll("nowcast")
    assert recovered.status == "new" and recovered.created == 2 and recovered.pending == 0
    assert state.consecutive_failures == 0 and state.notice_sent_at is None
    assert {h["feed"]: h for h in polling.health()}["nowcast"]["ok"] is True


def test_the_poll_task_counts_blocked_cap_files_as_a_failure(app, db_session, bmkg):
    from siaga.hazards.tasks import poll_feed

    _blocked(bmkg, "AB", 403)
    assert poll_feed.run("nowcast") == "error"
    assert db_session.get(FeedState, "nowcast").consecutive_failures == 1


def test_some_cap_files_failing_is_a_success_that_shows_in_health(db_session, bmkg, app, users, monkeypatch):
    monkeypatch.setitem(app.config, "SIAGA_FEED_FAILURES_NOTICE", 1)
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, "A", "B", "C"))
    for n in "ABC":
        bmkg.serve(f"/alerts/nowcast/id/{n}_alert.xml", _cap(n))
    bmkg.errors["/alerts/nowcast/id/B_alert.xml"] = 403
    result = polling.poll("nowcast")
    assert result.status == "new" and result.created == 2 and result.pending == 1 and not result.message_ids
    assert result.error == "1 of 3 CAP files failed: B_alert.xml: 403 Forbidden"
    state = db_session.get(FeedState, "nowcast")
    assert state.consecutive_failures == 0 and state.last_error_at and state.last_success_at
    health = {h["feed"]: h for h in polling.health()}["nowcast"]
    assert health["ok"] is True and health["consecutive_failures"] == 0
    assert health["last_error"] == result.error
    assert db_session.scalar(select(func.count(Message.id)).where(Message.kind == "feed_down")) == 0
    # The next poll tries only B (A and C are in); still refused, it got nothing: a failure.
    again = polling.poll("nowcast")
    assert again.status == "error" and again.error.startswith("1 of 1 CAP files failed: B_alert.xml: 403")
    assert state.consecutive_failures == 1


def test_an_index_whose_other_files_are_missing_stays_ok(db_session, bmkg, app, users, monkeypatch):
    """As the demo server (scripts/serve_bmkg_fixtures): the real index links 11 CAP files and
    only one is there, the others answer 404. The feed works and stays ok, poll after poll;
    the missing files show in feed health."""
    monkeypatch.setitem(app.config, "SIAGA_FEED_FAILURES_NOTICE", 1)
    bmkg.serve_nowcast()
    first = polling.poll("nowcast")
    assert first.status == "new" and first.created == 1 and first.pending == 10
    assert first.error.startswith("9 of 10 CAP files failed (1 more left for the next poll): ")
    assert "_alert.xml: 404 Not Found" in first.error
    for _ in range(3):  # only the missing files are tried now, and none is there: still fine
        result = polling.poll("nowcast")
        assert result.status == "new" and result.created == 0 and result.pending == 10
        assert result.error.startswith("10 of 10 CAP files failed: ")
    health = {h["feed"]: h for h in polling.health()}["nowcast"]
    assert health["ok"] is True and health["consecutive_failures"] == 0 and "404" in health["last_error"]
    assert db_session.scalar(select(func.count(Message.id)).where(Message.kind == "feed_down")) == 0


def test_an_unreadable_cap_file_is_the_file_s_fault_not_the_feed_s(db_session, bmkg, app, users, monkeypatch):
    """The other warnings are in; one new file is broken, poll after poll: no "feed down"."""
    monkeypatch.setitem(app.config, "SIAGA_FEED_FAILURES_NOTICE", 1)
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, "A", "B"))
    bmkg.serve("/alerts/nowcast/id/A_alert.xml", _cap("A"))
    bmkg.serve("/alerts/nowcast/id/B_alert.xml", _cap("B")[:300])  # cut short
    assert polling.poll("nowcast").created == 1
    for _ in range(3):
        result = polling.poll("nowcast")
        assert result.status == "new" and result.pending == 1
        assert result.error.startswith("1 of 1 CAP files failed: B_alert.xml: FeedParseError")
    assert db_session.get(FeedState, "nowcast").consecutive_failures == 0
    assert db_session.scalar(select(func.count(Message.id)).where(Message.kind == "feed_down")) == 0
    # with nothing of the index in, an unreadable file leaves the feed with nothing: a failure
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, "B"))
    db_session.execute(delete(HazardEvent))
    assert polling.poll("nowcast").status == "error"


def test_a_warning_with_an_overlong_identifier_is_fetched_once(db_session, bmkg):
    long_name = "L" * 150
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, long_name))
    bmkg.serve(f"/alerts/nowcast/id/{long_name}_alert.xml", _cap(long_name))
    assert polling.poll("nowcast").created == 1
    bmkg.serve("/alerts/nowcast/id", _rss(bmkg, long_name) + " ")  # the index changes, not the warning
    again = polling.poll("nowcast")
    assert again.status == "new" and again.reports == 0  # known: not downloaded again
    assert sum(1 for path, _ in bmkg.requests if path.endswith("_alert.xml")) == 1


# ---------------------------------------------------------------- retries, If-Modified-Since


@pytest.mark.parametrize("fault", [503, "drop"])
def test_a_failed_try_is_retried_and_the_poll_succeeds(db_session, bmkg, fault):
    assert polling.FEED_RETRIES >= 1
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    bmkg.fail_first[AUTOGEMPA] = [fault]
    result = polling.poll("autogempa")
    assert result.status == "new" and result.created == 1
    assert [p for p, _ in bmkg.requests] == [AUTOGEMPA, AUTOGEMPA]
    state = db_session.get(FeedState, "autogempa")
    assert state.consecutive_failures == 0 and state.last_error is None


@pytest.mark.parametrize("fault", [503, "drop"])
def test_a_poll_fails_after_exactly_one_plus_feed_retries_tries(db_session, bmkg, fault):
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    bmkg.fail_first[AUTOGEMPA] = [fault] * (polling.FEED_RETRIES + 5)
    result = polling.poll("autogempa")
    assert result.status == "error" and _events() == 0
    assert len(bmkg.requests) == 1 + polling.FEED_RETRIES
    assert ("503" if fault == 503 else "ConnectionError") in result.error
    assert db_session.get(FeedState, "autogempa").consecutive_failures == 1


def test_a_403_is_not_retried(db_session, bmkg):
    bmkg.errors[AUTOGEMPA] = 403
    assert polling.poll("autogempa").status == "error"
    assert len(bmkg.requests) == 1  # the firewall's answer: trying again at once changes nothing


def test_last_modified_without_etag_is_sent_back_and_304_is_a_healthy_poll(db_session, bmkg):
    stamp = "Wed, 23 Sep 2026 07:15:30 GMT"
    bmkg.serve_fixture(AUTOGEMPA, "autogempa.json")
    bmkg.last_modified[AUTOGEMPA] = stamp
    first = polling.poll("autogempa")
    assert first.status == "new" and first.created == 1
    state = db_session.get(FeedState, "autogempa")
    assert state.etag is None and state.last_modified == stamp
    checked = state.last_success_at
    second = polling.poll("autogempa")
    assert second.status == "not_modified"
    (_, sent) = bmkg.requests[-1]
    assert sent.get("If-Modified-Since") == stamp and "If-None-Match" not in sent
    assert state.consecutive_failures == 0 and state.last_success_at >= checked and state.last_error is None
    assert {h["feed"]: h for h in polling.health()}["autogempa"]["ok"] is True
    assert _events() == 1


# ---------------------------------------------------------------- the faults on the other feeds


def _nowcast_ok(bmkg) -> bytes:
    bmkg.serve("/alerts/nowcast/id/A_alert.xml", _cap("A"))
    return _rss(bmkg, "A").encode()


#: feed -> (index path, a good body for it)
OTHER_FEEDS = {
    "gempaterkini": (
        "/DataMKG/TEWS/gempaterkini.json",
        lambda bmkg: (DATA / "gempaterkini-2026-first2.json").read_bytes(),
    ),
    "inatews": (
        "/inatews/datagempa.json",
        lambda bmkg: (DATA / "inatews-datagempa-felt-m5.9-ternate-2023.json").read_bytes(),
    ),
    "nowcast": ("/alerts/nowcast/id", _nowcast_ok),
}


def _list_where_an_object_belongs(feed: str, good: bytes) -> bytes:
    if feed == "nowcast":  # XML: the items straight under <rss>, without their <channel>
        return good.replace(b"<channel>", b"").replace(b"</channel>", b"")
    data = json.loads(good)
    if feed == "gempaterkini":
        data["Infogempa"]["gempa"] = [list(g.values()) for g in data["Infogempa"]["gempa"]]
    else:
        data["info"] = [list(data["info"].values())]
    return json.dumps(data).encode()


#: fault -> (status to force, or a body built from the good one; what the error says)
OTHER_FAULTS = {
    "403": (403, None, "403"),
    "503": (503, None, "503"),
    "truncated": (None, lambda feed, good: good[: len(good) // 2], "FeedParseError: not "),
    "HTML page with status 200": (
        None,
        lambda feed, good: b"<html><body>Service Unavailable</body></html>",
        "FeedParseError",
    ),
    "empty body": (None, lambda feed, good: b"", "FeedParseError: not "),
    "list where an object belongs": (None, _list_where_an_object_belongs, "FeedParseError"),
}


@pytest.mark.parametrize("fault", OTHER_FAULTS)
@pytest.mark.parametrize("feed", OTHER_FEEDS)
def test_a_fault_on_another_feed_is_a_failed_poll_and_the_feed_recovers(app, db_session, bmkg, feed, fault):
    from siaga.hazards.tasks import poll_feed

    path, good_body = OTHER_FEEDS[feed]
    status, bad_body, reason = OTHER_FAULTS[fault]
    good = good_body(bmkg)
    if status:
        bmkg.serve(path, good)
        bmkg.errors[path] = status
    else:
        bmkg.serve(path, bad_body(feed, good))
    first = polling.poll(feed)  # does not raise
    assert first.status == "error" and reason in first.error, first.error
    assert _events() == 0
    assert poll_feed.run(feed) == "error"  # nor does the worker's task
    assert "If-None-Match" not in bmkg.requests[-1][1]
    health = {h["feed"]: h for h in polling.health()}[feed]
    assert health["ok"] is False and health["consecutive_failures"] == 2 and reason in health["last_error"]
    assert _events() == 0
    # The feed recovers: the real payload is ingested at once.
    bmkg.errors.pop(path, None)
    bmkg.serve(path, good)
    recovered = polling.poll(feed)
    assert recovered.status == "new" and recovered.created >= 1 and recovered.pending == 0
    health = {h["feed"]: h for h in polling.health()}[feed]
    assert health["ok"] is True and health["consecutive_failures"] == 0


@pytest.mark.parametrize("interval", [0, -60, 0.0, float("nan"), None])
def test_requests_per_minute_never_divides_by_zero_and_beat_refuses_the_interval(app, monkeypatch, interval):
    """A non-positive interval set in the app's config directly (the environment is bounded)
    neither crashes nor lowers the worst case: it is refused, for a mirror too."""
    monkeypatch.setitem(app.config, "SIAGA_POLL_AUTOGEMPA_SECONDS", interval)
    assert polling.requests_per_minute(app.config) == float("inf")
    with pytest.raises(ValueError, match="SIAGA_POLL_AUTOGEMPA_SECONDS must be a positive number"):
        polling.beat_entries(app)
    monkeypatch.setitem(app.config, "SIAGA_BMKG_TEWS_URL", "http://127.0.0.1:8099/DataMKG/TEWS/")
    assert polling.requests_per_minute(app.config) < polling.BMKG_LIMIT_PER_MINUTE
    with pytest.raises(ValueError, match="SIAGA_POLL_AUTOGEMPA_SECONDS must be a positive number"):
        polling.beat_entries(app)
