"""Each BMKG parser against every real fixture of its feed, every quirk the fixtures' README
lists (tests/data/bmkg/README.md), and malformed variants of the real payloads."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import types
import typing
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from siaga.hazards import bmkg
from siaga.hazards.reports import QuakeReport, TsunamiArea, TsunamiReport, WeatherReport

DATA = Path(__file__).resolve().parent.parent / "data" / "bmkg"
TEWS_JSON = sorted(p.name for p in DATA.glob("autogempa*.json")) + sorted(
    p.name for p in DATA.glob("gempa*.json")
)
TEWS_XML = sorted(p.name for p in DATA.glob("autogempa*.xml"))
TEWS = TEWS_JSON + TEWS_XML
INATEWS = sorted(p.name for p in DATA.glob("inatews-datagempa-*.json"))
CAP = sorted(p.name for p in DATA.glob("cap-alert-*.xml"))
RSS = ["nowcast-rss-id.xml"]
CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"
PD1_MENTAWAI = "inatews-datagempa-tsunami-warning-pd1-mentawai-2023.json"
PD1_TEST = "inatews-datagempa-TEST-tsunami-pd1-2021.json"
FIJI = "inatews-datagempa-m6.9-fiji-outside-indonesia-2023.json"


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


def load(name: str) -> Any:
    return json.loads(raw(name))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dump(data: Any) -> bytes:
    return json.dumps(data).encode()


def gempa_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    g = data["Infogempa"]["gempa"]
    return g if isinstance(g, list) else [g]


def tews_body(**fields: Any) -> bytes:
    """The real autogempa.json with fields replaced (None removes one)."""
    data = load("autogempa.json")
    g = data["Infogempa"]["gempa"]
    for key, value in fields.items():
        if value is None:
            g.pop(key, None)
        else:
            g[key] = value
    return dump(data)


def inatews_body(name: str = "inatews-datagempa-felt-m4.2-enggano-2022.json", **fields: Any) -> bytes:
    data = load(name)
    for key, value in fields.items():
        if value is None:
            data["info"].pop(key, None)
        else:
            data["info"][key] = value
    return dump(data)


# ---------------------------------------------------------------- every real fixture


#: Values read by hand from each fixture (first item of a list): UTC origin, lat, lon, M, depth.
# fmt: off
TEWS_EXPECTED = {
    "autogempa.json": (utc("2026-09-23 12:16:56"), -8.51, 123.27, 1.8, 12.0),
    "autogempa-m5-not-felt.json": (utc("2021-10-13 03:08:42"), -0.14, 133.02, 5.3, 10.0),
    "autogempa-felt-sumedang-2024.json": (utc("2024-01-10 13:17:26"), -6.83, 107.95, 2.8, 6.0),
    "autogempa-felt-dompu-2021-pretty.json": (utc("2021-10-05 11:00:27"), -8.15, 118.10, 4.5, 20.0),
    "autogempa.xml": (utc("2021-10-04 10:59:19"), 1.04, 126.96, 4.7, 17.0),
    "gempaterkini.json": (utc("2021-12-14 05:46:41"), -7.54, 121.78, 5.0, 10.0),
    "gempaterkini-2026-first2.json": (utc("2026-09-21 23:48:13"), 4.74, 125.30, 5.2, 10.0),
    "gempadirasakan.json": (utc("2026-09-23 02:02:44"), -8.21, 120.61, 4.7, 9.0),
}
# fmt: on
TEWS_COUNTS = {"gempaterkini.json": 15, "gempaterkini-2026-first2.json": 2, "gempadirasakan.json": 2}


def test_every_tews_fixture_has_expected_values():
    assert set(TEWS_EXPECTED) == set(TEWS)  # a new fixture needs its row here


@pytest.mark.parametrize("name", TEWS)
def test_every_tews_fixture_parses(name):
    reports = bmkg.reports_from("gempaterkini", raw(name))
    assert len(reports) == TEWS_COUNTS.get(name, 1)
    assert all(isinstance(r, QuakeReport) and not r.is_exercise for r in reports)
    for r in reports:
        assert r.origin_time.tzinfo is not None and -11 <= r.lat <= 7 and 94 <= r.lon <= 142
        assert 0 < r.magnitude < 10 and r.depth_km >= 0
    first = reports[0]
    assert (first.origin_time, first.lat, first.lon, first.magnitude, first.depth_km) == TEWS_EXPECTED[name]


def test_autogempa_values():
    (r,) = bmkg.reports_from("autogempa", raw("autogempa.json"))
    assert r.felt_text == "II-III Kab. Lembata" and "Lembata" in (r.region_text or "")
    assert r.tsunami_potential is None  # "Gempa ini dirasakan ...": felt info, says nothing


def test_autogempa_xml_values():
    (r,) = bmkg.reports_from("autogempa", raw("autogempa.xml"))
    assert (r.lat, r.lon) == (1.04, 126.96)  # 1.04 LU: north
    assert (
        r.felt_text == "III Ternate" and r.region_text == "Pusat gempa berada di laut 54 km BaratLaut Ternate"
    )


def test_gempaterkini_is_a_list_with_duplicates():
    reports = bmkg.reports_from("gempaterkini", raw("gempaterkini.json"))
    assert sum(1 for r in reports if r.magnitude == 7.4) == 3  # the Flores Sea quake, reported thrice
    assert [r.tsunami_potential for r in reports].count(True) == 4  # the M7.4 x3 and the M7.5


#: Values read by hand from each InaTEWS fixture: kind, UTC origin, lat, lon, M, depth, exercise.
# fmt: off
INATEWS_EXPECTED = {
    PD1_MENTAWAI: ("PD-1", utc("2023-04-24 20:00:57"), -0.93, 98.39, 7.3, 84.0, False),
    "inatews-datagempa-felt-m7.3-mentawai-2023.json": ("quake", utc("2023-04-24 20:00:57"), -0.93, 98.39, 7.3, 84.0, False),
    "inatews-datagempa-felt-m4.2-enggano-2022.json": ("quake", utc("2022-02-14 05:57:47"), -4.52, 100.93, 4.2, 12.0, False),
    "inatews-datagempa-felt-m5.9-ternate-2023.json": ("quake", utc("2023-05-14 15:32:21"), 0.49, 126.90, 5.9, 109.0, False),
    "inatews-datagempa-felt-m6.0-pacitan-2023.json": ("quake", utc("2023-06-07 17:04:55"), -9.15, 110.69, 6.0, 10.0, False),
    "inatews-datagempa-felt-m2.7-larantuka-2023.json": ("quake", utc("2023-06-21 10:59:54"), -8.34, 122.99, 2.7, 5.0, False),
    FIJI: ("quake", utc("2023-06-15 18:06:22"), -22.82, -176.44, 6.9, 161.0, False),
    PD1_TEST: ("PD-1", utc("2021-02-04 03:00:00"), -1.73, 140.60, 8.5, 10.0, True),
    "inatews-datagempa-TEST-tsunami-pd4-ended-2023.json": ("PD-4", utc("2023-10-25 02:00:00"), -10.40, 112.80, 9.0, 10.0, True),
}
# fmt: on


def test_every_inatews_fixture_has_expected_values():
    assert set(INATEWS_EXPECTED) == set(INATEWS)


@pytest.mark.parametrize("name", INATEWS)
def test_every_inatews_fixture_parses(name):
    kind, *expected = INATEWS_EXPECTED[name]
    (r,) = bmkg.reports_from("inatews", raw(name))
    if kind == "quake":
        assert isinstance(r, QuakeReport) and r.identifier is None
    else:
        assert isinstance(r, TsunamiReport) and r.message_type == kind
    assert [r.origin_time, r.lat, r.lon, r.magnitude, r.depth_km, r.is_exercise] == expected


def test_inatews_tsunami_warning_levels():
    (r,) = bmkg.parse_inatews(raw(PD1_MENTAWAI))
    assert isinstance(r, TsunamiReport) and r.identifier == "20230425030533"
    assert [(a.province, a.district, a.level, a.eta) for a in r.areas] == [
        ("SUMUT", "NIAS-SELATAN PULAU TANABALA", "WASPADA", "25-04-2023 03:09:54 WIB")
    ] * 2  # the real duplicate is kept; matching zones to regencies dedupes


def test_inatews_exercise_and_ended():
    (pd1,) = bmkg.parse_inatews(raw(PD1_TEST))
    assert isinstance(pd1, TsunamiReport) and pd1.is_exercise and len(pd1.areas) == 10
    assert {a.level for a in pd1.areas} == {"SIAGA", "WASPADA"}
    (pd4,) = bmkg.parse_inatews(raw("inatews-datagempa-TEST-tsunami-pd4-ended-2023.json"))
    assert isinstance(pd4, TsunamiReport) and pd4.is_exercise and pd4.is_ended and pd4.areas == ()
    assert pd4.identifier == "iowave_20231025170700"


def test_inatews_felt_and_outside_indonesia():
    (felt,) = bmkg.parse_inatews(raw("inatews-datagempa-felt-m4.2-enggano-2022.json"))
    assert isinstance(felt, QuakeReport) and felt.felt_text == "II Kota Bengkulu"
    (fiji,) = bmkg.parse_inatews(raw(FIJI))
    assert isinstance(fiji, QuakeReport) and fiji.lon == -176.44 and fiji.tsunami_potential is False


def test_nowcast_index_links_cap_files():
    links = bmkg.parse_nowcast_rss(raw("nowcast-rss-id.xml"), "https://www.bmkg.go.id/")
    assert len(links) == 11 and len({link.identifier for link in links}) == 11
    assert links[0].url.endswith("CGT20260924002_alert.xml")
    assert links[0].identifier == "2.49.0.1.360.0.2026.09.24.07.75.002"
    assert links[0].title == "Hujan Lebat disertai Petir di Gorontalo"


@pytest.mark.parametrize("name", CAP)
def test_every_cap_fixture_parses(name):
    (r,) = bmkg.reports_from("cap", raw(name))
    assert isinstance(r, WeatherReport) and r.identifier and r.areas and not r.is_exercise
    assert r.sent and r.effective and r.expires and r.effective < r.expires
    for area in r.areas:
        for ring in area.polygons:
            assert len(ring) >= 3 and all(-11 <= lat <= 7 and 94 <= lon <= 142 for lat, lon in ring)


def test_cap_values_with_offsets():
    (r,) = bmkg.parse_cap(raw("cap-alert-CGT20260924002-id.xml"))
    assert r.severity == "Moderate" and r.event == "Hujan Lebat dan Petir"
    assert r.effective == datetime(2026, 9, 24, 7, 27, tzinfo=UTC)  # 15:27+08:00
    assert sum(len(a.polygons) for a in r.areas) == 4
    assert sum(len(ring) for a in r.areas for ring in a.polygons) == 88  # the README's count
    (en,) = bmkg.parse_cap(raw("cap-alert-CGT20260924002-en.xml"))
    assert en.event == "Thunderstorm" and en.areas == r.areas  # same alert, same polygons
    (banten,) = bmkg.parse_cap(raw("cap-alert-CBT20260216004-id-trimmed.xml"))
    assert sum(len(a.polygons) for a in banten.areas) == 2


# ---------------------------------------------------------------- positions: order and hemispheres


@pytest.mark.parametrize("name", TEWS_JSON)
def test_tews_coordinates_are_lat_lon_on_every_real_item(name):
    """TEWS ``Coordinates`` is "lat,lon". The hemisphere texts agree in every real item; with
    them removed the pair alone gives the same position."""
    data = load(name)
    reports = bmkg.parse_tews_json(dump(data))
    for item, r in zip(gempa_items(data), reports, strict=True):
        lat, lon = (float(x) for x in item["Coordinates"].split(","))
        assert (r.lat, r.lon) == (lat, lon)
        del item["Lintang"], item["Bujur"]
    assert [(r.lat, r.lon) for r in bmkg.parse_tews_json(dump(data))] == [(r.lat, r.lon) for r in reports]


def test_tews_xml_point_coordinates_are_lat_lon():
    root = ET.fromstring(raw("autogempa.xml"))
    gempa = root.find("gempa")
    assert gempa is not None and root.findtext("gempa/point/coordinates") == "1.04,126.96"
    for tag in ("Lintang", "Bujur"):
        el = gempa.find(tag)
        assert el is not None
        gempa.remove(el)
    (r,) = bmkg.parse_tews_xml(ET.tostring(root))
    assert (r.lat, r.lon) == (1.04, 126.96)


@pytest.mark.parametrize("name", INATEWS)
def test_inatews_point_coordinates_are_lon_lat_on_every_real_item(name):
    """InaTEWS ``point.coordinates`` is "lon,lat", the reverse of TEWS."""
    data = load(name)
    (r,) = bmkg.parse_inatews(dump(data))
    lon, lat = (float(x) for x in data["info"]["point"]["coordinates"].split(","))
    assert (r.lat, r.lon) == (lat, lon)
    del data["info"]["latitude"], data["info"]["longitude"]
    (alone,) = bmkg.parse_inatews(dump(data))
    assert (alone.lat, alone.lon) == (lat, lon)


@pytest.mark.parametrize(
    ("lintang", "bujur", "expected"),
    [
        ("4.74 LU", "125.30 BT", (4.74, 125.30)),  # north, east
        ("8.51 LS", "123.27 BT", (-8.51, 123.27)),  # south, east
        ("22.82 LS", "176.44 BB", (-22.82, -176.44)),  # south, west (InaTEWS, quakes abroad)
        ("1.04 LU", "10.5 BB", (1.04, -10.5)),  # north, west
        (" 0.49lu ", "126,90 bt", (0.49, 126.90)),  # lower case, no space, comma decimal
    ],
)
def test_lintang_bujur_text_alone_gives_the_position(lintang, bujur, expected):
    (r,) = bmkg.parse_tews_json(tews_body(Coordinates=None, Lintang=lintang, Bujur=bujur))
    assert (r.lat, r.lon) == expected
    (q,) = bmkg.parse_inatews(inatews_body(point=None, latitude=lintang, longitude=bujur))
    assert (q.lat, q.lon) == expected


def test_inatews_bb_text_alone_on_the_real_fiji_message():
    data = load(FIJI)
    del data["info"]["point"]
    (r,) = bmkg.parse_inatews(dump(data))
    assert (r.lat, r.lon) == (-22.82, -176.44)


@pytest.mark.parametrize(
    ("coordinates", "lintang", "bujur", "expected"),
    [
        # Pair in the wrong order (as the legacy autogempa.xml sent it): the text wins.
        ("123.27,-8.51", "8.51 LS", "123.27 BT", (-8.51, 123.27)),
        # Pair with the sign lost: the text's hemisphere wins.
        ("8.51,123.27", "8.51 LS", "123.27 BT", (-8.51, 123.27)),
        # Pair and text name different places: the text wins (see bmkg._position).
        ("-2.00,100.00", "8.51 LS", "123.27 BT", (-8.51, 123.27)),
        # Text without a hemisphere suffix cannot tell the position: the pair is used.
        ("-8.51,123.27", "8.51", "123.27", (-8.51, 123.27)),
        # A suffix of the other axis ("LS" on a longitude) is not a position either.
        ("-8.51,123.27", "123.27 BT", "8.51 LS", (-8.51, 123.27)),
        # Only one text usable: the pair gives both, never a mix of the two.
        ("-8.51,123.27", "9.00 LS", "garbled", (-8.51, 123.27)),
    ],
)
def test_when_coordinates_and_text_disagree_the_text_wins(coordinates, lintang, bujur, expected):
    (r,) = bmkg.parse_tews_json(tews_body(Coordinates=coordinates, Lintang=lintang, Bujur=bujur))
    assert (r.lat, r.lon) == expected
    lon_lat = ",".join(reversed(coordinates.split(",")))  # the same pair the InaTEWS way
    (q,) = bmkg.parse_inatews(inatews_body(point={"coordinates": lon_lat}, latitude=lintang, longitude=bujur))
    assert (q.lat, q.lon) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"Coordinates": None, "Lintang": None, "Bujur": None},
        {"Coordinates": None, "Lintang": "8.51", "Bujur": "123.27"},
        {"Coordinates": "-8.51", "Lintang": None},
        {"Coordinates": "-8.51,123.27,10", "Lintang": None},  # three numbers: not a pair
        {"Coordinates": "-8,51,123,27", "Lintang": None},  # comma decimals make it ambiguous
        {"Coordinates": "123.27,-8.51", "Lintang": None},  # lon,lat in TEWS: latitude 123.27
    ],
)
def test_no_usable_position_is_a_feed_parse_error(fields):
    with pytest.raises(bmkg.FeedParseError):
        bmkg.parse_tews_json(tews_body(**fields))


# ---------------------------------------------------------------- dates, months, zones


MONTH_NAMES = [
    ("Jan", 1), ("Januari", 1), ("Feb", 2), ("Februari", 2), ("Peb", 2), ("Mar", 3), ("Maret", 3),
    ("Apr", 4), ("April", 4), ("Mei", 5), ("Jun", 6), ("Juni", 6), ("Jul", 7), ("Juli", 7),
    ("Agu", 8), ("Agt", 8), ("Agustus", 8), ("Sep", 9), ("September", 9), ("Okt", 10),
    ("Oktober", 10), ("Nov", 11), ("Nop", 11), ("November", 11), ("Des", 12), ("Desember", 12),
    ("DES", 12), ("Aug", 8), ("Oct", 10), ("Dec", 12), ("May", 5),
]  # fmt: skip


@pytest.mark.parametrize(("month", "number"), MONTH_NAMES)
def test_indonesian_month_names_in_tanggal(month, number):
    body = tews_body(DateTime=None, Tanggal=f"05 {month} 2021", Jam="09:01:02 WIB")
    (r,) = bmkg.parse_tews_json(body)
    assert r.origin_time == datetime(2021, number, 5, 2, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(("month", "number"), MONTH_NAMES)
def test_indonesian_month_names_in_inatews_headline_style_dates(month, number):
    (r,) = bmkg.parse_inatews(inatews_body(date=f"14-{month}-23", time="22:32:21 WIB"))
    assert r.origin_time == datetime(2023, number, 14, 15, 32, 21, tzinfo=UTC)


@pytest.mark.parametrize("month", ["Foo", "Ju", "Marxyz", "13", "00"])
def test_unknown_month_is_a_feed_parse_error(month):
    with pytest.raises(bmkg.FeedParseError):
        bmkg.parse_tews_json(tews_body(DateTime=None, Tanggal=f"05 {month} 2021", Jam="09:01:02 WIB"))


@pytest.mark.parametrize(
    ("jam", "expected"),
    [
        ("08:30:00 WIB", datetime(2022, 1, 1, 1, 30, tzinfo=UTC)),  # UTC+7
        ("08:30:00 WITA", datetime(2022, 1, 1, 0, 30, tzinfo=UTC)),  # UTC+8
        ("08:30:00 WIT", datetime(2021, 12, 31, 23, 30, tzinfo=UTC)),  # UTC+9: the day before
        ("08:30:00", datetime(2022, 1, 1, 1, 30, tzinfo=UTC)),  # no zone: WIB, as BMKG always sends
        ("08:30 wita", datetime(2022, 1, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_clock_times_in_wib_wita_wit(jam, expected):
    (r,) = bmkg.parse_tews_json(tews_body(DateTime=None, Tanggal="01 Jan 2022", Jam=jam))
    assert r.origin_time == expected
    (q,) = bmkg.parse_inatews(inatews_body(date="01-01-22", time=jam))
    assert q.origin_time == expected


@pytest.mark.parametrize("name", TEWS_JSON)
def test_tanggal_and_jam_give_the_same_instant_as_datetime_on_every_real_item(name):
    """Real Tanggal/Jam pairs (Sep, Okt, Des, Jan; WIB; dates a day after the UTC date)."""
    data = load(name)
    reports = bmkg.parse_tews_json(dump(data))
    for item in gempa_items(data):
        del item["DateTime"]
    assert [r.origin_time for r in bmkg.parse_tews_json(dump(data))] == [r.origin_time for r in reports]


def test_a_broken_datetime_falls_back_to_tanggal_and_jam():
    (r,) = bmkg.parse_tews_json(tews_body(DateTime="2026-09-23 kemarin"))
    assert r.origin_time == datetime(2026, 9, 23, 12, 16, 56, tzinfo=UTC)
    with pytest.raises(bmkg.FeedParseError, match="DateTime"):
        bmkg.parse_tews_json(tews_body(DateTime="2026-09-23 kemarin", Tanggal=None))


@pytest.mark.parametrize(
    ("date", "time"),
    [("31-02-23", "10:00:00 WIB"), ("25-04-23", "25:00:00 WIB"), ("2023-04-25", "10:00:00 WIB")],
)
def test_impossible_dates_and_times_are_feed_parse_errors(date, time):
    with pytest.raises(bmkg.FeedParseError):
        bmkg.parse_inatews(inatews_body(date=date, time=time))


# ---------------------------------------------------------------- Potensi


#: Every "Potensi"/"potential" text in the real fixtures, classified per the README's keywords.
POTENTIAL = {
    "Tidak berpotensi tsunami": False,
    "tidak berpotensi TSUNAMI": False,
    "Potensi tsunami untuk diteruskan pada masyarakat": True,
    "Potensi TSUNAMI untuk diteruskan pada masyarakat": True,
    "Gempa ini dirasakan untuk diteruskan pada masyarakat": None,  # felt info: says nothing
    None: None,  # gempadirasakan has no Potensi
}


def _real_quake_items() -> Iterator[tuple[str, int]]:
    for name in TEWS:
        for i in range(TEWS_COUNTS.get(name, 1)):
            yield name, i
    for name in INATEWS:
        if INATEWS_EXPECTED[name][0] == "quake":
            yield name, 0


@pytest.mark.parametrize(("name", "index"), list(_real_quake_items()))
def test_tsunami_potential_on_every_real_quake_item(name, index):
    r = bmkg.reports_from("inatews" if name.startswith("inatews") else "gempaterkini", raw(name))[index]
    assert isinstance(r, QuakeReport)
    assert r.potential_text in POTENTIAL  # a new wording needs its row (and maybe a keyword)
    assert r.tsunami_potential is POTENTIAL[r.potential_text]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Berpotensi tsunami, waspada", "tsunami"),  # expected by third-party code
        ("  TIDAK   BERPOTENSI  TSUNAMI ", "no_tsunami"),
        ("Gempa ini DIRASAKAN untuk diteruskan pada masyarakat", "felt"),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_classify_potential(text, kind):
    assert bmkg.classify_potential(text) == kind


def test_tsunami_potential_defaults_to_none_for_existing_callers():
    r = QuakeReport(
        source="x", origin_time=datetime(2026, 1, 1, tzinfo=UTC), lat=0, lon=100, depth_km=10, magnitude=5
    )
    assert r.tsunami_potential is None


# ---------------------------------------------------------------- one object or a list


def test_inatews_wzarea_as_a_single_object_keeps_its_zone():
    data = load(PD1_TEST)
    zone = data["info"]["wzarea"][0]
    data["info"]["wzarea"] = zone
    (r,) = bmkg.parse_inatews(dump(data))
    assert isinstance(r, TsunamiReport)
    assert r.areas == (TsunamiArea("PAPUA", "JAYAPURA", "SIAGA", "04-02-2021 10:02:00 WIB"),)


def test_inatews_wzarea_absent_or_null_is_no_zone():
    (absent,) = bmkg.parse_inatews(raw("inatews-datagempa-TEST-tsunami-pd4-ended-2023.json"))
    data = load("inatews-datagempa-TEST-tsunami-pd4-ended-2023.json")
    data["info"]["wzarea"] = None
    (null,) = bmkg.parse_inatews(dump(data))
    assert isinstance(absent, TsunamiReport) and absent.areas == () and null == absent


def test_tews_gempa_as_object_or_list_gives_the_same_reports():
    data = load("gempaterkini-2026-first2.json")
    both = bmkg.parse_tews_json(dump(data))
    data["Infogempa"]["gempa"] = data["Infogempa"]["gempa"][0]
    assert bmkg.parse_tews_json(dump(data)) == both[:1]
    auto = load("autogempa.json")
    single = bmkg.parse_tews_json(dump(auto))
    auto["Infogempa"]["gempa"] = [auto["Infogempa"]["gempa"]]
    assert bmkg.parse_tews_json(dump(auto)) == single
    auto["Infogempa"]["gempa"] = []
    assert bmkg.parse_tews_json(dump(auto)) == []


def test_tews_xml_with_several_gempa():
    root = ET.fromstring(raw("autogempa.xml"))
    second = copy.deepcopy(root[0])
    mag = second.find("Magnitude")
    assert mag is not None
    mag.text = "5.1"
    root.append(second)
    reports = bmkg.parse_tews_xml(ET.tostring(root), "gempaterkini")
    assert [r.magnitude for r in reports] == [4.7, 5.1]


def _cap_root(name: str) -> ET.Element:
    return ET.fromstring(raw(name))


def test_cap_with_an_info_per_language_keeps_indonesian_text_and_each_area_once():
    root = _cap_root("cap-alert-CGT20260924002-en.xml")  # English first, then the Indonesian one
    id_info = _cap_root("cap-alert-CGT20260924002-id.xml").find(f"{CAP_NS}info")
    assert id_info is not None
    root.append(id_info)
    (r,) = bmkg.parse_cap(ET.tostring(root))
    (alone,) = bmkg.parse_cap(raw("cap-alert-CGT20260924002-id.xml"))
    assert r.event == "Hujan Lebat dan Petir" and r.areas == alone.areas


def test_cap_with_several_areas_and_one_polygon_each():
    root = _cap_root("cap-alert-CGT20260924002-id.xml")
    info = root.find(f"{CAP_NS}info")
    area = root.find(f"{CAP_NS}info/{CAP_NS}area")
    assert info is not None and area is not None
    polygons = area.findall(f"{CAP_NS}polygon")
    for extra in polygons[1:]:
        area.remove(extra)
    other = ET.SubElement(info, f"{CAP_NS}area")
    ET.SubElement(other, f"{CAP_NS}areaDesc").text = "Gorontalo Utara"
    other.append(polygons[1])
    (r,) = bmkg.parse_cap(ET.tostring(root))
    assert [(a.description, len(a.polygons)) for a in r.areas] == [("Gorontalo", 1), ("Gorontalo Utara", 1)]


def test_rss_with_a_single_item():
    root = ET.fromstring(raw("nowcast-rss-id.xml"))
    channel = root.find("channel")
    assert channel is not None
    for item in channel.findall("item")[1:]:
        channel.remove(item)
    assert len(bmkg.parse_nowcast_rss(ET.tostring(root))) == 1


@pytest.mark.parametrize(
    ("parse", "body", "message"),
    [
        (
            bmkg.parse_tews_json,
            b'{"Infogempa": [{"gempa": {}}]}',
            "Infogempa: expected an object, got a list",
        ),
        (
            bmkg.parse_tews_json,
            b'{"Infogempa": {"gempa": "x"}}',
            "Infogempa.gempa: expected an object or a list",
        ),
        (bmkg.parse_tews_json, b'{"Infogempa": {"gempa": [1]}}', r"Infogempa.gempa\[0\]: expected an object"),
        (bmkg.parse_tews_json, b'{"Infogempa": {"gempa": null}}', "Infogempa.gempa"),
        (bmkg.parse_tews_json, b"[]", "payload: expected an object, got a list"),
        (bmkg.parse_inatews, inatews_body(point=[{"coordinates": "1,2"}]), "info.point: expected an object"),
        (bmkg.parse_inatews, b'{"info": [{}]}', "info: expected an object, got a list"),
        (bmkg.parse_inatews, dump({**load(PD1_TEST), "status": ["TES"]}), "status: expected a text"),
        (
            bmkg.parse_inatews,
            inatews_body(PD1_TEST, wzarea="PAPUA"),
            "info.wzarea: expected an object or a list",
        ),
        (
            bmkg.parse_inatews,
            inatews_body(PD1_TEST, wzarea=[["PAPUA"]]),
            r"info.wzarea\[0\]: expected an object",
        ),
        (
            bmkg.parse_inatews,
            inatews_body(PD1_TEST, wzarea=[{"province": "PAPUA"}]),
            r"info.wzarea\[0\].level",
        ),
        (bmkg.parse_inatews, inatews_body(PD1_TEST, subject="Warning"), "names no PD-1"),
        (bmkg.parse_tews_json, tews_body(Wilayah=["a"]), "Wilayah: expected a text, got a list"),
        (
            bmkg.parse_tews_json,
            tews_body(Magnitude={"v": "5"}),
            "Magnitude: expected a number, got an object",
        ),
    ],
)
def test_wrong_shapes_are_feed_parse_errors_naming_the_field(parse, body, message):
    with pytest.raises(bmkg.FeedParseError, match=message):
        parse(body)


# ---------------------------------------------------------------- numbers, status, extra fields


@pytest.mark.parametrize(
    ("magnitude", "depth", "expected"),
    [
        ("5.0", "10 km", (5.0, 10.0)),
        (" 5.0 ", " 10 km", (5.0, 10.0)),
        ("5", "10 Km", (5.0, 10.0)),
        ("5,3", "10km", (5.3, 10.0)),
        ("5.0 SR", "84 KM", (5.0, 84.0)),  # legacy "5.0 SR"
        (5.2, 153, (5.2, 153.0)),  # real JSON numbers
        ("4.7", "10,5 km", (4.7, 10.5)),
    ],
)
def test_numbers_in_odd_forms(magnitude, depth, expected):
    (r,) = bmkg.parse_tews_json(tews_body(Magnitude=magnitude, Kedalaman=depth))
    assert (r.magnitude, r.depth_km) == expected
    (q,) = bmkg.parse_inatews(inatews_body(magnitude=magnitude, depth=depth))
    assert (q.magnitude, q.depth_km) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Magnitude", ""),
        ("Magnitude", "-"),
        ("Magnitude", "M"),
        ("Magnitude", "5.0.1"),
        ("Magnitude", "1e3"),
        ("Magnitude", "5 km"),  # a depth unit on a magnitude
        ("Magnitude", "11"),
        ("Magnitude", "NaN"),
        ("Magnitude", True),
        ("Magnitude", [5]),
        ("Kedalaman", "-5 km"),
        ("Kedalaman", "10 mil"),
        ("Kedalaman", "sepuluh km"),
        ("Kedalaman", 1e400),
    ],
)
def test_bad_numbers_are_feed_parse_errors(field, value):
    with pytest.raises(bmkg.FeedParseError, match=field):
        bmkg.parse_tews_json(tews_body(**{field: value}))


@pytest.mark.parametrize(
    ("status", "exercise"),
    [("TES", True), ("tes", True), ("Exercise", True), ("Test", True), ("Actual", False), (None, False)],
)
def test_inatews_status(status, exercise):
    for name in (PD1_MENTAWAI, "inatews-datagempa-felt-m2.7-larantuka-2023.json"):
        data = load(name)
        if status is None:
            del data["status"]
        else:
            data["status"] = status
        (r,) = bmkg.parse_inatews(dump(data))
        assert r.is_exercise is exercise


@pytest.mark.parametrize(
    ("status", "exercise"), [("Actual", False), ("Exercise", True), ("Test", True), ("System", True)]
)
def test_cap_status(status, exercise):
    body = raw("cap-alert-CGT20260924002-id.xml").replace(
        b"<status>Actual</status>", f"<status>{status}</status>".encode()
    )
    (r,) = bmkg.parse_cap(body)
    assert r.is_exercise is exercise


def test_unknown_extra_fields_are_ignored():
    data = load("gempaterkini-2026-first2.json")
    expected = bmkg.parse_tews_json(dump(data))
    data["Extra"] = [1]
    data["Infogempa"]["Catatan"] = {"x": None}
    for item in gempa_items(data):
        item["Shakemap"] = {"unexpected": "shape"}
        item["MMI"] = ["V"]
    assert bmkg.parse_tews_json(dump(data)) == expected
    ina = load(PD1_TEST)
    expected_ina = bmkg.parse_inatews(dump(ina))
    ina["info"]["wzarea"][0]["eta_minutes"] = 2
    ina["info"]["extra"] = {"nested": [None]}
    ina["extra"] = 1
    assert bmkg.parse_inatews(dump(ina)) == expected_ina


@pytest.mark.parametrize("field", ["DateTime", "Coordinates", "Magnitude", "Kedalaman"])
def test_missing_required_tews_fields(field):
    """Each required value gone (with its fallback: Tanggal/Jam, Lintang/Bujur) names the field."""
    fallbacks = {"DateTime": ("Tanggal", "Jam"), "Coordinates": ("Lintang", "Bujur")}
    body = tews_body(**dict.fromkeys((field, *fallbacks.get(field, ()))))
    with pytest.raises(bmkg.FeedParseError, match=field if field not in fallbacks else "DateTime|position"):
        bmkg.parse_tews_json(body)


@pytest.mark.parametrize("field", ["date", "time", "magnitude"])
def test_missing_required_inatews_fields(field):
    with pytest.raises(bmkg.FeedParseError, match=field):
        bmkg.parse_inatews(inatews_body(**{field: None}))


# ---------------------------------------------------------------- autogempa XML and JSON agree


def _xml_to_json(body: bytes) -> bytes:
    gempa = ET.fromstring(body).find("gempa")
    assert gempa is not None
    item = {el.tag: el.text for el in gempa if el.tag != "point"}
    item["Coordinates"] = gempa.findtext("point/coordinates")
    return dump({"Infogempa": {"gempa": item}})


def _json_to_xml(body: bytes) -> bytes:
    root = ET.Element("Infogempa")
    gempa = ET.SubElement(root, "gempa")
    for key, value in json.loads(body)["Infogempa"]["gempa"].items():
        if key == "Coordinates":
            ET.SubElement(ET.SubElement(gempa, "point"), "coordinates").text = value
        else:
            ET.SubElement(gempa, key).text = value
    return b'<?xml version="1.0"?>' + ET.tostring(root)


def test_autogempa_xml_and_json_give_the_same_report():
    """No JSON fixture is the same quake as autogempa.xml (Ternate, 4 Oct 2021) and no XML
    fixture matches a JSON one, so each real payload is compared with its twin in the other
    format, built from its own values the way BMKG lays out the other format."""
    xml_body = raw("autogempa.xml")
    assert bmkg.reports_from("autogempa", xml_body) == bmkg.reports_from("autogempa", _xml_to_json(xml_body))
    for name in TEWS_JSON[:4]:  # the autogempa*.json fixtures
        assert name.startswith("autogempa")
        json_body = raw(name)
        assert bmkg.reports_from("autogempa", json_body) == bmkg.reports_from(
            "autogempa", _json_to_xml(json_body)
        )


def test_dispatch_sniffs_xml_behind_a_bom_or_whitespace():
    (r,) = bmkg.reports_from("autogempa", b"\xef\xbb\xbf \n" + raw("autogempa.xml"))
    assert r.magnitude == 4.7
    (j,) = bmkg.reports_from("autogempa", b"\xef\xbb\xbf" + raw("autogempa.json"))
    assert j.magnitude == 1.8


# ---------------------------------------------------------------- robustness on malformed variants


def _matches(value: Any, hint: Any) -> bool:
    """``value`` is of the annotated type (unions, tuples, nested report dataclasses)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args, strict=True))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and _sane(value)
    return isinstance(value, hint)


