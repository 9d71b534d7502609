"""Each BMKG parser against every real fixture of its feed, and malformed input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from siaga.hazards import bmkg
from siaga.hazards.reports import QuakeReport, TsunamiReport, WeatherReport

DATA = Path(__file__).resolve().parent.parent / "data" / "bmkg"
TEWS = sorted(p.name for p in DATA.glob("autogempa*")) + sorted(p.name for p in DATA.glob("gempa*.json"))
INATEWS = sorted(p.name for p in DATA.glob("inatews-datagempa-*.json"))
CAP = sorted(p.name for p in DATA.glob("cap-alert-*.xml"))


@pytest.mark.parametrize("name", TEWS)
def test_every_tews_fixture_parses(name):
    reports = bmkg.reports_from("autogempa", (DATA / name).read_bytes())
    assert reports and all(isinstance(r, QuakeReport) for r in reports)
    for r in reports:
        assert r.origin_time.tzinfo is not None and -11 <= r.lat <= 7 and 94 <= r.lon <= 142
        assert 0 < r.magnitude < 10 and r.depth_km >= 0


def test_autogempa_values():
    (r,) = bmkg.reports_from("autogempa", (DATA / "autogempa.json").read_bytes())
    assert r.origin_time == datetime(2026, 9, 23, 12, 16, 56, tzinfo=UTC)
    assert (r.lat, r.lon, r.magnitude, r.depth_km) == (-8.51, 123.27, 1.8, 12.0)
    assert r.felt_text == "II-III Kab. Lembata" and "Lembata" in r.region_text


def test_autogempa_xml_uses_point_coordinates_and_lu():
    (r,) = bmkg.reports_from("autogempa", (DATA / "autogempa.xml").read_bytes())
    assert (r.lat, r.lon) == (1.04, 126.96)  # 1.04 LU: north
    assert r.origin_time == datetime(2021, 10, 4, 10, 59, 19, tzinfo=UTC)


def test_gempaterkini_is_a_list_with_duplicates():
    reports = bmkg.reports_from("gempaterkini", (DATA / "gempaterkini.json").read_bytes())
    assert len(reports) == 15
    assert sum(1 for r in reports if r.magnitude == 7.4) >= 2  # the Flores Sea quake, reported twice
    assert any("tsunami" in (r.potential_text or "").lower() for r in reports)


def test_indonesian_date_and_wib_when_no_iso():
    body = b'{"Infogempa":{"gempa":{"Tanggal":"05 Des 2021","Jam":"09:01:02 WIB","Lintang":"2.10 LS","Bujur":"100.50 BT","Magnitude":"5.1","Kedalaman":"10 km"}}}'
    (r,) = bmkg.reports_from("autogempa", body)
    assert r.origin_time == datetime(2021, 12, 5, 2, 1, 2, tzinfo=UTC)
    assert (r.lat, r.lon) == (-2.10, 100.50)


@pytest.mark.parametrize("name", INATEWS)
def test_every_inatews_fixture_parses(name):
    (r,) = bmkg.parse_inatews((DATA / name).read_bytes())
    assert r.origin_time is not None and r.origin_time.tzinfo is not None


def test_inatews_tsunami_warning_levels_and_lon_lat_order():
    (r,) = bmkg.parse_inatews(
        (DATA / "inatews-datagempa-tsunami-warning-pd1-mentawai-2023.json").read_bytes()
    )
    assert isinstance(r, TsunamiReport) and r.message_type == "PD-1" and not r.is_exercise
    assert (r.lat, r.lon) == (-0.93, 98.39)  # point.coordinates is "lon,lat" in InaTEWS
    assert r.origin_time == datetime(2023, 4, 24, 20, 0, 57, tzinfo=UTC)  # 03:00:57 WIB
    assert r.areas and {a.level for a in r.areas} <= {"AWAS", "SIAGA", "WASPADA"}


def test_inatews_exercise_and_ended():
    (pd1,) = bmkg.parse_inatews((DATA / "inatews-datagempa-TEST-tsunami-pd1-2021.json").read_bytes())
    assert pd1.is_exercise and {a.level for a in pd1.areas} == {"SIAGA", "WASPADA"}
    (pd4,) = bmkg.parse_inatews((DATA / "inatews-datagempa-TEST-tsunami-pd4-ended-2023.json").read_bytes())
    assert pd4.is_exercise and pd4.is_ended and pd4.message_type == "PD-4" and pd4.areas == ()


def test_inatews_felt_and_outside_indonesia():
    (felt,) = bmkg.parse_inatews((DATA / "inatews-datagempa-felt-m4.2-enggano-2022.json").read_bytes())
    assert isinstance(felt, QuakeReport) and felt.felt_text == "II Kota Bengkulu"
    (fiji,) = bmkg.parse_inatews(
        (DATA / "inatews-datagempa-m6.9-fiji-outside-indonesia-2023.json").read_bytes()
    )
    assert fiji.lon < 0  # 176.44 BB: west


def test_nowcast_index_links_cap_files():
    links = bmkg.parse_nowcast_rss((DATA / "nowcast-rss-id.xml").read_bytes(), "https://www.bmkg.go.id/")
    assert len(links) == 11
    assert links[0].url.endswith("CGT20260924002_alert.xml")
    assert links[0].identifier == "2.49.0.1.360.0.2026.09.24.07.75.002"


@pytest.mark.parametrize("name", CAP)
def test_every_cap_fixture_parses(name):
    (r,) = bmkg.parse_cap((DATA / name).read_bytes())
    assert isinstance(r, WeatherReport) and r.identifier and r.areas
    for area in r.areas:
        for ring in area.polygons:
            assert len(ring) >= 3 and all(-11 <= lat <= 7 and 94 <= lon <= 142 for lat, lon in ring)


def test_cap_values_with_offsets():
    (r,) = bmkg.parse_cap((DATA / "cap-alert-CGT20260924002-id.xml").read_bytes())
    assert r.severity == "Moderate" and r.event == "Hujan Lebat dan Petir"
    assert r.effective == datetime(2026, 9, 24, 7, 27, tzinfo=UTC)  # 15:27+08:00
    assert sum(len(a.polygons) for a in r.areas) == 4


@pytest.mark.parametrize(
    ("feed", "body"),
    [
        ("autogempa", b"not json"),
        ("autogempa", b'{"Infogempa": {}}'),
        (
            "autogempa",
            b'{"Infogempa":{"gempa":{"DateTime":"2021-01-01T00:00:00+00:00","Coordinates":"x,y"}}}',
        ),
        (
            "autogempa",
            b'{"Infogempa":{"gempa":{"DateTime":"2021-01-01T00:00:00+00:00","Coordinates":"95,200","Magnitude":"5","Kedalaman":"1"}}}',
        ),
        ("autogempa", b"<Infogempa></Infogempa>"),
        ("inatews", b'{"identifier": "x"}'),
        ("inatews", b'{"info": {"date": "99-99-99", "time": "25:00:00 WIB"}}'),
        ("cap", b"<rss/>"),
        ("cap", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><alert/>'),
        ("nowcast-unknown", b"{}"),
    ],
)
def test_malformed_input_is_a_feed_parse_error(feed, body):
    with pytest.raises(bmkg.FeedParseError):
        bmkg.reports_from(feed, body)
