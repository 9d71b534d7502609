"""Notices: dispatch and delivery of a distribution reach the receiving shelter's manager through
messaging (WhatsApp then SMS), once per event; without a reachable manager phone the shelter's own
organisation hears about it in the in-app inbox."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from siaga.aid.notices import notify_distribution
from siaga.extensions import db
from siaga.messaging import services as messaging
from siaga.messaging.models import Contact, Delivery, DeliveryStatus, Message
from tests.fakes.whatsapp_server import FakeWhatsApp

MANAGER = "6281234567890"


@pytest.fixture
def setup(items, make_depot, make_shelter, stock, plan, users):
    """40 kg rice + 10 family kits from Gudang Sekayu to a shelter whose manager has a mobile phone."""
    from siaga.registry.services import assign_field_user

    depot = make_depot(name="Gudang Sekayu")
    shelter = make_shelter(
        name="SD Negeri 3 Sekayu", manager_name="Pak Rusli", manager_phone="0812-3456-7890"
    )
    assign_field_user(shelter, users["field"])
    stock(depot, items["rice"], 100)
    stock(depot, items["kit"], 50)
    d = plan(depot, shelter, {items["rice"]: 40, items["kit"]: 10}, vehicle="BG 8123 MB")
    return {"depot": depot, "shelter": shelter, "d": d, "rice": items["rice"], "kit": items["kit"]}


def _status(client, d, status, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/aid/distributions/{d.id}/status", json={"status": status}, headers=headers)


def _receipt(client, d, received, key=None):
    body = {
        "lines": [{"item_id": i, "quantity_received": q} for i, q in received.items()],
        "receiver_name": "Ibu Siti Aminah",
    }
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/aid/distributions/{d.id}/receipt", json=body, headers=headers)


def _aid_messages(d):
    return list(
        db.session.scalars(
            select(Message)
            .where(
                Message.kind.in_(["aid_dispatched", "aid_delivered"]),
                Message.dedupe_key.like(f"aid:{d.id}:%"),
            )
            .order_by(Message.id)
        )
    )


def test_dispatch_and_delivery_each_message_the_manager_once(setup, login_as):
    s = setup
    field = login_as("field")
    assert _status(field, s["d"], "loaded").status_code == 200
    assert _aid_messages(s["d"]) == []  # loading is not news for the shelter

    assert _status(field, s["d"], "in_transit").status_code == 200
    (dispatched,) = _aid_messages(s["d"])
    assert dispatched.kind == "aid_dispatched" and dispatched.requires_ack is False
    (delivery,) = dispatched.deliveries
    assert delivery.channel == "whatsapp" and delivery.address == MANAGER
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.contact.name == "Pak Rusli" and delivery.contact.channel_order == ["whatsapp", "sms"]
    assert dispatched.subject == "Bantuan dikirim ke SD Negeri 3 Sekayu"
    assert "dari Gudang Sekayu ke SD Negeri 3 Sekayu" in dispatched.body_id
    assert "- Beras: 40 kg\n- Family kit: 10 pcs" in dispatched.body_id
    assert "kendaraan BG 8123 MB" in dispatched.body_id and " WIB" in dispatched.body_id
    assert "- Beras: 40 kg" in dispatched.body_en and "vehicle BG 8123 MB" in dispatched.body_en

    resp = _receipt(field, s["d"], {s["rice"].id: 38, s["kit"].id: 10})
    assert resp.status_code == 200, resp.get_json()
    first, delivered = _aid_messages(s["d"])
    assert first.id == dispatched.id and delivered.kind == "aid_delivered"
    (delivery2,) = delivered.deliveries
    assert delivery2.contact_id == delivery.contact_id  # the same contact, not a second one
    assert "diterima di SD Negeri 3 Sekayu oleh Ibu Siti Aminah" in delivered.body_id
    assert "- Beras: 38 kg (kurang 2 dari 40)\n- Family kit: 10 pcs" in delivered.body_id
    assert "- Beras: 38 kg (2 short of 40)" in delivered.body_en

    field.post("/logout")
    assert _status(login_as("coordinator"), s["d"], "confirmed").status_code == 200
    assert len(_aid_messages(s["d"])) == 2  # confirming is not news either
    assert db.session.scalars(select(Contact).where(Contact.phone == MANAGER)).all() == [delivery.contact]


def test_cancellation_sends_nothing(setup, login_as):
    coord = login_as("coordinator")
    assert _status(coord, setup["d"], "loaded").status_code == 200
    assert _status(coord, setup["d"], "cancelled").status_code == 200
    assert _aid_messages(setup["d"]) == []


def test_replayed_requests_and_a_second_call_send_nothing_twice(setup, login_as):
    s = setup
    field = login_as("field")
    _status(field, s["d"], "loaded")
    key = str(uuid.uuid4())
    assert _status(field, s["d"], "in_transit", key=key).status_code == 200
    again = _status(field, s["d"], "in_transit", key=key)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    rkey = str(uuid.uuid4())
    assert _receipt(field, s["d"], {s["rice"].id: 40, s["kit"].id: 10}, key=rkey).status_code == 200
    assert _receipt(field, s["d"], {s["rice"].id: 40, s["kit"].id: 10}, key=rkey).status_code == 200
    assert [m.kind for m in _aid_messages(s["d"])] == ["aid_dispatched", "aid_delivered"]
    assert db.session.scalar(select(Delivery.id).where(Delivery.address == MANAGER).offset(2)) is None
    # The hook itself is safe to call again: one message per distribution and event.
    assert notify_distribution(s["d"], "delivered") == []


def test_the_api_returns_to_the_caller_ids_it_enqueues_after_commit(setup, login_as, monkeypatch):
    from siaga.messaging import tasks

    enqueued: list[list[int]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda ids: enqueued.append(list(ids)))
    field = login_as("field")
    _status(field, setup["d"], "loaded")
    _status(field, setup["d"], "in_transit")
    (msg,) = _aid_messages(setup["d"])
    assert tasks.wait_for_handoff(10)  # handed to the broker from a background thread
    assert enqueued == [[msg.deliveries[0].id]]


def test_the_manager_gets_it_on_whatsapp(setup, login_as, app, monkeypatch):
    with FakeWhatsApp() as wa:
        monkeypatch.setitem(
            app.config, "SIAGA_CHANNEL_SETTINGS", {"WHATSAPP_URL": wa.base_url, "WHATSAPP_TOKEN": wa.token}
        )
        field = login_as("field")
        _status(field, setup["d"], "loaded")
        _status(field, setup["d"], "in_transit")
        (msg,) = _aid_messages(setup["d"])
        outcome = messaging.process(msg.deliveries[0].id)
        db.session.commit()
        assert outcome.status == "sent"
        (sent,) = wa.messages
    assert sent["target"] == MANAGER
    assert "Bantuan DST-" in sent["message"] and "- Beras: 40 kg" in sent["message"]
    assert "/ack/" not in sent["message"]  # nothing to acknowledge: the manager has no login


@pytest.mark.parametrize("phone", [None, "(0711) 352 123"], ids=["no-phone", "landline"])
def test_without_a_mobile_number_the_owner_organisation_hears_in_app(
    items, make_depot, make_shelter, stock, plan, users, phone
):
    from siaga.aid import services
    from siaga.aid.schemas import StatusIn

    depot = make_depot()
    shelter = make_shelter(name="Posko BPBD", owner=users["partner"], manager_phone=phone)
    stock(depot, items["water"], 100)
    d = plan(depot, shelter, {items["water"]: 60})
    services.change_status(d.id, StatusIn(status="loaded"), None)
    _d, queued = services.change_status(d.id, StatusIn(status="in_transit"), None)
    (msg,) = _aid_messages(d)
    assert [(x.channel, x.contact.user_id) for x in msg.deliveries] == [("inapp", users["partner"].id)]
    assert queued == [msg.deliveries[0].id]
    assert msg.link == f"http://siaga.test/aid/distributions/{d.id}"
    assert db.session.scalar(select(Contact.id).where(Contact.user_id.is_(None))) is None


def test_a_deactivated_manager_contact_is_not_messaged(setup, users):
    from siaga.aid import services
    from siaga.aid.schemas import StatusIn

    db.session.add(Contact(name="Pak Rusli", phone=MANAGER, channel_order=["whatsapp"], is_active=False))
    db.session.flush()
    services.change_status(setup["d"].id, StatusIn(status="loaded"), None)
    services.change_status(setup["d"].id, StatusIn(status="in_transit"), None)
    (msg,) = _aid_messages(setup["d"])
    # The shelter belongs to the Polres: its coordinator and admin, not the field team.
    got = sorted(x.contact.user_id for x in msg.deliveries)
    assert got == sorted([users["coordinator"].id, users["admin"].id])
    assert all(x.channel == "inapp" for x in msg.deliveries)


def test_an_organisation_without_receivers_falls_back_to_coordinators(
    items, make_depot, make_shelter, make_org, stock, plan, users
):
    from siaga.aid import services
    from siaga.aid.schemas import StatusIn
    from siaga.registry.models import Shelter

    depot = make_depot()
    shelter = make_shelter(name="Posko Desa")
    db.session.get(Shelter, shelter.id).owner_org_id = make_org("Pemdes Tanpa Akun", "OTHER", "16.06").id
    stock(depot, items["kit"], 5)
    d = plan(depot, shelter, {items["kit"]: 5})
    services.change_status(d.id, StatusIn(status="loaded"), None)
    services.change_status(d.id, StatusIn(status="in_transit"), None)
    (msg,) = _aid_messages(d)
    got = sorted(x.contact.user_id for x in msg.deliveries)
    assert got == sorted([users["coordinator"].id, users["admin"].id])


def test_the_answer_does_not_wait_for_the_broker(setup, login_as, monkeypatch):
    import threading

    from siaga.messaging import tasks

    release = threading.Event()
    handed: list[list[int]] = []

    def slow_broker(ids):
        assert release.wait(10), "the request waited for the broker"
        handed.append(list(ids))

    monkeypatch.setattr(tasks, "enqueue", slow_broker)
    field = login_as("field")
    _status(field, setup["d"], "loaded")
    assert _status(field, setup["d"], "in_transit").status_code == 200  # answered, broker still busy
    assert handed == []
    release.set()
    assert tasks.wait_for_handoff(10)
    (msg,) = _aid_messages(setup["d"])
    assert handed == [[msg.deliveries[0].id]]


def test_a_broker_failure_does_not_stop_the_handoff(app, monkeypatch):
    from siaga.messaging import tasks

    calls: list[list[int]] = []

    def flaky(ids):
        calls.append(list(ids))
        if len(calls) == 1:
            raise RuntimeError("broker away")

    monkeypatch.setattr(tasks, "enqueue", flaky)
    with app.app_context():
        tasks.enqueue_soon([1])
        tasks.enqueue_soon([2])
        assert tasks.wait_for_handoff(10)
    assert calls == [[1], [2]]