def _sane(obj: Any) -> bool:
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        assert _matches(value, hints[f.name]), f"{type(obj).__name__}.{f.name} = {value!r}"
        if isinstance(value, datetime):
            assert value.tzinfo is not None, f.name
    if isinstance(obj, QuakeReport | TsunamiReport):
        assert obj.lat is None or -90 <= obj.lat <= 90
        assert obj.lon is None or -180 <= obj.lon <= 180
        assert obj.magnitude is None or 0 <= obj.magnitude <= 10
        assert obj.depth_km is None or 0 <= obj.depth_km <= 1000
    if isinstance(obj, WeatherReport):
        assert obj.identifier
        for area in obj.areas:
            for ring in area.polygons:
                assert len(ring) >= 3 and all(-90 <= lat <= 90 and -180 <= lon <= 180 for lat, lon in ring)
    return True


PARSERS: dict[str, tuple[Callable[[bytes], list[Any]], list[str]]] = {
    "tews-json": (bmkg.parse_tews_json, TEWS_JSON),
    "tews-xml": (bmkg.parse_tews_xml, TEWS_XML),
    "inatews": (bmkg.parse_inatews, INATEWS),
    "cap": (bmkg.parse_cap, CAP),
    "rss": (bmkg.parse_nowcast_rss, RSS),
}
CASES = [(kind, name) for kind, (_, names) in PARSERS.items() for name in names]

