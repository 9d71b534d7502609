"""Aid logistics JSON API (v1): catalogue, stock, distributions, field updates, requests, needs.

Writes take an ``Idempotency-Key`` (the field page sends one per queued change, so a
repeated sync applies once). Bad input answers 422 with field errors, a clash with the
current state (not enough stock, confirming twice) 409; nothing is changed then.
Occupancy from the phone uses the registry's ``POST /api/v1/shelters/<id>/occupancy``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.wrappers import Response

from siaga.accounts.models import Role
from siaga.aid import services
from siaga.aid.models import AidRequest
from siaga.aid.schemas import AdjustIn, DistributionIn, ReceiptIn, ReceiveIn, RequestIn, StatusIn, TransferIn
from siaga.aid.serializers import (
    depot_dict,
    distribution_dict,
    item_dict,
    movement_dict,
    needs_dict,
    request_dict,
)
from siaga.core.auth import ALL_ROLES, OPERATIONS, READERS, roles_required
from siaga.core.errors import NotAllowed, ValidationFailed
from siaga.core.idempotency import enqueue_after_commit, idempotent, replays_twin
from siaga.core.params import parse_int
from siaga.core.validation import json_body, validate
from siaga.extensions import csrf, db
from siaga.registry.models import Shelter

bp = Blueprint("aid_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

FIELD_OPS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.FIELD})


@bp.before_request
def _csrf_for_cookie_sessions() -> None:
    """Token clients need no CSRF token; a browser session writing to the API does."""
    if (
        request.method in ("POST", "PUT", "PATCH", "DELETE")
        and not g.get("login_via_token")
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()


@bp.get("/aid/items")
@roles_required(ALL_ROLES)
def items() -> Response:
    return jsonify(items=[item_dict(i) for i in services.list_items()])


@bp.get("/aid/depots")
@roles_required(READERS)
def depots() -> Response:
    rows = list(db.session.scalars(services.visible_depots_query(current_user)))
    stock: dict[int, dict[int, int]] = {d.id: {} for d in rows}
    for r in services.stock_rows([d.id for d in rows]):
        stock[r.depot_id][r.item_id] = r.quantity
    return jsonify(items=[depot_dict(d, stock[d.id]) for d in rows])


@bp.get("/aid/depots/<int:depot_id>")
@roles_required(READERS)
def depot(depot_id: int) -> Response:
    d = services.visible_depot(depot_id, current_user)
    stock = {r.item_id: r.quantity for r in services.stock_rows([d.id])}
    body = depot_dict(d, stock)
    body["movements"] = [movement_dict(m) for m in services.ledger(d.id, limit=100)]
    return jsonify(body)


@bp.post("/aid/depots/<int:depot_id>/receipts")
@roles_required(OPERATIONS)
@idempotent
def receive(depot_id: int) -> tuple[dict[str, Any], int]:
    d = services.visible_depot(depot_id, current_user)
    data = validate(ReceiveIn, json_body())
    mv = services.receive(d.id, data)
    return {"movement": movement_dict(mv), "balance": services.balance(d.id, mv.item_id)}, 201


@bp.post("/aid/depots/<int:depot_id>/adjustments")
@roles_required(OPERATIONS)
@idempotent
def adjust(depot_id: int) -> tuple[dict[str, Any], int]:
    d = services.visible_depot(depot_id, current_user)
    data = validate(AdjustIn, json_body())
    mvs = services.adjust(d.id, data)
    return {
        "movements": [movement_dict(m) for m in mvs],
        "balance": services.balance(d.id, data.item_id),
    }, 201


@bp.post("/aid/transfers")
@roles_required(OPERATIONS)
@idempotent
def transfer() -> tuple[dict[str, Any], int]:
    data = validate(TransferIn, json_body())
    mvs = services.transfer(data)
    return {"movements": [movement_dict(m) for m in mvs]}, 201


@bp.get("/aid/distributions")
@roles_required(ALL_ROLES)
def distributions() -> Response:
    stmt = services.visible_distributions_query(current_user)
    status = request.args.get("status")
    if status:
        from siaga.aid.models import Distribution, DistributionStatus

        if status not in {s.value for s in DistributionStatus}:
            raise ValidationFailed({"status": "unknown status"})
        stmt = stmt.where(Distribution.status == DistributionStatus(status))
    rows = list(db.session.scalars(stmt.limit(500)))
    return jsonify(items=[distribution_dict(d) for d in rows])


@bp.post("/aid/distributions")
@roles_required(OPERATIONS)
@idempotent
def plan() -> tuple[dict[str, Any], int]:
    data = validate(DistributionIn, json_body())
    d, warnings = services.plan_distribution(data)
    body = distribution_dict(d)
    body["warnings"] = warnings
    return body, 201


@bp.get("/aid/distributions/<int:distribution_id>")
@roles_required(ALL_ROLES)
def distribution(distribution_id: int) -> Response:
    return jsonify(distribution_dict(services.visible_distribution(distribution_id, current_user)))


@bp.post("/aid/distributions/<int:distribution_id>/status")
@roles_required(FIELD_OPS)
@idempotent
@replays_twin
def change_status(distribution_id: int) -> tuple[dict[str, Any], int]:
    d = services.visible_distribution(distribution_id, current_user, lock=True)
    data = validate(StatusIn, json_body())
    d, queued = services.change_status(d.id, data, current_user)
    enqueue_after_commit(queued)
    return distribution_dict(d), 200


@bp.post("/aid/distributions/<int:distribution_id>/receipt")
@roles_required(FIELD_OPS)
@idempotent
@replays_twin
def receipt(distribution_id: int) -> tuple[dict[str, Any], int]:
    d = services.visible_distribution(distribution_id, current_user, lock=True)
    data = validate(ReceiptIn, json_body())
    d, queued = services.record_receipt(d.id, data, current_user)
    enqueue_after_commit(queued)
    return distribution_dict(d), 200


@bp.get("/aid/field/tasks")
@roles_required(FIELD_OPS)
def field_tasks() -> Response:
    """The phone page's data: my open deliveries and my assigned shelters."""
    from siaga.registry.services import assigned_shelters

    return jsonify(
        deliveries=[distribution_dict(d) for d in services.field_tasks(current_user)],
        shelters=[
            {"id": s.id, "name": s.name, "occupants": s.occupants, "capacity": s.capacity}
            for s in assigned_shelters(current_user)
        ],
    )


