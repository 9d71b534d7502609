"""Registry pages: forms show the reason beside the field, save, warn outside Indonesia; filters."""

from __future__ import annotations

from sqlalchemy import select

from siaga.registry.models import EvacuationPoint, Shelter
from tests.conftest import login

FORM = {
    "code": "WEB-1",
    "name": "Masjid Agung Sekayu",
    "type": "worship",
    "status": "standby",
    "lat": "-2.8833",
    "lon": "103.85",
    "capacity": "150",
}


def test_create_form_errors_beside_fields(client, users, db_session):
    login(client, users["coordinator"].email)
    resp = client.post("/shelters/new", data={**FORM, "lat": "abc", "capacity": "-3", "name": ""})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    for field in ("lat", "capacity", "name"):
        assert f'id="e-{field}"' in page
    assert db_session.scalar(select(Shelter).where(Shelter.code == "WEB-1")) is None


def test_create_and_edit_shelter(client, users, db_session):
    login(client, users["coordinator"].email)
    resp = client.post("/shelters/new", data=FORM)
    assert resp.status_code == 302
    shelter = db_session.scalars(select(Shelter).where(Shelter.code == "WEB-1")).one()
    assert shelter.region_code.startswith("16.06.") and shelter.updated_by == users["coordinator"].email
    resp = client.post(f"/shelters/{shelter.id}/edit", data={**FORM, "code": "CHANGED", "capacity": "200"})
    assert resp.status_code == 302
    assert shelter.capacity == 200 and shelter.code == "WEB-1"  # the code never changes


def test_outside_indonesia_is_a_warning_not_an_error(client, users, db_session):
    login(client, users["coordinator"].email)
    resp = client.post(
        "/points/new",
        data={
            "name": "TK Jauh",
            "kind": "assembly",
            "status": "active",
            "lat": "35.0",
            "lon": "139.0",
            "region_code": "16.71.01",
            "capacity": "10",
        },
        follow_redirects=True,
    )
    assert resp.status_code == 200
    assert "luar Indonesia" in resp.get_data(as_text=True)
    assert db_session.scalar(select(EvacuationPoint).where(EvacuationPoint.name == "TK Jauh")) is not None


def test_partner_cannot_edit_polres_shelter(client, users, make_shelter):
    s = make_shelter()
    login(client, users["partner"].email)
    assert client.get(f"/shelters/{s.id}/edit").status_code == 403
    assert client.post(f"/shelters/{s.id}/edit", data=FORM).status_code == 403


def test_list_filters(client, users, make_shelter):
    make_shelter(name="Posko Buka", status="open", capacity=100)
    make_shelter(name="Posko Tutup", status="closed", capacity=100)
    login(client, users["coordinator"].email)
    page = client.get("/shelters?status=closed").get_data(as_text=True)
    assert "Posko Tutup" in page and "Posko Buka" not in page
    page = client.get("/shelters?q=buka").get_data(as_text=True)
    assert "Posko Buka" in page and "Posko Tutup" not in page
    page = client.get("/shelters?region=13.02").get_data(as_text=True)
    assert "Posko Buka" not in page
    assert client.get("/shelters?min_free=abc&status=weird").status_code == 200  # bad filters are ignored
