"""The per-process place cache of the hazard impact: the token the triggers keep, and that
cached places are never stale (names, positions, new and deleted places) while people are
always read fresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from siaga.hazards.models import EventImpact
from siaga.hazards.places import cached_places, current_token
from siaga.hazards.services import process_report, process_reports
from siaga.regions.models import Region, RegionLevel
from siaga.registry.models import PointStatus
from tests.hazards.reports import SEKAYU, T0, quake


def _changes_token(db_session, change) -> bool:
    before = current_token()
    change()
    db_session.flush()
    return current_token() != before


def test_triggers_change_the_token_on_catalogue_changes_only(db_session, make_shelter, make_point, users):
    from siaga.core.validation import validate
    from siaga.registry.schemas import OccupancyIn
    from siaga.registry.services import record_occupancy

    assert current_token() is not None
    holder: dict = {}
    assert _changes_token(db_session, lambda: holder.update(s=make_shelter(name="Posko A")))
    shelter = holder["s"]
    assert _changes_token(db_session, lambda: setattr(shelter, "name", "Posko B"))
    assert _changes_token(db_session, lambda: setattr(shelter, "lat", shelter.lat + 0.1))
    assert _changes_token(db_session, lambda: setattr(shelter, "region_code", "16.06.01"))
    assert _changes_token(db_session, lambda: holder.update(p=make_point(name="Titik A")))
    assert _changes_token(db_session, lambda: setattr(holder["p"], "status", PointStatus.INACTIVE))
    district = db_session.scalar(select(Region).where(Region.level == RegionLevel.DISTRICT).limit(1))
    assert _changes_token(db_session, lambda: setattr(district, "centroid_lat", district.centroid_lat + 0.01))
    # occupancy, capacity and notes are not in the cache: they leave the token alone
    assert not _changes_token(
        db_session,
        lambda: record_occupancy(
            shelter.id, validate(OccupancyIn, {"kind": "check_in", "people": 5}), users["coordinator"]
        ),
    )
    assert not _changes_token(db_session, lambda: setattr(shelter, "capacity", 500))
    assert _changes_token(db_session, lambda: db_session.delete(holder["p"]))


def _impact(db_session, ev) -> dict[str, EventImpact]:
    rows = db_session.scalars(select(EventImpact).where(EventImpact.event_id == ev.id))
    return {r.name: r for r in rows}


def test_cached_places_follow_every_catalogue_change(db_session, make_shelter):
    shelter = make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    first = cached_places()
    assert cached_places() is first  # nothing changed: the same copy
    ev1, _, _ = process_report(quake(magnitude=6.0))
    assert "SD Sekayu" in _impact(db_session, ev1)

    shelter.name = "SD Sekayu (baru)"
    db_session.flush()
    assert cached_places() is not first
    ev2, _, _ = process_report(quake(magnitude=6.0, origin_time=T0 + timedelta(hours=1)))
    names = _impact(db_session, ev2)
    assert "SD Sekayu (baru)" in names and "SD Sekayu" not in names

    shelter.lat, shelter.lon = -0.9, 100.35  # moved far away (Padang)
    make_shelter(name="Posko Baru", lat=SEKAYU[0] - 0.02, lon=SEKAYU[1])
    db_session.flush()
    ev3, _, _ = process_report(quake(magnitude=6.0, origin_time=T0 + timedelta(hours=2)))
    names = _impact(db_session, ev3)
    assert "Posko Baru" in names and "SD Sekayu (baru)" not in names


def test_people_are_read_fresh_while_places_stay_cached(db_session, make_shelter, users):
    from siaga.core.validation import validate
    from siaga.registry.schemas import OccupancyIn
    from siaga.registry.services import record_occupancy

    shelter = make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1], capacity=200)
    record_occupancy(
        shelter.id, validate(OccupancyIn, {"kind": "check_in", "people": 40}), users["coordinator"]
    )
    ev1, _, _ = process_report(quake(magnitude=6.0))
    assert ev1.people_affected == 40 and _impact(db_session, ev1)["SD Sekayu"].people == 40
    places = cached_places()
    record_occupancy(
        shelter.id, validate(OccupancyIn, {"kind": "check_in", "people": 25}), users["coordinator"]
    )
    assert cached_places() is places  # occupancy does not reload the places …
    ev2, _, _ = process_report(quake(magnitude=6.0, origin_time=T0 + timedelta(hours=1)))
    assert ev2.people_affected == 65 and _impact(db_session, ev2)["SD Sekayu"].people == 65  # … yet counts


def test_a_rolled_back_change_never_leaves_its_places_behind(db_session, make_shelter):
    outer = cached_places()
    savepoint = db_session.begin_nested()
    make_shelter(name="Posko Sementara", lat=SEKAYU[0], lon=SEKAYU[1])
    db_session.flush()
    inside = cached_places()
    assert any(row[2] == "Posko Sementara" for row in inside.rows)
    savepoint.rollback()
    after = cached_places()
    assert not any(row[2] == "Posko Sementara" for row in after.rows)
    assert len(after.rows) == len(outer.rows)


def test_a_quake_and_its_revision_in_one_body_alert_once_with_the_final_figures(db_session, make_shelter):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    results = process_reports([quake(magnitude=5.6), quake(magnitude=6.1, source="inatews")])
    (ev, first, msg1), (same, second, msg2) = results
    assert ev is same and (first, second) == ("created", "updated")
    assert msg1 is None and msg2 is not None  # one alert, with the event's last report
    assert ev.revision == 2 and len(ev.revisions) == 2
    assert f"{ev.magnitude:.1f}" == "6.1" and "6.1" in msg2.body_id
    assert msg2.dedupe_key == f"hazard:{ev.id}:sev:{ev.severity}"
