"""One event per real quake, revisions, impact on our places, exactly one alert per severity."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from geopy.distance import geodesic
from sqlalchemy import func, select

from siaga.hazards.intensity import allen_2012_mmi, intensity_at, points_inside, roman
from siaga.hazards.models import EventImpact, HazardEvent, HazardRevision
from siaga.hazards.reports import TsunamiArea
from siaga.hazards.services import ingest, process_report, process_reports
from siaga.messaging.models import Delivery, Message
from tests.hazards.reports import SEKAYU, T0, quake, tsunami, weather


def test_allen_2012_sanity():
    # DOMAIN.md: M6.5, depth 10 km, 20 km away → about MMI 6–7
    assert 6.0 <= allen_2012_mmi(6.5, math.hypot(20, 10)) <= 7.0
    near, _ = intensity_at(6.5, 10, 0, 100, 0, 100.1)
    far, dist = intensity_at(6.5, 10, 0, 100, 0, 101)
    assert near > far and 100 < dist < 120
    # the +0.078·ln(R/50) term applies beyond 50 km only
    assert allen_2012_mmi(6.0, 60) == pytest.approx(
        2.085
        + 1.428 * 6
        - 1.402 * math.log(math.hypot(60, -0.209 + 2.042 * math.e))
        + 0.078 * math.log(60 / 50)
    )
    assert roman(5.4) == "V" and roman(6.6) == "VII" and roman(0.2) == "I"


def test_points_inside_copes_with_invalid_polygons():
    square = [[0, 0], [0, 1], [1, 1], [1, 0]]
    bowtie = [[2, 2], [3, 3], [3, 2], [2, 3]]  # self-intersecting
    assert points_inside([(0.5, 0.5), (5, 5), (2.1, 2.5)], [square, bowtie]) == [True, False, True]


def test_same_quake_from_two_feeds_is_one_event(db_session):
    ev1, out1 = ingest(quake())
    ev2, out2 = ingest(
        quake(
            source="gempaterkini",
            origin_time=T0 + timedelta(seconds=40),
            lat=SEKAYU[0] + 0.1,
            magnitude=6.0,
            region_text="11 km BaratLaut SEKAYU",
        )
    )
    assert out1 == "created" and out2 == "updated" and ev1.id == ev2.id
    assert ev1.sources == ["autogempa", "gempaterkini"] and ev1.revision == 2
    assert (
        db_session.scalar(select(func.count(HazardRevision.id)).where(HazardRevision.event_id == ev1.id)) == 2
    )


@pytest.mark.parametrize(
    "other",
    [
        {"origin_time": T0 + timedelta(minutes=3)},
        {"lat": SEKAYU[0] + 1.0},
        {"magnitude": 5.5},
    ],
)
def test_different_quakes_stay_apart(db_session, other):
    a, _ = ingest(quake())
    b, out = ingest(quake(**other))
    assert out == "created" and a.id != b.id


def test_identifier_matches_first(db_session):
    a, _ = ingest(quake(identifier="bmkg20261120101500"))
    b, out = ingest(
        quake(identifier="bmkg20261120101500", origin_time=T0 + timedelta(minutes=10), magnitude=6.9)
    )
    assert a.id == b.id and out == "updated" and b.magnitude == 6.9


@pytest.mark.parametrize("first_is_exercise", [False, True])
def test_an_exercise_and_a_real_quake_never_merge(db_session, first_is_exercise):
    """A drill report close to a real quake (same time, place and magnitude) stays its own
    event, whichever arrives first; each then takes its own later reports."""
    first, _ = ingest(quake(is_exercise=first_is_exercise))
    second, out = ingest(quake(is_exercise=not first_is_exercise, source="gempaterkini"))
    assert out == "created" and second.id != first.id
    assert first.is_exercise is first_is_exercise and second.is_exercise is not first_is_exercise
    assert first.sources == ["autogempa"] and first.revision == 1
    again, out = ingest(quake(is_exercise=first_is_exercise, source="gempadirasakan", magnitude=6.3))
    assert again.id == first.id and out == "updated" and first.magnitude == 6.3
    assert second.magnitude == 6.2


@pytest.mark.parametrize("first_is_exercise", [False, True])
@pytest.mark.parametrize("make", [quake, tsunami, weather], ids=["quake", "tsunami", "weather"])
def test_the_same_identifier_as_exercise_and_real_is_two_events(db_session, make, first_is_exercise):
    first, _ = ingest(make(identifier="shared-1", is_exercise=first_is_exercise))
    second, out = ingest(make(identifier="shared-1", is_exercise=not first_is_exercise))
    assert out == "created" and second.id != first.id and second.kind == first.kind
    db_session.flush()  # the unique constraint allows it
    same, out = ingest(make(identifier="shared-1", is_exercise=first_is_exercise))
    assert same.id == first.id and out == "unchanged"


def test_overlong_texts_are_cut_to_their_columns_and_still_match(db_session):
    """PostgreSQL refuses text longer than its column: one such item would fail its whole body."""
    long_id = "Indonesia-InaTEWS-" + "x" * 200
    place = "Laut " + "sangat jauh " * 40
    ev, out = ingest(quake(region_text=place, potential_text="p" * 400, identifier=long_id))
    db_session.flush()
    assert out == "created" and ev.region_text == place[:300] and len(ev.potential_text) == 300
    assert len(ev.identifier) == 120 and ev.identifier.startswith("Indonesia-InaTEWS-xxx")
    assert len(ev.title) <= 300
    again, out = ingest(quake(region_text=place, potential_text="p" * 400, identifier=long_id, magnitude=6.3))
    assert (
        again.id == ev.id and out == "updated" and set(again.revisions[-1].changes) == {"magnitude", "title"}
    )
    other, out = ingest(quake(identifier=long_id[:-1] + "y", origin_time=T0 + timedelta(hours=3)))
    assert out == "created" and other.identifier != ev.identifier  # a cut never merges two

    warn, _ = ingest(
        tsunami(
            identifier=long_id,
            areas=(TsunamiArea(province="SUMSEL", district="MUSI BANYUASIN", level="AWAS" * 5),),
        )
    )
    rain, _ = ingest(weather(identifier=long_id, severity="Severe" * 5, headline="h" * 600))
    db_session.flush()
    assert len(warn.level) == 10 and warn.identifier == ev.identifier and warn.kind != ev.kind
    assert len(rain.cap_severity) == 20 and len(rain.headline) == 500
    assert ingest(weather(identifier=long_id, severity="Severe" * 5, headline="h" * 600))[1] == "unchanged"


@pytest.mark.parametrize("one_body", [False, True])
def test_a_lagging_feed_s_older_solution_does_not_move_the_event_back(db_session, one_body):
    """BMKG revises M7.5 to M7.4; gempadirasakan, behind, still lists M7.5 with its felt report."""
    first = quake(
        magnitude=7.5,
        depth_km=12.0,
        origin_time=T0 - timedelta(seconds=1),
        potential_text="Berpotensi tsunami",
    )
    revised = quake(source="gempaterkini", magnitude=7.4, potential_text="Tidak berpotensi tsunami")
    stale = quake(
        source="gempadirasakan",
        magnitude=7.5,
        depth_km=12.0,
        origin_time=T0 - timedelta(seconds=1),
        region_text="112 km BaratLaut",
        potential_text="Berpotensi tsunami",
        felt_text="IV Sekayu",
    )
    if one_body:
        process_reports([first, revised, stale])
    else:
        for r in (first, revised, stale):
            ingest(r)
    (ev,) = db_session.scalars(select(HazardEvent)).all()
    assert (ev.magnitude, ev.depth_km, ev.origin_time) == (7.4, 10.0, T0)
    assert ev.region_text == quake().region_text and ev.title.startswith("M7.4")
    assert ev.tsunami_potential is False and ev.potential_text == "Tidak berpotensi tsunami"
    assert ev.felt_text == "IV Sekayu" and ev.sources == ["autogempa", "gempaterkini", "gempadirasakan"]
    # a genuinely new solution still applies
    ingest(quake(source="inatews", magnitude=7.3))
    assert ev.magnitude == 7.3


def test_same_report_again_changes_nothing(db_session):
    ev, _ = ingest(quake())
    again, out = ingest(quake())
    assert out == "unchanged" and again.revision == 1
    assert (
        db_session.scalar(select(func.count(HazardRevision.id)).where(HazardRevision.event_id == ev.id)) == 1
    )


def test_quake_impact_ranks_places_by_mmi(db_session, make_shelter, make_point, users):
    from siaga.core.validation import validate
    from siaga.registry.schemas import OccupancyIn
    from siaga.registry.services import record_occupancy

    near = make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1], capacity=100)
    record_occupancy(near.id, validate(OccupancyIn, {"kind": "check_in", "people": 40}), users["coordinator"])
    make_shelter(name="Posko Palembang", lat=-2.97, lon=104.77, capacity=100)
    make_point(name="TK Sekayu", lat=SEKAYU[0] - 0.03, lon=SEKAYU[1])
    ev, _, _msg = process_report(quake(magnitude=6.0))
    impacts = db_session.scalars(
        select(EventImpact).where(EventImpact.event_id == ev.id).order_by(EventImpact.rank)
    ).all()
    mmis = [i.mmi for i in impacts]
    assert mmis == sorted(mmis, reverse=True) and min(mmis) >= 5.0
    names = [i.name for i in impacts]
    assert "SD Sekayu" in names and "TK Sekayu" in names
    assert "Posko Palembang" not in names  # ~100 km away, below MMI V
    assert any(i.target_type == "district" for i in impacts)
    assert ev.people_affected == 40 and ev.severity >= 2 and ev.max_mmi >= 6


def _alerts(db_session, ev):
    return db_session.scalars(
        select(Message).where(Message.source["hazard_event_id"].as_integer() == ev.id)
    ).all()


def test_one_alert_per_event_and_severity(db_session, make_shelter, users):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, msg = process_report(quake(magnitude=5.6))
    assert msg is not None and msg.kind == "earthquake" and "Sumber: BMKG" in msg.body_id
    assert "SD Sekayu" in msg.body_id
    first_severity = ev.severity
    # the same report again, and a small correction: no new alert
    assert process_report(quake(magnitude=5.6))[2] is None
    assert (
        process_report(quake(magnitude=5.7, source="gempaterkini"))[2] is None or ev.severity > first_severity
    )
    # a revision that raises the severity: one more alert
    _, _, msg2 = process_report(quake(magnitude=6.1, source="inatews"))
    assert ev.severity > first_severity and msg2 is not None
    assert len(_alerts(db_session, ev)) == 2
    # coordinators are among the recipients
    recipient_users = {d.contact.user_id for d in msg2.deliveries}
    assert users["coordinator"].id in recipient_users


def test_far_quake_has_no_alert(db_session, make_shelter):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, msg = process_report(quake(lat=-8.5, lon=123.3, magnitude=5.0, region_text="Flores"))
    assert msg is None and ev.severity == 0


@pytest.mark.parametrize(
    ("threshold", "affected", "alerted"),
    [
        (4.0, {"Posko Episentrum", "Posko 20 km"}, True),  # MMI ~5.3 and ~4.3
        (5.0, {"Posko Episentrum"}, True),  # the default
        (6.0, set(), False),  # nothing reaches VI
    ],
)
def test_the_mmi_threshold_decides_what_is_affected_and_alerted(
    app, db_session, make_shelter, monkeypatch, threshold, affected, alerted
):
    """A M4.5 at 10 km depth right under one shelter: about MMI 5.3 there, 4.3 at 20 km."""
    monkeypatch.setitem(app.config, "SIAGA_MMI_THRESHOLD", threshold)
    make_shelter(name="Posko Episentrum", lat=SEKAYU[0], lon=SEKAYU[1])
    make_shelter(name="Posko 20 km", lat=SEKAYU[0] + 20 / 111.2, lon=SEKAYU[1])
    ev, _, msg = process_report(quake(magnitude=4.5, depth_km=10.0))
    shelters = {i.name for i in ev.impacts if i.target_type == "shelter"}
    assert shelters == affected
    assert all(i.mmi >= threshold for i in ev.impacts)
    assert (msg is not None) is alerted and (ev.severity > 0) is alerted
    if alerted:
        assert ev.affected_count >= len(affected) and ev.max_mmi >= threshold


def test_tsunami_potential_raises_the_alert_and_says_so(db_session, make_shelter):
    make_shelter(name="Posko Episentrum", lat=SEKAYU[0], lon=SEKAYU[1])
    ev, _, first = process_report(quake(magnitude=4.5, potential_text="Tidak berpotensi tsunami"))
    assert ev.tsunami_potential is False and ev.severity == 2 and first is not None
    assert "TSUNAMI" not in first.subject and "TSUNAMI" not in first.body_id
    # a revision now says a tsunami may follow: more severe, one more alert that says it first
    _, out, second = process_report(
        quake(magnitude=4.5, potential_text="Berpotensi tsunami", source="gempaterkini")
    )
    assert out == "updated" and ev.tsunami_potential is True and ev.severity == 3
    assert second is not None and second.subject.startswith("BERPOTENSI TSUNAMI: Gempa M4.5")
    assert "BERPOTENSI TSUNAMI: jauhi pantai" in second.body_id
    assert "TSUNAMI POTENTIAL: keep away from the coast" in second.body_en
    assert len(_alerts(db_session, ev)) == 2


def test_tsunami_potential_far_from_our_area_alerts_nobody(db_session, make_shelter):
    make_shelter(name="Posko Episentrum", lat=SEKAYU[0], lon=SEKAYU[1])
    ev, _, msg = process_report(
        quake(lat=-8.5, lon=123.3, magnitude=7.4, region_text="Flores", potential_text="Berpotensi tsunami")
    )
    assert ev.tsunami_potential is True and ev.severity == 0 and msg is None


def test_exercise_never_dispatches_outside_inbox(db_session, make_shelter, users):
    from siaga.messaging import services as messaging
    from siaga.messaging.models import Contact

    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    outside = Contact(
        name="BPBD WA",
        phone="6281299999999",
        channel_order=["whatsapp"],
        organisation_id=users["partner"].organisation_id,
    )
    db_session.add(outside)
    db_session.flush()
    from siaga.messaging.models import Group, GroupKind, Subscription

    g = Group(name="BPBD grp", kind=GroupKind.ORGANISATION, organisation_id=users["partner"].organisation_id)
    db_session.add(g)
    db_session.flush()
    db_session.add(Subscription(region_code="16.06", hazard_kind="any", min_severity=1, group_id=g.id))
    db_session.flush()
    ev, _, msg = process_report(quake(is_exercise=True))
    assert ev.is_exercise and msg is not None and msg.is_exercise
    assert {d.channel for d in msg.deliveries} == {"inapp"}
    # a real one reaches the subscribed WhatsApp contact
    _, _, real = process_report(quake(origin_time=T0 + timedelta(hours=5)))
    assert "whatsapp" in {d.channel for d in real.deliveries}
    assert messaging is not None


def test_tsunami_warning_levels_and_tes(db_session, make_point, make_shelter):
    make_point(name="TES Masjid Agung", kind="tes", lat=SEKAYU[0], lon=SEKAYU[1])
    report = tsunami(
        areas=(
            TsunamiArea(province="SUMSEL", district="MUSI BANYUASIN", level="SIAGA"),
            TsunamiArea(province="BABEL", district="BANGKA BARAT", level="AWAS"),
        ),
    )
    ev, out, msg = process_report(report)
    assert out == "created" and ev.level == "AWAS" and ev.severity == 3  # SIAGA in our area
    names = {i.name: i.level for i in ev.impacts}
    assert names["TES Masjid Agung"] == "SIAGA"
    assert msg is not None and "SIAGA" in msg.body_id and "EVAKUASI" in msg.body_id


def test_a_district_level_area_of_responsibility_gets_its_regency_s_tsunami_warning(
    app, db_session, make_shelter, monkeypatch
):
    """The task force covers one kecamatan; BMKG warns whole regencies."""
    shelter = make_shelter(name="Posko Sekayu", lat=SEKAYU[0], lon=SEKAYU[1])
    district = ".".join(shelter.region_code.split(".")[:3])
    assert district.startswith("16.06.")
    monkeypatch.setitem(app.config, "SIAGA_AOR_REGIONS", district)
    other, _, none = process_report(
        tsunami(
            identifier="tsu-plg", areas=(TsunamiArea(province="SUMSEL", district="PALEMBANG", level="AWAS"),)
        )
    )
    assert other.severity == 0 and none is None  # Kota Palembang is not our kecamatan's regency
    ev, _, msg = process_report(
        tsunami(areas=(TsunamiArea(province="SUMSEL", district="MUSI BANYUASIN", level="AWAS"),))
    )
    assert ev.severity == 4 and msg is not None and "AWAS" in msg.subject
    assert {i.name for i in ev.impacts if i.target_type == "shelter"} == {"Posko Sekayu"}


def test_overlaps_aor():
    from siaga.hazards.places import overlaps_aor

    assert overlaps_aor("16.06", ["16.06.01"]) and overlaps_aor("16.06.01", ["16.06"])
    assert overlaps_aor("16.06", ["16.06"]) and not overlaps_aor("16.06", ["16.71.01", "13.02"])
    assert not overlaps_aor("16.0", ["16.06"]) and not overlaps_aor(None, ["16.06"])
    assert not overlaps_aor("16.6", ["16.06.01"])


def test_weather_warning_polygon_hits_shelters(db_session, make_shelter):
    make_shelter(name="Posko Dalam", lat=-2.97, lon=104.77)
    make_shelter(name="Posko Luar", lat=-2.5, lon=103.5)
    report = weather()
    ev, _, msg = process_report(report)
    hit = {i.name for i in ev.impacts}
    assert "Posko Dalam" in hit and "Posko Luar" not in hit
    assert ev.severity == 3 and msg is not None and msg.kind == "weather"


def test_pages_show_events_with_bmkg_credit(client, users, db_session, make_shelter):
    from tests.conftest import login

    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, _ = process_report(quake())
    login(client, users["partner"].email)
    listing = client.get("/hazards").get_data(as_text=True)
    assert ev.title in listing and "Sumber: BMKG" in listing
    detail = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    assert "SD Sekayu" in detail and "Sumber: BMKG" in detail
    assert client.get("/feeds").status_code == 200


def test_deliveries_are_queued_for_alerts(db_session, make_shelter):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    _, _, msg = process_report(quake())
    assert msg is not None
    assert db_session.scalar(select(func.count(Delivery.id)).where(Delivery.message_id == msg.id)) >= 1
    assert db_session.scalar(select(func.count(HazardEvent.id))) >= 1


def test_haversine_slack_bounds_the_geodesic_both_ways():
    """The impact's prefilter and its area-of-responsibility band rely on this bound."""
    import numpy as np

    from siaga.hazards import intensity as ipe
    from siaga.registry.nearest import GEO_HI, GEO_LO

    assert max(1 - GEO_LO, GEO_HI - 1) <= ipe.HAVERSINE_SLACK
    rng = np.random.default_rng(5)
    for spread in (0.5, 5.0, 30.0, 90.0):
        lat0, lon0 = float(rng.uniform(-80, 80)), float(rng.uniform(-180, 180))
        lats = np.clip(lat0 + rng.uniform(-spread, spread, 2000), -89.9, 89.9)
        lons = (lon0 + rng.uniform(-spread, spread, 2000) + 180) % 360 - 180
        exact = ipe.geodesic_km(lat0, lon0, lats, lons)
        rough = ipe.haversine_km(lat0, lon0, lats, lons)
        ok = rough > 1e-3
        ratio = exact[ok] / rough[ok]
        assert ratio.min() >= 1 - ipe.HAVERSINE_SLACK and ratio.max() <= 1 + ipe.HAVERSINE_SLACK
        # and the vectorised Vincenty is geopy's geodesic (spot check)
        for i in range(0, 2000, 400):
            assert exact[i] == pytest.approx(geodesic((lat0, lon0), (lats[i], lons[i])).km, abs=1e-3)
