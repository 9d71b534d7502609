"""Registry import/export: CSV with an HXL row and GeoJSON, from the CLI and the web page.

Every bad row is reported (row, column, reason) and nothing is written unless
--skip-invalid; imports upsert by code; exports are for admin, coordinator and partner.
"""

from __future__ import annotations

import csv
import io as stdio
import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from siaga.registry import io
from siaga.registry.models import EvacuationPoint, OccupancyEvent, Shelter
from siaga.registry.schemas import OccupancyIn

DATA = Path(__file__).resolve().parent.parent / "data" / "registry"


@pytest.fixture
def ctx(app: Flask, db_session: Any, users: dict[str, Any]) -> dict[str, Any]:
    return users


def _count(model: Any) -> int:
    from siaga.extensions import db

    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _shelter(code: str) -> Shelter | None:
    from siaga.extensions import db

    return db.session.scalar(select(Shelter).where(Shelter.code == code))


def _import(path: Path | bytes | str, kind: io.Kind = "shelters", fmt: io.Format | None = None, **kw: Any):
    data = path.read_bytes() if isinstance(path, Path) else path
    the_fmt = fmt or (io.guess_format(path.name) if isinstance(path, Path) else "csv")
    assert the_fmt is not None
    kw.setdefault("user", None)
    return io.import_file(data, kind, the_fmt, **kw)


def _default_org(users: dict[str, Any]) -> int:
    return int(users["coordinator"].organisation_id)


# ---------------------------------------------------------------- export


def test_csv_export_has_header_and_hxl_row(ctx, make_shelter):
    make_shelter(code="EXP-1", name="=HYPERLINK(1)", manager_name="Bu Sari", manager_phone="+62 812 1111")
    text = io.export_shelters_csv([_shelter("EXP-1")])
    rows = list(csv.reader(stdio.StringIO(text)))
    header, hxl, row = rows[0], rows[1], dict(zip(rows[0], rows[2], strict=True))
    assert header[:3] == ["code", "name", "type"]
    assert all(tag.startswith("#") for tag in hxl)
    tags = dict(zip(header, hxl, strict=True))
    assert tags["name"] == "#loc+name" and tags["lat"] == "#geo+lat" and tags["lon"] == "#geo+lon"
    assert tags["district_code"] == "#adm3+code" and tags["village_code"] == "#adm4+code"
    assert tags["capacity"] == "#capacity" and tags["occupants"] == "#affected"
    assert tags["female"] == "#affected+f" and tags["updated_at"] == "#date+updated"
    assert "manager_name" not in header and "Bu Sari" not in text  # contacts only on request
    assert row["name"] == "'=HYPERLINK(1)"  # a spreadsheet must not run it as a formula
    assert row["district_code"] == row["village_code"][:8]

    with_contacts = list(
        csv.reader(stdio.StringIO(io.export_shelters_csv([_shelter("EXP-1")], contacts=True)))
    )
    got = dict(zip(with_contacts[0], with_contacts[2], strict=True))
    assert with_contacts[1][with_contacts[0].index("manager_phone")] == "#contact+phone"
    assert got["manager_name"] == "Bu Sari" and got["manager_phone"] == "+62 812 1111"


