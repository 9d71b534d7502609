"""Occupancy as events: check-in, check-out, correction, capacity, overflow, status, freshness."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from siaga.core.errors import Conflict, NotAllowed, ValidationFailed
from siaga.core.validation import validate
from siaga.registry.models import OccupancyEvent, ShelterStatus
from siaga.registry.schemas import OccupancyIn
from siaga.registry.services import assign_field_user, record_occupancy
from tests.conftest import login


def occ(**kw):
    return validate(OccupancyIn, kw)


def test_totals_are_derived_from_events(db_session, make_shelter, users):
    s = make_shelter(capacity=100)
    record_occupancy(
        s.id, occ(kind="check_in", people=10, male=4, female=6, under5=2, families=3), users["coordinator"]
    )
    record_occupancy(s.id, occ(kind="check_in", people=5, male=5), users["coordinator"])
    record_occupancy(s.id, occ(kind="check_out", people=3, male=3), users["coordinator"])
    assert (s.occupants, s.male, s.female, s.under5, s.families) == (12, 6, 6, 2, 3)
    events = db_session.scalars(select(OccupancyEvent).where(OccupancyEvent.shelter_id == s.id)).all()
    assert sum(e.delta for e in events) == s.occupants
    assert [e.occupants_after for e in events] == [10, 15, 12]
    assert (
        s.occupancy_updated_at is not None and s.occupancy_updated_by == "anonymous"
    ) or s.occupancy_updated_by


def test_correction_sets_absolute_figures_with_reason(db_session, make_shelter, users):
    s = make_shelter(capacity=100)
    record_occupancy(s.id, occ(kind="check_in", people=40, male=20, female=20), users["coordinator"])
    with pytest.raises(ValidationFailed) as err:
        occ(kind="correction", people=35)
    assert "reason" in err.value.errors
    ev = record_occupancy(
        s.id,
        occ(kind="correction", people=35, male=15, female=20, reason="recount at 06:00"),
        users["coordinator"],
    )
    assert ev.delta == -5 and ev.delta_breakdown == {"male": -5}
    assert (s.occupants, s.male, s.female) == (35, 15, 20)


def test_check_in_beyond_capacity_refused_unless_overflow(db_session, make_shelter, users):
    s = make_shelter(capacity=10)
    record_occupancy(s.id, occ(kind="check_in", people=8), users["coordinator"])
    with pytest.raises(Conflict, match="luapan") as err:
        record_occupancy(s.id, occ(kind="check_in", people=5), users["coordinator"])
    assert err.value.field == "people"
    assert s.occupants == 8
    ev = record_occupancy(s.id, occ(kind="check_in", people=5, overflow=True), users["coordinator"])
    assert ev.is_overflow and s.occupants == 13


def test_status_full_at_capacity_and_open_below(db_session, make_shelter, users):
    s = make_shelter(capacity=10, status="standby")
    record_occupancy(s.id, occ(kind="check_in", people=3), users["coordinator"])
    assert s.status == ShelterStatus.OPEN
    record_occupancy(s.id, occ(kind="check_in", people=7), users["coordinator"])
    assert s.status == ShelterStatus.FULL
    record_occupancy(s.id, occ(kind="check_out", people=1), users["coordinator"])
    assert s.status == ShelterStatus.OPEN


def test_closed_shelter_refuses_check_in(db_session, make_shelter, users):
    s = make_shelter(status="closed")
    with pytest.raises(Conflict, match="ditutup"):
        record_occupancy(s.id, occ(kind="check_in", people=1), users["coordinator"])


def test_check_out_more_than_present_refused(db_session, make_shelter, users):
    s = make_shelter()
    record_occupancy(s.id, occ(kind="check_in", people=2, male=1), users["coordinator"])
    with pytest.raises(Conflict):
        record_occupancy(s.id, occ(kind="check_out", people=3), users["coordinator"])
    with pytest.raises(Conflict):
        record_occupancy(s.id, occ(kind="check_out", people=2, male=2), users["coordinator"])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "check_in", "people": "abc"}, "people"),
        ({"kind": "check_in", "people": -1}, "people"),
        ({"kind": "check_in", "people": 0}, "people"),
        ({"kind": "check_in", "people": 2, "male": 2, "female": 1}, "female"),
        ({"kind": "check_in", "people": 2, "under5": 3}, "under5"),
        ({"kind": "teleport", "people": 2}, "kind"),
        ({"kind": "check_in"}, "people"),
    ],
)
def test_bad_occupancy_input_names_the_field(data, field):
    with pytest.raises(ValidationFailed) as err:
        occ(**data)
    assert field in err.value.errors


def test_field_team_only_updates_assigned_shelters(db_session, make_shelter, users):
    mine, other = make_shelter(), make_shelter()
    assign_field_user(mine, users["field"])
    record_occupancy(mine.id, occ(kind="check_in", people=1), users["field"])
    with pytest.raises(NotAllowed):
        record_occupancy(other.id, occ(kind="check_in", people=1), users["field"])


def test_partner_updates_only_own_organisation(db_session, make_shelter, users):
    own = make_shelter(owner=users["partner"])
    polres = make_shelter()
    record_occupancy(own.id, occ(kind="check_in", people=1), users["partner"])
    with pytest.raises(NotAllowed):
        record_occupancy(polres.id, occ(kind="check_in", people=1), users["partner"])


def test_web_form_shows_reason_beside_field_and_keeps_counts(client, users, make_shelter, db_session):
    s = make_shelter(capacity=5)
    login(client, users["coordinator"].email)
    resp = client.post(f"/shelters/{s.id}/occupancy", data={"kind": "check_in", "people": "9"})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="e-people"' in body and "5" in body
    assert s.occupants == 0
    resp = client.post(f"/shelters/{s.id}/occupancy", data={"kind": "check_in", "people": "3", "male": "1"})
    assert resp.status_code == 302
    page = client.get(f"/shelters/{s.id}").get_data(as_text=True)
    assert 'data-testid="occupancy">3 / 5' in page
    assert "<svg" in page  # the history chart
    assert (
        db_session.scalar(select(func.count(OccupancyEvent.id)).where(OccupancyEvent.shelter_id == s.id)) == 1
    )


def test_freshness_and_stale_marking(client, users, make_shelter, db_session, app):
    from datetime import timedelta

    from siaga.db import utcnow

    fresh, old = make_shelter(name="Segar"), make_shelter(name="Usang")
    record_occupancy(fresh.id, occ(kind="check_in", people=1), users["coordinator"])
    record_occupancy(old.id, occ(kind="check_in", people=1), users["coordinator"])
    old.occupancy_updated_at = utcnow() - timedelta(hours=app.config["SIAGA_STALE_HOURS"] + 1)
    db_session.flush()
    login(client, users["coordinator"].email)
    listing = client.get("/shelters?stale=1").get_data(as_text=True)
    assert "Usang" in listing and "Segar" not in listing
    page = client.get(f"/shelters/{old.id}").get_data(as_text=True)
    assert "fresh stale" in page and "jam lalu" in page
    page = client.get(f"/shelters/{fresh.id}").get_data(as_text=True)
    assert "fresh stale" not in page and "baru saja" in page


def test_occupancy_changes_are_audited(db_session, make_shelter, users):
    from siaga.audit.models import AuditEvent

    s = make_shelter()
    record_occupancy(s.id, occ(kind="check_in", people=4), users["coordinator"])
    rows = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "shelters", AuditEvent.entity_id == str(s.id))
    ).all()
    assert any(
        r.action == "update" and r.after.get("occupants") == 4 and r.before.get("occupants") == 0
        for r in rows
    )


def test_shelter_full_and_opened_notify_coordinators_once(db_session, make_shelter, users):
    from siaga.messaging.models import Message

    s = make_shelter(capacity=3, status="standby")
    ev = record_occupancy(s.id, occ(kind="check_in", people=1), users["coordinator"])
    assert ev.notice_delivery_ids  # opened from standby
    ev = record_occupancy(s.id, occ(kind="check_in", people=1), users["coordinator"])
    assert ev.notice_delivery_ids == []  # nothing new
    ev = record_occupancy(s.id, occ(kind="check_in", people=1), users["coordinator"])
    assert s.status == ShelterStatus.FULL and ev.notice_delivery_ids
    kinds = [
        m.kind
        for m in db_session.scalars(select(Message).where(Message.source["shelter_id"].as_integer() == s.id))
    ]
    assert sorted(kinds) == ["shelter_full", "shelter_opened"]
    full = db_session.scalars(select(Message).where(Message.kind == "shelter_full")).one()
    assert "PENUH" in full.body_id and {d.channel for d in full.deliveries} == {"inapp"}


def _breakdown(s):
    return (s.occupants, s.male, s.female, s.under5, s.families)


def test_a_head_count_without_breakdown_keeps_the_make_up_in_proportion(db_session, make_shelter, users):
    s = make_shelter(capacity=200)
    coord = users["coordinator"]
    record_occupancy(
        s.id, occ(kind="check_in", people=100, male=50, female=50, under5=10, families=30), coord
    )
    record_occupancy(s.id, occ(kind="check_out", people=50), coord)  # who left is not said
    assert _breakdown(s) == (50, 25, 25, 5, 15)
    record_occupancy(s.id, occ(kind="correction", people=40, reason="hitung ulang"), coord)
    assert _breakdown(s) == (40, 20, 20, 4, 12)  # not wiped to 0
    record_occupancy(s.id, occ(kind="correction", people=60, reason="datang malam"), coord)
    assert _breakdown(s) == (60, 20, 20, 4, 12)  # more people of unknown make-up: kept
    record_occupancy(s.id, occ(kind="correction", people=60, male=30, female=30, reason="data"), coord)
    assert _breakdown(s) == (60, 30, 30, 0, 0)  # a given breakdown is the new figures
    record_occupancy(s.id, occ(kind="check_out", people=60), coord)  # everyone left
    assert _breakdown(s) == (0, 0, 0, 0, 0)
    assert s.male + s.female <= s.occupants


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        ({"kind": "check_out", "people": 0}, "people", "minimal 1"),
        ({"kind": "correction", "people": 5}, "reason", "koreksi perlu alasan"),
        ({"kind": "check_in", "people": 2, "male": 2, "female": 1}, "female", "laki-laki + perempuan"),
        ({"kind": "check_in", "people": "12ab"}, "people", "harus bilangan bulat"),
        ({"kind": "check_in", "people": "1" + "0" * 30}, "people", "maksimal 100000"),
        ({"kind": "teleport", "people": 2}, "kind", "harus salah satu dari"),
    ],
)
def test_occupancy_errors_are_in_indonesian(app, data, field, reason):
    with app.test_request_context(headers={"Accept-Language": "id"}), pytest.raises(ValidationFailed) as err:
        occ(**data)
    message = err.value.errors[field]
    assert reason in message and " or " not in message, message
