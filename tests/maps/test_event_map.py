"""The map on a hazard event's page: MMI rings from the epicentre, polygons, affected places."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from siaga.hazards.intensity import allen_2012_mmi, mmi_radius_km
from siaga.hazards.reports import WeatherArea, WeatherReport
from siaga.hazards.services import process_report
from siaga.maps.event_map import MAX_RING_KM
from tests.conftest import login
from tests.hazards.reports import SEKAYU, quake, tsunami

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(("magnitude", "depth", "level"), [(6.2, 10.0, 5), (6.2, 10.0, 7), (5.5, 30.0, 4)])
def test_ring_radius_is_where_the_estimate_falls_to_the_level(magnitude, depth, level):
    r = mmi_radius_km(magnitude, depth, level, MAX_RING_KM)
    assert r is not None and 0 < r < MAX_RING_KM
    assert allen_2012_mmi(magnitude, math.hypot(r, depth)) == pytest.approx(level, abs=1e-6)
    assert allen_2012_mmi(magnitude, math.hypot(r + 1, depth)) < level  # outside the ring: below


def test_no_ring_when_the_epicentre_stays_below_the_level():
    assert mmi_radius_km(3.0, 10.0, 8, MAX_RING_KM) is None


def test_quake_page_has_rings_epicentre_and_escaped_places(client, users, make_shelter, db_session):
    make_shelter(name=HOSTILE, lat=SEKAYU[0] + 0.02, lon=SEKAYU[1], capacity=100)
    ev, _, _ = process_report(quake())
    login(client, users["partner"].email)
    page = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    assert 'class="card event-map"' in page
    assert page.count('"className": "mmi-ring"') >= 2  # at least MMI V and VI around a M6.2 at 10 km
    assert "MMI V (" in page
    assert HOSTILE not in page  # the name reaches the map's tooltip escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "/static/vendor/" in page and "cdn.jsdelivr" not in page
    assert page.count("Sumber: BMKG") >= 3


def test_weather_warning_page_draws_its_polygon(client, users, db_session):
    report = WeatherReport(
        source="nowcast",
        identifier="CBT20261120001",
        sent=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        event="Hujan Lebat",
        headline="Hujan lebat di Musi Banyuasin",
        description="Waspada hujan lebat disertai kilat.",
        severity="Moderate",
        urgency="Immediate",
        certainty="Likely",
        effective=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        expires=datetime(2099, 11, 20, 6, 0, tzinfo=UTC),
        areas=(
            WeatherArea(
                description="Sekayu",
                polygons=(((-2.7, 103.7), (-2.7, 104.0), (-3.0, 104.0), (-3.0, 103.7), (-2.7, 103.7)),),
            ),
        ),
    )
    ev, _, _ = process_report(report)
    login(client, users["coordinator"].email)
    page = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    assert "L.polygon(" in page
    assert "mmi-ring" not in page


def test_event_page_shows_the_source_report_of_each_revision(client, users, db_session):
    report = quake(
        source="gempaterkini",
        lat=-8.1,
        lon=122.9,
        depth_km=12.0,
        magnitude=7.4,
        region_text="Flores <Laut>",
        potential_text="Tidak berpotensi tsunami",
    )
    ev, _, _ = process_report(report)
    login(client, users["partner"].email)
    page = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    assert 'class="source-report"' in page and "Data dari umpan BMKG (gempaterkini)" in page
    assert "&#34;magnitude&#34;: 7.4" in page or '"magnitude": 7.4' in page
    assert "2026-11-20T03:15:00+00:00" in page
    assert "Flores <Laut>" not in page  # escaped
    assert ev.revisions[0].report["region_text"] == "Flores <Laut>"


def test_tsunami_page_has_no_shaking_rings(client, users, db_session):
    from siaga.hazards.reports import TsunamiArea

    report = tsunami(
        identifier="TEST-TSU-1",
        lat=-2.0,
        lon=99.5,
        depth_km=10.0,
        magnitude=7.8,
        region_text="Barat Daya Kep. Mentawai",
        areas=(TsunamiArea(province="SUMBAR", district="KEP. MENTAWAI", level="SIAGA"),),
    )
    ev, _, _ = process_report(report)
    login(client, users["coordinator"].email)
    page = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    assert 'class="card event-map"' in page  # the epicentre and the affected places
    assert "mmi-ring" not in page  # rings are earthquake shaking, never a tsunami zone
