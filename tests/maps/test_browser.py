"""The operational map in real headless Chromium (Debian's, driven by Playwright).

Data is committed (the browser talks to a live server on its own connections) and removed.
A screenshot of each test is saved under test-artifacts/.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete

from siaga.extensions import db
from siaga.maps.models import MapShare
from siaga.registry.models import EvacuationPoint, Shelter
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def seeded(app, committed_users):
    from siaga.accounts.models import User
    from siaga.registry.schemas import PointIn, ShelterIn
    from siaga.registry.services import create_point, create_shelter

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        user = db.session.get(User, committed_users["coordinator"]["id"])
        ids = {"shelters": [], "points": []}
        for i, (name, lat, lon) in enumerate(
            [
                ("Posko Ilir Timur", -2.970, 104.760),
                (HOSTILE, -2.975, 104.765),
                ("Posko Kemuning", -2.960, 104.740),
            ]
        ):
            s = create_shelter(
                ShelterIn.model_validate(
                    {
                        "code": f"B{tag}{i}",
                        "name": name,
                        "type": "school",
                        "lat": lat,
                        "lon": lon,
                        "capacity": 100,
                        "status": "open",
                        **(
                            {"manager_name": "Bu <b>Sari</b>", "manager_phone": "0812-3456-7890"}
                            if i == 1
                            else {}
                        ),
                    }
                ),
                user,
            )
            ids["shelters"].append(s.id)
        p = create_point(
            PointIn.model_validate(
                {
                    "name": "TK Benteng Kuto Besak",
                    "kind": "assembly",
                    "lat": -2.99,
                    "lon": 104.76,
                    "capacity": 500,
                }
            ),
            user,
        )
        ids["points"].append(p.id)
        db.session.commit()
    yield ids
    with app.app_context():
        db.session.execute(
            delete(MapShare).where(MapShare.created_by_id == committed_users["coordinator"]["id"])
        )
        db.session.execute(delete(Shelter).where(Shelter.id.in_(ids["shelters"])))
        db.session.execute(delete(EvacuationPoint).where(EvacuationPoint.id.in_(ids["points"])))
        db.session.commit()


def _open_city_map(page, live_server, path="/map?region=16.71"):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_server + path)
    page.wait_for_function("window.siagaMapReady === true", timeout=20_000)
    # zoom to the seeded city block so single shelters (not clusters) are drawn
    page.evaluate("window.siagaMapReady = false; window.siagaMap.map.setView([-2.97, 104.76], 15)")
    page.wait_for_function("window.siagaMapReady === true", timeout=20_000)  # the re-fetch for the new view
    page.wait_for_function(f"{COUNT} >= 3", timeout=20_000)
    return dialogs


#: Markers drawn in the visible data layers (they are canvas circles, not DOM elements).
COUNT = (
    "Object.values(window.siagaMap.groups).filter(g => window.siagaMap.map.hasLayer(g))"
    ".reduce((n, g) => n + g.getLayers().length, 0)"
)


def _count_markers(page) -> int:
    return page.evaluate(COUNT)


def test_map_loads_shows_points_and_toggles_layers(page, live_server, committed_users, seeded):
    browser_login(page, live_server, committed_users["coordinator"]["email"])
    dialogs = _open_city_map(page, live_server)
    before = _count_markers(page)
    assert before >= 3
    # hide the shelters layer with the layer control, then show it again
    label = page.locator(".leaflet-control-layers-overlays label", has_text="Posko pengungsian")
    label.locator("input").uncheck()
    page.wait_for_function(f"{COUNT} < {before}")
    label.locator("input").check()
    page.wait_for_function(f"{COUNT} >= {before}")
    assert dialogs == []


def test_popup_content_and_hostile_name_is_inert(page, live_server, committed_users, seeded):
    browser_login(page, live_server, committed_users["coordinator"]["email"])
    dialogs = _open_city_map(page, live_server)
    # open the hostile shelter's popup through Leaflet (the canvas/SVG markers are tiny click targets)
    page.evaluate(
        """(name) => {
          const g = window.siagaMap.groups.shelters;
          g.eachLayer(l => { if (l.feature && l.feature.properties.name === name) l.openPopup(); });
        }""",
        HOSTILE,
    )
    popup = page.locator(".leaflet-popup-content .siaga-popup")
    popup.wait_for()
    assert popup.locator(".popup-title").inner_text() == HOSTILE  # shown as text
    assert page.locator(".leaflet-popup-content img").count() == 0  # no element was created
    assert "0 / 100" in popup.locator(".popup-occupancy").inner_text()
    assert popup.locator("a", has_text="Rincian").get_attribute("href").startswith("/shelters/")
    contact = popup.locator(".popup-contact")  # coordinators see the manager's contact, as text
    assert contact.inner_text() == "Pengelola: Bu <b>Sari</b> · 0812-3456-7890"
    assert contact.locator("a").get_attribute("href") == "tel:081234567890"
    assert contact.locator("b").count() == 0
    # The hover tooltip too: Leaflet parses a string tooltip as HTML, so the name must go in as text.
    page.evaluate(
        """(name) => {
          const g = window.siagaMap.groups.shelters;
          g.eachLayer(l => { if (l.feature && l.feature.properties.name === name) l.openTooltip(); });
        }""",
        HOSTILE,
    )
    tooltip = page.locator(".leaflet-tooltip", has_text="onerror")
    tooltip.wait_for()
    assert tooltip.inner_text() == HOSTILE
    assert page.locator(".leaflet-tooltip img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []  # alert() never ran


def test_click_map_lists_nearest_shelters(page, live_server, committed_users, seeded):
    browser_login(page, live_server, committed_users["partner"]["email"])
    _open_city_map(page, live_server)
    page.evaluate("window.siagaMap.nearest(L.latLng(-2.971, 104.761))")
    items = page.locator(".leaflet-popup-content .nearest-list li")
    items.first.wait_for()
    assert "Posko Ilir Timur" in items.first.inner_text()


def test_share_link_works_logged_out_and_stops_after_revocation(
    page, browser, live_server, committed_users, seeded
):
    browser_login(page, live_server, committed_users["coordinator"]["email"])
    page.goto(live_server + "/map/shares")
    page.fill("input[name=label]", "BPBD Kota Palembang")
    page.click("main form button.primary")
    url = page.locator("tr.new code.share-url").inner_text()
    anon = browser.new_context()
    other = anon.new_page()
    try:
        other.goto(url.replace("http://siaga.test", live_server).replace("http://localhost", live_server))
        other.wait_for_function("window.siagaMapReady === true", timeout=20_000)
        assert "BPBD Kota Palembang" in other.inner_text(".share-banner")
        page.click("tr.new form button")  # revoke
        resp = other.goto(other.url)
        assert resp is not None and resp.status == 404
    finally:
        anon.close()
