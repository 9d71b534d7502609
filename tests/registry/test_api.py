"""JSON API: CRUD, filters, field errors (400/422, never 500), idempotent retries, roles."""

from __future__ import annotations

import json

import pytest

from siaga.accounts.services import create_api_token


@pytest.fixture
def api(client, users):
    tokens = {role: create_api_token(u, "t")[1] for role, u in users.items()}

    def call(method, url, role="coordinator", body=None, headers=None):
        h = {"Authorization": f"Bearer {tokens[role]}"}
        h.update(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, str | bytes) else json.dumps(body)
            h["Content-Type"] = "application/json"
        return client.open(url, method=method, data=data, headers=h)

    return call


SHELTER = {
    "code": "API-1",
    "name": "SD Negeri 1 Sekayu",
    "type": "school",
    "lat": -2.8833,
    "lon": 103.85,
    "capacity": 120,
}


def test_create_read_update_shelter(api):
    resp = api("POST", "/api/v1/shelters", body=SHELTER)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["region_code"].startswith("16.06.")  # found from the coordinates (Sekayu)
    assert body["warnings"] == []
    sid = body["id"]
    assert api("GET", f"/api/v1/shelters/{sid}").get_json()["name"] == SHELTER["name"]
    resp = api("PATCH", f"/api/v1/shelters/{sid}", body={"capacity": 150, "status": "open"})
    assert resp.status_code == 200 and resp.get_json()["capacity"] == 150


def test_outside_indonesia_warns(api):
    resp = api(
        "POST",
        "/api/v1/shelters",
        body={**SHELTER, "code": "FAR", "lat": 35.0, "lon": 139.0, "region_code": "16.71.01"},
    )
    assert resp.status_code == 201
    assert resp.get_json()["warnings"] == ["outside_indonesia"]


def test_coordinates_in_another_regency_than_the_region_warn(api):
    """Sekayu (Musi Banyuasin, 16.06) given with a Solok (13.02) district: saved, with a warning."""
    resp = api(
        "POST",
        "/api/v1/shelters",
        body={**SHELTER, "code": "ELSEWHERE", "lat": -2.88, "lon": 103.85, "region_code": "13.02.03"},
    )
    assert resp.status_code == 201 and resp.get_json()["warnings"] == ["region_mismatch"]
    same = api(
        "POST",
        "/api/v1/shelters",
        body={**SHELTER, "code": "HERE", "lat": -2.88, "lon": 103.85, "region_code": "16.06"},
    )
    assert same.status_code == 201 and same.get_json()["warnings"] == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**SHELTER, "lat": 95}, ["lat"]),
        ({**SHELTER, "lon": "east"}, ["lon"]),
        ({**SHELTER, "capacity": -5}, ["capacity"]),
        ({**SHELTER, "type": "castle"}, ["type"]),
        ({**SHELTER, "code": ""}, ["code"]),
        ({**SHELTER, "region_code": "99.99.99"}, ["region_code"]),
        ({**SHELTER, "lat": 0.0, "lon": 0.0}, ["region_code"]),
        ({"name": "x"}, ["code", "type", "lat", "lon"]),
        ({**SHELTER, "color": "red"}, ["color"]),
    ],
)
def test_bad_input_gets_422_with_field_errors(api, body, fields):
    resp = api("POST", "/api/v1/shelters", body=body)
    assert resp.status_code == 422, resp.get_json()
    got = resp.get_json()["fields"]
    for f in fields:
        assert f in got, got


@pytest.mark.parametrize("raw", ["not json", "[1,2]", "null", '{"a": '])
def test_malformed_json_is_422_not_500(api, raw):
    resp = api("POST", "/api/v1/shelters", body=raw)
    assert resp.status_code == 422


def test_duplicate_code_is_422(api):
    assert api("POST", "/api/v1/shelters", body=SHELTER).status_code == 201
    resp = api("POST", "/api/v1/shelters", body=SHELTER)
    assert resp.status_code == 422 and "code" in resp.get_json()["fields"]


@pytest.mark.parametrize(
    "query",
    ["page=0", "per_page=10000", "bbox=1,2,3", "bbox=a,b,c,d", "min_free=-1", "status=melting", "page=abc"],
)
def test_bad_list_query_is_422(api, query):
    assert api("GET", f"/api/v1/shelters?{query}").status_code == 422


def test_list_filters_bbox_and_pagination(api, make_shelter):
    make_shelter(name="Palembang A", lat=-2.97, lon=104.75, status="open", capacity=50)
    make_shelter(name="Solok B", lat=-1.245012, lon=100.892386, status="closed", capacity=50)
    body = api("GET", "/api/v1/shelters?bbox=104.5,-3.1,104.9,-2.8").get_json()
    assert [s["name"] for s in body["items"]] == ["Palembang A"]
    assert api("GET", "/api/v1/shelters?status=closed").get_json()["total"] == 1
    assert api("GET", "/api/v1/shelters?region=13.02").get_json()["items"][0]["name"] == "Solok B"
    page = api("GET", "/api/v1/shelters?per_page=1&page=2").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1


def test_occupancy_over_capacity_is_409_with_field(api, make_shelter):
    s = make_shelter(capacity=2)
    resp = api("POST", f"/api/v1/shelters/{s.id}/occupancy", body={"kind": "check_in", "people": 3})
    assert resp.status_code == 409 and "people" in resp.get_json()["fields"]
    resp = api(
        "POST", f"/api/v1/shelters/{s.id}/occupancy", body={"kind": "check_in", "people": 3, "overflow": True}
    )
    assert resp.status_code == 201 and resp.get_json()["event"]["overflow"] is True


