"""Needs against deliveries on the shelter page, the dashboard and the map; exports; the public
transparency page; the field page and its service worker; the demo loader."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from siaga.aid import services
from siaga.aid.schemas import ReceiptIn, StatusIn
from siaga.extensions import db


@pytest.fixture
def delivered(items, make_depot, make_shelter, stock, plan, users):
    """A shelter of 100 people that received 147 kg rice (half its week) and all its drinking water."""
    from siaga.registry.schemas import OccupancyIn
    from siaga.registry.services import assign_field_user, record_occupancy

    depot = make_depot(name="Gudang Pusat")
    shelter = make_shelter(name="Posko Masjid Raya", manager_name="Pak Rusli")
    record_occupancy(shelter.id, OccupancyIn(kind="check_in", people=100), None)
    assign_field_user(shelter, users["field"])
    empty = make_shelter(name="Posko Kosong Lain")
    record_occupancy(empty.id, OccupancyIn(kind="check_in", people=10), None)
    stock(depot, items["rice"], 500)
    stock(depot, items["water"], 5000)
    d = plan(depot, shelter, {items["rice"]: 150, items["water"]: 1750})
    services.change_status(d.id, StatusIn(status="loaded"), None)
    services.record_receipt(
        d.id,
        ReceiptIn(
            lines=[
                {"item_id": items["rice"].id, "quantity_received": 147},
                {"item_id": items["water"].id, "quantity_received": 1750},
            ],
            receiver_name="Ibu Rahmawati",
            received_at=datetime.now(UTC),
        ),
        None,
    )
    return {"shelter": shelter, "empty": empty, "d": d, "depot": depot}


def test_needs_api_compares_needs_with_deliveries(delivered, login_as):
    body = login_as("partner").get(f"/api/v1/aid/shelters/{delivered['shelter'].id}/needs").get_json()
    assert body["profile"] == "BNPB (Perka 7/2008)" and body["occupants"] == 100
    cov = {c["key"]: c for c in body["coverage"]}
    assert cov["rice"]["needed"] == 294 and cov["rice"]["delivered"] == 147 and cov["rice"]["gap"] == 147
    assert cov["drinking_water"]["ratio"] == 1.0
    assert body["worst_coverage"] == 0 and body["band"] == "critical"  # no clean water, no kits
    assert all(c["profile"] == body["profile"] for c in body["coverage"])
    sphere = login_as("partner").get(f"/api/v1/aid/shelters/{delivered['shelter'].id}/needs?profile=sphere")
    assert sphere.get_json()["profile"] == "Sphere 2018"
    assert (
        login_as("partner").get(f"/api/v1/aid/shelters/{delivered['shelter'].id}/needs?profile=x").status_code
        == 422
    )


def test_shelter_needs_page_and_partial(delivered, login_as, app):
    page = (
        login_as("coordinator").get(f"/aid/shelters/{delivered['shelter'].id}/needs").get_data(as_text=True)
    )
    assert "BNPB (Perka 7/2008)" in page and 'data-need="rice"' in page and delivered["d"].code in page
    # The partial the registry's shelter page includes.
    with app.test_request_context("/"):
        from flask import render_template

        html = render_template("aid/_shelter_needs.html", shelter=delivered["shelter"])
    assert 'id="aid-needs"' in html and "BNPB (Perka 7/2008)" in html


def test_shelter_page_shows_the_needs_panel(delivered, login_as):
    """The registry's shelter page itself carries the aid panel: profile and coverage figures."""
    resp = login_as("coordinator").get(f"/shelters/{delivered['shelter'].id}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    panel = page[page.index('id="aid-needs"') :]
    assert "BNPB (Perka 7/2008)" in panel
    rice = panel[panel.index('data-need="rice"') :].split("</tr>", 1)[0]
    assert "294" in rice and "147" in rice and "50 %" in rice  # needed, delivered, coverage
    sphere = login_as("coordinator").get(f"/shelters/{delivered['shelter'].id}?profile=sphere")
    assert "Sphere 2018" in sphere.get_data(as_text=True).split('id="aid-needs"', 1)[1]


def _chart(page: str) -> str:
    start = page.index('<svg class="chart coverage-chart"')
    return page[start : page.index("</svg>", start)]


def test_dashboard_chart_names_the_profile_beside_its_figures(delivered, login_as):
    client = login_as("coordinator")
    chart = _chart(client.get("/aid").get_data(as_text=True))
    heading = chart.split('class="lbl chart-heading"', 1)[1].split("</text>", 1)[0]
    assert "BNPB (Perka 7/2008)" in heading
    bar = chart.split("<title>Posko Masjid Raya:", 1)[1].split("</title>", 1)[0]
    assert "0 %" in bar and "BNPB (Perka 7/2008)" in bar  # no clean water delivered: 0 %
    sphere = _chart(client.get("/aid?profile=sphere").get_data(as_text=True))
    assert "Sphere 2018" in sphere and "BNPB" not in sphere


def test_coverage_chart_escapes_and_names_the_profile():
    from siaga.aid.charts import coverage_bars

    svg = str(coverage_bars([("<b>Posko</b>", 0.5, "low"), ("Kosong", None, "none")], "Coverage", "P&1"))
    assert "<b>" not in svg and "&lt;b&gt;Posko&lt;/b&gt;: 50 % · P&amp;1</title>" in svg
    assert "Kosong: — · P&amp;1</title>" in svg and 'data-profile="P&amp;1"' in svg
    assert str(coverage_bars([], "Coverage", "P")) == ""


def test_dashboard_table_chart_and_sorting(delivered, login_as):
    client = login_as("coordinator")
    page = client.get("/aid").get_data(as_text=True)
    assert 'id="coverage-table"' in page and "coverage-chart" in page
    assert 'data-testid="dashboard-profile"' in page and "BNPB (Perka 7/2008)" in page
    by_name = client.get("/aid?sort=name").get_data(as_text=True)
    assert by_name.index("Posko Kosong Lain") < by_name.index("Posko Masjid Raya")
    by_people = client.get("/aid?sort=people").get_data(as_text=True)
    assert by_people.index("Posko Masjid Raya") < by_people.index("Posko Kosong Lain")
    assert "Sphere 2018" in client.get("/aid?profile=sphere").get_data(as_text=True)


def test_map_layer_colours_shelters_by_worst_coverage(delivered, login_as):
    from siaga.maps.views import PROVIDERS

    assert "aid" in PROVIDERS
    data = login_as("coordinator").get("/map/data/aid?bbox=100,-4,106,0&zoom=12").get_json()
    by_name = {f["properties"]["name"]: f["properties"] for f in data["features"]}
    assert (
        by_name["Posko Masjid Raya"]["band"] == "critical"
        and by_name["Posko Masjid Raya"]["colour"] == "#b3261e"
    )
    assert "BNPB (Perka 7/2008)" in by_name["Posko Masjid Raya"]["details"].values()
    # Zoomed out: grid clusters of occupied shelters with their people, no per-shelter coverage.
    far = login_as("coordinator").get("/map/data/aid?bbox=95,-11,141,6&zoom=5").get_json()
    assert far["clustered"] is True and far["features"]
    assert all(f["properties"]["cluster"] and "band" not in f["properties"] for f in far["features"])
    assert sum(f["properties"]["n"] for f in far["features"]) >= len(by_name)
    assert sum(f["properties"]["o"] for f in far["features"]) >= sum(1 for _ in by_name)


def test_hxl_delivery_export_has_tags_and_no_personal_data(delivered, login_as):
    partner = login_as("partner")
    resp = partner.get("/aid/export/deliveries.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    tags = rows[1]
    for tag in (
        "#org+name",
        "#item+name",
        "#adm2+code",
        "#loc+name",
        "#geo+lat",
        "#date+delivered",
        "#output+num+received",
    ):
        assert tag in tags
    assert "Ibu Rahmawati" not in text and "Pak Rusli" not in text
    # The partner is not the depot's or the shelter's organisation: nothing of theirs to export.
    assert len(rows) == 2
    partner.post("/logout")
    coord_rows = list(
        csv.reader(
            io.StringIO(login_as("coordinator").get("/aid/export/deliveries.csv").get_data(as_text=True))
        )
    )
    data = [dict(zip(coord_rows[1], r, strict=True)) for r in coord_rows[2:]]
    rice = next(r for r in data if r["#item+name"] == "Beras")
    assert (rice["#output+num+sent"], rice["#output+num+received"], rice["#output+num+shortfall"]) == (
        "150",
        "147",
        "3",
    )
    assert rice["#adm1+code"] == "16" and rice["#loc+name"] == "Posko Masjid Raya"


def test_hxl_stock_export(delivered, login_as):
    rows = list(
        csv.reader(io.StringIO(login_as("coordinator").get("/aid/export/stock.csv").get_data(as_text=True)))
    )
    assert rows[1][0] == "#loc+name" and "#output+num+stock" in rows[1]
    data = {r[rows[1].index("#item+name")]: r[rows[1].index("#output+num+stock")] for r in rows[2:]}
    assert data == {"Beras": "350", "Air minum": "3250"}


def test_transparency_page_is_public_and_aggregated(delivered, client):
    resp = client.get("/transparency/aid")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Beras" in page and "147" in page
    for private in ("Ibu Rahmawati", "Pak Rusli", "Posko Masjid Raya", "Gudang Pusat"):
        assert private not in page
    assert client.get("/transparency/aid?region=13.02").get_data(as_text=True).count("147") == 0


def test_transparency_page_can_be_turned_off(delivered, client, login_as, app, monkeypatch):
    link = 'data-testid="transparency-link"'
    assert link in login_as("coordinator").get("/aid").get_data(as_text=True)
    monkeypatch.setitem(app.config, "SIAGA_AID_TRANSPARENCY", False)
    assert link not in login_as("coordinator").get("/aid").get_data(as_text=True)
    client.post("/logout")
    resp = client.get("/transparency/aid")
    assert resp.status_code == 404 and "Beras" not in resp.get_data(as_text=True)
    monkeypatch.setitem(app.config, "SIAGA_AID_TRANSPARENCY", True)
    assert client.get("/transparency/aid").status_code == 200


@pytest.mark.parametrize(("raw", "expected"), [(None, True), ("1", True), ("0", False), ("off", False)])
def test_transparency_setting_is_read_like_the_other_switches(monkeypatch, raw, expected):
    from siaga.config import build_config

    if raw is None:
        monkeypatch.delenv("SIAGA_AID_TRANSPARENCY", raising=False)
    else:
        monkeypatch.setenv("SIAGA_AID_TRANSPARENCY", raw)
    assert build_config()["SIAGA_AID_TRANSPARENCY"] is expected


def test_field_page_lists_my_deliveries_and_shelters(delivered, login_as, plan, items):
    open_d = plan(delivered["depot"], delivered["shelter"], {items["rice"]: 5})
    resp = login_as("field").get("/field/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert open_d.code in page and "Posko Masjid Raya" in page
    assert "field.js" in page and len(page) < 20_000  # light for cheap phones
    tasks = login_as("field").get("/api/v1/aid/field/tasks").get_json()
    assert [d["id"] for d in tasks["deliveries"]] == [open_d.id]
    assert [s["name"] for s in tasks["shelters"]] == ["Posko Masjid Raya"]


def test_service_worker_is_served_under_the_field_path(client):
    resp = client.get("/field/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/field/"
    assert b"caches.open" in resp.data
    resp.close()


def test_demo_loader_is_idempotent(db_session, users, make_shelter):
    from siaga.aid.demo import load_aid_demo
    from siaga.aid.models import Distribution
    from siaga.registry.schemas import OccupancyIn
    from siaga.registry.services import record_occupancy

    for i in range(5):
        s = make_shelter(name=f"Demo {i}")
        record_occupancy(s.id, OccupancyIn(kind="check_in", people=40 + i), None)
    lines = load_aid_demo()
    assert lines and "13 aid items" in lines[0]
    statuses = sorted(d.status.value for d in db.session.query(Distribution).all())
    assert statuses == ["confirmed", "delivered", "in_transit", "loaded", "planned"]
    assert load_aid_demo() == []
