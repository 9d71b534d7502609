"""The whole hazard path with real processes: Celery beat schedules the autogempa poll, a
real worker (queues feeds, messages, default) fetches it from the local BMKG server,
ingests it, computes the impact on our shelters and raises the alert, and delivers it to
the coordinators' in-app inbox. Against the configured broker: SQLite by default, Redis on CI.

The payload is BMKG's real ``autogempa-m5-not-felt.json`` (M5.3, depth 10 km) with the
epicentre moved into Kabupaten Solok (13.02), the task force's area of responsibility here,
as ``scripts/serve_bmkg_fixtures --drill`` does. BMKG then revises the magnitude to 5.7,
which raises the estimated intensity in Solok from MMI V to VI: one more alert. The same
report again (a new body, the same content) changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from siaga.extensions import db
from siaga.hazards.models import EventImpact, FeedState, HazardEvent, HazardKind, HazardRevision
from siaga.messaging.models import Contact, Delivery, DeliveryStatus, Message
from siaga.registry.models import Shelter
from tests.celery_procs import celery_env, start_celery, stop, wait_for
from tests.fakes.bmkg import DATA, FakeBmkg

ROOT = Path(__file__).resolve().parents[2]
AUTOGEMPA = "/DataMKG/TEWS/autogempa.json"
pytestmark = pytest.mark.worker

#: Near Gunung Talang, Kab. Solok: 14–20 km from the epicentre below (13.02.07 and 13.02.06).
SHELTERS = [("Posko Gunung Talang", -0.975, 100.64, 35), ("Posko Lembang Jaya", -0.93, 100.71, 12)]


def payload(magnitude: str) -> bytes:
    """The real autogempa payload, epicentre moved to 14 km south-west of Gunung Talang."""
    data = json.loads((DATA / "autogempa-m5-not-felt.json").read_bytes())
    data["Infogempa"]["gempa"].update(
        {
            "Coordinates": "-1.00,100.50",
            "Lintang": "1.00 LS",
            "Bujur": "100.50 BT",
            "Magnitude": magnitude,
            "Wilayah": "14 km BaratDaya SOLOK-SUMBAR",
        }
    )
    return json.dumps(data, separators=(",", ":")).encode()


@pytest.fixture
def committed_shelters(app, committed_users):
    """Two committed shelters in Kab. Solok with people; everything the run made is removed after."""
    from siaga.core.validation import validate
    from siaga.registry.schemas import OccupancyIn, ShelterIn
    from siaga.registry.services import create_shelter, record_occupancy

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        from siaga.accounts.models import User

        owner = db.session.get(User, committed_users["coordinator"]["id"])
        ids = []
        for i, (name, lat, lon, people) in enumerate(SHELTERS):
            s = create_shelter(
                ShelterIn.model_validate(
                    {
                        "code": f"W{tag}{i}",
                        "name": name,
                        "type": "school",
                        "lat": lat,
                        "lon": lon,
                        "capacity": 100,
                        "status": "open",
                    }
                ),
                owner,
            )
            record_occupancy(s.id, validate(OccupancyIn, {"kind": "check_in", "people": people}), owner)
            assert s.region_code.startswith("13.02."), s.region_code
            ids.append(s.id)
        db.session.commit()
        events_before = set(db.session.scalars(select(HazardEvent.id)))
        feeds_before = set(db.session.scalars(select(FeedState.name)))
    yield ids
    with app.app_context():
        new_events = set(db.session.scalars(select(HazardEvent.id))) - events_before
        messages = [
            m.id
            for m in db.session.scalars(select(Message))
            if (m.source or {}).get("hazard_event_id") in new_events
        ]
        user_ids = [u["id"] for u in committed_users.values()]
        db.session.execute(delete(Delivery).where(Delivery.message_id.in_(messages)))
        db.session.execute(delete(Message).where(Message.id.in_(messages)))
        db.session.execute(delete(Contact).where(Contact.user_id.in_(user_ids)))
        db.session.execute(delete(EventImpact).where(EventImpact.event_id.in_(new_events)))
        db.session.execute(delete(HazardRevision).where(HazardRevision.event_id.in_(new_events)))
        db.session.execute(delete(HazardEvent).where(HazardEvent.id.in_(new_events)))
        db.session.execute(delete(FeedState).where(FeedState.name.not_in(feeds_before)))
        db.session.execute(delete(Shelter).where(Shelter.id.in_(ids)))
        db.session.commit()


def _env(backend_urls, tmp_path, bmkg):
    return celery_env(
        backend_urls,
        tmp_path,
        SIAGA_BMKG_TEWS_URL=bmkg.tews_url,
        SIAGA_INATEWS_URL=bmkg.inatews_url,
        SIAGA_NOWCAST_URL=bmkg.nowcast_url,
        SIAGA_POLL_FEEDS="1",
        SIAGA_AOR_REGIONS="13.02",
        SIAGA_MMI_THRESHOLD="5",
        # only autogempa is due during the test; the other feeds wait an hour
        SIAGA_POLL_AUTOGEMPA_SECONDS="2",
        SIAGA_POLL_INATEWS_SECONDS="3600",
        SIAGA_POLL_LISTS_SECONDS="3600",
        SIAGA_POLL_NOWCAST_SECONDS="3600",
        SIAGA_HEARTBEAT_SECONDS="3600",
        SIAGA_SWEEP_SECONDS="3600",  # poll_feed enqueues the sends itself
    )


def _wait(predicate, log_path, timeout=60.0, what=""):
    wait_for(predicate, what, timeout, log_path)


def _state(app):
    """Events of the run, their alerts with deliveries, and autogempa's feed state."""
    with app.app_context():
        events = db.session.scalars(
            select(HazardEvent).where(
                HazardEvent.kind == HazardKind.EARTHQUAKE, HazardEvent.region_text.contains("SOLOK-SUMBAR")
            )
        ).all()
        ids = {ev.id for ev in events}
        alerts = [
            m for m in db.session.scalars(select(Message)) if (m.source or {}).get("hazard_event_id") in ids
        ]
        feed = db.session.get(FeedState, "autogempa")
        return {
            "events": [
                {
                    "id": ev.id,
                    "magnitude": ev.magnitude,
                    "severity": ev.severity,
                    "revision": ev.revision,
                    "impacts": {
                        (i.target_type, i.name)
                        for i in db.session.scalars(select(EventImpact).where(EventImpact.event_id == ev.id))
                    },
                    "revisions": db.session.scalar(
                        select(func.count(HazardRevision.id)).where(HazardRevision.event_id == ev.id)
                    ),
                }
                for ev in events
            ],
            "alerts": [
                {
                    "severity": m.severity,
                    "deliveries": [
                        (d.channel, d.status, d.contact.user_id)
                        for d in db.session.scalars(select(Delivery).where(Delivery.message_id == m.id))
                    ],
                }
                for m in sorted(alerts, key=lambda m: m.id)
            ],
            "feed": None
            if feed is None
            else {
                "body_hash": feed.last_body_hash,
                "ok": feed.last_success_at is not None and feed.consecutive_failures == 0,
                "error": feed.last_error,
            },
        }


