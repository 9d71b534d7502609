"""The audit log records who, when, through what, and before/after values."""

from __future__ import annotations

from sqlalchemy import select

from siaga.accounts.models import Organisation
from siaga.audit.models import AuditEvent
from siaga.core.context import Actor, acting_as
from tests.conftest import login


def _events(session, entity_type="organisations"):
    return session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == entity_type).order_by(AuditEvent.id)
    ).all()


def test_create_update_delete_are_recorded_with_actor_and_channel(db_session, users):
    with acting_as(Actor(user_id=users["admin"].id, label=users["admin"].email, via="cli")):
        org = Organisation(name="TNI Kodim 0401", type="TNI", region_code="16.06")
        db_session.add(org)
        db_session.flush()
        org.name = "Kodim 0401/Muba"
        db_session.flush()
        db_session.delete(org)
        db_session.flush()
    events = [e for e in _events(db_session) if e.entity_id == str(org.id)]
    assert [e.action for e in events] == ["create", "update", "delete"]
    create, update, delete = events
    assert create.after["name"] == "TNI Kodim 0401" and create.before is None
    assert update.before == {"name": "TNI Kodim 0401"} and update.after == {"name": "Kodim 0401/Muba"}
    assert delete.before["name"] == "Kodim 0401/Muba" and delete.after is None
    assert all(e.via == "cli" and e.actor_id == users["admin"].id for e in events)


def test_rolled_back_change_leaves_no_audit_row(db_session, users):
    before = len(_events(db_session))
    nested = db_session.begin_nested()
    db_session.add(Organisation(name="Rolled back", type="NGO"))
    db_session.flush()
    nested.rollback()
    assert len(_events(db_session)) == before


def test_password_hash_never_in_audit(db_session, users):
    rows = _events(db_session, "users")
    assert rows
    assert all("password_hash" not in (e.after or {}) for e in rows)


def test_web_changes_are_recorded_as_web_and_visible_to_coordinators(client, users, make_org, db_session):
    org = make_org()
    login(client, users["admin"].email)
    client.post(
        "/admin/users",
        data={
            "email": "audit-me@siaga.example",
            "name": "A",
            "role": "field",
            "organisation_id": org.id,
            "password": "long-enough-pw",
        },
    )
    ev = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "users").order_by(AuditEvent.id.desc())
    ).first()
    assert (
        ev.via == "web"
        and ev.actor_label == users["admin"].email
        and ev.after["email"] == "audit-me@siaga.example"
    )
    client.post("/logout")
    login(client, users["coordinator"].email)
    page = client.get("/audit?entity_type=users&via=web").get_data(as_text=True)
    assert "audit-me@siaga.example" in page
    page = client.get("/audit?via=task").get_data(as_text=True)
    assert "audit-me@siaga.example" not in page


def test_a_login_is_recorded_as_the_user_not_anonymous(client, users, db_session):
    from sqlalchemy import func

    user = users["field"]
    before = db_session.scalar(select(func.max(AuditEvent.id))) or 0
    login(client, user.email)
    rows = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.id > before, AuditEvent.entity_type == "users", AuditEvent.entity_id == str(user.id)
        )
    ).all()
    logins = [r for r in rows if r.after and "last_login_at" in r.after]
    assert logins, [(r.actor_label, r.after) for r in rows]
    assert {(r.actor_id, r.actor_label, r.via) for r in logins} == {(user.id, user.email, "web")}