WHOLE_BODIES = [
    b"",
    b"   \n",
    b"<html><head><title>403</title></head><body>terindikasi sebagai serangan</body></html>",
    b"<!DOCTYPE html><html><body>Service Unavailable</body>",
    b'{"message":"Data not found","error":"Not Found","statusCode":404}',
    b"[]",
    b"null",
    b"42",
    b'"Infogempa"',
    b"true",
    b"{}",
    b"[" * 100_000,
    b"\xff\xfe\x00<",
    b'<?xml version="1.0" encoding="no-such-codec"?><a/>',
    b'<?xml version="1.0" encoding="UTF-16"?><Infogempa/>',
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><alert>&e;</alert>',
    "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE a [<!ENTITY e 'x'>]><rss/>".encode("utf-16"),
]

#: Replacements for every value in a JSON payload: wrong types, blanks, odd numbers.
JSON_VALUES: list[Any] = [
    None,
    "",
    " ",
    "abc",
    "-",
    0,
    -1,
    1e308,
    True,
    [],
    {},
    "9" * 400,
    "\u0000",
    "10 LS BT",
]


def _json_paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key)
            yield from _json_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data[:3]):  # list items share one shape: three are enough
            yield (*path, i)
            yield from _json_paths(value, (*path, i))


def _json_variants(body: bytes) -> Iterator[tuple[str, bytes]]:
    data = json.loads(body)
    for path in _json_paths(data):
        *parents, last = path
        for mutate in ("delete", "wrap-list", "wrap-object", *range(len(JSON_VALUES))):
            copy_ = json.loads(body)
            parent = copy_
            for key in parents:
                parent = parent[key]
            if mutate == "delete":
                del parent[last]
            elif mutate == "wrap-list":
                parent[last] = [parent[last]]
            elif mutate == "wrap-object":
                parent[last] = {"value": parent[last]}
            else:
                assert isinstance(mutate, int)
                parent[last] = JSON_VALUES[mutate]
            yield f"{path} {mutate}", dump(copy_)
    for path in [(), *_json_paths(data)]:
        copy_ = json.loads(body)
        target = copy_
        for key in path:
            target = target[key]
        if isinstance(target, dict):
            target["zz_unknown"] = {"nested": [1, None, "x"]}
            yield f"{path} extra field", dump(copy_)


