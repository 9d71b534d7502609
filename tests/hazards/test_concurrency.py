"""Two feeds bringing the same new quake at the same moment, ingested by two workers at once,
make one event (on PostgreSQL each transaction would otherwise find no stored event).

Meaningful on PostgreSQL (CI runs it there): on SQLite every transaction already holds the
database write lock from its start, so it passes with or without the ingest lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from siaga.extensions import db
from siaga.hazards import services
from siaga.hazards.models import HazardEvent
from tests.hazards.reports import T0, quake

pytestmark = pytest.mark.concurrency

#: Far from every place (Flores Sea): no impact, no alert, nothing else to clean up.
WHERE = {"origin_time": T0 - timedelta(days=400), "lat": -7.59, "lon": 122.24, "magnitude": 7.4}


def test_two_feeds_ingesting_one_new_quake_at_once_make_one_event(app, monkeypatch):
    first_read = threading.Event()
    second_read = threading.Event()
    original = services.known_quakes

    def known_quakes(reports):
        found = original(reports)
        if threading.current_thread().name == "autogempa":
            first_read.set()
            # Without the ingest lock the other poll reads too now, before this one writes;
            # with it, the other poll waits for this commit and never gets here meanwhile.
            second_read.wait(timeout=2)
        else:
            second_read.set()
        return found

    monkeypatch.setattr(services, "known_quakes", known_quakes)
    errors: list[BaseException] = []

    def poll(source: str) -> None:
        try:
            with app.app_context():
                felt = "III Larantuka" if source == "gempadirasakan" else None
                services.ingest_reports([quake(source=source, felt_text=felt, **WHERE)])
                db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    a = threading.Thread(target=poll, args=("autogempa",), name="autogempa")
    b = threading.Thread(target=poll, args=("gempadirasakan",), name="gempadirasakan")
    a.start()
    assert first_read.wait(timeout=30)
    b.start()
    a.join(timeout=60)
    b.join(timeout=60)
    try:
        assert not errors, errors
        with app.app_context():
            events = db.session.scalars(
                select(HazardEvent).where(HazardEvent.origin_time == WHERE["origin_time"])
            ).all()
            assert len(events) == 1, [(e.id, e.sources) for e in events]
            assert sorted(events[0].sources) == ["autogempa", "gempadirasakan"]
    finally:
        with app.app_context():
            for ev in db.session.scalars(
                select(HazardEvent).where(HazardEvent.origin_time == WHERE["origin_time"])
            ):
                db.session.delete(ev)
            db.session.commit()