@bp.get("/aid/requests")
@roles_required(ALL_ROLES)
def requests_list() -> Response:
    status = request.args.get("status") or None
    if status and status not in {"open", "filled", "cancelled"}:
        raise ValidationFailed({"status": "must be one of: open, filled, cancelled"})
    rows = list(db.session.scalars(services.visible_requests_query(current_user, status).limit(500)))
    return jsonify(items=[request_dict(r, services.request_progress(r)) for r in rows])


@bp.post("/aid/requests")
@roles_required(ALL_ROLES)
@idempotent
def create_request() -> tuple[dict[str, Any], int]:
    data = validate(RequestIn, json_body())
    req = services.create_request(data, current_user)
    return request_dict(req, {}), 201


@bp.post("/aid/requests/<int:request_id>/cancel")
@roles_required(OPERATIONS)
@idempotent
def cancel_request(request_id: int) -> tuple[dict[str, Any], int]:
    req = db.session.get(AidRequest, request_id)
    if req is None:
        abort(404)
    services.cancel_request(req)
    return request_dict(req, services.request_progress(req)), 200


@bp.get("/aid/shelters/<int:shelter_id>/needs")
@roles_required(ALL_ROLES)
def shelter_needs(shelter_id: int) -> Response:
    shelter = db.session.get(Shelter, shelter_id)
    if shelter is None:
        abort(404)
    if current_user.role == Role.FIELD and not services.is_assigned_to(current_user, shelter.id):
        raise NotAllowed("not allowed")
    days = parse_int(request.args.get("days", "7"), 1, 90)
    if days is None:
        raise ValidationFailed({"days": "must be a whole number from 1 to 90"})
    profile = request.args.get("profile") or None
    from siaga.aid.needs import PROFILES

    if profile and profile not in PROFILES:
        raise ValidationFailed({"profile": "must be one of: " + ", ".join(PROFILES)})
    return jsonify(needs_dict(services.shelter_needs(shelter, profile, days)))
