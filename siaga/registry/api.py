"""JSON API v1 for shelters and evacuation points. Bad input: 400/422 with field errors."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from siaga.accounts.models import Role
from siaga.core.auth import ALL_ROLES, READERS, roles_required
from siaga.core.errors import NotAllowed, ValidationFailed
from siaga.core.idempotency import enqueue_after_commit, idempotent
from siaga.core.validation import json_body, validate
from siaga.db import lock_row
from siaga.extensions import csrf, db
from siaga.registry import services
from siaga.registry.models import EvacuationPoint, PointStatus, Shelter, ShelterAssignment, ShelterStatus
from siaga.registry.nearest import nearest_points, nearest_shelters
from siaga.registry.schemas import NearestQuery, OccupancyIn, PointIn, PointPatch, ShelterIn, ShelterPatch
from siaga.registry.serializers import event_dict, point_dict, shelter_dict

bp = Blueprint("registry_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _csrf_for_cookie_sessions() -> None:
    """Token clients need no CSRF token; a browser session writing to the API does."""
    if (
        request.method in ("POST", "PUT", "PATCH", "DELETE")
        and not g.get("login_via_token")
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()


def _bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must be west,south,east,north")
    w, s, e, n = (float(p) for p in parts)
    if not (
        -180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90 and s <= n and w <= e
    ):
        raise ValueError("bbox must be west,south,east,north within -180..180 / -90..90")
    return w, s, e, n


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    page: Annotated[int, Field(default=1, ge=1, le=100_000)]
    per_page: Annotated[int, Field(default=50, ge=1, le=500)]
    region: Annotated[str | None, Field(default=None, max_length=13)]
    status: Annotated[str | None, Field(default=None, max_length=20)]
    kind: Annotated[str | None, Field(default=None, max_length=20)]
    min_free: Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]
    stale: bool = False
    q: Annotated[str | None, Field(default=None, max_length=100)]
    bbox: str | None = None

    @field_validator("bbox")
    @classmethod
    def _check_bbox(cls, v: str | None) -> str | None:
        _bbox(v)
        return v

    @field_validator("status")
    @classmethod
    def _check_status(cls, v: str | None) -> str | None:
        from siaga.registry.models import PointStatus, ShelterStatus

        if v and v not in {s.value for s in ShelterStatus} | {s.value for s in PointStatus}:
            raise ValueError("unknown status")
        return v

    @field_validator("kind")
    @classmethod
    def _check_kind(cls, v: str | None) -> str | None:
        from siaga.registry.models import PointKind

        if v and v not in {k.value for k in PointKind}:
            raise ValueError("unknown kind")
        return v


def _page(stmt: Any, q: ListQuery) -> tuple[list[Any], int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.limit(q.per_page).offset((q.page - 1) * q.per_page)))
    return rows, total


def _shelter_or_404(shelter_id: int, *, lock: bool = False) -> Shelter:
    """The shelter, 404 if unknown, 403 for a field team not assigned to it. ``lock``: for a
    write, take its row lock in the same statement (the service's lock then costs nothing)."""
    shelter = lock_row(Shelter, shelter_id) if lock else services.get_shelter(shelter_id)
    if shelter is None:
        abort(404)
    if current_user.role == Role.FIELD and not services.is_assigned(current_user, shelter.id):
        abort(403)
    return shelter


@bp.get("/shelters")
@roles_required(ALL_ROLES)
def shelters() -> Response:
    q = validate(ListQuery, request.args.to_dict())
    if q.status and q.status not in {s.value for s in ShelterStatus}:
        raise ValidationFailed({"status": "must be one of: " + ", ".join(s.value for s in ShelterStatus)})
    f = services.ShelterFilters(
        region=q.region,
        status=q.status,
        min_free=q.min_free,
        only_stale=q.stale,
        stale_hours=current_app.config["SIAGA_STALE_HOURS"],
        q=q.q,
        bbox=_bbox(q.bbox),
    )
    stmt = services.shelter_query(f).order_by(Shelter.id)
    if current_user.role == Role.FIELD:
        stmt = stmt.join(ShelterAssignment, ShelterAssignment.shelter_id == Shelter.id).where(
            ShelterAssignment.user_id == current_user.id
        )
    rows, total = _page(stmt, q)
    contacts = services.can_see_contacts(current_user)
    return jsonify(
        items=[shelter_dict(s, contacts=contacts) for s in rows],
        page=q.page,
        per_page=q.per_page,
        total=total,
    )


@bp.post("/shelters")
@roles_required(READERS)
@idempotent
def create_shelter() -> tuple[dict[str, Any], int]:
    data = validate(ShelterIn, json_body())
    shelter = services.create_shelter(data, current_user)
    body = shelter_dict(shelter, contacts=True)
    body["warnings"] = services.coordinate_warnings(data)
    return body, 201


@bp.get("/shelters/<int:shelter_id>")
@roles_required(ALL_ROLES)
def shelter(shelter_id: int) -> Response:
    s = _shelter_or_404(shelter_id)
    return jsonify(shelter_dict(s, contacts=services.can_see_contacts(current_user)))


@bp.patch("/shelters/<int:shelter_id>")
@roles_required(READERS)
@idempotent
def update_shelter(shelter_id: int) -> tuple[dict[str, Any], int]:
    s = _shelter_or_404(shelter_id)
    if not services.can_edit(current_user, s):
        raise NotAllowed("not allowed")
    patch = validate(ShelterPatch, json_body())
    services.update_shelter(s, patch, current_user)
    return shelter_dict(s, contacts=True), 200


@bp.post("/shelters/<int:shelter_id>/occupancy")
@roles_required(ALL_ROLES)
@idempotent
def post_occupancy(shelter_id: int) -> tuple[dict[str, Any], int]:
    s = _shelter_or_404(shelter_id, lock=True)
    if not services.can_update_occupancy(current_user, s):
        raise NotAllowed("not allowed")
    data = validate(OccupancyIn, json_body())
    event = services.record_occupancy(s.id, data, current_user)
    shelter_now = services.get_shelter(s.id)  # the row locked and updated above (identity map)
    assert shelter_now is not None
    enqueue_after_commit(event.notice_delivery_ids)
    return {"event": event_dict(event), "shelter": shelter_dict(shelter_now, contacts=True)}, 201


@bp.get("/shelters/<int:shelter_id>/occupancy")
@roles_required(ALL_ROLES)
def occupancy_history(shelter_id: int) -> Response:
    s = _shelter_or_404(shelter_id)
    return jsonify(items=[event_dict(e) for e in services.occupancy_history(s.id)])


@bp.get("/shelters/nearest")
@roles_required(ALL_ROLES)
def nearest() -> Response:
    q = validate(NearestQuery, request.args.to_dict())
    shelters = nearest_shelters(q.lat, q.lon, q.k, q.min_free)
    points = nearest_points(q.lat, q.lon, q.k)
    return jsonify(
        query=q.model_dump(),
        shelters=[asdict(n) for n in shelters],
        evacuation_points=[asdict(n) for n in points],
    )


@bp.get("/evacuation-points")
@roles_required(ALL_ROLES)
def points() -> Response:
    q = validate(ListQuery, request.args.to_dict())
    if q.status and q.status not in {s.value for s in PointStatus}:
        raise ValidationFailed({"status": "must be one of: " + ", ".join(s.value for s in PointStatus)})
    stmt = services.point_query(q.region, q.kind, q.status, q.q, _bbox(q.bbox)).order_by(EvacuationPoint.id)
    rows, total = _page(stmt, q)
    return jsonify(items=[point_dict(p) for p in rows], page=q.page, per_page=q.per_page, total=total)


@bp.post("/evacuation-points")
@roles_required(READERS)
@idempotent
def create_point() -> tuple[dict[str, Any], int]:
    data = validate(PointIn, json_body())
    p = services.create_point(data, current_user)
    body = point_dict(p)
    body["warnings"] = services.coordinate_warnings(data)
    return body, 201


@bp.get("/evacuation-points/<int:point_id>")
@roles_required(ALL_ROLES)
def point(point_id: int) -> Response:
    p = services.get_point(point_id)
    if p is None:
        abort(404)
    return jsonify(point_dict(p))


@bp.patch("/evacuation-points/<int:point_id>")
@roles_required(READERS)
@idempotent
def update_point(point_id: int) -> tuple[dict[str, Any], int]:
    p = services.get_point(point_id)
    if p is None:
        abort(404)
    if not services.can_edit(current_user, p):
        raise NotAllowed("not allowed")
    patch = validate(PointPatch, json_body())
    services.update_point(p, patch, current_user)
    return point_dict(p), 200
