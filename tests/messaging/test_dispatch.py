"""Dispatch: one delivery per (message, recipient, channel), the state machine, retries,
fallback to the next channel, acknowledgements, escalation, sweeping. Against local servers
that speak the real WhatsApp-gateway, Telegram and SMTP protocols."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from siaga.core.errors import ValidationFailed
from siaga.db import utcnow
from siaga.messaging import services
from siaga.messaging.models import Contact, Delivery, DeliveryStatus, Group, GroupKind, Message, Subscription
from tests.fakes.smtp_server import FakeSmtp
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fakes.whatsapp_server import FakeWhatsApp


@pytest.fixture
def fakes(app, monkeypatch):
    with FakeWhatsApp() as wa, FakeTelegram() as tg, FakeSmtp() as smtp, WebhookReceiver() as hook:
        settings = {
            "WHATSAPP_URL": wa.base_url,
            "WHATSAPP_TOKEN": wa.token,
            "TELEGRAM_API_URL": tg.base_url,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_RATE_PER_CHAT": "0",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp.port),
            "SMTP_SECURITY": "none",
            "MAIL_FROM": "siaga@polres.example",
            "WEBHOOK_SECRET": hook.secret,
            "WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver listens on 127.0.0.1
        }
        monkeypatch.setitem(app.config, "SIAGA_CHANNEL_SETTINGS", settings)
        yield {"wa": wa, "tg": tg, "smtp": smtp, "hook": hook}


@pytest.fixture
def contact(db_session):
    c = Contact(
        name="Kalak BPBD Muba",
        phone="6281234567890",
        telegram_chat_id="424242",
        email="kalak@bpbd.example",
        channel_order=["whatsapp", "telegram", "email"],
    )
    db_session.add(c)
    db_session.flush()
    return c


def run(delivery_id):
    """What the task does: process, then commit."""
    from siaga.extensions import db

    out = services.process(delivery_id)
    db.session.commit()
    return out


def _message(recipients, **kw):
    defaults = {
        "kind": "broadcast",
        "facts": {"subject": "Apel siaga", "text": "Apel siaga pukul 07.00 di Mapolres."},
    }
    defaults.update(kw)
    return services.create_message(recipients=recipients, **defaults)


def test_send_on_first_channel_with_ack_link(db_session, fakes, contact):
    msg = _message([contact], severity=2)
    (d,) = msg.deliveries
    assert d.channel == "whatsapp" and d.status == DeliveryStatus.QUEUED
    out = run(d.id)
    assert out.status == "sent" and d.status == DeliveryStatus.SENT and d.provider_id
    (sent,) = fakes["wa"].messages
    assert sent["target"] == "6281234567890"
    assert "Apel siaga pukul 07.00" in sent["message"] and "http://siaga.test/ack/" in sent["message"]


def test_a_task_run_twice_never_sends_twice(db_session, fakes, contact):
    d = _message([contact]).deliveries[0]
    assert run(d.id).status == "sent"
    assert run(d.id).status == "skipped"
    assert len(fakes["wa"].messages) == 1


def test_one_message_per_cause(db_session, contact):
    assert _message([contact], dedupe_key="hazard:1:sev:3") is not None
    assert _message([contact], dedupe_key="hazard:1:sev:3") is None
    assert db_session.scalar(select(Message).where(Message.dedupe_key == "hazard:1:sev:3")) is not None


def test_transient_failure_is_retried_later_with_backoff(db_session, fakes, contact):
    fakes["wa"].server_error_next(1)
    d = _message([contact]).deliveries[0]
    out = run(d.id)
    assert out.status == "retry" and out.retry_in >= services.BACKOFF_BASE_S / 2
    assert d.status == DeliveryStatus.QUEUED and d.next_attempt_at > utcnow()
    assert run(d.id).status == "skipped"  # not due yet
    d.next_attempt_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert run(d.id).status == "sent" and d.attempts == 2


def test_provider_retry_after_is_honoured(db_session, fakes, contact):
    fakes["wa"].rate_limit_next(1, retry_after=120)
    d = _message([contact]).deliveries[0]
    out = run(d.id)
    assert out.status == "retry" and out.retry_in >= 120


def test_after_last_retry_the_next_channel_is_tried(db_session, fakes, contact):
    fakes["wa"].server_error_next(services.MAX_ATTEMPTS)
    d = _message([contact]).deliveries[0]
    for _ in range(services.MAX_ATTEMPTS):
        d.next_attempt_at = utcnow() - timedelta(seconds=1)
        db_session.flush()
        out = run(d.id)
    assert out.status == "failed" and d.status == DeliveryStatus.FAILED
    (follow,) = out.follow_up_ids
    nxt = db_session.get(Delivery, follow)
    assert nxt.channel == "telegram" and nxt.escalated_from_id == d.id
    assert run(nxt.id).status == "sent"
    assert fakes["tg"].messages[0]["chat_id"] == "424242"


def test_permanent_failure_falls_back_at_once(db_session, fakes, contact):
    fakes["tg"].chat_not_found("424242")
    contact.channel_order = ["telegram", "email"]
    d = _message([contact]).deliveries[0]
    out = run(d.id)
    assert out.status == "failed" and len(out.follow_up_ids) == 1
    email = db_session.get(Delivery, out.follow_up_ids[0])
    assert run(email.id).status == "sent"
    (mail,) = fakes["smtp"].messages
    assert "kalak@bpbd.example" in str(mail.rcpt_tos)
    assert "Apel siaga" in mail.message.get_body(preferencelist=("plain",)).get_content()


def test_unconfigured_channel_fails_over(db_session, app, monkeypatch, contact):
    monkeypatch.setitem(app.config, "SIAGA_CHANNEL_SETTINGS", {})
    d = _message([contact]).deliveries[0]
    out = run(d.id)
    assert out.status == "failed" and "not configured" in d.last_error


def test_secrets_never_in_errors(db_session, fakes, contact, app):
    fakes["wa"].fail_next(1, reason="bad token " + fakes["wa"].token)
    d = _message([contact]).deliveries[0]
    run(d.id)
    assert fakes["wa"].token not in (d.last_error or "")


def test_webhook_is_signed(db_session, fakes):
    c = Contact(name="Dashboard BPBD", webhook_url=fakes["hook"].url, channel_order=["webhook"])
    db_session.add(c)
    db_session.flush()
    d = _message([c]).deliveries[0]
    assert run(d.id).status == "sent"
    assert len(fakes["hook"].verified) == 1


def test_exercise_never_dispatches_outside(db_session, fakes, contact, users):
    user_contact = services.contact_for_user(users["partner"])
    msg = _message([contact, user_contact], is_exercise=True)
    assert [d.channel for d in msg.deliveries] == ["inapp"]
    for d in msg.deliveries:
        run(d.id)
    assert fakes["wa"].messages == [] and fakes["tg"].messages == []


def test_ack_link_get_shows_post_acknowledges(client, db_session, fakes, contact):
    msg = _message([contact])
    d = msg.deliveries[0]
    run(d.id)
    token = services.ack_token(d.id)
    page = client.get(f"/ack/{token}")
    assert page.status_code == 200 and d.acknowledged_at is None  # link previews must not acknowledge
    assert client.post(f"/ack/{token}").status_code == 200
    assert d.acknowledged_at is not None and d.ack_via == "link" and d.status == DeliveryStatus.ACKNOWLEDGED
    assert client.get("/ack/forged-token").status_code == 404


def test_inbox_acknowledge_and_reply(client, db_session, users):
    from tests.conftest import login

    c = services.contact_for_user(users["field"])
    d = _message([c]).deliveries[0]
    run(d.id)
    login(client, users["field"].email)
    page = client.get("/inbox").get_data(as_text=True)
    assert "Apel siaga pukul 07.00" in page
    client.post(f"/inbox/{d.id}/ack", data={"reply": "Siap, meluncur"})
    assert d.acknowledged_at and d.ack_via == "inbox" and d.reply_text == "Siap, meluncur"
    # someone else's delivery: 404
    other = _message([services.contact_for_user(users["partner"])]).deliveries[0]
    assert client.post(f"/inbox/{other.id}/ack").status_code == 404


def test_unacknowledged_alert_escalates_and_tells_coordinators(db_session, fakes, contact, users):
    msg = _message([contact], severity=4)
    d = msg.deliveries[0]
    run(d.id)
    assert services.escalate() == []  # not late yet
    d.created_at = utcnow() - timedelta(minutes=services.DEFAULT_ACK_MINUTES[4] + 1)
    db_session.flush()
    new_ids = services.escalate()
    nxt = [db_session.get(Delivery, i) for i in new_ids]
    assert any(x.channel == "telegram" and x.contact_id == contact.id for x in nxt)
    notices = db_session.scalars(select(Message).where(Message.kind == "not_acknowledged")).all()
    assert len(notices) == 1 and "Kalak BPBD Muba" in notices[0].body_id
    coordinator_contact = services.contact_for_user(users["coordinator"])
    assert any(x.contact_id == coordinator_contact.id and x.channel == "inapp" for x in nxt)
    # acknowledged: nothing more
    services.acknowledge(d, "link")
    assert services.escalate() == []


def test_sweep_requeues_stuck_and_due(db_session, app, contact):
    d = _message([contact]).deliveries[0]
    d.status = DeliveryStatus.SENDING
    d.claimed_at = utcnow() - timedelta(seconds=app.config["SIAGA_SENDING_TIMEOUT_SECONDS"] + 5)
    db_session.flush()
    assert d.id in services.sweep()
    db_session.refresh(d)
    assert d.status == DeliveryStatus.QUEUED


def test_subscriptions_route_hazards_to_groups(db_session, users, contact):
    group = Group(
        name="BPBD Muba", kind=GroupKind.ORGANISATION, organisation_id=users["partner"].organisation_id
    )
    db_session.add(group)
    db_session.flush()
    db_session.add(
        Subscription(region_code="16.06", hazard_kind="earthquake", min_severity=2, group_id=group.id)
    )
    db_session.flush()
    got = services.subscribed_contacts(["16.06.01"], "earthquake", 2)
    assert {c.user_id for c in got} == {users["partner"].id}
    assert services.subscribed_contacts(["16.06.01"], "earthquake", 1) == []
    assert services.subscribed_contacts(["13.02"], "earthquake", 3) == []
    assert services.subscribed_contacts(["16.06.01"], "weather", 3) == []


def test_board_shows_who_has_not_acknowledged(client, db_session, users, fakes, contact):
    from tests.conftest import login

    msg = _message([contact, services.contact_for_user(users["partner"])])
    for d in msg.deliveries:
        run(d.id)
    services.acknowledge(msg.deliveries[1], "inbox")
    login(client, users["coordinator"].email)
    page = client.get(f"/messages/{msg.id}").get_data(as_text=True)
    assert page.count("ok-row") == 1 and "Kalak BPBD Muba" in page


def test_composer_preview_and_send(client, db_session, users, contact):
    from tests.conftest import login

    login(client, users["coordinator"].email)
    resp = client.post("/messages/new", data={"subject": "", "text": "x", "action": "send"})
    assert resp.status_code == 422
    resp = client.post(
        "/messages/new",
        data={"subject": "Uji", "text": "Teks uji", "contacts": [contact.id], "action": "preview"},
    )
    assert resp.status_code == 200 and 'data-preview="sms"' in resp.get_data(as_text=True)
    resp = client.post(
        "/messages/new",
        data={"subject": "Uji", "text": "Teks uji", "contacts": [contact.id], "action": "send"},
    )
    assert resp.status_code == 302
    msg = db_session.scalars(select(Message).where(Message.subject == "Uji")).one()
    assert [d.channel for d in msg.deliveries] == ["whatsapp"]


def test_contact_validation_normalises_phone():
    data = services.validate_contact_fields(
        {"name": "A", "phone": "0812-3456-7890", "channel_order": ["sms"]}
    )
    assert data["phone"] == "6281234567890"
    with pytest.raises(Exception) as err:
        services.validate_contact_fields({"name": "", "phone": "12", "channel_order": ["pigeon"]})
    assert set(err.value.errors) == {"name", "phone", "channel_order"}


def test_contact_webhook_on_an_internal_address_is_refused(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SIAGA_CHANNEL_SETTINGS", {"WEBHOOK_SECRET": "s"})
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "https://169.254.169.254/",
        "http://10.2.3.4/",
    ):
        with pytest.raises(ValidationFailed) as err:
            services.validate_contact_fields({"name": "A", "webhook_url": url})
        assert set(err.value.errors) == {"webhook_url"}
    ok = services.validate_contact_fields({"name": "A", "webhook_url": "https://dashboard.bpbd.example/hook"})
    assert ok["webhook_url"] == "https://dashboard.bpbd.example/hook"
    monkeypatch.setitem(
        app.config, "SIAGA_CHANNEL_SETTINGS", {"WEBHOOK_SECRET": "s", "WEBHOOK_ALLOW_PRIVATE": "1"}
    )
    assert services.validate_contact_fields({"name": "A", "webhook_url": "http://10.2.3.4/"})["webhook_url"]
