"""Registry pages: shelter and evacuation-point lists, details, forms, occupancy, nearest search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from siaga.accounts.models import Organisation, Role, User
from siaga.core.auth import ALL_ROLES, OPERATIONS, READERS, roles_required
from siaga.core.errors import Conflict, ValidationFailed
from siaga.core.http_input import MAX_ID
from siaga.core.params import int_arg, parse_id, parse_int
from siaga.core.validation import validate
from siaga.extensions import db
from siaga.messaging.tasks import enqueue
from siaga.regions.models import Region, RegionLevel
from siaga.regions.services import list_regions, region_names
from siaga.registry import labels, services
from siaga.registry.models import (
    BREAKDOWN,
    EvacuationPoint,
    OccupancyKind,
    PointKind,
    PointStatus,
    Shelter,
    ShelterAssignment,
    ShelterStatus,
)
from siaga.registry.nearest import nearest_points, nearest_shelters
from siaga.registry.schemas import NearestQuery, OccupancyIn, PointIn, ShelterIn

bp = Blueprint("registry", __name__)

PER_PAGE = 50
SHELTER_FIELDS = [
    "code",
    "name",
    "type",
    "status",
    "owner_org_id",
    "manager_name",
    "manager_phone",
    "region_code",
    "lat",
    "lon",
    "address",
    "capacity",
    "floor_area_m2",
    "water_points",
    "toilets",
    "accessible_toilets",
    "has_kitchen",
    "has_health_post",
    "has_power",
    "allows_pets",
    "notes",
]
POINT_FIELDS = [
    "code",
    "name",
    "kind",
    "status",
    "owner_org_id",
    "region_code",
    "lat",
    "lon",
    "capacity",
    "address",
    "notes",
]
FLAGS = {"has_kitchen", "has_health_post", "has_power", "allows_pets"}


def _form_dict(fields: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields:
        if f in FLAGS:
            data[f] = request.form.get(f) in ("on", "1", "true", "y")
        elif f == "owner_org_id":
            # Blank is "my organisation"; anything else not an id goes to the schema as typed,
            # which reports it beside the field (junk such as "²" or a number beyond the range).
            raw = request.form.get(f, "").strip()
            data[f] = parse_id(raw) or raw or None
        else:
            data[f] = request.form.get(f, "")
    return data


def _form_context() -> dict[str, Any]:
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    districts = list_regions(RegionLevel.DISTRICT)
    return {
        "org_options": [(o.id, f"{o.name} ({o.type.value})") for o in orgs],
        "region_options": [(r.code, f"{r.code} {r.name}") for r in districts],
        "type_options": labels.options(labels.SHELTER_TYPE),
        "status_options": labels.options(labels.SHELTER_STATUS),
        "kind_options": labels.options(labels.POINT_KIND),
        "point_status_options": labels.options(labels.POINT_STATUS),
    }


def _choice_arg(name: str, choices: Any) -> str | None:
    """A query argument that must be one of an enum's values; anything else means no filter."""
    value = request.args.get(name) or None
    return value if value in {c.value for c in choices} else None


def _paged(stmt: Any, order: Any) -> tuple[int, int, list[Any]]:
    """(page number, total rows, rows of that page) for a list statement and its order."""
    page = int_arg("page", 1, lo=1, hi=MAX_ID)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.order_by(order).limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return page, total, rows


def _visible_shelter(shelter_id: int) -> Shelter:
    shelter = services.get_shelter(shelter_id)
    if shelter is None:
        abort(404)
    if current_user.role == Role.FIELD and not services.is_assigned(current_user, shelter.id):
        abort(403)
    return shelter


# ---------------------------------------------------------------- shelters


def _form_page(
    *,
    fields: list[str],
    schema: Any,
    initial: dict[str, Any],
    save: Any,
    saved: Any,
    detail: Any,
    template: str,
    record: dict[str, Any],
    code: str | None = None,
) -> str | Response | tuple[str, int]:
    """GET shows the form; POST validates (errors beside each field, 422) or saves and redirects."""
    errors: dict[str, str] = {}
    values = initial
    if request.method == "POST":
        values = _form_dict(fields)
        if code is not None:
            values["code"] = code  # the code is the import key; it never changes
        try:
            data = validate(schema, values)
            obj = save(data)
            db.session.commit()
            flash(saved(obj), "success")
            for warning in services.coordinate_warnings(data):
                flash(str(labels.WARNING_TEXT[warning]), "warning")
            return redirect(detail(obj))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
    return render_template(template, values=values, errors=errors, **record, **_form_context()), (
        422 if errors else 200
    )


def _record_values(obj: Any, fields: list[str]) -> dict[str, Any]:
    values = {f: getattr(obj, f) for f in fields}
    return {k: getattr(v, "value", v) for k, v in values.items()}