def test_geojson_export_is_rfc7946(ctx, make_shelter, make_point):
    make_shelter(code="GJ-1", lat=-2.8833, lon=103.85, manager_name="Pak Budi")
    make_point(code="GJP-1", lat=-2.98, lon=104.76)
    doc = json.loads(io.export_shelters_geojson([_shelter("GJ-1")]))
    assert doc["type"] == "FeatureCollection"
    feature = doc["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [103.85, -2.8833]}  # [lon, lat]
    assert feature["properties"]["code"] == "GJ-1" and "manager_name" not in feature["properties"]
    assert "lat" not in feature["properties"]
    points = json.loads(io.export_points_geojson(io.export_records("points")))
    assert [f["geometry"]["coordinates"] for f in points["features"] if f["id"] == "GJP-1"] == [
        [104.76, -2.98]
    ]


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_shelter_round_trip(ctx, make_shelter, fmt, db_session):
    make_shelter(
        code="RT-1",
        name='Balai Désa, "Lama"',
        type="government",
        address="Jl. Pasar; No. 2",
        floor_area_m2=350.5,
        has_kitchen=True,
        notes="=1+1",
        manager_name="Bu Sari",
        manager_phone="0812-1111-2222",
    )
    make_shelter(code="RT-2", lat=-2.8833, lon=103.85, region_code="16.06.01")
    before = {s.code: io.shelter_values(s) for s in io.export_records("shelters")}
    text = io.export_text("shelters", fmt, contacts=True)
    # change the records, then import the export: everything comes back
    for s in io.export_records("shelters"):
        s.name, s.address, s.capacity, s.has_kitchen, s.manager_phone = "x", None, 1, False, None
    db_session.flush()
    report = _import(text.encode(), fmt=fmt)
    assert report.errors == [] and report.applied
    assert (report.created, report.updated) == (0, len(before))
    db_session.expire_all()
    after = {s.code: io.shelter_values(s) for s in io.export_records("shelters")}
    for values in (*before.values(), *after.values()):
        values.pop("updated_at")
    assert after == before

    # into an empty registry: created, same values
    for s in io.export_records("shelters"):
        db_session.delete(s)
    db_session.flush()
    report = _import(text.encode(), fmt=fmt)
    assert (report.created, report.updated, report.errors) == (len(before), 0, [])
    assert _shelter("RT-1").notes == "=1+1" and _shelter("RT-1").manager_phone == "0812-1111-2222"


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_point_round_trip(ctx, make_point, fmt, db_session):
    make_point(code="P-1", name="Lapangan", kind="tes", address="Jl. A")
    make_point(name="Tanpa kode")
    before = sorted((p.name, p.kind, p.lat, p.lon, p.region_code) for p in io.export_records("points"))
    text = io.export_text("points", fmt)
    for p in io.export_records("points"):
        db_session.delete(p)
    db_session.flush()
    report = _import(text.encode(), kind="points", fmt=fmt)
    assert (report.created, report.errors) == (2, [])
    after = sorted((p.name, p.kind, p.lat, p.lon, p.region_code) for p in io.export_records("points"))
    assert after == before


# ---------------------------------------------------------------- bad rows


def test_bad_rows_are_all_reported_and_nothing_is_written(ctx):
    before = _count(Shelter)
    report = _import(DATA / "shelters_bad.csv", default_org_id=_default_org(ctx))
    assert not report.applied
    where = {(e.row, e.column) for e in report.errors}
    # the header is row 1 and the HXL row row 2: the first data row is row 3
    assert where == {
        (4, "name"),
        (5, "lat"),
        (6, "type"),
        (6, "capacity"),
        (7, "manager_phone"),
        (8, "code"),
    }
    reasons = {(e.row, e.column): e.reason for e in report.errors}
    assert "90" in reasons[(5, "lat")]
    assert "3" in reasons[(8, "code")]  # names the row that has the code first
    assert all(e.reason for e in report.errors)
    assert (report.created, report.updated) == (0, 0)
    assert _count(Shelter) == before
    assert _shelter("BAD-001") is None and _shelter("BAD-007") is None


def test_database_level_errors_are_reported_too(ctx):
    text = (
        "code,name,type,lat,lon,village_code,district_code,owner_org\n"
        "DB-1,Posko Satu,school,-2.8833,103.85,,,Polres Test\n"
        "DB-2,Posko Dua,school,-2.8833,103.85,99.99.99.9999,,\n"  # unknown region
        "DB-3,Posko Tiga,school,-2.8833,103.85,16.71.01.1001,16.06.01,\n"  # village not in district
        "DB-4,Posko Empat,school,-2.8833,103.85,,,Nobody Org\n"
        "DB-5,Posko Lima,school,10.0,100.0,,,\n"  # no region contains it
    )
    before = _count(Shelter)
    report = _import(text, default_org_id=_default_org(ctx))
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "village_code"),
        (4, "village_code"),
        (5, "owner_org"),
        (6, "region_code"),
    ]
    assert _count(Shelter) == before


