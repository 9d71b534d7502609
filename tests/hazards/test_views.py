"""Hazard pages and the hazards map layer: local times (WIB/WITA/WIT), feed health, escaping,
and the BMKG credit ("Sumber: BMKG") wherever BMKG data is shown."""

from __future__ import annotations

import gzip
import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from siaga.db import utcnow
from siaga.extensions import db
from siaga.hazards.models import FeedState, HazardEvent
from siaga.hazards.reports import TsunamiArea
from siaga.hazards.services import ingest, process_report
from tests.conftest import browser_login, login
from tests.hazards.reports import PALEMBANG_RING, SEKAYU, T0, quake, tsunami, weather

#: T0 is 2026-11-20 03:15 UTC: 10:15 WIB, 11:15 WITA, 12:15 WIT.
T0_WIB = "20-11-2026 10:15 WIB"
HOSTILE = "<script>alert(1)</script>"
DENPASAR = (-8.65, 115.22)


def _geo(resp):
    assert resp.status_code == 200
    body = resp.data
    if resp.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


def _feature(layer, event_id):
    found = [f for f in layer["features"] if f["properties"]["id"] == event_id]
    assert found, f"event {event_id} not in the layer"
    return found


def _between(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _event_row(page: str, event_id: int) -> str:
    start = page.rindex("<tr", 0, page.index(f'href="/hazards/{event_id}"'))
    return page[start : page.index("</tr>", start)]


# ---------------------------------------------------------------- the map layer


def test_map_layer_quake_point_with_local_time_link_and_credit(client, users, make_shelter):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, _ = process_report(quake())
    login(client, users["field"].email)
    layer = _geo(client.get("/map/data/hazards"))
    (feat,) = _feature(layer, ev.id)
    assert feat["geometry"] == {"type": "Point", "coordinates": [SEKAYU[1], SEKAYU[0]]}
    props = feat["properties"]
    assert props["kind"] == "earthquake" and props["name"] == "M6.2 10 km BaratLaut SEKAYU-MUBA-SUMSEL"
    assert props["details"]["M"] == "6.2"
    assert props["details"]["Waktu"] == f"{T0_WIB} (03:15 UTC)"  # local first, UTC in brackets
    assert not any("UTC" in key for key in props["details"])  # no "Waktu (UTC)" any more
    assert props["url"] == f"/hazards/{ev.id}"
    assert props["source"] == "Sumber: BMKG" and props["exercise"] is False


@pytest.mark.parametrize(
    ("potential", "expected"),
    [("Berpotensi tsunami", True), ("Tidak berpotensi tsunami", False), (None, None)],
)
def test_tsunami_potential_on_the_pages_the_map_and_the_api(client, users, make_shelter, potential, expected):
    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, _ = process_report(quake(potential_text=potential))
    login(client, users["field"].email)
    detail = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    row = _event_row(client.get("/hazards").get_data(as_text=True), ev.id)
    (feat,) = _feature(_geo(client.get("/map/data/hazards")), ev.id)
    api = client.get(f"/api/v1/hazards/events/{ev.id}").get_json()
    assert api["tsunami_potential"] is expected
    if expected:
        assert 'class="flash flash-error tsunami-potential" role="alert"' in detail
        assert "Potensi tsunami" in detail and "tsunami-potential" in row
        assert feat["properties"]["details"]["Potensi tsunami"] == "ya"
    else:
        assert "tsunami-potential" not in detail and "tsunami-potential" not in row
        assert "Potensi tsunami" not in feat["properties"]["details"]
    if potential:
        assert potential in detail


def test_event_pages_link_a_quake_and_its_tsunami_warning(client, users):
    where = {"origin_time": T0, "lat": -3.5, "lon": 105.5, "magnitude": 7.3, "region_text": "Selat Bangka"}
    shock, _ = ingest(quake(**where))
    warning, _ = ingest(
        tsunami(areas=(TsunamiArea(province="SUMSEL", district="MUSI BANYUASIN", level="SIAGA"),), **where)
    )
    login(client, users["partner"].email)
    quake_page = client.get(f"/hazards/{shock.id}").get_data(as_text=True)
    warning_page = client.get(f"/hazards/{warning.id}").get_data(as_text=True)
    assert (
        f'<dt>Peringatan tsunami</dt><dd class="related-event"><a href="/hazards/{warning.id}">' in quake_page
    )
    assert f'<dt>Gempa</dt><dd class="related-event"><a href="/hazards/{shock.id}">' in warning_page


def test_map_layer_weather_polygon_and_tsunami_point(client, users, make_point):
    warning_ev, _, _ = process_report(
        weather(expires=T0 + timedelta(hours=14))  # 17:15 UTC: 00:15 WIB the next day
    )
    make_point(name="TES Masjid Agung", kind="tes", lat=SEKAYU[0], lon=SEKAYU[1])
    warning, _, _ = process_report(
        tsunami(areas=(TsunamiArea(province="SUMSEL", district="MUSI BANYUASIN", level="SIAGA"),))
    )
    login(client, users["partner"].email)
    layer = _geo(client.get("/map/data/hazards"))
    (poly,) = _feature(layer, warning_ev.id)
    assert poly["geometry"]["type"] == "Polygon"
    assert poly["geometry"]["coordinates"] == [
        [[lon, lat] for lat, lon in PALEMBANG_RING]
    ]  # GeoJSON: lon, lat
    details = poly["properties"]["details"]
    assert details["Tingkat"] == "Severe"
    assert details["Berlaku sampai"] == "21-11-2026 00:15 WIB (20-11 17:15 UTC)"
    assert poly["properties"]["source"] == "Sumber: BMKG"
    (point,) = _feature(layer, warning.id)
    assert point["geometry"] == {"type": "Point", "coordinates": [105.5, -3.5]}
    assert point["properties"]["level"] == "SIAGA" and point["properties"]["details"]["Tingkat"] == "SIAGA"
    assert point["properties"]["details"]["Waktu"].startswith(T0_WIB)


def test_map_layer_carries_hostile_text_as_plain_data(client, users):
    ev, _ = ingest(quake(region_text=f"{HOSTILE} SEKAYU"))
    login(client, users["coordinator"].email)
    resp = client.get("/map/data/hazards")
    assert resp.mimetype == "application/geo+json"
    (feat,) = _feature(_geo(resp), ev.id)
    # The popup and tooltip set it as text (tests/maps/test_browser.py and the browser test
    # below): pre-escaped here it would show as "&lt;script&gt;".
    assert feat["properties"]["name"] == f"M6.2 {HOSTILE} SEKAYU"
    assert "&lt;" not in json.dumps(feat)


def test_share_link_layer_has_no_link_to_the_event_page(client, users, db_session, app):
    from siaga.maps import services as map_services

    ev, _ = ingest(quake())
    share = map_services.create_share("BPBD", ["hazards"], None, 1, users["coordinator"].id)
    db_session.flush()
    (feat,) = _feature(_geo(app.test_client().get(f"/share/{share.token}/data/hazards")), ev.id)
    assert "url" not in feat["properties"] and feat["properties"]["source"] == "Sumber: BMKG"
    assert feat["properties"]["details"]["Waktu"].startswith(T0_WIB)


@pytest.fixture
def bali(db_session):
    """Kota Denpasar (51.71, WITA) and one of its districts: not among the seed regions."""
    from siaga.regions.models import Region, RegionLevel

    for code, name, level, parent in (
        ("51", "Bali", RegionLevel.PROVINCE, None),
        ("51.71", "Kota Denpasar", RegionLevel.REGENCY, "51"),
        ("51.71.01", "Denpasar Selatan", RegionLevel.DISTRICT, "51.71"),
    ):
        db_session.add(Region(code=code, name=name, level=level, parent_code=parent))
        db_session.flush()


def test_event_times_follow_the_zone_of_the_region_reached(
    client, users, make_shelter, monkeypatch, app, bali
):
    """WITA for a quake reaching a shelter in Denpasar, on the layer, the list and the page."""
    monkeypatch.setitem(app.config, "SIAGA_AOR_REGIONS", "16.06,51.71")
    make_shelter(name="Posko Denpasar", lat=DENPASAR[0] + 0.02, lon=DENPASAR[1], region_code="51.71.01")
    ev, _, _ = process_report(quake(lat=DENPASAR[0], lon=DENPASAR[1], region_text="Bali"))
    assert {i.region_code for i in ev.impacts} == {"51.71.01"}
    login(client, users["coordinator"].email)
    (feat,) = _feature(_geo(client.get("/map/data/hazards")), ev.id)
    assert feat["properties"]["details"]["Waktu"] == "20-11-2026 11:15 WITA (03:15 UTC)"
    assert "20-11-2026 11:15 WITA" in _event_row(client.get("/hazards").get_data(as_text=True), ev.id)
    detail = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    main = _between(detail, "<main", "</main>")
    assert "20-11-2026 11:15 WITA" in main and "WIB" not in main


def test_event_without_impact_takes_the_epicentre_region_then_the_aor(client, users, monkeypatch, app):
    monkeypatch.setitem(app.config, "SIAGA_AOR_REGIONS", "51.71")  # a WITA task force
    inside, _ = ingest(quake())  # epicentre in Musi Banyuasin (16.06): WIB
    at_sea, _ = ingest(quake(lat=-6.0, lon=100.0, origin_time=T0 + timedelta(hours=3), region_text="Laut"))
    login(client, users["coordinator"].email)
    layer = _geo(client.get("/map/data/hazards"))
    assert _feature(layer, inside.id)[0]["properties"]["details"]["Waktu"].startswith(T0_WIB)
    assert _feature(layer, at_sea.id)[0]["properties"]["details"]["Waktu"].startswith("20-11-2026 14:15 WITA")


# ---------------------------------------------------------------- event pages


def test_event_pages_escape_text_and_credit_bmkg(client, users):
    ev, _ = ingest(quake(region_text=f"{HOSTILE} SEKAYU"))
    login(client, users["field"].email)
    for path in ("/hazards", f"/hazards/{ev.id}"):
        page = client.get(path).get_data(as_text=True)
        assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt; SEKAYU" in page
        assert page.count("Sumber: BMKG") >= 2
        assert T0_WIB in page
    detail = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    assert 'class="small-map"' in detail  # the event map, with its own credit below it
    assert "Sumber: BMKG" in _between(detail, 'class="card event-map"', "</section>")


def test_revision_history_shows_changed_times_in_local_time(client, users):
    ev, _ = ingest(quake())
    again, outcome = ingest(
        quake(source="gempaterkini", origin_time=T0 + timedelta(seconds=70), magnitude=6.0)
    )
    assert again.id == ev.id and outcome == "updated"
    login(client, users["coordinator"].email)
    page = client.get(f"/hazards/{ev.id}").get_data(as_text=True)
    history = _between(page, 'class="revisions"', "</ul>")
    history = re.sub(r"<details.*?</details>", "", history, flags=re.S)  # the feed's own data, verbatim
    assert f"{T0_WIB} (03:15 UTC) → 20-11-2026 10:16 WIB (03:16 UTC)" in history
    assert "2026-11-20T03:1" not in history  # no raw ISO UTC time
    assert "Dibuat" in history and "autogempa, gempaterkini" in history


def test_event_page_shows_each_revision_s_payload_as_bmkg_sent_it(client, users, bmkg):
    from siaga.hazards import polling
    from tests.fakes.bmkg import DATA

    bmkg.serve_fixture("/DataMKG/TEWS/autogempa.xml", "autogempa.xml")
    bmkg.serve_fixture("/inatews/datagempa.json", "inatews-datagempa-TEST-tsunami-pd1-2021.json")
    polling.poll("inatews")
    (warning,) = db.session.scalars(select(HazardEvent).where(HazardEvent.kind == "tsunami")).all()
    raw = json.loads((DATA / "inatews-datagempa-TEST-tsunami-pd1-2021.json").read_bytes())
    login(client, users["partner"].email)
    page = client.get(f"/hazards/{warning.id}").get_data(as_text=True)
    shown = _between(page, 'class="source-payload"', "</details>")
    assert "Payload BMKG seperti diterima (inatews)" in shown and "Sumber: BMKG" in shown
    body = html.unescape(_between(shown, "<pre>", "</pre>"))
    assert json.loads(body.removeprefix("<pre>")) == raw


# ---------------------------------------------------------------- feed health
# ---------------------------------------------------------------- feed health


def _feed_row(page: str, feed: str) -> str:
    start = page.index(f'<tr data-feed="{feed}"')
    return page[start : page.index("</tr>", start)]


@pytest.fixture
def feed_states(db_session):
    now = utcnow()
    states = {
        # failing: 5 in a row is the notice threshold, with a hostile error text
        "autogempa": FeedState(
            name="autogempa",
            url="https://bmkg.test/autogempa.json",
            last_success_at=T0,
            last_new_item_at=T0 - timedelta(hours=1),
            last_error_at=now - timedelta(minutes=3),
            last_error=f"HTTP 503 {HOSTILE}",
            consecutive_failures=5,
        ),
        # no failure, but no success for two hours: silent
        "gempaterkini": FeedState(
            name="gempaterkini",
            url="https://bmkg.test/gempaterkini.json",
            last_success_at=now - timedelta(hours=2),
            consecutive_failures=0,
        ),
        # healthy, one failure not yet at the threshold
        "inatews": FeedState(
            name="inatews",
            url="https://bmkg.test/datagempa.json",
            last_success_at=now - timedelta(minutes=3),
            last_new_item_at=now - timedelta(minutes=3),
            last_error_at=now - timedelta(minutes=4),
            last_error="timeout",
            consecutive_failures=1,
        ),
    }
    db_session.add_all(states.values())
    db_session.flush()
    return states


def test_feed_health_page_local_times_failures_and_escaped_error(
    client, users, feed_states, monkeypatch, app
):
    monkeypatch.setitem(app.config, "SIAGA_AOR_REGIONS", "16.06,16.71")  # Sumatra: WIB
    login(client, users["coordinator"].email)
    page = client.get("/feeds").get_data(as_text=True)
    assert page.count("Sumber: BMKG") >= 1
    down = _feed_row(page, "autogempa")
    assert 'data-status="down"' in down and "⚠" in down
    assert T0_WIB in down and "20-11-2026 09:15 WIB" in down  # last success, last new item
    assert '<td class="failures"><strong class="bad">5</strong>' in down
    assert "3 menit lalu" in down  # the error's age
    assert f"HTTP 503 {HOSTILE}" not in page and "HTTP 503 &lt;script&gt;alert(1)&lt;/script&gt;" in down
    assert "2026-11-20T03:15" not in page  # no raw ISO time
    assert 'data-status="silent"' in _feed_row(page, "gempaterkini")
    assert "2 jam lalu" in _feed_row(page, "gempaterkini")
    healthy = _feed_row(page, "inatews")
    assert 'data-status="ok"' in healthy and "timeout" in healthy and "3 menit lalu" in healthy
    assert '<td class="failures"><strong class="bad">1</strong>' in healthy
    assert 'data-status="waiting"' in _feed_row(page, "nowcast")  # never polled


def test_feed_health_page_uses_the_task_force_zone(client, users, feed_states, monkeypatch, app):
    monkeypatch.setitem(app.config, "SIAGA_AOR_REGIONS", "51.71")  # Denpasar: WITA
    login(client, users["coordinator"].email)
    page = client.get("/feeds").get_data(as_text=True)
    assert "20-11-2026 11:15 WITA" in _feed_row(page, "autogempa")


def test_hazard_list_shows_feed_status_with_local_times(client, users, feed_states):
    login(client, users["coordinator"].email)
    page = client.get("/hazards").get_data(as_text=True)
    strip = _between(page, 'class="feeds-strip"', "</div>")
    badge = _between(strip, 'data-feed="autogempa"', "</small></span>")
    assert f"Berhasil terakhir: {T0_WIB}" in badge and 'data-status="down"' in badge
    assert HOSTILE not in page and "&lt;script&gt;" in badge
    assert "2026-11-20T03:15" not in page
    assert "Sumber: BMKG" in page


# ---------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_hazard_popup_shows_local_time_credit_and_inert_title(page, live_server, committed_users, app):
    with app.app_context():
        ev, _ = ingest(quake(region_text=f"{HOSTILE} SEKAYU", magnitude=5.1, origin_time=utcnow()))
        db.session.commit()
        event_id = ev.id
    try:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        browser_login(page, live_server, committed_users["coordinator"]["email"])
        page.goto(live_server + "/map")
        page.wait_for_function("window.siagaMapReady === true", timeout=20_000)
        find = """(id) => {
          let hit = null;
          window.siagaMap.groups.hazards.eachLayer(l => { if (l.feature && l.feature.properties.id === id) hit = l; });
          return hit;
        }"""
        page.wait_for_function(f"({find})({event_id}) !== null", timeout=20_000)
        page.evaluate(f"({find})({event_id}).openPopup()")
        popup = page.locator(".leaflet-popup-content .siaga-popup")
        popup.wait_for()
        assert popup.locator(".popup-title").inner_text() == f"M5.1 {HOSTILE} SEKAYU"
        assert page.locator(".leaflet-popup-content script").count() == 0
        text = popup.inner_text()
        assert re.search(r"Waktu: \d\d-\d\d-\d{4} \d\d:\d\d WIB \(", text), text
        assert popup.locator(".credit").inner_text() == "Sumber: BMKG"
        page.evaluate(f"({find})({event_id}).openTooltip()")
        tooltip = page.locator(".leaflet-tooltip", has_text="alert(1)")
        tooltip.wait_for()
        assert tooltip.inner_text() == f"M5.1 {HOSTILE} SEKAYU"
        page.wait_for_timeout(300)
        assert dialogs == []  # nothing ran
    finally:
        with app.app_context():
            db.session.execute(delete(HazardEvent).where(HazardEvent.id == event_id))
            db.session.commit()


def test_hazard_list_pages_newest_first_and_hides_exercises_on_request(client, users, monkeypatch):
    from siaga.hazards import views

    monkeypatch.setattr(views, "LIST_PER_PAGE", 3)
    events = [
        ingest(quake(origin_time=T0 + timedelta(hours=n), is_exercise=n == 6, region_text=f"Tempat {n}"))[0]
        for n in range(7)
    ]
    newest_first = [ev.id for ev in reversed(events)]
    login(client, users["field"].email)

    def ids(query):
        page = client.get("/hazards" + query).get_data(as_text=True)
        found = [int(i) for i in re.findall(r'href="/hazards/(\d+)"', page)]
        return list(dict.fromkeys(found)), page

    first, page = ids("")
    assert first == newest_first[:3] and "Halaman 1 dari 3 (7 kejadian)" in page
    assert 'rel="next" href="/hazards?page=2"' in page and 'rel="prev"' not in page
    assert ids("?page=2")[0] == newest_first[3:6]
    last, page = ids("?page=3")
    assert last == newest_first[6:] and 'rel="next"' not in page
    assert ids("?page=99")[0] == last  # past the end: the last page
    assert ids("?page=x")[0] == first  # junk: the first
    no_drill, page = ids("?exercise=0&page=1")
    assert events[6].id not in no_drill and no_drill == newest_first[1:4]
    assert 'href="/hazards?exercise=0&amp;page=2"' in page  # the filter stays on the next page
