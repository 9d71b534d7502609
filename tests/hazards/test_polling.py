"""Polling through a local server that serves the real BMKG payloads: conditional GET,
a browser-like User-Agent, one event per quake across feeds, health, feed-down notices."""

from __future__ import annotations

from sqlalchemy import func, select

from siaga.hazards import polling
from siaga.hazards.models import FeedState, HazardEvent, HazardKind
from siaga.messaging.models import Message
from tests.fakes.bmkg import DATA


def test_poll_autogempa_conditional_get_and_user_agent(db_session, bmkg):
    bmkg.serve_fixture("/DataMKG/TEWS/autogempa.json", "autogempa.json")
    first = polling.poll("autogempa")
    assert first.status == "new" and first.created == 1
    second = polling.poll("autogempa")
    assert second.status == "not_modified"
    (path, h1), (_, h2) = bmkg.requests
    assert path == "/DataMKG/TEWS/autogempa.json"
    assert "Mozilla" in h1["User-Agent"]  # BMKG's WAF refuses non-browser agents
    assert h2.get("If-None-Match")
    state = db_session.get(FeedState, "autogempa")
    assert state.last_success_at and state.consecutive_failures == 0 and state.last_new_item_at


def test_same_quake_across_feeds_is_one_event(db_session, bmkg):
    bmkg.serve_fixture("/DataMKG/TEWS/gempaterkini.json", "gempaterkini.json")
    result = polling.poll("gempaterkini")
    assert result.reports == 15
    # the list repeats the Flores Sea quake three times as M7.4 and, below them, once as M7.5
    # (03:20:22, 12 km: BMKG's first solution): one event, with its revisions, that keeps the
    # newest solution (the list is newest first)
    from datetime import UTC, datetime, timedelta

    t = datetime(2021, 12, 14, 3, 20, 23, tzinfo=UTC)
    flores = db_session.scalars(
        select(HazardEvent).where(
            HazardEvent.origin_time.between(t - timedelta(minutes=2), t + timedelta(minutes=2))
        )
    ).all()
    assert len(flores) == 1 and flores[0].revision == 2
    assert (flores[0].magnitude, flores[0].depth_km, flores[0].origin_time) == (7.4, 10.0, t)
    assert [r.changes.get("magnitude") for r in flores[0].revisions] == [None, {"from": 7.5, "to": 7.4}]
    assert db_session.scalar(select(func.count(HazardEvent.id))) == 12  # 15 rows, 12 distinct quakes
    before = db_session.scalar(select(func.count(HazardEvent.id)))
    bmkg.serve("/DataMKG/TEWS/gempaterkini.json", bmkg.files["/DataMKG/TEWS/gempaterkini.json"] + b" ")
    assert polling.poll("gempaterkini").status == "new"  # new body, same quakes
    assert db_session.scalar(select(func.count(HazardEvent.id))) == before


def test_inatews_exercise_is_stored_as_exercise(db_session, bmkg):
    bmkg.serve_fixture("/inatews/datagempa.json", "inatews-datagempa-TEST-tsunami-pd1-2021.json")
    polling.poll("inatews")
    ev = db_session.scalars(select(HazardEvent).where(HazardEvent.kind == HazardKind.TSUNAMI)).one()
    assert ev.is_exercise and ev.message_type == "PD-1"


def test_nowcast_follows_the_index_to_cap_files(db_session, bmkg):
    bmkg.serve_nowcast()
    result = polling.poll("nowcast")
    # the one CAP file we have is ingested; the ten others answer 404 and are skipped
    assert result.status == "new" and result.created == 1


def test_nowcast_with_all_links_available(db_session, bmkg):
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>a</title><link>{bmkg.base_url}/alerts/nowcast/id/CGT20260924002_alert.xml</link>"
        "<guid>2.49.0.1.360.0.2026.09.24.07.75.002</guid></item></channel></rss>"
    )
    bmkg.serve("/alerts/nowcast/id", rss)
    bmkg.serve_fixture("/alerts/nowcast/id/CGT20260924002_alert.xml", "cap-alert-CGT20260924002-id.xml")
    assert polling.poll("nowcast").created == 1
    ev = db_session.scalars(select(HazardEvent).where(HazardEvent.kind == HazardKind.WEATHER)).one()
    assert ev.cap_severity == "Moderate" and len(ev.polygons[0]) == 4
    # next poll: the alert is known, its CAP file is not fetched again
    bmkg.serve("/alerts/nowcast/id", rss + " ")
    polling.poll("nowcast")
    cap_fetches = [p for p, _ in bmkg.requests if p.endswith("_alert.xml")]
    assert len(cap_fetches) == 1