@bp.get("/shelters")
@roles_required(ALL_ROLES)
def shelter_list() -> str:
    f = services.ShelterFilters(
        region=(request.args.get("region") or None),
        status=_choice_arg("status", ShelterStatus),
        min_free=parse_int(request.args.get("min_free"), 0, MAX_ID),
        only_stale=request.args.get("stale") == "1",
        stale_hours=current_app.config["SIAGA_STALE_HOURS"],
        q=(request.args.get("q") or "").strip() or None,
    )
    stmt = services.shelter_query(f)
    if current_user.role == Role.FIELD:
        stmt = stmt.join(ShelterAssignment, ShelterAssignment.shelter_id == Shelter.id).where(
            ShelterAssignment.user_id == current_user.id
        )
    page, total, rows = _paged(stmt, Shelter.name)
    sub = stmt.order_by(None).subquery()
    totals = db.session.execute(
        select(func.coalesce(func.sum(sub.c.occupants), 0), func.coalesce(func.sum(sub.c.capacity), 0))
    ).one()
    return render_template(
        "registry/shelter_list.html",
        shelters=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=request.args,
        regions=list_regions(RegionLevel.REGENCY) + list_regions(RegionLevel.DISTRICT),
        statuses=list(ShelterStatus),
        people_total=totals[0],
        capacity_total=totals[1],
        names=region_names({s.region_code for s in rows}),
    )


@bp.route("/shelters/new", methods=["GET", "POST"])
@roles_required(READERS)
def shelter_new() -> str | Response | tuple[str, int]:
    return _form_page(
        fields=SHELTER_FIELDS,
        schema=ShelterIn,
        initial={"status": "standby", "type": "school"},
        save=lambda data: services.create_shelter(data, current_user),
        saved=lambda obj: _("Shelter %(name)s saved.", name=obj.name),
        detail=lambda obj: url_for("registry.shelter_detail", shelter_id=obj.id),
        template="registry/shelter_form.html",
        record={"shelter": None},
    )


def small_map(lat: float, lon: float, name: str) -> Any:
    """A small offline Folium map around one place."""
    from siaga.maps.small import small_map_html

    return small_map_html(lat, lon, name)