def test_idempotency_key_replays_same_answer_once(api, make_shelter):
    s = make_shelter(capacity=100)
    hdr = {"Idempotency-Key": "phone-42-0001"}
    body = {"kind": "check_in", "people": 4}
    first = api("POST", f"/api/v1/shelters/{s.id}/occupancy", body=body, headers=hdr)
    second = api("POST", f"/api/v1/shelters/{s.id}/occupancy", body=body, headers=hdr)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert s.occupants == 4
    other = api(
        "POST", f"/api/v1/shelters/{s.id}/occupancy", body={"kind": "check_in", "people": 5}, headers=hdr
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["fields"]
    assert s.occupants == 4


def test_failed_request_does_not_burn_the_key(api, make_shelter):
    s = make_shelter(capacity=1)
    hdr = {"Idempotency-Key": "k-fail"}
    assert (
        api(
            "POST", f"/api/v1/shelters/{s.id}/occupancy", body={"kind": "check_in", "people": 2}, headers=hdr
        ).status_code
        == 409
    )
    body = {"kind": "check_in", "people": 2}
    ok = api("POST", f"/api/v1/shelters/{s.id}/occupancy", body=body, headers=hdr)
    assert ok.status_code == 409  # same request, same (unstored) failure; nothing applied
    assert s.occupants == 0


def test_field_user_sees_only_assigned(api, make_shelter, users):
    from siaga.registry.services import assign_field_user

    mine, _other = make_shelter(name="Mine"), make_shelter(name="Other")
    assign_field_user(mine, users["field"])
    items = api("GET", "/api/v1/shelters", role="field").get_json()["items"]
    assert [i["name"] for i in items] == ["Mine"]


def test_nearest_endpoint(api, make_shelter, make_point):
    near = make_shelter(name="Dekat", lat=-2.976, lon=104.775, status="open", capacity=50)
    make_shelter(name="Jauh", lat=-2.90, lon=104.70, status="open", capacity=50)
    make_shelter(name="Penuh", lat=-2.9761, lon=104.7755, status="full", capacity=50)
    make_point(name="TK Dekat", lat=-2.977, lon=104.776)
    body = api("GET", "/api/v1/shelters/nearest?lat=-2.9761&lon=104.7754&k=2&min_free=10").get_json()
    assert [s["name"] for s in body["shelters"]] == ["Dekat", "Jauh"]
    assert body["shelters"][0]["id"] == near.id and body["shelters"][0]["distance_km"] < 0.1
    assert body["evacuation_points"][0]["name"] == "TK Dekat"
    assert api("GET", "/api/v1/shelters/nearest?lat=abc&lon=1").status_code == 422
    assert api("GET", "/api/v1/shelters/nearest?lat=1").status_code == 422


def test_points_crud_and_partner_limits(api, users, make_point):
    body = {
        "name": "Titik Kumpul Lapangan Merdeka",
        "kind": "assembly",
        "lat": -2.99,
        "lon": 104.76,
        "capacity": 300,
    }
    resp = api("POST", "/api/v1/evacuation-points", role="partner", body=body)
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["owner_org_id"] == users["partner"].organisation_id
    assert (
        api(
            "PATCH", f"/api/v1/evacuation-points/{created['id']}", role="partner", body={"status": "damaged"}
        ).status_code
        == 200
    )
    polres_point = make_point()
    assert (
        api(
            "PATCH",
            f"/api/v1/evacuation-points/{polres_point.id}",
            role="partner",
            body={"status": "damaged"},
        ).status_code
        == 403
    )
    assert api("POST", "/api/v1/evacuation-points", role="field", body=body).status_code == 403
    assert api("GET", "/api/v1/evacuation-points/999999").status_code == 404


def test_api_write_with_session_cookie_needs_csrf(app, client, users, monkeypatch):
    from tests.conftest import login

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    login(client, users["coordinator"].email)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/api/v1/shelters", json=SHELTER)
    assert resp.status_code == 400 and resp.get_json()["error"] == "csrf"


@pytest.mark.parametrize("key", ["\x00", "a b", "ключ", "x" * 201])
def test_bad_idempotency_key_is_422(api, make_shelter, key):
    s = make_shelter()
    resp = api(
        "POST",
        f"/api/v1/shelters/{s.id}/occupancy",
        body={"kind": "check_in", "people": 1},
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    assert resp.status_code == 422 and "Idempotency-Key" in resp.get_json()["fields"]
    assert s.occupants == 0


def test_accessible_toilets_cannot_exceed_toilets(api):
    resp = api(
        "POST", "/api/v1/shelters", body={**SHELTER, "code": "WC-1", "toilets": 1, "accessible_toilets": 5}
    )
    assert resp.status_code == 422 and "accessible_toilets" in resp.get_json()["fields"]
    ok = api(
        "POST", "/api/v1/shelters", body={**SHELTER, "code": "WC-2", "toilets": 4, "accessible_toilets": 2}
    )
    assert ok.status_code == 201
    sid = ok.get_json()["id"]
    assert api("PATCH", f"/api/v1/shelters/{sid}", body={"accessible_toilets": 6}).status_code == 422
    fewer = api("PATCH", f"/api/v1/shelters/{sid}", body={"toilets": 1})
    assert fewer.status_code == 422 and "toilets" in fewer.get_json()["fields"]
    assert (
        api("PATCH", f"/api/v1/shelters/{sid}", body={"toilets": 6, "accessible_toilets": 6}).status_code
        == 200
    )
