"""Hazards JSON API: the event list (newest first, filters by kind, time and exercise, 422 on
bad filters) and one event with the shelters, evacuation points and regions it reaches, each
with its estimated MMI or warning level; the BMKG credit in every answer; bearer tokens and
sessions; 404s; the OpenAPI document describes both routes and the answers match it."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest

from siaga.accounts.services import create_api_token
from siaga.hazards.openapi import HazardEventDetail, HazardEventPage, hazard_paths, hazard_schemas
from siaga.hazards.reports import TsunamiArea
from siaga.hazards.serializers import event_status
from siaga.hazards.services import ingest, process_report
from siaga.registry.openapi import openapi_document, openapi_path
from tests.conftest import login
from tests.hazards.reports import SEKAYU, T0, quake, tsunami, weather

pytestmark = pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")

LIST = "/api/v1/hazards/events"
CREDIT = "Sumber: BMKG"


@pytest.fixture
def api(client, users):
    tokens = {role: create_api_token(u, "t")[1] for role, u in users.items()}

    def get(url, role="coordinator", **params):
        return client.get(url, query_string=params, headers={"Authorization": f"Bearer {tokens[role]}"})

    return get


@pytest.fixture
def events(db_session):
    """Quakes an hour apart, a tsunami warning at the first quake's time, an exercise, and a
    weather warning without a time; by id in the order made."""
    bangka = TsunamiArea(province="BABEL", district="BANGKA BARAT", level="AWAS")
    reports = {
        "q0": quake(),
        "q1": quake(origin_time=T0 + timedelta(hours=1), magnitude=5.1),
        "q2": quake(origin_time=T0 + timedelta(hours=2), magnitude=4.8),
        "tsu": tsunami(areas=(bangka,)),
        "drill": quake(origin_time=T0 - timedelta(days=1), lat=-8.5, lon=123.3, is_exercise=True),
        "wx": weather(identifier="CSS-no-time", sent=None),
    }
    made = {key: ingest(report)[0] for key, report in reports.items()}
    return {k: ev.id for k, ev in made.items()}


def _ids(resp):
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    HazardEventPage.model_validate(body)
    return [e["id"] for e in body["items"]]


# ---------------------------------------------------------------- the list


def test_list_is_newest_first_with_the_bmkg_credit(api, events):
    resp = api(LIST)
    assert _ids(resp) == [
        events["q2"],
        events["q1"],
        events["tsu"],  # the same origin time as q0: the later id first
        events["q0"],
        events["drill"],
        events["wx"],  # no origin time: last
    ]
    body = resp.get_json()
    assert body["source"] == CREDIT and body["total"] == 6 and (body["page"], body["per_page"]) == (1, 50)
    assert all(e["source"] == CREDIT for e in body["items"])
    q0 = next(e for e in body["items"] if e["id"] == events["q0"])
    assert q0["kind"] == "earthquake" and q0["magnitude"] == 6.2 and q0["feeds"] == ["autogempa"]
    assert q0["origin_time"] == "2026-11-20T03:15:00+00:00"
    assert q0["origin_time_local"] == "20-11-2026 10:15 WIB" and q0["time_zone"] == "WIB"
    assert q0["status"] == "active" and q0["is_exercise"] is False
    assert q0["url"].endswith(f"/hazards/{events['q0']}")
    tsu = next(e for e in body["items"] if e["id"] == events["tsu"])
    assert tsu["kind"] == "tsunami" and tsu["level"] == "AWAS" and tsu["message_type"] == "PD-1"


def test_list_pages(api, events):
    resp = api(LIST, per_page=2, page=2)
    assert _ids(resp) == [events["tsu"], events["q0"]]
    assert resp.get_json()["total"] == 6


def test_list_filters_by_kind(api, events):
    assert _ids(api(LIST, kind="tsunami")) == [events["tsu"]]
    assert _ids(api(LIST, kind="weather")) == [events["wx"]]
    assert _ids(api(LIST, kind="earthquake")) == [events["q2"], events["q1"], events["q0"], events["drill"]]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2026-11-20T04:15:00Z", "2026-11-20T05:15:00Z"),
        ("2026-11-20T04:15:00", "2026-11-20T05:15:00"),  # no offset: UTC
        ("2026-11-20T11:15:00+07:00", "2026-11-20T12:15:00+07:00"),  # WIB
    ],
)
def test_list_filters_by_time_from_since_up_to_until(api, events, since, until):
    assert _ids(api(LIST, since=since, until=until)) == [events["q1"]]


def test_list_time_filters_alone_and_by_date(api, events):
    assert _ids(api(LIST, since="2026-11-20T04:15:00Z")) == [events["q2"], events["q1"]]
    assert _ids(api(LIST, until="2026-11-20")) == [events["drill"]]  # a date: its midnight (UTC)
    assert _ids(api(LIST, kind="earthquake", since="2026-11-20", until="2026-11-20T04:00:00Z")) == [
        events["q0"]
    ]


def test_list_filters_exercises_and_impact(api, events):
    assert _ids(api(LIST, exercise="true")) == [events["drill"]]
    assert events["drill"] not in _ids(api(LIST, exercise="false"))
    assert _ids(api(LIST, impact="true")) == []  # no place of ours anywhere near


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "quake"}, "kind"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-13-01T00:00:00Z"}, "since"),
        ({"until": "0001-01-01T00:00:00+01:00"}, "until"),  # before year 1 in UTC
        ({"since": "2026-11-20T05:00:00Z", "until": "2026-11-20T04:00:00Z"}, "until"),
        ({"since": "2026-11-20T05:00:00Z", "until": "2026-11-20T12:00:00+07:00"}, "until"),  # same instant
        ({"exercise": "maybe"}, "exercise"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "x"}, "page"),
    ],
)
def test_bad_filters_answer_422_naming_the_field(api, db_session, params, field):
    resp = api(LIST, **params)
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "validation failed" and field in body["fields"], body


# ---------------------------------------------------------------- one event


def test_quake_detail_lists_places_reached_with_their_mmi(api, db_session, make_shelter, make_point, users):
    from siaga.core.validation import validate
    from siaga.registry.schemas import OccupancyIn
    from siaga.registry.services import record_occupancy

    near = make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1], capacity=100)
    record_occupancy(near.id, validate(OccupancyIn, {"kind": "check_in", "people": 40}), users["coordinator"])
    far = make_shelter(name="Posko Palembang", lat=-2.97, lon=104.77)
    point = make_point(name="TK Sekayu", lat=SEKAYU[0] - 0.03, lon=SEKAYU[1])
    ev, _, _ = process_report(quake(magnitude=6.0))
    process_report(quake(magnitude=6.1, source="gempaterkini", origin_time=T0 + timedelta(seconds=30)))

    resp = api(f"{LIST}/{ev.id}", role="field")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    HazardEventDetail.model_validate(body)
    assert body["source"] == CREDIT and body["kind"] == "earthquake" and body["magnitude"] == 6.1
    assert body["max_mmi"] >= 6 and body["max_mmi_roman"] in {"VI", "VII", "VIII"}
    assert body["people_affected"] == 40 and body["affected_count"] >= 2 and body["severity"] >= 2
    assert body["origin_time_local"].endswith(" WIB") and body["mmi_threshold"] == 5.0

    shelters = {s["id"]: s for s in body["shelters"]}
    assert set(shelters) == {near.id}  # Palembang, ~100 km away, stays below MMI V
    assert far.id not in shelters
    sd = shelters[near.id]
    assert sd["name"] == "SD Sekayu" and sd["people"] == 40 and sd["mmi"] >= 6 and sd["in_area"]
    assert sd["mmi_roman"] and sd["level"] is None and 0 < sd["distance_km"] < 10
    assert [p["id"] for p in body["evacuation_points"]] == [point.id]
    assert body["evacuation_points"][0]["mmi"] >= 5
    assert body["regions"] and all(r["code"].startswith("16.") and r["mmi"] >= 5 for r in body["regions"])

    places = body["shelters"] + body["evacuation_points"] + body["regions"]
    ranked = sorted(places, key=lambda p: p["rank"])
    assert [p["rank"] for p in ranked] == list(range(len(places)))  # one ranking over every place
    mmis = [p["mmi"] for p in ranked]
    assert mmis == sorted(mmis, reverse=True) and min(mmis) >= 5.0
    for group in ("shelters", "evacuation_points", "regions"):  # each list in the stored order
        assert [p["rank"] for p in body[group]] == sorted(p["rank"] for p in body[group])

    assert [r["feed"] for r in body["revisions"]] == ["autogempa", "gempaterkini"]
    assert body["revisions"][0]["changes"] == {"created": True}
    assert body["revisions"][1]["changes"]["magnitude"] == {"from": 6.0, "to": 6.1}
    assert body["feeds"] == ["autogempa", "gempaterkini"] and body["revision"] == 2


def test_tsunami_detail_lists_places_with_their_warning_level(api, db_session, make_shelter, make_point):
    shelter = make_shelter(name="Posko Sekayu", lat=-2.88, lon=103.85)  # Kab. Musi Banyuasin
    tes = make_point(name="TES Masjid Agung", kind="tes", lat=SEKAYU[0], lon=SEKAYU[1])
    report = tsunami(
        areas=(
            TsunamiArea(province="SUMSEL", district="MUSI BANYUASIN", level="SIAGA"),
            TsunamiArea(province="BABEL", district="BANGKA BARAT", level="AWAS"),
        ),
    )
    ev, _, _ = process_report(report)
    body = api(f"{LIST}/{ev.id}").get_json()
    HazardEventDetail.model_validate(body)
    assert body["level"] == "AWAS" and body["message_type"] == "PD-1" and body["severity"] == 3
    assert [(s["id"], s["level"], s["mmi"]) for s in body["shelters"]] == [(shelter.id, "SIAGA", None)]
    assert [(p["id"], p["level"]) for p in body["evacuation_points"]] == [(tes.id, "SIAGA")]
    assert body["regions"] and {r["level"] for r in body["regions"]} == {"SIAGA"}
    assert {(a["district"], a["level"]) for a in body["areas"]} == {
        ("MUSI BANYUASIN", "SIAGA"),
        ("BANGKA BARAT", "AWAS"),
    }
    assert body["source"] == CREDIT


def test_a_quake_and_its_tsunami_warning_point_to_each_other(api, db_session):
    """Related by the same rule that makes feeds' reports one quake: origin time within 2 min,
    epicentre within 50 km, the same kind of report (an exercise never relates to a real one)."""
    where = {"origin_time": T0, "lat": -3.5, "lon": 105.5, "magnitude": 7.3, "region_text": "Selat Bangka"}
    shock, _ = ingest(quake(**where))
    warning, _ = ingest(tsunami(identifier="tsu-real", **where))
    drill, _ = ingest(tsunami(identifier="tsu-drill", is_exercise=True, **where))
    other, _ = ingest(tsunami(identifier="tsu-later", **{**where, "origin_time": T0 + timedelta(minutes=3)}))
    far, _ = ingest(tsunami(identifier="tsu-far", **{**where, "lat": -4.5}))
    weather_ev, _ = ingest(weather())
    db_session.flush()

    def related(ev):
        body = api(f"{LIST}/{ev.id}").get_json()
        HazardEventDetail.model_validate(body)
        return [(r["id"], r["kind"]) for r in body["related"]]

    assert related(shock) == [(warning.id, "tsunami")]
    assert related(warning) == [(shock.id, "earthquake")]
    assert related(drill) == [] and related(other) == [] and related(far) == []
    assert related(weather_ev) == []
    body = api(f"{LIST}/{warning.id}").get_json()
    assert body["related"][0]["url"].endswith(f"/hazards/{shock.id}")
    assert body["related"][0]["level"] is None and body["related"][0]["is_ended"] is False


def test_weather_detail_lists_places_inside_its_polygons(api, db_session, make_shelter):
    inside = make_shelter(name="Posko Dalam", lat=-2.97, lon=104.77)
    make_shelter(name="Posko Luar", lat=-2.5, lon=103.5)
    ev, _, _ = process_report(weather())
    body = api(f"{LIST}/{ev.id}").get_json()
    HazardEventDetail.model_validate(body)
    assert [(s["id"], s["level"]) for s in body["shelters"]] == [(inside.id, "Severe")]
    assert (
        body["cap_severity"] == "Severe"
        and body["polygons"]
        and body["areas"] == [{"description": "Palembang"}]
    )
    assert (
        body["expires_at"] == "2026-11-20T06:15:00+00:00"
        and body["expires_at_local"] == "20-11-2026 13:15 WIB"
    )
    assert body["status"] == event_status(ev)


def test_status_of_warnings():
    from siaga.hazards.models import HazardEvent

    warning = HazardEvent(expires_at=T0, is_ended=False)
    assert event_status(warning, now=T0 - timedelta(minutes=1)) == "active"
    assert event_status(warning, now=T0) == "expired"
    assert event_status(HazardEvent(is_ended=True), now=T0) == "ended"
    assert event_status(HazardEvent(is_ended=False), now=T0) == "active"  # a quake has no expiry


@pytest.mark.parametrize("event_id", ["999999", str(2**31), str(2**70)])
def test_unknown_or_huge_ids_are_404(api, db_session, event_id):
    resp = api(f"{LIST}/{event_id}")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not found"


def test_sessions_work_and_anonymous_is_401(client, users, events):
    assert client.get(LIST).status_code == 401
    assert client.get(f"{LIST}/{events['q0']}").status_code == 401
    login(client, users["partner"].email)
    assert client.get(LIST).get_json()["total"] == 6
    assert client.get(f"{LIST}/{events['q0']}").get_json()["id"] == events["q0"]


# ---------------------------------------------------------------- the OpenAPI document


def test_both_routes_are_in_the_openapi_document(app):
    routes = {
        (m.lower(), openapi_path(r.rule))
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/hazards/")
        for m in (r.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routes == {("get", "/api/v1/hazards/events"), ("get", "/api/v1/hazards/events/{event_id}")}
    documented = {(m, p) for p, item in hazard_paths().items() for m in item if m != "parameters"}
    assert routes == documented
    doc = openapi_document()
    assert set(hazard_paths()) <= set(doc["paths"]) and set(hazard_schemas()) <= set(
        doc["components"]["schemas"]
    )
    params = {p["name"]: p for p in doc["paths"][LIST]["get"]["parameters"]}
    assert params["kind"]["schema"]["enum"] == ["earthquake", "tsunami", "weather"]
    assert params["since"]["schema"]["format"] == "date-time"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

    OPENAPI_30_VALIDATOR.validate(doc)


def test_answers_match_the_documented_schemas(api, db_session, make_shelter, events):
    """The answers, checked against the document's own JSON Schemas (not only the models)."""
    import jsonschema

    make_shelter(name="SD Sekayu", lat=SEKAYU[0] + 0.02, lon=SEKAYU[1])
    ev, _, _ = process_report(quake(origin_time=T0 + timedelta(hours=5)))
    doc = openapi_document()

    def check(body, name):
        schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        jsonschema.validate(body, _nullable_to_null(schema))

    check(api(LIST).get_json(), "HazardEventPage")
    detail = api(f"{LIST}/{ev.id}").get_json()
    assert detail["shelters"] and detail["regions"]
    check(detail, "HazardEventDetail")
    check(api(LIST, kind="x").get_json(), "FieldErrors")
    check(api(f"{LIST}/999999").get_json(), "Error")


def _nullable_to_null(node):
    """OpenAPI 3.0 ``nullable`` as JSON Schema's null type, so jsonschema can check it."""
    if isinstance(node, list):
        return [_nullable_to_null(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_null(v) for k, v in node.items()}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "allOf" in out:
            out = {"anyOf": [{"type": "null"}, out]}
    return out
