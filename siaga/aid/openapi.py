"""OpenAPI 3.0 paths and schemas of the aid logistics API, to merge into ``/api/v1/openapi.json``.

``siaga.registry.openapi`` builds the document; it merges these with
``{**_paths(), **aid_paths()}`` and ``{**_components(), **aid_schemas()}``. Request bodies
come from the pydantic models the views validate with (:mod:`siaga.aid.schemas`), run
through the registry's :func:`~siaga.registry.openapi.to_openapi30`. Responses are
described as JSON objects (see :mod:`siaga.aid.serializers` for their keys).
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from siaga.aid.schemas import AdjustIn, DistributionIn, ReceiptIn, ReceiveIn, RequestIn, StatusIn, TransferIn
from siaga.core.idempotency import HEADER

PREFIX = "/api/v1/aid"
REF = "#/components/schemas/{model}"
_BODIES = (ReceiveIn, AdjustIn, TransferIn, DistributionIn, StatusIn, ReceiptIn, RequestIn)
_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}
_ERRORS = {
    "400": "Bad request (a browser session writing without a CSRF token)",
    "401": "Not logged in and no valid bearer token",
    "403": "The role, organisation or assignment does not allow this",
    "404": "No such record",
    "409": "Valid, but clashes with the current state (not enough stock, already confirmed)",
    "422": "Bad input: one reason per field",
}
_IDEMPOTENCY = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A unique string per change; a retry with the same key and body applies once.",
    "schema": {"type": "string", "maxLength": 200},
}


def _id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2_147_483_647},
    }


def _op(
    op_id: str,
    summary: str,
    ok: int,
    errors: tuple[str, ...],
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {str(ok): {"description": "OK", **_OBJECT}}
    for code in sorted({"401", *errors}):
        responses[code] = {"description": _ERRORS[code], **_OBJECT}
    op: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": ["aid"], "responses": responses}
    if body is not None:
        op["parameters"] = [*(params or []), _IDEMPOTENCY]
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=body)}}},
        }
    elif params:
        op["parameters"] = params
    return op


def aid_schemas() -> dict[str, Any]:
    from siaga.registry.openapi import to_openapi30

    _, top = models_json_schema([(m, "validation") for m in _BODIES], ref_template=REF)
    return dict(to_openapi30(top["$defs"]))


def aid_paths() -> dict[str, Any]:
    write = ("400", "403", "404", "409", "422")
    depot, dist, shelter, req = _id("depot_id"), _id("distribution_id"), _id("shelter_id"), _id("request_id")
    status_q = {"name": "status", "in": "query", "required": False, "schema": {"type": "string"}}
    return {
        f"{PREFIX}/items": {"get": _op("listAidItems", "The item catalogue", 200, ())},
        f"{PREFIX}/depots": {
            "get": _op("listDepots", "Depots with stock (partners: their organisation's)", 200, ("403",))
        },
        f"{PREFIX}/depots/{{depot_id}}": {
            "get": _op("getDepot", "A depot, its stock and ledger", 200, ("403", "404"), params=[depot])
        },
        f"{PREFIX}/depots/{{depot_id}}/receipts": {
            "post": _op(
                "receiveStock",
                "Stock arrives (donation, procurement, transfer)",
                201,
                write,
                params=[depot],
                body="ReceiveIn",
            )
        },
        f"{PREFIX}/depots/{{depot_id}}/adjustments": {
            "post": _op(
                "adjustStock",
                "Damaged, expired, lost or a recount; with a reason",
                201,
                write,
                params=[depot],
                body="AdjustIn",
            )
        },
        f"{PREFIX}/transfers": {
            "post": _op("transferStock", "Move stock between depots", 201, write, body="TransferIn")
        },
        f"{PREFIX}/distributions": {
            "get": _op(
                "listDistributions", "Deliveries (field teams: theirs only)", 200, ("422",), params=[status_q]
            ),
            "post": _op(
                "planDistribution",
                "Plan a delivery from a depot to a shelter",
                201,
                write,
                body="DistributionIn",
            ),
        },
        f"{PREFIX}/distributions/{{distribution_id}}": {
            "get": _op(
                "getDistribution", "A delivery with its lines and history", 200, ("403", "404"), params=[dist]
            )
        },
        f"{PREFIX}/distributions/{{distribution_id}}/status": {
            "post": _op(
                "changeDistributionStatus",
                "Load, dispatch, confirm or cancel",
                200,
                write,
                params=[dist],
                body="StatusIn",
            )
        },
        f"{PREFIX}/distributions/{{distribution_id}}/receipt": {
            "post": _op(
                "recordDelivery",
                "What arrived, who received it, when and where",
                200,
                write,
                params=[dist],
                body="ReceiptIn",
            )
        },
        f"{PREFIX}/field/tasks": {
            "get": _op("fieldTasks", "The field team's open deliveries and shelters", 200, ("403",))
        },
        f"{PREFIX}/requests": {
            "get": _op("listAidRequests", "Requests (permintaan)", 200, ("422",), params=[status_q]),
            "post": _op("createAidRequest", "Request aid for a shelter", 201, write, body="RequestIn"),
        },
        f"{PREFIX}/requests/{{request_id}}/cancel": {
            "post": _op(
                "cancelAidRequest", "Cancel an open request", 200, ("403", "404", "409"), params=[req]
            )
        },
        f"{PREFIX}/shelters/{{shelter_id}}/needs": {
            "get": _op(
                "shelterNeeds",
                "Needs (per day, per week) against deliveries, with the profile named",
                200,
                ("403", "404", "422"),
                params=[
                    shelter,
                    {"name": "profile", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "days", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
            )
        },
    }
