"""Map pages and GeoJSON layers: small page, data per bbox and zoom, clustering, roles, share links."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest

from siaga.db import utcnow
from siaga.maps import services
from tests.conftest import login

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def places(make_shelter, make_point, users):
    return {
        "polres": make_shelter(
            name="Posko Polres", lat=-2.97, lon=104.75, manager_name="Pak Budi", manager_phone="081234567890"
        ),
        "bpbd": make_shelter(name="Posko BPBD", lat=-2.98, lon=104.76, owner=users["partner"]),
        "hostile": make_shelter(name=HOSTILE, lat=-2.96, lon=104.74),
        "point": make_point(name="TK Palembang", lat=-2.99, lon=104.77),
    }


def _geo(resp):
    body = resp.data
    if resp.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


def test_map_page_is_small_and_carries_no_data(client, users, places):
    login(client, users["coordinator"].email)
    resp = client.get("/map")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert len(resp.data) < 50_000
    assert "Posko Polres" not in html  # data comes from the layer endpoints
    assert "/map/data/shelters" in html and "siaga-map.js" in html


def test_zoomed_in_layer_has_points_zoomed_out_has_clusters(client, users, places):
    login(client, users["coordinator"].email)
    near = _geo(client.get("/map/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14"))
    assert near["clustered"] is False
    names = {f["properties"]["name"] for f in near["features"]}
    assert {"Posko Polres", "Posko BPBD", HOSTILE} <= names
    far = _geo(client.get("/map/data/shelters?bbox=95,-11,141,6&zoom=5"))
    assert far["clustered"] is True
    assert sum(f["properties"]["n"] for f in far["features"]) >= 3
    assert all("name" not in f["properties"] for f in far["features"])


def test_bbox_filters(client, users, places):
    login(client, users["coordinator"].email)
    body = _geo(client.get("/map/data/shelters?bbox=100,-1.5,101,-0.5&zoom=14"))
    assert body["features"] == []


@pytest.mark.parametrize(
    "query", ["bbox=1,2,3&zoom=5", "bbox=a,b,c,d", "zoom=99", "zoom=x", "region=../../etc"]
)
def test_bad_view_is_422(client, users, query):
    login(client, users["coordinator"].email)
    assert client.get(f"/map/data/shelters?{query}").status_code == 422


def test_gzip_when_accepted(client, users, make_shelter):
    for i in range(40):
        make_shelter(name=f"Posko {i}", lat=-2.9 - i / 1000, lon=104.7)
    login(client, users["coordinator"].email)
    resp = client.get(
        "/map/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14", headers={"Accept-Encoding": "gzip"}
    )
    assert resp.headers["Content-Encoding"] == "gzip"
    assert len(_geo(resp)["features"]) == 40


def test_edit_flags_follow_roles(client, users, places):
    login(client, users["partner"].email)
    feats = {
        f["properties"]["name"]: f["properties"]
        for f in _geo(client.get("/map/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14"))["features"]
    }
    assert feats["Posko BPBD"]["edit"] is True and feats["Posko Polres"]["edit"] is False
    client.post("/logout")
    login(client, users["coordinator"].email)
    feats = {
        f["properties"]["name"]: f["properties"]
        for f in _geo(client.get("/map/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14"))["features"]
    }
    assert all(p["edit"] for p in feats.values())


@pytest.mark.parametrize("role", ["coordinator", "partner", "field"])
def test_logged_in_roles_get_the_manager_contact(client, users, places, role):
    login(client, users[role].email)
    feats = {
        f["properties"]["name"]: f["properties"]
        for f in _geo(client.get("/map/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14"))["features"]
    }
    assert feats["Posko Polres"]["mn"] == "Pak Budi" and feats["Posko Polres"]["mp"] == "081234567890"
    assert "mn" not in feats["Posko BPBD"]  # no manager recorded: no empty contact line


def test_stale_and_occupancy_in_features(client, users, places, db_session):
    places["polres"].occupancy_updated_at = utcnow() - timedelta(days=2)
    places["bpbd"].occupancy_updated_at = utcnow()
    db_session.flush()
    login(client, users["coordinator"].email)
    feats = {
        f["properties"]["name"]: f["properties"]
        for f in _geo(client.get("/map/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14"))["features"]
    }
    assert feats["Posko Polres"]["stale"] is True and feats["Posko BPBD"]["stale"] is False
    assert feats["Posko BPBD"]["c"] == 100


def test_share_link_lifecycle_and_no_personal_data(client, users, places, db_session, app):
    login(client, users["coordinator"].email)
    bad = client.post("/map/shares", data={"label": "", "layers": ["nope"], "expires_in_hours": "0"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "label" in page and "layers" in page
    resp = client.post(
        "/map/shares", data={"label": "BPBD Muba", "layers": ["shelters", "points"], "expires_in_hours": "24"}
    )
    assert resp.status_code == 302
    share = db_session.query(services.MapShare).filter_by(label="BPBD Muba").one()
    client.post("/logout")
    anon = app.test_client()
    shared = anon.get(f"/share/{share.token}")
    assert shared.status_code == 200
    assert shared.mimetype == "text/html"
    assert "frame-ancestors *" in shared.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in shared.headers
    data = anon.get(f"/share/{share.token}/data/shelters?bbox=104.6,-3.1,104.9,-2.8&zoom=14")
    text = (
        gzip.decompress(data.data).decode()
        if data.headers.get("Content-Encoding") == "gzip"
        else data.get_data(as_text=True)
    )
    assert "Posko Polres" in text
    assert "Pak Budi" not in text and "081234567890" not in text
    assert all(not f["properties"]["edit"] for f in json.loads(text)["features"])
    assert anon.get(f"/share/{share.token}/data/boundaries").status_code == 404  # layer not shared
    login(client, users["coordinator"].email)
    client.post(f"/map/shares/{share.id}/revoke")
    assert anon.get(f"/share/{share.token}").status_code == 404
    assert anon.get(f"/share/{share.token}/data/shelters").status_code == 404


def test_expired_share_stops_working(client, users, db_session, app):
    share = services.create_share("tmp", ["shelters"], None, 1, users["coordinator"].id)
    share.expires_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    assert app.test_client().get(f"/share/{share.token}").status_code == 404


def test_small_map_escapes_the_tooltip(client, users, places):
    login(client, users["coordinator"].email)
    html = client.get(f"/shelters/{places['hostile'].id}").get_data(as_text=True)
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&amp;lt;img" in html