def _detail_page(
    shelter: Shelter, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> str:
    from siaga.registry.charts import occupancy_sparkline

    history = services.occupancy_history(shelter.id, limit=200)
    assigned = db.session.scalars(
        select(User)
        .join(ShelterAssignment, ShelterAssignment.user_id == User.id)
        .where(ShelterAssignment.shelter_id == shelter.id)
    ).all()
    is_ops = current_user.role in (Role.ADMIN, Role.COORDINATOR)
    field_users = (
        db.session.scalars(select(User).where(User.role == Role.FIELD).order_by(User.name)).all()
        if is_ops
        else []
    )
    return render_template(
        "registry/shelter_detail.html",
        shelter=shelter,
        history=history,
        region=db.session.get(Region, shelter.region_code),
        chart=occupancy_sparkline(list(reversed(history)), shelter.capacity),
        can_edit=services.can_edit(current_user, shelter),
        can_occupancy=services.can_update_occupancy(current_user, shelter),
        breakdown=BREAKDOWN,
        kinds=list(OccupancyKind),
        assigned=assigned,
        field_users=field_users,
        errors=errors or {},
        values=values or {},
        occupancy_kinds=labels.options(labels.OCCUPANCY_KIND),
        occupancy_labels=labels.OCCUPANCY_KIND,
        labels_breakdown=labels.BREAKDOWN_LABEL,
        labels_type=labels.SHELTER_TYPE,
        small_map=small_map(shelter.lat, shelter.lon, shelter.name),
    )


@bp.get("/shelters/<int:shelter_id>")
@roles_required(ALL_ROLES)
def shelter_detail(shelter_id: int) -> str:
    return _detail_page(_visible_shelter(shelter_id))


@bp.route("/shelters/<int:shelter_id>/edit", methods=["GET", "POST"])
@roles_required(READERS)
def shelter_edit(shelter_id: int) -> str | Response | tuple[str, int]:
    shelter = _visible_shelter(shelter_id)
    if not services.can_edit(current_user, shelter):
        abort(403)
    return _form_page(
        fields=SHELTER_FIELDS,
        schema=ShelterIn,
        initial=_record_values(shelter, SHELTER_FIELDS),
        save=lambda data: services.update_shelter(shelter, data, current_user),
        saved=lambda obj: _("Shelter %(name)s saved.", name=obj.name),
        detail=lambda obj: url_for("registry.shelter_detail", shelter_id=obj.id),
        template="registry/shelter_form.html",
        record={"shelter": shelter},
        code=shelter.code,
    )


@bp.post("/shelters/<int:shelter_id>/occupancy")
@roles_required(ALL_ROLES)
def shelter_occupancy(shelter_id: int) -> Response | tuple[str, int]:
    shelter = _visible_shelter(shelter_id)
    if not services.can_update_occupancy(current_user, shelter):
        abort(403)
    values = {k: request.form.get(k, "") for k in ("kind", "people", "reason", *BREAKDOWN)}
    values["overflow"] = request.form.get("overflow", "")
    try:
        data = validate(OccupancyIn, values)
        event = services.record_occupancy(shelter.id, data, current_user)
        db.session.commit()
        enqueue(event.notice_delivery_ids)
        flash(_("Occupancy updated."), "success")
        return redirect(url_for("registry.shelter_detail", shelter_id=shelter.id))
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        errors = {exc.field or "people": str(exc)} if isinstance(exc, Conflict) else exc.errors
        db.session.refresh(shelter)
        return _detail_page(shelter, errors, values), 422


@bp.post("/shelters/<int:shelter_id>/assign")
@roles_required(OPERATIONS)
def shelter_assign(shelter_id: int) -> Response:
    shelter = _visible_shelter(shelter_id)
    user_id = parse_id(request.form.get("user_id"))
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        flash(_("Choose a field-team user."), "error")
        return redirect(url_for("registry.shelter_detail", shelter_id=shelter.id))
    try:
        services.assign_field_user(shelter, user)
        db.session.commit()
        flash(_("%(name)s assigned.", name=user.name), "success")
    except ValidationFailed as exc:
        db.session.rollback()
        flash("; ".join(exc.errors.values()), "error")
    return redirect(url_for("registry.shelter_detail", shelter_id=shelter.id))


# ---------------------------------------------------------------- evacuation points


@bp.get("/points")
@roles_required(ALL_ROLES)
def point_list() -> str:
    stmt = services.point_query(
        request.args.get("region") or None,
        _choice_arg("kind", PointKind),
        _choice_arg("status", PointStatus),
        (request.args.get("q") or None),
    )
    page, total, rows = _paged(stmt, EvacuationPoint.name)
    return render_template(
        "registry/point_list.html",
        points=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=request.args,
        regions=list_regions(RegionLevel.REGENCY) + list_regions(RegionLevel.DISTRICT),
        kinds=list(PointKind),
        statuses=list(PointStatus),
        names=region_names({p.region_code for p in rows}),
        kind_labels=labels.POINT_KIND,
        can_create=current_user.role in (Role.ADMIN, Role.COORDINATOR, Role.PARTNER),
    )


@bp.route("/points/new", methods=["GET", "POST"])
@roles_required(READERS)
def point_new() -> str | Response | tuple[str, int]:
    return _form_page(
        fields=POINT_FIELDS,
        schema=PointIn,
        initial={"kind": "assembly", "status": "active"},
        save=lambda data: services.create_point(data, current_user),
        saved=lambda obj: _("Evacuation point %(name)s saved.", name=obj.name),
        detail=lambda obj: url_for("registry.point_detail", point_id=obj.id),
        template="registry/point_form.html",
        record={"point": None},
    )


@bp.get("/points/<int:point_id>")
@roles_required(ALL_ROLES)
def point_detail(point_id: int) -> str:
    point = services.get_point(point_id)
    if point is None:
        abort(404)
    return render_template(
        "registry/point_detail.html",
        point=point,
        region=db.session.get(Region, point.region_code),
        can_edit=services.can_edit(current_user, point),
        kind_labels=labels.POINT_KIND,
        small_map=small_map(point.lat, point.lon, point.name),
    )


@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"])
@roles_required(READERS)
def point_edit(point_id: int) -> str | Response | tuple[str, int]:
    point = services.get_point(point_id)
    if point is None:
        abort(404)
    if not services.can_edit(current_user, point):
        abort(403)
    return _form_page(
        fields=POINT_FIELDS,
        schema=PointIn,
        initial=_record_values(point, POINT_FIELDS),
        save=lambda data: services.update_point(point, data, current_user),
        saved=lambda obj: _("Evacuation point %(name)s saved.", name=obj.name),
        detail=lambda obj: url_for("registry.point_detail", point_id=obj.id),
        template="registry/point_form.html",
        record={"point": point},
        code=point.code,
    )


# ---------------------------------------------------------------- nearest


@bp.get("/nearest")
@roles_required(ALL_ROLES)
def nearest() -> str | tuple[str, int]:
    shelters: list[Any] = []
    points: list[Any] = []
    errors: dict[str, str] = {}
    args = {k: v for k, v in request.args.items() if v.strip()}
    if "lat" in args or "lon" in args:
        try:
            q = validate(NearestQuery, args)
            shelters = nearest_shelters(q.lat, q.lon, q.k, q.min_free)
            points = nearest_points(q.lat, q.lon, q.k)
        except ValidationFailed as exc:
            errors = exc.errors
    return render_template(
        "registry/nearest.html", shelters=shelters, points=points, errors=errors, values=request.args
    ), 422 if errors else 200
