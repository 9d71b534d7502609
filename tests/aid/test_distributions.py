"""Distributions: planned → loaded → in transit → delivered → confirmed, shortfalls, cancellation,
who/when/where on every change, field-team permissions, idempotent receipts, requests, notices."""

from __future__ import annotations

import base64
import uuid

import pytest
from sqlalchemy import func, select

from siaga.aid import services
from siaga.aid.models import AidRequest, DistributionEvent, RequestStatus, StockMovement
from siaga.extensions import db

JPEG = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + b"0" * 200).decode()


@pytest.fixture
def setup(items, make_depot, make_shelter, stock, plan, users):
    """A depot with 100 kg rice and 50 kits, a shelter, a delivery of 40 kg + 10 kits for the field team."""
    from siaga.registry.services import assign_field_user

    depot = make_depot(name="Gudang Sekayu")
    shelter = make_shelter(name="SD Negeri 3 Sekayu")
    assign_field_user(shelter, users["field"])
    stock(depot, items["rice"], 100)
    stock(depot, items["kit"], 50)
    d = plan(depot, shelter, {items["rice"]: 40, items["kit"]: 10}, vehicle="BG 8123 MB")
    return {"depot": depot, "shelter": shelter, "d": d, "rice": items["rice"], "kit": items["kit"]}


def _status(client, d, status, **extra):
    return client.post(f"/api/v1/aid/distributions/{d.id}/status", json={"status": status, **extra})


def _receipt(client, d, received, key=None, **extra):
    body = {
        "lines": [{"item_id": i, "quantity_received": q} for i, q in received.items()],
        "receiver_name": "Ibu Siti Aminah",
        **extra,
    }
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/aid/distributions/{d.id}/receipt", json=body, headers=headers)


def test_full_life_with_a_shortfall(setup, login_as, users, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "notify_distribution", lambda d, event: calls.append(event) or [])
    s = setup
    field = login_as("field")
    assert _status(field, s["d"], "loaded", lat=-2.85, lon=103.84).status_code == 200
    assert services.balance(s["depot"].id, s["rice"].id) == 60  # stock left the depot when loaded
    assert _status(field, s["d"], "in_transit").status_code == 200
    resp = _receipt(field, s["d"], {s["rice"].id: 38, s["kit"].id: 10}, lat=-2.9, lon=103.85, accuracy_m=12)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "delivered" and body["has_discrepancy"] is True
    assert {line["item_id"]: line["shortfall"] for line in body["lines"]} == {s["rice"].id: 2, s["kit"].id: 0}
    assert body["receiver_name"] == "Ibu Siti Aminah"
    assert body["delivered_position"] == {"lat": -2.9, "lon": 103.85, "accuracy_m": 12}
    # The shortfall is shown on the delivery page and the dashboard.
    field.post("/logout")
    coord = login_as("coordinator")
    page = coord.get(f"/aid/distributions/{s['d'].id}").get_data(as_text=True)
    assert 'data-testid="discrepancy"' in page
    assert s["d"].code in coord.get("/aid").get_data(as_text=True)
    assert _status(coord, s["d"], "confirmed").status_code == 200
    # Who, when, where: one event per change.
    events = db.session.scalars(
        select(DistributionEvent)
        .where(DistributionEvent.distribution_id == s["d"].id)
        .order_by(DistributionEvent.id)
    ).all()
    assert [e.status_to for e in events] == ["planned", "loaded", "in_transit", "delivered", "confirmed"]
    assert events[1].actor_label == users["field"].email and (events[1].lat, events[1].lon) == (-2.85, 103.84)
    assert events[3].lat == -2.9 and events[4].actor_label == users["coordinator"].email
    assert calls == ["loaded", "in_transit", "delivered", "confirmed"]


def test_confirming_twice_is_a_conflict_and_changes_nothing(setup, login_as):
    s = setup
    services.change_status(s["d"].id, services.StatusIn(status="loaded"), None)
    services.record_receipt(
        s["d"].id,
        services.ReceiptIn(
            lines=[
                {"item_id": s["rice"].id, "quantity_received": 40},
                {"item_id": s["kit"].id, "quantity_received": 10},
            ],
            receiver_name="x",
        ),
        None,
    )
    coord = login_as("coordinator")
    assert _status(coord, s["d"], "confirmed").status_code == 200
    before = db.session.scalar(select(func.count(DistributionEvent.id)))
    again = _status(coord, s["d"], "confirmed")
    assert again.status_code == 409 and "status" in again.get_json()["fields"]
    assert db.session.scalar(select(func.count(DistributionEvent.id))) == before