def test_skip_invalid_writes_the_good_rows(ctx):
    before = _count(Shelter)
    report = _import(DATA / "shelters_bad.csv", default_org_id=_default_org(ctx), skip_invalid=True)
    assert report.applied
    assert (report.created, report.updated, report.skipped) == (2, 0, 5)
    assert len(report.errors) == 6
    assert _count(Shelter) == before + 2
    assert _shelter("BAD-001").name == "Posko Baik"  # the first row with the code, not the duplicate
    assert _shelter("BAD-007").manager_phone == "0812 3456 7890"


def test_missing_column_refuses_the_file(ctx):
    report = _import("code,name,lat,lon\nX-1,Posko,-2.9,104.7\n", default_org_id=_default_org(ctx))
    assert not report.applied
    assert [(e.row, e.column) for e in report.errors] == [(0, "type")]
    assert str(report.errors[0]).startswith("file, column type:")


@pytest.mark.parametrize(
    "data",
    [b"code,name\n", b"", b"\xff\xfe\x00c\x00o", b"{not json"],
    ids=["no-rows", "empty", "not-utf8", "bad-json"],
)
def test_unreadable_files_are_refused_without_crashing(ctx, data):
    fmt: io.Format = "geojson" if data.startswith(b"{") else "csv"
    report = _import(data, fmt=fmt)
    assert not report.applied and report.errors and report.errors[0].row == 0


def test_geojson_bad_features(ctx):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
                "properties": {},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [103.85, -95]},
                "properties": {"name": "x", "kind": "tes"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [103.85, -2.88]},
                "properties": {"name": "ok", "kind": "tes"},
            },
        ],
    }
    before = _count(EvacuationPoint)
    report = _import(json.dumps(doc), kind="points", fmt="geojson", default_org_id=_default_org(ctx))
    assert [(e.row, e.column) for e in report.errors] == [(1, "geometry"), (2, "lat")]
    assert _count(EvacuationPoint) == before
    not_a_collection = _import("[]", kind="points", fmt="geojson")
    assert not not_a_collection.applied and not_a_collection.errors[0].row == 0


# ---------------------------------------------------------------- upsert, duplicates, formats


def test_upsert_by_code_updates_instead_of_duplicating(ctx, make_shelter):
    make_shelter(code="IMP-001", name="Nama lama", capacity=10)
    before = _count(Shelter)
    report = _import(DATA / "shelters.csv", default_org_id=_default_org(ctx))
    assert report.errors == [] and (report.created, report.updated) == (2, 1)
    assert _count(Shelter) == before + 2
    s = _shelter("IMP-001")
    assert (s.name, s.capacity, s.has_kitchen, s.region_code[:8]) == (
        "SD Negeri 1 Sekayu",
        120,
        True,
        "16.06.01",
    )
    assert _shelter("IMP-003").owner.name == "BPBD Test"  # owner_org by name
    assert _shelter("IMP-002").owner_org_id == _default_org(ctx)
    assert _shelter("IMP-002").notes == "Dekat pasar"
    # a second import of the same file changes nothing and creates nothing
    again = _import(DATA / "shelters.csv", default_org_id=_default_org(ctx))
    assert (again.created, again.updated) == (0, 3) and _count(Shelter) == before + 2


def test_points_upsert_by_code_and_create_without_code(ctx):
    first = _import(DATA / "points.geojson", kind="points", default_org_id=_default_org(ctx))
    assert first.errors == [] and first.created == 3
    second = _import(DATA / "points.geojson", kind="points", default_org_id=_default_org(ctx))
    assert (second.created, second.updated) == (1, 2)  # the point without a code is new each time
    assert _count(EvacuationPoint) == 4


def test_duplicate_codes_in_one_file_are_rejected(ctx):
    text = "code,name,type,lat,lon\nD-1,A,school,-2.88,103.85\nD-2,B,school,-2.88,103.85\nD-1,C,school,-2.88,103.85\n"
    report = _import(text, default_org_id=_default_org(ctx))
    assert [(e.row, e.column) for e in report.errors] == [(4, "code")]
    assert _shelter("D-1") is None and _shelter("D-2") is None