def _delivered(alert, user_id):
    return any(
        ch == "inapp" and st == DeliveryStatus.DELIVERED and uid == user_id
        for ch, st, uid in alert["deliveries"]
    )


def test_beat_polls_worker_ingests_and_alerts(
    app, backend_urls, tmp_path, committed_users, committed_shelters
):
    coordinator = committed_users["coordinator"]["id"]
    log_path = tmp_path / "celery.log"
    with FakeBmkg() as bmkg, open(log_path, "w") as log:
        first = payload("5.3")
        bmkg.serve(AUTOGEMPA, first)
        env = _env(backend_urls, tmp_path, bmkg)
        procs = []
        try:
            procs.append(
                start_celery(
                    ["worker", "-Q", "feeds,messages,default", "-c", "1", "--loglevel", "INFO"], env, log
                )
            )
            procs.append(
                start_celery(["beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")], env, log)
            )

            # 1. beat → poll → ingest → impact → alert → in-app delivery
            def first_alert_delivered():
                s = _state(app)
                return len(s["alerts"]) == 1 and _delivered(s["alerts"][0], coordinator)

            _wait(first_alert_delivered, log_path, what="the first alert, delivered in-app")
            s = _state(app)
            assert len(s["events"]) == 1
            (ev,) = s["events"]
            assert ev["magnitude"] == 5.3 and ev["severity"] == 2  # MMI V in Solok
            assert {("shelter", name) for name, *_ in SHELTERS} <= ev["impacts"]
            assert any(kind == "district" for kind, _ in ev["impacts"])
            assert s["alerts"][0]["severity"] == 2
            assert s["feed"]["ok"] and s["feed"]["body_hash"] == hashlib.sha256(first).hexdigest()
            polled = [h for p, h in bmkg.requests if p == AUTOGEMPA]
            assert polled and all("Mozilla" in h["User-Agent"] for h in polled)

            # 2. BMKG revises the magnitude: same event, severity up, exactly one more alert
            revised = payload("5.7")
            bmkg.serve(AUTOGEMPA, revised)

            def second_alert_delivered():
                s = _state(app)
                return len(s["alerts"]) == 2 and _delivered(s["alerts"][1], coordinator)

            _wait(second_alert_delivered, log_path, what="the alert for the revision, delivered in-app")
            s = _state(app)
            assert len(s["events"]) == 1 and s["events"][0]["id"] == ev["id"]
            assert s["events"][0]["magnitude"] == 5.7 and s["events"][0]["severity"] == 3  # MMI VI
            assert s["events"][0]["revision"] == 2 and s["events"][0]["revisions"] == 2
            assert [a["severity"] for a in s["alerts"]] == [2, 3]

            # 3. The same report again, in a new body (so it is parsed and ingested): nothing new
            for body in (revised + b"\n", first + b" "):
                bmkg.serve(AUTOGEMPA, body)
                digest = hashlib.sha256(body).hexdigest()
                _wait(
                    lambda d=digest: (_state(app)["feed"] or {}).get("body_hash") == d,
                    log_path,
                    what="re-poll",
                )
                again = _state(app)
                assert len(again["events"]) == 1 and again["events"][0]["magnitude"] == 5.7
                assert again["events"][0]["revision"] == 2 and again["events"][0]["revisions"] == 2
                assert len(again["alerts"]) == 2 and again["feed"]["ok"]
        finally:
            for p in procs:
                stop(p)
