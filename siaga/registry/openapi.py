"""The OpenAPI 3.0 document of JSON API v1, served at ``GET /api/v1/openapi.json``.

Request bodies and query parameters come from the pydantic models the views validate with
(:mod:`siaga.registry.schemas`, :class:`siaga.registry.api.ListQuery`), so a changed limit
changes the document too. Responses are described by the small output models below, which
mirror :mod:`siaga.registry.serializers` key for key (``tests/registry/test_openapi.py``
checks that, and that every route under ``/api/v1`` is documented).

Pydantic writes JSON Schema 2020-12; :func:`to_openapi30` rewrites the few keywords that
OpenAPI 3.0 spells differently (``nullable`` instead of a ``null`` type, no siblings next
to ``$ref``, ``enum`` instead of ``const``). 3.0 rather than 3.1 because schemathesis 3.x,
which the tests run over this document, treats 3.1 as experimental.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any, Literal

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from werkzeug.wrappers import Response

from siaga.core.auth import public
from siaga.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from siaga.registry.api import ListQuery
from siaga.registry.models import OccupancyKind, PointKind, PointStatus, ShelterStatus, ShelterType
from siaga.registry.schemas import (
    REGION_CODE,
    SHELTER_CODE,
    NearestQuery,
    OccupancyIn,
    PointIn,
    PointPatch,
    ShelterIn,
    ShelterPatch,
)

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
JSON = "application/json"

# ---------------------------------------------------------------- response models
# One model per dict built in siaga/registry/serializers.py (and the views' envelopes).


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Occupancy(_Out):
    """Current occupants by group (``families`` counts households, the rest people)."""

    male: int
    female: int
    under5: int
    over60: int
    pregnant_lactating: int
    disabled: int
    families: int


class Facilities(_Out):
    water_points: int
    toilets: int
    accessible_toilets: int
    kitchen: bool
    health_post: bool
    power: bool
    pets_allowed: bool


class ShelterOut(_Out):
    """A shelter. manager_name, manager_phone and occupancy_updated_by: present for logged-in roles."""

    id: int
    code: str
    name: str
    type: ShelterType
    status: ShelterStatus
    region_code: str
    lat: float
    lon: float
    address: str | None
    capacity: int
    occupants: int
    free: int = Field(description="capacity − occupants, never below 0")
    floor_area_m2: float | None
    sphere_capacity: int | None = Field(description="people the floor area holds at 3.5 m² each")
    occupancy: Occupancy
    facilities: Facilities
    owner_org_id: int
    owner_org: str | None
    notes: str | None
    occupancy_updated_at: str | None = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})
    manager_name: str | None = None
    manager_phone: str | None = None
    occupancy_updated_by: str | None = None


class ShelterCreated(ShelterOut):
    warnings: list[Literal["outside_indonesia", "region_mismatch"]]


class PointOut(_Out):
    """An evacuation point."""

    id: int
    code: str | None
    name: str
    kind: PointKind
    status: PointStatus
    capacity: int
    region_code: str
    lat: float
    lon: float
    address: str | None
    notes: str | None
    owner_org_id: int
    owner_org: str | None
    updated_at: str = Field(json_schema_extra={"format": "date-time"})


class PointCreated(PointOut):
    warnings: list[Literal["outside_indonesia", "region_mismatch"]]


class OccupancyEventOut(_Out):
    """One check-in, check-out or correction."""

    id: int
    shelter_id: int
    kind: OccupancyKind
    delta: int = Field(description="change in people; negative for a check-out")
    delta_breakdown: dict[str, int]
    occupants_after: int
    overflow: bool
    reason: str | None
    at: str = Field(json_schema_extra={"format": "date-time"})
    by: str
    via: str


class OccupancyRecorded(_Out):
    event: OccupancyEventOut
    shelter: ShelterOut


class OccupancyHistory(_Out):
    items: list[OccupancyEventOut]


class ShelterPage(_Out):
    items: list[ShelterOut]
    page: int
    per_page: int
    total: int


class PointPage(_Out):
    items: list[PointOut]
    page: int
    per_page: int
    total: int


class NearbyShelter(_Out):
    id: int
    name: str
    lat: float
    lon: float
    distance_km: float
    capacity: int
    free: int
    status: ShelterStatus
    kind: Literal["shelter"]


class NearbyPoint(_Out):
    id: int
    name: str
    lat: float
    lon: float
    distance_km: float
    capacity: int
    free: int
    status: PointStatus
    kind: PointKind


class NearestQueryOut(_Out):
    lat: float
    lon: float
    k: int
    min_free: int


class NearestOut(_Out):
    query: NearestQueryOut
    shelters: list[NearbyShelter]
    evacuation_points: list[NearbyPoint]


class Error(_Out):
    """Any error answer: 400, 401, 403, 404, 409."""

    error: str
    message: str | None = None
    fields: dict[str, str] | None = None


class FieldErrors(_Out):
    """422: bad input, one reason per field (a dotted path for nested fields; _ for the whole body)."""

    error: Literal["validation failed"]
    fields: dict[str, str]


_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    *((m, "validation") for m in (ShelterIn, ShelterPatch, PointIn, PointPatch, OccupancyIn)),
    *(
        (m, "serialization")
        for m in (
            ShelterOut,
            ShelterCreated,
            PointOut,
            PointCreated,
            OccupancyRecorded,
            OccupancyHistory,
            ShelterPage,
            PointPage,
            NearestOut,
            Error,
            FieldErrors,
        )
    ),
]

#: Rules the models check in validators, which their JSON Schema cannot show.
_PATTERNS = {
    ("ShelterIn", "code"): SHELTER_CODE.pattern,
    ("ShelterIn", "region_code"): REGION_CODE.pattern,
    ("PointIn", "region_code"): REGION_CODE.pattern,
    ("ShelterIn", "manager_phone"): r"^[+0-9 ()./-]{6,30}$",
    ("ShelterPatch", "manager_phone"): r"^[+0-9 ()./-]{6,30}$",
}

_EXAMPLES: dict[str, dict[str, Any]] = {
    "ShelterIn": {
        "code": "MUBA-SD01",
        "name": "SD Negeri 1 Sekayu",
        "type": "school",
        "lat": -2.8833,
        "lon": 103.85,
        "region_code": "16.06",
        "capacity": 120,
        "status": "open",
    },
    "ShelterPatch": {"capacity": 150, "status": "open"},
    "PointIn": {
        "name": "Lapangan Merdeka",
        "kind": "assembly",
        "lat": -2.98,
        "lon": 104.76,
        "region_code": "16.06",
        "capacity": 500,
    },
    "PointPatch": {"status": "damaged", "notes": "Jalan akses tertutup longsor"},
    "OccupancyIn": {"kind": "check_in", "people": 4, "male": 2, "female": 2, "under5": 1, "families": 1},
}

# ---------------------------------------------------------------- JSON Schema -> OpenAPI 3.0


def to_openapi30(node: Any) -> Any:
    """Rewrite a pydantic (JSON Schema 2020-12) schema into an OpenAPI 3.0 Schema Object."""
    if isinstance(node, list):
        return [to_openapi30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_openapi30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del out[key]
            out["nullable"] = True
            if len(rest) == 1 and "$ref" not in rest[0]:
                out = {**rest[0], **out}
            elif rest:
                out[key if len(rest) > 1 else "allOf"] = rest
    if "$ref" in out and len(out) > 1:
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[plain] = out.pop(bound)
            out[bound] = True
    if "examples" in out and isinstance(out["examples"], list):
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    return out


def _components() -> dict[str, Any]:
    _, top = models_json_schema(_MODELS, ref_template=REF)
    schemas: dict[str, Any] = to_openapi30(top["$defs"])
    for (model, field), pattern in _PATTERNS.items():
        prop = schemas[model]["properties"][field]
        prop["pattern"] = pattern
    for model, example in _EXAMPLES.items():
        schemas[model]["example"] = example
    return schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


# ---------------------------------------------------------------- parameters and responses


def _query_params(
    model: type[BaseModel], names: tuple[str, ...], overrides: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Query parameters from a pydantic model's fields (the same limits the view applies)."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    params = []
    for name in names:
        prop = to_openapi30(schema["properties"][name])
        prop.pop("title", None)
        prop.pop("nullable", None)  # an absent parameter is "not given"; there is no null in a URL
        if prop.get("default", 0) is None:
            del prop["default"]
        prop.update((overrides or {}).get(name, {}))
        description = prop.pop("description", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


_LIST_DESCRIPTIONS: dict[str, dict[str, Any]] = {
    "region": {"description": "region code or a prefix of one (e.g. 16.06 for a whole regency)"},
    "min_free": {"description": "at least this many free places"},
    "stale": {"description": "only shelters whose occupancy was not updated recently (or never)"},
    "q": {"description": "text in the name (shelters: or the code), case-insensitive"},
    "bbox": {
        "description": "west,south,east,north in degrees (WGS84)",
        "pattern": r"^-?\d{1,3}(\.\d{1,6})?(,-?\d{1,3}(\.\d{1,6})?){3}$",
        "example": "103.5,-3.2,104.9,-2.5",
    },
}


def _enum(values: type[Any]) -> dict[str, Any]:
    return {"enum": [v.value for v in values]}


def _list_params(kind: Literal["shelters", "points"]) -> list[dict[str, Any]]:
    """The ListQuery fields each list view reads (the others are accepted but ignored there)."""
    if kind == "shelters":
        names: tuple[str, ...] = ("page", "per_page", "region", "status", "min_free", "stale", "q", "bbox")
        return _query_params(ListQuery, names, {**_LIST_DESCRIPTIONS, "status": _enum(ShelterStatus)})
    names = ("page", "per_page", "region", "status", "kind", "q", "bbox")
    overrides = {**_LIST_DESCRIPTIONS, "status": _enum(PointStatus), "kind": _enum(PointKind)}
    return _query_params(ListQuery, names, overrides)


def _nearest_params() -> list[dict[str, Any]]:
    return _query_params(
        NearestQuery,
        ("lat", "lon", "k", "min_free"),
        {
            "lat": {"example": -2.9761},
            "lon": {"example": 104.7754},
            "k": {"description": "how many of each (shelters, evacuation points)"},
            "min_free": {"description": "shelters with at least this many free places"},
        },
    )


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"the {what}'s id",
        "schema": {"type": "integer", "minimum": 1},
    }


IDEMPOTENCY_PARAM = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Any unique string per logical write. A retry with the same key and body replays the first "
        "answer (with `Idempotent-Replayed: true`) instead of writing twice; the same key with a "
        "different request is refused with 422."
    ),
    "schema": {"type": "string", "maxLength": 200},
}

_ERRORS = {
    400: ("Bad request (a browser session writing without a CSRF token)", "Error"),
    401: ("Not logged in and no valid bearer token", "Error"),
    403: ("The role (or, for field teams, the assignment) does not allow this", "Error"),
    404: ("No such record", "Error"),
    409: ("Valid, but clashes with the shelter's state (closed, over capacity)", "Error"),
    422: ("Bad input: one reason per field", "FieldErrors"),
}


def _json_content(name: str) -> dict[str, Any]:
    return {"content": {JSON: {"schema": _ref(name)}}}


def _operation(
    op_id: str,
    summary: str,
    ok: tuple[int, str],
    errors: tuple[int, ...],
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    status, out = ok
    responses: dict[str, Any] = {str(status): {"description": "OK", **_json_content(out)}}
    for code in sorted({401, *errors}):
        description, schema = _ERRORS[code]
        responses[str(code)] = {"description": description, **_json_content(schema)}
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "responses": responses}
    if body is not None:
        op["parameters"] = [*(params or []), IDEMPOTENCY_PARAM]
        op["requestBody"] = {"required": True, **_json_content(body)}
    elif params:
        op["parameters"] = params
    return op


def _paths() -> dict[str, Any]:
    shelter_id = [_path_id("shelter_id", "shelter")]
    point_id = [_path_id("point_id", "evacuation point")]
    write = (400, 403, 422)
    return {
        f"{PREFIX}/shelters": {
            "get": _operation(
                "listShelters",
                "Shelters, filtered and paged (field teams: their assigned shelters only)",
                (200, "ShelterPage"),
                (422,),
                params=_list_params("shelters"),
            ),
            "post": _operation(
                "createShelter",
                "Create a shelter; the region is found from lat/lon when not given",
                (201, "ShelterCreated"),
                write,
                body="ShelterIn",
            ),
        },
        f"{PREFIX}/shelters/nearest": {
            "get": _operation(
                "nearestShelters",
                "The nearest open or standby shelters with free places, and the nearest active points",
                (200, "NearestOut"),
                (422,),
                params=_nearest_params(),
            ),
        },
        f"{PREFIX}/shelters/{{shelter_id}}": {
            "parameters": shelter_id,
            "get": _operation("getShelter", "One shelter", (200, "ShelterOut"), (403, 404)),
            "patch": _operation(
                "updateShelter",
                "Change the given fields of a shelter",
                (200, "ShelterOut"),
                (*write, 404),
                body="ShelterPatch",
            ),
        },
        f"{PREFIX}/shelters/{{shelter_id}}/occupancy": {
            "parameters": shelter_id,
            "get": _operation(
                "occupancyHistory",
                "The shelter's occupancy events, newest first (at most 500)",
                (200, "OccupancyHistory"),
                (403, 404),
            ),
            "post": _operation(
                "recordOccupancy",
                "Record a check-in, check-out or correction; refused over capacity unless overflow",
                (201, "OccupancyRecorded"),
                (*write, 404, 409),
                body="OccupancyIn",
            ),
        },
        f"{PREFIX}/evacuation-points": {
            "get": _operation(
                "listEvacuationPoints",
                "Evacuation points, filtered and paged",
                (200, "PointPage"),
                (422,),
                params=_list_params("points"),
            ),
            "post": _operation(
                "createEvacuationPoint",
                "Create an evacuation point",
                (201, "PointCreated"),
                write,
                body="PointIn",
            ),
        },
        f"{PREFIX}/evacuation-points/{{point_id}}": {
            "parameters": point_id,
            "get": _operation("getEvacuationPoint", "One evacuation point", (200, "PointOut"), (404,)),
            "patch": _operation(
                "updateEvacuationPoint",
                "Change the given fields of an evacuation point",
                (200, "PointOut"),
                (*write, 404),
                body="PointPatch",
            ),
        },
        f"{PREFIX}/openapi.json": {
            "get": {
                "operationId": "openapiDocument",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


@functools.cache
def _document() -> dict[str, Any]:
    from siaga import __version__
    from siaga.aid.openapi import aid_paths, aid_schemas
    from siaga.hazards.openapi import hazard_paths, hazard_schemas

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Siaga Bencana API",
            "version": __version__,
            "description": (
                "Shelters, evacuation points and occupancy. Authenticate with "
                "`Authorization: Bearer <token>` (tokens are created on the account page); a logged-in "
                "browser session also works but then writes need a CSRF token. Bad input answers 422 "
                "with one reason per field. Writes accept an `Idempotency-Key` header for safe retries."
            ),
        },
        "paths": {**_paths(), **aid_paths(), **hazard_paths()},
        "components": {
            "schemas": {**_components(), **aid_schemas(), **hazard_schemas()},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "an API token"}
            },
        },
        "security": [{"bearerAuth": []}],
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule (``/shelters/<int:shelter_id>``) as an OpenAPI path (``/shelters/{shelter_id}``)."""
    return _CONVERTER.sub(r"{\1}", rule)


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """The document holds no data, so anyone may read it."""
    return jsonify(openapi_document())