def _xml_variants(body: bytes) -> Iterator[tuple[str, bytes]]:
    root = ET.fromstring(body)
    count = len(list(root.iter()))
    for index in range(count):
        for mutate in ("remove", "duplicate", "extra-child", "", "abc", "-", "1e999", "9" * 400, "1,2 3,4"):
            copy_ = copy.deepcopy(root)
            elements = list(copy_.iter())
            el = elements[index]
            parent = next((p for p in elements if el in list(p)), None)
            if mutate == "remove":
                if parent is None:
                    continue
                parent.remove(el)
            elif mutate == "duplicate":
                if parent is None:
                    continue
                parent.append(copy.deepcopy(el))
            elif mutate == "extra-child":
                ET.SubElement(el, el.tag.split("}")[0] + "}zz" if "}" in el.tag else "zz").text = "x"
            else:
                el.text = mutate
            yield f"<{el.tag}> #{index} {mutate[:10]}", ET.tostring(copy_)


def _variants(body: bytes, is_json: bool) -> Iterator[tuple[str, bytes]]:
    for i, whole in enumerate(WHOLE_BODIES):
        yield f"whole body #{i}", whole
    step = max(1, len(body) // 60)
    for cut in range(0, len(body), step):
        yield f"truncated at {cut}", body[:cut]
    yield "garbage appended", body + b"\x00garbage"
    yield from _json_variants(body) if is_json else _xml_variants(body)


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_malformed_variants_give_sane_reports_or_a_feed_parse_error(kind, name):
    """Every variant of a real payload either parses into well-typed, in-range dataclasses or
    raises FeedParseError: never TypeError, KeyError, AttributeError or any other exception."""
    parse, _ = PARSERS[kind]
    tried = 0
    for label, body in _variants(raw(name), name.endswith(".json")):
        tried += 1
        try:
            result = parse(body)
        except bmkg.FeedParseError:
            continue
        except Exception as exc:
            pytest.fail(f"{name}, {label}: {type(exc).__name__}: {exc}")
        assert isinstance(result, list), label
        for report in result:
            assert dataclasses.is_dataclass(report) and _sane(report), label
    assert tried > 100


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
        ("autogempa", b"<html><body>Service Unavailable</body></html>"),
        ("inatews", b'{"identifier": "x"}'),
        ("inatews", b'{"info": {"date": "99-99-99", "time": "25:00:00 WIB"}}'),
        ("cap", b"<rss/>"),
        ("cap", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><alert/>'),
        ("cap", b"<alert><identifier>x</identifier><info/></alert>"),  # CAP without its namespace
        ("nowcast-unknown", b"{}"),
    ],
)
def test_malformed_input_is_a_feed_parse_error(feed, body):
    with pytest.raises(bmkg.FeedParseError):
        bmkg.reports_from(feed, body)


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:00+00:00",
        "0001-01-01T00:00:30+00:00",
        "1899-12-31T23:59:59+00:00",
        "2101-01-01T00:00:00Z",
    ],
)
def test_an_impossible_year_is_a_parse_error_not_an_event(when):
    data = json.loads((DATA / "gempaterkini.json").read_bytes())
    data["Infogempa"]["gempa"][3]["DateTime"] = when
    data["Infogempa"]["gempa"][3]["Tanggal"] = f"{when[8:10]}-{when[5:7]}-{when[:4]}"
    with pytest.raises(bmkg.FeedParseError, match=r"Infogempa.gempa\[3\].*year \d+ is out of range"):
        bmkg.reports_from("gempaterkini", json.dumps(data).encode())
    data["Infogempa"]["gempa"][3]["DateTime"] = "2100-12-31T16:59:59+00:00"  # the last year allowed
    assert len(bmkg.reports_from("gempaterkini", json.dumps(data).encode())) == 15


@pytest.mark.parametrize("name", TEWS_JSON)
def test_each_tews_json_item_keeps_its_payload_as_sent(name):
    body = (DATA / name).read_bytes()
    items = json.loads(body)["Infogempa"]["gempa"]
    items = items if isinstance(items, list) else [items]
    reports = bmkg.reports_from("gempaterkini", body)
    assert [json.loads(r.payload) for r in reports] == items


@pytest.mark.parametrize("name", TEWS_XML)
def test_each_tews_xml_item_keeps_its_element_as_sent(name):
    reports = bmkg.reports_from("autogempa", (DATA / name).read_bytes())
    for r in reports:
        element = ET.fromstring(r.payload)
        assert element.tag == "gempa" and element.findtext("Magnitude").strip() == f"{r.magnitude:g}"


@pytest.mark.parametrize(("name", "feed"), [(n, "inatews") for n in INATEWS] + [(n, "cap") for n in CAP])
def test_inatews_and_cap_reports_keep_the_whole_message(name, feed):
    body = (DATA / name).read_bytes()
    (report,) = bmkg.reports_from(feed, body)
    assert report.payload == body.decode("utf-8-sig").strip()
    # not part of the report's identity: the same report without it is equal
    assert report == dataclasses.replace(report, payload=None)