def test_failures_are_counted_and_notice_coordinators_once(db_session, bmkg, app, users, monkeypatch):
    monkeypatch.setitem(app.config, "SIAGA_FEED_FAILURES_NOTICE", 2)
    bmkg.errors["/DataMKG/TEWS/autogempa.json"] = 503
    first = polling.poll("autogempa")
    assert first.status == "error" and "503" in first.error
    second = polling.poll("autogempa")
    third = polling.poll("autogempa")
    state = db_session.get(FeedState, "autogempa")
    assert state.consecutive_failures == 3
    notices = db_session.scalars(select(Message).where(Message.kind == "feed_down")).all()
    assert len(notices) == 1 and second.message_ids and not third.message_ids
    health = {h["feed"]: h for h in polling.health()}
    assert health["autogempa"]["ok"] is False and health["autogempa"]["consecutive_failures"] == 3
    # recovery resets the count
    del bmkg.errors["/DataMKG/TEWS/autogempa.json"]
    bmkg.serve_fixture("/DataMKG/TEWS/autogempa.json", "autogempa.json")
    polling.poll("autogempa")
    assert state.consecutive_failures == 0


def test_garbage_payload_is_an_error_not_a_crash(db_session, bmkg):
    bmkg.serve("/DataMKG/TEWS/autogempa.json", "<html>Cloudflare: terindikasi sebagai serangan</html>")
    result = polling.poll("autogempa")
    assert result.status == "error" and "FeedParseError" in result.error


def test_healthz_lists_feeds(client, db_session, bmkg):
    bmkg.serve_fixture("/DataMKG/TEWS/autogempa.json", "autogempa.json")
    polling.poll("autogempa")
    body = client.get("/healthz").get_json()
    feeds = {f["feed"]: f for f in body["feeds"]}
    assert feeds["autogempa"]["ok"] is True and feeds["inatews"]["ok"] is False


def test_beat_schedules_one_task_per_feed_on_the_feeds_queue(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    feeds = {k: v for k, v in schedule.items() if k.startswith("poll-")}
    assert set(feeds) == {f"poll-{name}" for name in polling.FEEDS}
    assert feeds["poll-autogempa"]["schedule"].total_seconds() == 60
    assert feeds["poll-gempaterkini"]["schedule"].total_seconds() == 300
    assert all(v["options"]["queue"] == "feeds" for v in feeds.values())
    # 60 + 60 + 3 × 12 per hour... well under BMKG's 60 requests per minute
    per_minute = sum(60 / v["schedule"].total_seconds() for v in feeds.values())
    assert per_minute < 60


def test_beat_start_polls_every_feed_once_at_once(app, monkeypatch):
    """A (re)started beat polls all feeds at once, not one interval (5 min for the lists) later."""
    from celery.signals import beat_init

    class Beat:  # the signal's sender: celery.beat.Service, which carries the Celery app
        def __init__(self, celery_app):
            self.app = celery_app

    celery_app = app.extensions["celery"]
    sent = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args=(), **opts: sent.append((name, args, opts))
    )
    beat_init.send(sender=Beat(celery_app))  # what celery beat sends when it starts
    assert sorted(args[0] for _name, args, _opts in sent) == sorted(polling.FEEDS)
    assert all(name == "hazards.poll_feed" and opts["queue"] == "feeds" for name, _args, opts in sent)


def test_poll_task_runs_the_poll(app, db_session, bmkg):
    from siaga.hazards.tasks import poll_feed

    bmkg.serve_fixture("/DataMKG/TEWS/autogempa.json", "autogempa.json")
    assert poll_feed.run("autogempa") == "new"


def test_an_alert_sent_with_a_revision_in_the_same_body_is_enqueued(db_session, bmkg, users, make_shelter):
    """A new quake and its revision in one list: one event, one alert, riding on the revision's
    report; the poll hands its deliveries to the caller to enqueue."""
    import json

    from siaga.messaging.models import Delivery

    make_shelter(name="Posko Sekayu", lat=-2.88, lon=103.85)
    item = json.loads((DATA / "autogempa.json").read_bytes())["Infogempa"]["gempa"]
    item.update(Coordinates="-2.90,103.80", Lintang="2.90 LS", Bujur="103.80 BT", Magnitude="5.6")
    revised = {**item, "Magnitude": "5.8"}
    bmkg.serve("/DataMKG/TEWS/gempaterkini.json", json.dumps({"Infogempa": {"gempa": [item, revised]}}))
    result = polling.poll("gempaterkini")
    assert (result.created, result.updated, len(result.events)) == (1, 1, 1)
    alert = db_session.scalars(select(Message).where(Message.kind != "feed_down")).one()
    queued = db_session.scalars(select(Delivery.id).where(Delivery.message_id == alert.id)).all()
    assert queued and sorted(result.message_ids) == sorted(queued)