def test_receiving_more_than_was_loaded_is_refused(setup, login_as):
    s = setup
    field = login_as("field")
    _status(field, s["d"], "loaded")
    resp = _receipt(field, s["d"], {s["rice"].id: 41, s["kit"].id: 10})
    assert resp.status_code == 422
    assert "lines.0.quantity_received" in resp.get_json()["fields"]
    assert services.get_distribution(s["d"].id).status.value == "loaded"


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"item_id": "rice", "quantity_received": 40}], "lines"),  # the kits are not reported
        (
            [{"item_id": "rice", "quantity_received": -1}, {"item_id": "kit", "quantity_received": 1}],
            "lines.0.quantity_received",
        ),
        (
            [{"item_id": "rice", "quantity_received": "banyak"}, {"item_id": "kit", "quantity_received": 1}],
            "lines.0.quantity_received",
        ),
        (
            [{"item_id": "blanket", "quantity_received": 1}, {"item_id": "rice", "quantity_received": 1}],
            "lines.0.item_id",
        ),
    ],
)
def test_bad_receipts_change_nothing(setup, login_as, items, lines, field):
    s = setup
    body_lines = [{**line, "item_id": items[line["item_id"]].id} for line in lines]
    for line in body_lines:
        line.setdefault("quantity_received", 0)
    client = login_as("field")
    _status(client, s["d"], "loaded")
    resp = client.post(
        f"/api/v1/aid/distributions/{s['d'].id}/receipt", json={"lines": body_lines, "receiver_name": "x"}
    )
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["fields"]
    assert services.get_distribution(s["d"].id).status.value == "loaded"


def test_delivery_before_loading_is_a_conflict(setup, login_as):
    s = setup
    resp = _receipt(login_as("field"), s["d"], {s["rice"].id: 40, s["kit"].id: 10})
    assert resp.status_code == 409


def test_planning_refuses_unknown_items_and_bad_quantities(setup, login_as, items):
    s = setup
    coord = login_as("coordinator")
    base = {
        "depot_id": s["depot"].id,
        "shelter_id": s["shelter"].id,
        "planned_at": "2026-11-23T14:00:00+07:00",
    }
    for lines, field in [
        ([{"item_id": 999_999, "quantity": 1}], "lines.0.item_id"),
        ([{"item_id": items["rice"].id, "quantity": -4}], "lines.0.quantity"),
        ([{"item_id": items["rice"].id, "quantity": "x"}], "lines.0.quantity"),
        ([], "lines"),
    ]:
        resp = coord.post("/api/v1/aid/distributions", json={**base, "lines": lines})
        assert resp.status_code == 422 and field in resp.get_json()["fields"], (lines, resp.get_json())
    naive = coord.post(
        "/api/v1/aid/distributions",
        json={
            **base,
            "planned_at": "2026-11-23T14:00",
            "lines": [{"item_id": items["kit"].id, "quantity": 1}],
        },
    )
    assert naive.status_code == 422 and "planned_at" in naive.get_json()["fields"]
    ok = coord.post(
        "/api/v1/aid/distributions", json={**base, "lines": [{"item_id": items["kit"].id, "quantity": 999}]}
    )
    assert (
        ok.status_code == 201 and ok.get_json()["warnings"]
    )  # more than in stock now: planned, with a warning


def test_two_teams_cannot_both_take_the_last_sacks(setup, plan, login_as):
    s = setup
    second = plan(s["depot"], s["shelter"], {s["rice"]: 70})
    coord = login_as("coordinator")
    assert _status(coord, s["d"], "loaded").status_code == 200  # 40 of 100
    resp = _status(coord, second, "loaded")  # 70 of the remaining 60
    assert resp.status_code == 409 and "lines.0.quantity" in resp.get_json()["fields"]
    assert services.balance(s["depot"].id, s["rice"].id) == 60
    assert services.get_distribution(second.id).status.value == "planned"


def test_cancellation_returns_stock(setup, login_as):
    s = setup
    coord = login_as("coordinator")
    _status(coord, s["d"], "loaded")
    _status(coord, s["d"], "in_transit")
    assert services.balance(s["depot"].id, s["rice"].id) == 60
    assert _status(coord, s["d"], "cancelled", note="jalan putus").status_code == 200
    assert services.balance(s["depot"].id, s["rice"].id) == 100
    assert services.balance(s["depot"].id, s["kit"].id) == 50
    assert _status(coord, s["d"], "cancelled").status_code == 409
    kinds = db.session.scalars(
        select(StockMovement.kind).where(StockMovement.distribution_id == s["d"].id)
    ).all()
    assert sorted(k.value for k in kinds) == ["distribute", "distribute", "return", "return"]


def test_field_team_only_updates_its_own_deliveries_and_cannot_confirm(setup, plan, users, login_as):
    s = setup
    other = plan(s["depot"], s["shelter"], {s["kit"]: 1}, team=None)
    field = login_as("field")
    assert _status(field, other, "loaded").status_code == 403
    assert field.get(f"/api/v1/aid/distributions/{other.id}").status_code == 403
    ids = [d["id"] for d in field.get("/api/v1/aid/distributions").get_json()["items"]]
    assert ids == [s["d"].id]
    assert _status(field, s["d"], "cancelled").status_code == 403
    assert services.get_distribution(s["d"].id).status.value == "planned"