def test_semicolon_bom_and_indonesian_headers(ctx):
    raw = (DATA / "shelters_semicolon.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    report = _import(DATA / "shelters_semicolon.csv", default_org_id=_default_org(ctx))
    assert report.errors == [] and report.created == 2
    s = _shelter("SEMI-1")
    assert (s.lat, s.lon, s.capacity, s.type.value) == (-2.9, 103.9, 75, "government")  # decimal commas
    assert _shelter("SEMI-2").name == "Gereja; Sekayu"


def test_hxl_only_file_and_columns_in_any_order(ctx):
    text = "#capacity,#geo+lon,#geo +lat,#loc+type,#loc+name,#loc+code,#something+else\n30,103.85,-2.8833,school,Posko HXL,HXL-1,x\n"
    report = _import(text, default_org_id=_default_org(ctx))
    assert report.errors == [] and report.created == 1
    assert report.ignored_columns == ["#something+else"]
    assert (_shelter("HXL-1").capacity, _shelter("HXL-1").name) == (30, "Posko HXL")


def test_occupancy_columns_are_not_imported(ctx, make_shelter, db_session):
    """Occupancy is event-based: an import never changes it (see siaga.registry.io)."""
    from siaga.registry.services import record_occupancy

    s = make_shelter(code="OCC-1", capacity=100)
    record_occupancy(s.id, OccupancyIn(kind="check_in", people=12, male=5), None)
    text = io.export_shelters_csv([s])
    events = _count(OccupancyEvent)
    edited = text.replace(",12,", ",99,")  # someone edits occupants in the spreadsheet
    assert edited != text
    report = _import(edited, default_org_id=_default_org(ctx))
    assert report.errors == [] and report.updated == 1
    db_session.refresh(s)
    assert (s.occupants, s.male) == (12, 5)
    assert _count(OccupancyEvent) == events


# ---------------------------------------------------------------- CLI


def test_cli_reports_rows_and_exits_1(app, ctx, tmp_path):
    before = _count(Shelter)
    runner = app.test_cli_runner()
    res = runner.invoke(
        args=["registry", "import", "shelters", str(DATA / "shelters_bad.csv"), "--org", "Polres Test"]
    )
    assert res.exit_code == 1, res.output
    assert "row 4, column name: " in res.output
    assert "row 5, column lat: " in res.output and "90" in res.output
    assert "row 6, column type: " in res.output and "row 6, column capacity: " in res.output
    assert "row 8, column code: " in res.output
    assert "nothing imported" in res.output
    assert _count(Shelter) == before


def test_cli_import_skip_invalid_and_export(app, ctx, tmp_path):
    runner = app.test_cli_runner()
    res = runner.invoke(
        args=[
            "registry",
            "import",
            "shelters",
            str(DATA / "shelters_bad.csv"),
            "--org",
            "Polres Test",
            "--skip-invalid",
        ]
    )
    assert res.exit_code == 0, res.output
    assert "2 created, 0 updated, 5 skipped" in res.output and "row 5, column lat" in res.output
    out = tmp_path / "out.csv"
    res = runner.invoke(args=["registry", "export", "shelters", str(out)])
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("#loc+code,") and any(line.startswith("BAD-007,") for line in lines)
    assert "manager_phone" not in lines[0]
    res = runner.invoke(args=["registry", "export", "points", str(tmp_path / "p.geojson")])
    assert (
        res.exit_code == 0 and json.loads((tmp_path / "p.geojson").read_text())["type"] == "FeatureCollection"
    )


def test_cli_bad_options(app, ctx, tmp_path):
    runner = app.test_cli_runner()
    res = runner.invoke(
        args=["registry", "import", "shelters", str(DATA / "shelters.csv"), "--org", "Nowhere"]
    )
    assert res.exit_code == 1 and "does not exist" in res.output
    odd = tmp_path / "x.xlsx"
    odd.write_bytes(b"x")
    res = runner.invoke(args=["registry", "import", "shelters", str(odd)])
    assert res.exit_code == 1 and "format" in res.output
    res = runner.invoke(args=["registry", "import", "shelters", str(DATA / "shelters.csv")])
    assert res.exit_code == 1 and "row 4, column owner_org" in res.output  # no owner: --org needed
    res = runner.invoke(args=["registry", "import", "cats", str(DATA / "shelters.csv")])
    assert res.exit_code == 2


def test_cli_progress_bar_on_long_files(app, ctx, tmp_path):
    lines = ["code,name,type,lat,lon"] + [f"L-{i:04d},Posko {i},school,-2.8833,103.85" for i in range(250)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    res = app.test_cli_runner().invoke(
        args=["registry", "import", "shelters", str(path), "--org", "Polres Test"]
    )
    assert res.exit_code == 0, res.output
    assert "importing shelters" in res.output and "250 created" in res.output
    assert _count(Shelter) >= 250


# ---------------------------------------------------------------- web


def _upload(client, path: Path | None, kind: str = "shelters", skip: bool = False, name: str | None = None):
    data: dict[str, Any] = {"kind": kind}
    if path is not None:
        data["file"] = (stdio.BytesIO(path.read_bytes()), name or path.name)
    if skip:
        data["skip_invalid"] = "on"
    return client.post("/registry/import", data=data, content_type="multipart/form-data")


def test_web_import_shows_error_table_with_422(ctx, login_as):
    client = login_as("coordinator")
    before = _count(Shelter)
    resp = _upload(client, DATA / "shelters_bad.csv")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="import-errors"' in page
    for row, column in [(4, "name"), (5, "lat"), (6, "type"), (7, "manager_phone"), (8, "code")]:
        assert f"<tr><td>{row}</td><td><code>{column}</code></td>" in page
    assert _count(Shelter) == before


def test_web_import_success_and_skip_invalid(ctx, login_as):
    client = login_as("admin")
    before = _count(Shelter)
    resp = _upload(client, DATA / "shelters.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    page = resp.get_data(as_text=True)
    assert 'id="import-summary"' in page and 'id="import-errors"' not in page
    assert _count(Shelter) == before + 3
    assert _shelter("IMP-002").owner_org_id == ctx["admin"].organisation_id
    resp = _upload(client, DATA / "shelters_bad.csv", skip=True)
    assert resp.status_code == 200 and 'id="import-errors"' in resp.get_data(as_text=True)
    assert _count(Shelter) == before + 5
    resp = _upload(client, DATA / "points.geojson", kind="points")
    assert resp.status_code == 200 and _count(EvacuationPoint) >= 3


@pytest.mark.parametrize(
    ("path", "kind", "name"),
    [
        (None, "shelters", None),
        (DATA / "shelters.csv", "cats", None),
        (DATA / "shelters.csv", "shelters", "a.xlsx"),
    ],
    ids=["no-file", "bad-kind", "bad-extension"],
)
def test_web_import_form_errors_are_422(ctx, login_as, path, kind, name):
    resp = _upload(login_as("coordinator"), path, kind=kind, name=name)
    assert resp.status_code == 422
    assert 'class="error"' in resp.get_data(as_text=True)


def test_web_import_page_has_csrf_field(ctx, login_as):
    page = login_as("coordinator").get("/registry/import").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'enctype="multipart/form-data"' in page


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("coordinator", 200), ("partner", 200), ("field", 403)]
)
def test_export_permissions(ctx, login_as, make_shelter, role, status):
    make_shelter(code="WEB-1", manager_name="Bu Sari")
    client = login_as(role)
    resp = client.get("/registry/export/shelters.csv")
    assert resp.status_code == status
    if status == 200:
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        assert resp.mimetype == "text/csv"
        assert "Bu Sari" in resp.get_data().decode("utf-8-sig")  # these roles may see contacts
        geo = client.get("/registry/export/points.geojson")
        assert geo.status_code == 200 and geo.mimetype == "application/geo+json"
        assert json.loads(geo.get_data())["type"] == "FeatureCollection"


@pytest.mark.parametrize(("role", "status"), [("partner", 403), ("field", 403), ("coordinator", 200)])
def test_import_permissions(ctx, login_as, role, status):
    assert login_as(role).get("/registry/import").status_code == status


def test_unknown_export_is_404(ctx, login_as):
    client = login_as("coordinator")
    assert client.get("/registry/export/shelters.xlsx").status_code == 404
    assert client.get("/registry/export/cats.csv").status_code == 404


def test_an_unclosed_quote_is_named_and_nothing_is_written(ctx):
    """It would swallow the next rows into one name: the import said '2 created' and lost them."""
    header = "code,name,type,status,lat,lon,capacity,address\n"
    to_the_end = header + (
        'QA-1,"Posko ""9"", unclosed,school,open,-2.88,103.85,10,\n'
        "QA-2,X,school,open,-2.88,103.85,10,\n"
        "QA-3,Y,school,open,-2.88,103.85,10,\n"
    )
    closed_later = header + (
        "QA-0,Posko Nol,school,open,-2.88,103.85,10,\n"
        'QA-1,"Posko satu,school,open,-2.88,103.85,10,\n'
        'QA-2,X",school,open,-2.88,103.85,10,\n'
        "QA-3,Y,school,open,-2.88,103.85,10,\n"
    )
    before = _count(Shelter)
    for text, error in ((to_the_end, (2, "")), (closed_later, (3, "name"))):
        report = _import(text, default_org_id=_default_org(ctx))
        assert not report.applied and (report.created, report.updated) == (0, 0)
        assert [(e.row, e.column) for e in report.errors] == [error]
        assert "tanda kutip" in report.errors[0].reason
    assert _count(Shelter) == before


def test_extra_filled_cells_are_refused_and_empty_trailing_cells_are_fine(ctx):
    header = "code,name,type,status,lat,lon,capacity\n"
    shifted = header + "QA-1,Posko Satu, Sekayu,school,open,-2.88,103.85,10\n"  # comma in the name
    report = _import(shifted, default_org_id=_default_org(ctx))
    assert not report.applied and [(e.row, e.column) for e in report.errors] == [(2, "")]
    assert "berisi 8 sel padahal judul kolom hanya 7" in report.errors[0].reason
    trailing = header + "QA-1,Posko Satu,school,open,-2.88,103.85,10,,\n"  # a spreadsheet's empty tail
    report = _import(trailing, default_org_id=_default_org(ctx))
    assert report.applied and report.created == 1


def test_a_line_break_in_a_quoted_address_is_kept_and_rows_are_numbered_by_file_line(ctx):
    text = (
        "code,name,type,status,lat,lon,capacity,address\n"
        'QA-1,Posko Satu,school,open,-2.88,103.85,10,"Jl. Merdeka 1\nRT 02"\n'
        "QA-2,Posko Dua,school,open,-2.88,103.85,-5,\n"
    )
    report = _import(text, default_org_id=_default_org(ctx))
    assert [(e.row, e.column) for e in report.errors] == [(4, "capacity")]  # line 4, not record 3
    text = text.replace(",-5,", ",5,")
    report = _import(text, default_org_id=_default_org(ctx))
    assert report.applied and _shelter("QA-1").address == "Jl. Merdeka 1\nRT 02"


def test_import_warns_about_coordinates_in_another_regency(ctx):
    text = (
        "code,name,type,status,lat,lon,capacity,district_code\n"
        "QA-1,Posko Satu,school,open,-2.8833,103.85,10,13.02.03\n"  # Sekayu coordinates, Solok district
        "QA-2,Posko Dua,school,open,-2.8833,103.85,10,16.06.01\n"
    )
    report = _import(text, default_org_id=_default_org(ctx))
    assert report.applied and report.created == 2
    assert [(w.row, w.column) for w in report.warnings] == [(2, "lat")]
    assert "kabupaten/kota lain" in report.warnings[0].reason
