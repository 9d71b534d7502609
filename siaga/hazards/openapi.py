"""OpenAPI 3.0 paths and schemas of the hazards API, to merge into ``/api/v1/openapi.json``.

``siaga.registry.openapi`` builds the document and merges these next to the aid API's. The
query parameters come from :class:`siaga.hazards.api.EventListQuery` (the model the view
validates with); the responses are described by the output models below, which mirror
:mod:`siaga.hazards.serializers` key for key (``tests/hazards/test_api.py`` checks that).
Errors use the registry's ``Error`` and ``FieldErrors`` schemas.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic.json_schema import models_json_schema

from siaga.hazards.api import KINDS, EventListQuery
from siaga.hazards.models import HazardKind
from siaga.registry.openapi import _Out

PREFIX = "/api/v1/hazards"
REF = "#/components/schemas/{model}"
JSON = "application/json"
_DATE_TIME: dict[str, Any] = {"format": "date-time"}
_CREDIT = 'Always "Sumber: BMKG": BMKG\'s terms require the credit wherever its data is shown'

# ---------------------------------------------------------------- response models


class HazardEventOut(_Out):
    """A hazard event (an earthquake, a tsunami warning or a weather warning) from BMKG feeds."""

    id: int
    kind: HazardKind
    identifier: str | None = Field(description="the feed's own identifier, when it gives one")
    title: str
    status: Literal["active", "ended", "expired"] = Field(
        description="ended: BMKG ended or cancelled the warning; expired: past its expiry"
    )
    is_exercise: bool = Field(description="an exercise (BMKG status TES): never dispatched for real")
    is_ended: bool
    origin_time: str | None = Field(json_schema_extra=_DATE_TIME, description="UTC")
    origin_time_local: str | None = Field(
        description="in the zone of the event's region, e.g. 20-11-2026 10:15 WIB"
    )
    time_zone: Literal["WIB", "WITA", "WIT"]
    magnitude: float | None
    depth_km: float | None
    lat: float | None
    lon: float | None
    region_text: str | None = Field(description="BMKG's place text, e.g. 10 km BaratLaut SEKAYU-MUBA-SUMSEL")
    felt_text: str | None
    potential_text: str | None
    tsunami_potential: bool | None = Field(
        description="earthquake: true when BMKG says a tsunami may follow, false when it says not, "
        "null when it says nothing"
    )
    message_type: str | None = Field(description="tsunami: PD-1 … PD-4")
    level: str | None = Field(description="tsunami: the highest level, AWAS, SIAGA or WASPADA")
    headline: str | None
    cap_severity: str | None = Field(description="weather: CAP severity (Extreme, Severe, Moderate, Minor)")
    effective_at: str | None = Field(json_schema_extra=_DATE_TIME)
    effective_at_local: str | None
    expires_at: str | None = Field(json_schema_extra=_DATE_TIME)
    expires_at_local: str | None
    severity: int = Field(description="in the area of responsibility: 0 none … 4 extreme")
    max_mmi: float | None = Field(
        description="earthquake: highest estimated MMI in the area of responsibility"
    )
    max_mmi_roman: str | None
    affected_count: int = Field(
        description="shelters and evacuation points reached in the area of responsibility"
    )
    people_affected: int = Field(description="people in the shelters reached in the area of responsibility")
    revision: int
    first_seen_at: str = Field(json_schema_extra=_DATE_TIME)
    updated_at: str = Field(json_schema_extra=_DATE_TIME)
    feeds: list[str] = Field(description="the BMKG feeds that reported it")
    url: str = Field(description="the event's page")
    source: Literal["Sumber: BMKG"] = Field(description=_CREDIT)


class _PlaceImpact(_Out):
    name: str
    region_code: str | None
    lat: float
    lon: float
    mmi: float | None = Field(description="earthquake: estimated MMI (Allen et al. 2012)")
    mmi_roman: str | None
    level: str | None = Field(description="tsunami: AWAS, SIAGA or WASPADA; weather: the CAP severity")
    distance_km: float | None = Field(description="earthquake: from the epicentre")
    rank: int = Field(description="0 is reached hardest")
    in_area: bool = Field(description="inside the task force's area of responsibility")


class HazardShelterImpact(_PlaceImpact):
    id: int
    people: int = Field(description="occupants when the impact was computed")


class HazardPointImpact(_PlaceImpact):
    id: int


class HazardRegionImpact(_PlaceImpact):
    """A district (kecamatan), at its centroid."""

    code: str


class HazardRevisionOut(_Out):
    feed: str
    received_at: str = Field(json_schema_extra=_DATE_TIME)
    changes: dict[str, Any] = Field(description='{"created": true}, or {field: {"from": …, "to": …}}')


class HazardRelatedEvent(_Out):
    id: int
    kind: Literal["earthquake", "tsunami"]
    title: str
    level: str | None = Field(description="tsunami: the highest level")
    is_ended: bool
    url: str = Field(description="the event's page")


class HazardEventDetail(HazardEventOut):
    description: str | None
    areas: list[dict[str, Any]] = Field(
        description="tsunami: the warning zones (province, district, level); weather: the areas"
    )
    polygons: list[Any] = Field(description="weather: per area, rings of [lat, lon]")
    mmi_threshold: float = Field(description="places at this estimated MMI or more are affected")
    shelters: list[HazardShelterImpact]
    evacuation_points: list[HazardPointImpact]
    regions: list[HazardRegionImpact]
    related: list[HazardRelatedEvent] = Field(
        description="events about the same quake: an earthquake's tsunami warnings, a warning's earthquake"
    )
    revisions: list[HazardRevisionOut]


class HazardEventPage(_Out):
    items: list[HazardEventOut]
    page: int
    per_page: int
    total: int
    source: Literal["Sumber: BMKG"] = Field(description=_CREDIT)


_MODELS = (HazardEventPage, HazardEventDetail)


def hazard_schemas() -> dict[str, Any]:
    from siaga.registry.openapi import to_openapi30

    _, top = models_json_schema([(m, "serialization") for m in _MODELS], ref_template=REF)
    return dict(to_openapi30(top["$defs"]))


# ---------------------------------------------------------------- paths

_DESCRIPTIONS: dict[str, dict[str, Any]] = {
    "kind": {"enum": list(KINDS)},
    "since": {"description": "origin at or after this time (ISO 8601; UTC when no offset is given)"},
    "until": {"description": "origin before this time (ISO 8601; UTC when no offset); later than since"},
    "exercise": {"description": "true: exercises only; false: real events only; absent: both"},
    "impact": {"description": "only events with impact in the area of responsibility"},
}


def _list_params() -> list[dict[str, Any]]:
    """Query parameters from EventListQuery's fields (the same limits the view applies)."""
    from siaga.registry.openapi import to_openapi30

    schema = EventListQuery.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        prop = to_openapi30(prop)
        prop.pop("title", None)
        prop.pop("nullable", None)  # an absent parameter is "not given"; there is no null in a URL
        if prop.get("default", 0) is None:
            del prop["default"]
        extra = dict(_DESCRIPTIONS.get(name, {}))
        description = extra.pop("description", None)
        prop.update(extra)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _ref(name: str) -> dict[str, Any]:
    return {"content": {JSON: {"schema": {"$ref": REF.format(model=name)}}}}


def _op(op_id: str, summary: str, out: str, error: tuple[int, str, str]) -> dict[str, Any]:
    code, description, schema = error
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": ["hazards"],
        "responses": {
            "200": {"description": "OK", **_ref(out)},
            "401": {"description": "Not logged in and no valid bearer token", **_ref("Error")},
            str(code): {"description": description, **_ref(schema)},
        },
    }


def hazard_paths() -> dict[str, Any]:
    listing = _op(
        "listHazardEvents",
        "BMKG hazard events, newest first (by origin time), filtered by kind and time, paged",
        "HazardEventPage",
        (422, "Bad input: one reason per field", "FieldErrors"),
    )
    listing["parameters"] = _list_params()
    return {
        f"{PREFIX}/events": {"get": listing},
        f"{PREFIX}/events/{{event_id}}": {
            "parameters": [
                {
                    "name": "event_id",
                    "in": "path",
                    "required": True,
                    "description": "the event's id",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
                }
            ],
            "get": _op(
                "getHazardEvent",
                "One event with the shelters, evacuation points and regions it reaches (estimated "
                "MMI or warning level each) and its revisions",
                "HazardEventDetail",
                (404, "No such event", "Error"),
            ),
        },
    }