def test_a_repeated_receipt_with_the_same_key_applies_once(setup, login_as):
    s = setup
    field = login_as("field")
    _status(field, s["d"], "loaded")
    key = str(uuid.uuid4())
    first = _receipt(field, s["d"], {s["rice"].id: 40, s["kit"].id: 9}, key=key)
    again = _receipt(field, s["d"], {s["rice"].id: 40, s["kit"].id: 9}, key=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    events = db.session.scalar(
        select(func.count(DistributionEvent.id)).where(
            DistributionEvent.distribution_id == s["d"].id, DistributionEvent.status_to == "delivered"
        )
    )
    assert events == 1


def test_photo_is_stored_and_shown_to_those_who_may_see_it(setup, login_as, app, tmp_path, monkeypatch):
    s = setup
    monkeypatch.setattr(services, "photo_dir", lambda: tmp_path)
    field = login_as("field")
    _status(field, s["d"], "loaded")
    bad = _receipt(field, s["d"], {s["rice"].id: 40, s["kit"].id: 10}, photo="data:image/jpeg;base64,AAAA")
    assert bad.status_code == 422 and "photo" in bad.get_json()["fields"]
    resp = _receipt(field, s["d"], {s["rice"].id: 40, s["kit"].id: 10}, photo=JPEG)
    assert resp.status_code == 200 and resp.get_json()["has_photo"]
    photo = field.get(f"/aid/distributions/{s['d'].id}/photo")
    assert photo.status_code == 200 and photo.data.startswith(b"\xff\xd8\xff")
    photo.close()


def test_request_is_filled_by_its_deliveries(setup, plan, login_as, users):
    s = setup
    field = login_as("field")  # assigned to the shelter: may ask
    resp = field.post(
        "/api/v1/aid/requests",
        json={
            "shelter_id": s["shelter"].id,
            "priority": 4,
            "lines": [{"item_id": s["rice"].id, "quantity": 30}],
        },
    )
    assert resp.status_code == 201, resp.get_json()
    req_id = resp.get_json()["id"]
    field.post("/logout")
    partner = login_as("partner")  # not the shelter's organisation
    denied = partner.post(
        "/api/v1/aid/requests",
        json={"shelter_id": s["shelter"].id, "lines": [{"item_id": s["rice"].id, "quantity": 1}]},
    )
    assert denied.status_code == 403
    partner.post("/logout")
    d = plan(s["depot"], s["shelter"], {s["rice"]: 30}, request_id=req_id)
    services.change_status(d.id, services.StatusIn(status="loaded"), None)
    services.record_receipt(
        d.id,
        services.ReceiptIn(lines=[{"item_id": s["rice"].id, "quantity_received": 30}], receiver_name="x"),
        None,
    )
    req = db.session.get(AidRequest, req_id)
    assert req.status == RequestStatus.FILLED and [x.id for x in req.distributions] == [d.id]
    coord = login_as("coordinator")
    listed = coord.get("/api/v1/aid/requests").get_json()["items"]
    assert listed[0]["lines"][0]["received"] == 30 and listed[0]["distribution_ids"] == [d.id]


def test_web_forms_plan_and_move_a_delivery(setup, login_as, items, users):
    s = setup
    coord = login_as("coordinator")
    resp = coord.post(
        "/aid/distributions/new",
        data={
            "depot_id": s["depot"].id,
            "shelter_id": s["shelter"].id,
            "assigned_user_id": users["field"].id,
            "planned_at": "2026-11-23T14:00",
            "item_id": [items["kit"].id, ""],
            "quantity": ["3", ""],
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    d_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    d = services.get_distribution(d_id)
    assert d.planned_at.hour == 7  # 14:00 WIB is 07:00 UTC
    bad = coord.post(
        "/aid/distributions/new",
        data={
            "depot_id": s["depot"].id,
            "shelter_id": s["shelter"].id,
            "planned_at": "2026-11-23T14:00",
            "item_id": [items["kit"].id],
            "quantity": ["-2"],
        },
    )
    assert bad.status_code == 422
    assert coord.post(f"/aid/distributions/{d_id}/status", data={"status": "loaded"}).status_code == 302
    resp = coord.post(
        f"/aid/distributions/{d_id}/receipt",
        data={"item_id": [items["kit"].id], "quantity_received": ["4"], "receiver_name": "x"},
    )
    assert resp.status_code == 422  # more than loaded
    resp = coord.post(
        f"/aid/distributions/{d_id}/receipt",
        data={"item_id": [items["kit"].id], "quantity_received": ["3"], "receiver_name": "Pak Hendra"},
    )
    assert resp.status_code == 302 and services.get_distribution(d_id).status.value == "delivered"
