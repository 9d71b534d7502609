"""Aid logistics pages: dashboard, catalogue, depots and stock, distributions, requests,
needs per shelter, the field team's phone page and its service worker, HXL exports and
the public transparency page. Also registers the map layer "aid".
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from siaga.accounts.models import Organisation, Role, User
from siaga.aid import labels, services
from siaga.aid.charts import coverage_bars
from siaga.aid.models import AidRequest, Depot, Distribution, DistributionStatus, Item, RequestStatus
from siaga.aid.needs import DEFAULT_PROFILE, PROFILES
from siaga.aid.schemas import (
    AdjustIn,
    DepotIn,
    DistributionIn,
    ItemIn,
    ReceiptIn,
    ReceiveIn,
    RequestIn,
    StatusIn,
    TransferIn,
)
from siaga.aid.serializers import distribution_dict
from siaga.core.auth import ALL_ROLES, OPERATIONS, READERS, public, roles_required
from siaga.core.errors import Conflict, NotAllowed, ValidationFailed
from siaga.core.params import int_arg, parse_id, parse_region
from siaga.core.time import ZONES, zone_for_region
from siaga.core.validation import validate
from siaga.db import utcnow
from siaga.extensions import db
from siaga.messaging.tasks import enqueue
from siaga.regions.models import RegionLevel
from siaga.regions.services import list_regions, region_names
from siaga.registry.models import Shelter, ShelterAssignment

bp = Blueprint("aid", __name__)

FIELD_OPS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.FIELD})
STATIC_JS = Path(__file__).resolve().parent.parent.parent / "static" / "js"


# ---------------------------------------------------------------- helpers


def _profile_arg() -> str:
    key = request.args.get("profile") or DEFAULT_PROFILE
    return key if key in PROFILES else DEFAULT_PROFILE


def _days_arg() -> int:
    return int_arg("days", 7, lo=1, hi=90)


def _error_dict(exc: ValidationFailed | Conflict) -> dict[str, str]:
    return {exc.field or "_": str(exc)} if isinstance(exc, Conflict) else exc.errors


def _flash_errors(exc: ValidationFailed | Conflict) -> None:
    for field, msg in _error_dict(exc).items():
        flash(f"{field}: {msg}" if field != "_" else msg, "error")


def _lines_from_form(qty_name: str = "quantity") -> list[dict[str, str]]:
    """Paired ``item_id`` / quantity inputs; rows left blank are skipped."""
    ids = request.form.getlist("item_id")
    qtys = request.form.getlist(qty_name)
    return [
        {"item_id": i, qty_name: q}
        for i, q in zip(ids, qtys, strict=False)
        if (i or "").strip() or (q or "").strip()
    ]


def _local_datetime(raw: str, region_code: str | None) -> Any:
    """A ``datetime-local`` form value in the region's zone (WIB/WITA/WIT), as an aware time."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the schema reports it
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZONES[zone_for_region(region_code)])
    return value


def _items_by_id() -> dict[int, Item]:
    return {i.id: i for i in db.session.scalars(select(Item))}


def _depot_names() -> dict[int, str]:
    return dict(db.session.execute(select(Depot.id, Depot.name)).all())  # type: ignore[arg-type]


# ---------------------------------------------------------------- dashboard


@bp.get("/aid")
@roles_required(READERS)
def dashboard() -> str:
    profile, days = _profile_arg(), _days_arg()
    region = request.args.get("region") or None
    org = current_user.organisation_id if current_user.role == Role.PARTNER else None
    rows = services.shelters_needs(services.occupied_shelters(region, org), profile, days)
    sort = request.args.get("sort", "worst")
    if sort == "name":
        rows.sort(key=lambda n: n.shelter.name.lower())
    elif sort == "people":
        rows.sort(key=lambda n: -n.shelter.occupants)
    else:
        rows.sort(key=lambda n: (n.worst is None, n.worst if n.worst is not None else 0))
    need_keys = [c.key for c in rows[0].coverage] if rows else []
    depots = list(db.session.scalars(services.visible_depots_query(current_user)))
    depot_ids = [d.id for d in depots]
    items = _items_by_id()
    stock: dict[int, dict[int, int]] = {d.id: {} for d in depots}
    for r in services.stock_rows(depot_ids):
        stock[r.depot_id][r.item_id] = r.quantity
    discrepancies = db.session.scalars(
        services.visible_distributions_query(current_user)
        .where(Distribution.has_discrepancy.is_(True))
        .limit(20)
    ).all()
    open_requests = db.session.scalars(
        services.visible_requests_query(current_user, RequestStatus.OPEN.value).limit(20)
    ).all()
    chart = coverage_bars(
        [(n.shelter.name, n.worst, n.band) for n in rows[:40]],
        _("Worst coverage per shelter"),
        PROFILES[profile].name,
    )
    return render_template(
        "aid/dashboard.html",
        rows=rows,
        need_keys=need_keys,
        profile=PROFILES[profile],
        profiles=PROFILES,
        days=days,
        sort=sort,
        region=region,
        regions=list_regions(RegionLevel.REGENCY) + list_regions(RegionLevel.DISTRICT),
        chart=chart,
        depots=depots,
        stock=stock,
        items=items,
        expiring=services.expiry_warnings(depot_ids),
        depot_names={d.id: d.name for d in depots},
        discrepancies=discrepancies,
        open_requests=open_requests,
        labels=labels,
    )


# ---------------------------------------------------------------- catalogue


@bp.get("/aid/items")
@roles_required(READERS)
def item_list() -> str:
    return _item_page({}, {})


def _item_page(errors: dict[str, str], values: dict[str, Any]) -> str:
    return render_template(
        "aid/items.html",
        items=services.list_items(active_only=False),
        errors=errors,
        values=values,
        categories=labels.options(labels.ITEM_CATEGORY),
        need_options=[("", _("(none)"))]
        + [(k, str(labels.NEED.get(k, k))) for k in sorted(services.known_need_keys())],
        labels=labels,
        can_create=services.is_ops(current_user),
    )


@bp.post("/aid/items")
@roles_required(OPERATIONS)
def item_create() -> Response | tuple[str, int]:
    values: dict[str, Any] = {
        k: request.form.get(k, "") for k in ("code", "name", "unit", "category", "need_key")
    }
    values["has_expiry"] = request.form.get("has_expiry") in ("on", "1", "true")
    try:
        item = services.create_item(validate(ItemIn, values))
        db.session.commit()
        flash(_("Item %(name)s saved.", name=item.name), "success")
        return redirect(url_for("aid.item_list"))
    except ValidationFailed as exc:
        db.session.rollback()
        return _item_page(exc.errors, values), 422


# ---------------------------------------------------------------- depots and stock


@bp.get("/aid/depots")
@roles_required(READERS)
def depot_list() -> str:
    depots = list(db.session.scalars(services.visible_depots_query(current_user)))
    stock: dict[int, dict[int, int]] = {d.id: {} for d in depots}
    for r in services.stock_rows([d.id for d in depots]):
        stock[r.depot_id][r.item_id] = r.quantity
    return render_template(
        "aid/depots.html",
        depots=depots,
        stock=stock,
        items=_items_by_id(),
        names=region_names({d.region_code for d in depots}),
        labels=labels,
        can_create=services.is_ops(current_user),
    )


DEPOT_FIELDS = ("code", "name", "kind", "owner_org_id", "lat", "lon", "region_code", "address")


@bp.route("/aid/depots/new", methods=["GET", "POST"])
@roles_required(OPERATIONS)
def depot_new() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"kind": "warehouse"}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in DEPOT_FIELDS}
        try:
            depot = services.create_depot(validate(DepotIn, values), current_user)
            db.session.commit()
            flash(_("Depot %(name)s saved.", name=depot.name), "success")
            return redirect(url_for("aid.depot_detail", depot_id=depot.id))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template(
        "aid/depot_form.html",
        values=values,
        errors=errors,
        kind_options=labels.options(labels.DEPOT_KIND),
        org_options=[("", _("(my organisation)"))] + [(str(o.id), o.name) for o in orgs],
        region_options=[("", _("(find from coordinates)"))]
        + [(r.code, f"{r.code} {r.name}") for r in list_regions(RegionLevel.DISTRICT)],
    ), 422 if errors else 200


def _depot_page(
    depot: Depot, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> str:
    items = services.list_items()
    stock = {r.item_id: r.quantity for r in services.stock_rows([depot.id])}
    others = list(db.session.scalars(select(Depot).where(Depot.id != depot.id).order_by(Depot.name)))
    return render_template(
        "aid/depot_detail.html",
        depot=depot,
        items=items,
        items_by_id={i.id: i for i in items},
        stock=stock,
        movements=services.ledger(depot.id),
        expiring=services.expiry_warnings([depot.id]),
        other_depots=others,
        depot_names=_depot_names(),
        labels=labels,
        can_manage=services.is_ops(current_user),
        errors=errors or {},
        values=values or {},
    )


@bp.get("/aid/depots/<int:depot_id>")
@roles_required(READERS)
def depot_detail(depot_id: int) -> str:
    return _depot_page(services.visible_depot(depot_id, current_user))


@bp.post("/aid/depots/<int:depot_id>/movements")
@roles_required(OPERATIONS)
def depot_movement(depot_id: int) -> Response | tuple[str, int]:
    depot = services.visible_depot(depot_id, current_user)
    action = request.form.get("action")
    values = request.form.to_dict()
    data: dict[str, Any]
    try:
        if action == "receive":
            data = {
                k: values.get(k, "")
                for k in ("item_id", "quantity", "source", "donor", "batch_expiry", "reason")
            }
            services.receive(depot.id, validate(ReceiveIn, data))
        elif action == "adjust":
            data = {k: values.get(k, "") for k in ("item_id", "quantity", "adjust_reason", "reason")}
            services.adjust(depot.id, validate(AdjustIn, data))
        elif action == "transfer":
            data = {
                "from_depot_id": depot.id,
                "to_depot_id": values.get("to_depot_id", ""),
                "lines": [{"item_id": values.get("item_id", ""), "quantity": values.get("quantity", "")}],
                "reason": values.get("reason", ""),
            }
            services.transfer(validate(TransferIn, data))
        else:
            abort(400)
        db.session.commit()
        flash(_("Stock updated."), "success")
        return redirect(url_for("aid.depot_detail", depot_id=depot.id))
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        return _depot_page(depot, _error_dict(exc), values), 422 if isinstance(exc, ValidationFailed) else 409


# ---------------------------------------------------------------- distributions


@bp.get("/aid/distributions")
@roles_required(ALL_ROLES)
def distribution_list() -> str:
    stmt = services.visible_distributions_query(current_user)
    status = request.args.get("status")
    if status in {s.value for s in DistributionStatus}:
        stmt = stmt.where(Distribution.status == DistributionStatus(status))
    if request.args.get("discrepancy") == "1":
        stmt = stmt.where(Distribution.has_discrepancy.is_(True))
    return render_template(
        "aid/distributions.html",
        distributions=db.session.scalars(stmt.limit(300)).all(),
        statuses=labels.DISTRIBUTION_STATUS,
        filters=request.args,
        can_plan=services.is_ops(current_user),
    )


@bp.route("/aid/distributions/new", methods=["GET", "POST"])
@roles_required(OPERATIONS)
def distribution_new() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "shelter_id": request.args.get("shelter_id", ""),
        "request_id": request.args.get("request_id", ""),
    }
    lines: list[dict[str, str]] = []
    request_id = parse_id(values["request_id"])
    req = db.session.get(AidRequest, request_id) if request_id else None
    if req is not None:
        values["shelter_id"] = str(req.shelter_id)
        lines = [{"item_id": str(line.item_id), "quantity": str(line.quantity)} for line in req.lines]
    if request.method == "POST":
        values = request.form.to_dict()
        lines = _lines_from_form()
        shelter_id = parse_id(values.get("shelter_id"))
        shelter = db.session.get(Shelter, shelter_id) if shelter_id else None
        data = {
            "depot_id": values.get("depot_id", ""),
            "shelter_id": values.get("shelter_id", ""),
            "lines": lines,
            "assigned_user_id": values.get("assigned_user_id", ""),
            "vehicle": values.get("vehicle", ""),
            "planned_at": _local_datetime(
                values.get("planned_at", ""), shelter.region_code if shelter else None
            ),
            "request_id": values.get("request_id", ""),
            "notes": values.get("notes", ""),
        }
        try:
            d, warnings = services.plan_distribution(validate(DistributionIn, data))
            db.session.commit()
            flash(_("Distribution %(code)s planned.", code=d.code), "success")
            for w in warnings:
                flash(w, "warning")
            return redirect(url_for("aid.distribution_detail", distribution_id=d.id))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
    depots = db.session.scalars(select(Depot).where(Depot.is_active.is_(True)).order_by(Depot.name)).all()
    shelters = db.session.scalars(select(Shelter).order_by(Shelter.name)).all()
    teams = db.session.scalars(select(User).where(User.role == Role.FIELD).order_by(User.name)).all()
    open_reqs = db.session.scalars(
        select(AidRequest).where(AidRequest.status == RequestStatus.OPEN).order_by(AidRequest.priority.desc())
    ).all()
    return render_template(
        "aid/distribution_form.html",
        values=values,
        errors=errors,
        lines=lines + [{"item_id": "", "quantity": ""}] * max(3 - len(lines), 1),
        depot_options=[(str(d.id), d.name) for d in depots],
        shelter_options=[(str(s.id), f"{s.name} ({s.code})") for s in shelters],
        team_options=[("", _("(not assigned yet)"))] + [(str(u.id), u.name) for u in teams],
        request_options=[("", _("(none)"))]
        + [(str(r.id), f"#{r.id} {r.shelter.name} · {labels.PRIORITY[r.priority]}") for r in open_reqs],
        items=services.list_items(),
    ), 422 if errors else 200


@bp.get("/aid/distributions/<int:distribution_id>")
@roles_required(ALL_ROLES)
def distribution_detail(distribution_id: int) -> str:
    return _distribution_page(services.visible_distribution(distribution_id, current_user))


def _distribution_page(d: Distribution, errors: dict[str, str] | None = None) -> str:
    user: User = current_user
    is_field = user.role == Role.FIELD and d.assigned_user_id == user.id
    actions = []
    for target, allowed_from in services.TRANSITIONS.items():
        if target == DistributionStatus.DELIVERED or d.status not in allowed_from:
            continue
        if services.is_ops(user) or (is_field and target in services.FIELD_TARGETS):
            actions.append(target.value)
    can_receipt = d.status in services.ON_THE_ROAD and (services.is_ops(user) or is_field)
    return render_template(
        "aid/distribution_detail.html",
        d=d,
        actions=actions,
        can_receipt=can_receipt,
        status_labels=labels.DISTRIBUTION_STATUS,
        errors=errors or {},
    )


@bp.post("/aid/distributions/<int:distribution_id>/status")
@roles_required(FIELD_OPS)
def distribution_status(distribution_id: int) -> Response | tuple[str, int]:
    d = services.visible_distribution(distribution_id, current_user)
    values = {k: request.form.get(k, "") for k in ("status", "note")}
    try:
        d, queued = services.change_status(d.id, validate(StatusIn, values), current_user)
        db.session.commit()
        enqueue(queued)
        flash(
            _(
                "Distribution %(code)s: %(status)s.",
                code=d.code,
                status=labels.DISTRIBUTION_STATUS[d.status.value],
            ),
            "success",
        )
        return redirect(url_for("aid.distribution_detail", distribution_id=d.id))
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        db.session.refresh(d)
        return _distribution_page(d, _error_dict(exc)), 422 if isinstance(exc, ValidationFailed) else 409


@bp.post("/aid/distributions/<int:distribution_id>/receipt")
@roles_required(FIELD_OPS)
def distribution_receipt(distribution_id: int) -> Response | tuple[str, int]:
    d = services.visible_distribution(distribution_id, current_user)
    region = d.shelter.region_code
    data = {
        "lines": _lines_from_form("quantity_received"),
        "receiver_name": request.form.get("receiver_name", ""),
        "received_at": _local_datetime(request.form.get("received_at", ""), region),
        "note": request.form.get("note", ""),
    }
    try:
        d, queued = services.record_receipt(d.id, validate(ReceiptIn, data), current_user)
        db.session.commit()
        enqueue(queued)
        flash(_("Delivery recorded."), "success")
        return redirect(url_for("aid.distribution_detail", distribution_id=d.id))
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        db.session.refresh(d)
        return _distribution_page(d, _error_dict(exc)), 422 if isinstance(exc, ValidationFailed) else 409


@bp.get("/aid/distributions/<int:distribution_id>/photo")
@roles_required(ALL_ROLES)
def distribution_photo(distribution_id: int) -> Response:
    d = services.visible_distribution(distribution_id, current_user)
    if not d.photo_file:
        abort(404)
    resp = send_from_directory(services.photo_dir(), d.photo_file, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# ---------------------------------------------------------------- requests


@bp.get("/aid/requests")
@roles_required(ALL_ROLES)
def request_list() -> str:
    return _request_page({}, {})


def _request_page(errors: dict[str, str], values: dict[str, Any]) -> str:
    status = request.args.get("status") or None
    if status not in {s.value for s in RequestStatus}:
        status = None
    rows = db.session.scalars(services.visible_requests_query(current_user, status).limit(300)).all()
    shelters_stmt = select(Shelter).order_by(Shelter.name)
    if current_user.role == Role.PARTNER:
        shelters_stmt = shelters_stmt.where(Shelter.owner_org_id == current_user.organisation_id)
    elif current_user.role == Role.FIELD:
        shelters_stmt = shelters_stmt.join(
            ShelterAssignment, ShelterAssignment.shelter_id == Shelter.id
        ).where(ShelterAssignment.user_id == current_user.id)
    return render_template(
        "aid/requests.html",
        requests=rows,
        progress={r.id: services.request_progress(r) for r in rows},
        shelters=db.session.scalars(shelters_stmt).all(),
        items=services.list_items(),
        errors=errors,
        values=values,
        labels=labels,
        can_plan=services.is_ops(current_user),
    )


@bp.post("/aid/requests")
@roles_required(ALL_ROLES)
def request_create() -> Response | tuple[str, int]:
    values = request.form.to_dict()
    data = {
        "shelter_id": values.get("shelter_id", ""),
        "priority": values.get("priority", "2"),
        "lines": _lines_from_form(),
        "note": values.get("note", ""),
    }
    try:
        req = services.create_request(validate(RequestIn, data), current_user)
        db.session.commit()
        flash(_("Request #%(id)d saved.", id=req.id), "success")
        return redirect(url_for("aid.request_list"))
    except ValidationFailed as exc:
        db.session.rollback()
        return _request_page(exc.errors, values), 422
    except NotAllowed:
        db.session.rollback()
        abort(403)


# ---------------------------------------------------------------- needs per shelter


def _visible_shelter(shelter_id: int) -> Shelter:
    shelter = db.session.get(Shelter, shelter_id)
    if shelter is None:
        abort(404)
    if current_user.role == Role.FIELD and not services.is_assigned_to(current_user, shelter.id):
        abort(403)
    return shelter


@bp.get("/aid/shelters/<int:shelter_id>/needs")
@roles_required(ALL_ROLES)
def shelter_needs(shelter_id: int) -> str:
    shelter = _visible_shelter(shelter_id)
    profile, days = _profile_arg(), _days_arg()
    deliveries = db.session.scalars(
        select(Distribution)
        .where(Distribution.shelter_id == shelter.id)
        .order_by(Distribution.planned_at.desc())
        .limit(50)
    ).all()
    if current_user.role == Role.FIELD:
        deliveries = [d for d in deliveries if d.assigned_user_id == current_user.id]
    return render_template(
        "aid/shelter_needs.html",
        shelter=shelter,
        n=services.shelter_needs(shelter, profile, days),
        profiles=PROFILES,
        days=days,
        deliveries=deliveries,
        labels=labels,
    )


@bp.app_context_processor
def _shelter_needs_helper() -> dict[str, Any]:
    """``aid_needs(shelter)`` for the registry's shelter page (``aid/_shelter_needs.html``), and
    ``aid_transparency()`` for any page that links the public transparency page."""

    def aid_needs(shelter: Shelter) -> services.ShelterNeeds:
        return services.shelter_needs(shelter, _profile_arg(), _days_arg())

    return {"aid_needs": aid_needs, "aid_labels": labels, "aid_transparency": transparency_enabled}


# ---------------------------------------------------------------- field team's phone page


@bp.get("/field/")
@roles_required(FIELD_OPS)
def field_home() -> Response:
    from siaga.registry.services import assigned_shelters

    user: User = current_user
    data = {
        "deliveries": [distribution_dict(d) for d in services.field_tasks(user)],
        "shelters": [
            {"id": s.id, "name": s.name, "occupants": s.occupants, "capacity": s.capacity}
            for s in assigned_shelters(user)
        ],
        "user_id": user.id,
        "loaded_at": utcnow().isoformat(),
    }
    html = render_template(
        "aid/field.html",
        data_json=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"),
        recent=services.recent_deliveries(user),
        status_labels={k: str(v) for k, v in labels.DISTRIBUTION_STATUS.items()},
    )
    resp = Response(html, mimetype="text/html")
    # The service worker keeps its own copy for offline reloads; the browser cache must not.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/field/sw.js")
@public
def service_worker() -> Response:
    """The field page's service worker, served under /field/ so that its scope covers the page."""
    resp = send_from_directory(STATIC_JS, "field-sw.js", mimetype="application/javascript", max_age=0)
    # Its default scope is already /field/ (the script's folder); say so explicitly.
    resp.headers["Service-Worker-Allowed"] = "/field/"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


# ---------------------------------------------------------------- exports


@bp.get("/aid/export/deliveries.csv")
@roles_required(READERS)
def export_deliveries() -> Response:
    from siaga.aid.exports import deliveries_csv

    days = _days_arg() if request.args.get("days") else 90
    stmt = services.visible_distributions_query(current_user).where(
        Distribution.planned_at >= utcnow() - timedelta(days=days)
    )
    body = deliveries_csv(list(db.session.scalars(stmt)))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=aid-deliveries-{utcnow():%Y%m%d}.csv"},
    )


@bp.get("/aid/export/stock.csv")
@roles_required(READERS)
def export_stock() -> Response:
    from siaga.aid.exports import stock_csv

    depots = list(db.session.scalars(services.visible_depots_query(current_user)))
    return Response(
        stock_csv(depots),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=aid-stock-{utcnow():%Y%m%d}.csv"},
    )


# ---------------------------------------------------------------- public transparency


def transparency_enabled() -> bool:
    """Whether the public transparency page is on (``SIAGA_AID_TRANSPARENCY``, default on)."""
    return bool(current_app.config.get("SIAGA_AID_TRANSPARENCY", True))


@bp.get("/transparency/aid")
@public
def transparency() -> str:
    """Aggregated quantities delivered per district and item: no people, no shelters, no teams.

    Optional (issue 7): ``SIAGA_AID_TRANSPARENCY=0`` turns it off, and then it does not exist (404).
    """
    if not transparency_enabled():
        abort(404)
    region = parse_region(request.args.get("region"))
    days = int_arg("days", 30, lo=1, hi=365)
    totals = services.delivered_totals(region, utcnow() - timedelta(days=days))
    return render_template(
        "aid/transparency.html",
        totals=totals,
        names=region_names({t.region_code for t in totals} | ({region} if region else set())),
        region=region,
        days=days,
        regencies=list_regions(RegionLevel.REGENCY),
    )


# ---------------------------------------------------------------- map layer


def _aid_layer(view: Any, share: Any) -> dict[str, Any]:
    """Occupied shelters coloured by their worst needs coverage over the last week (BNPB).

    Zoomed out (or more than ``MAX_POINTS`` occupied shelters in view) the shelters are
    grouped into grid clusters with their count and people, as the other layers are; the
    coverage of each shelter is computed only when zoomed in far enough to show it.
    """
    from siaga.aid.charts import COLOURS
    from siaga.maps.services import CLUSTER_MAX_ZOOM, MAX_POINTS, cluster_features, count_rows, in_view

    where = [Shelter.occupants > 0, *in_view(Shelter, view)]
    if view.zoom <= CLUSTER_MAX_ZOOM or count_rows(Shelter, where) > MAX_POINTS:
        people = func.sum(Shelter.occupants).label("o")
        return {
            "type": "FeatureCollection",
            "clustered": True,
            "features": cluster_features(Shelter, where, view, [people]),
        }
    shelters = list(db.session.scalars(select(Shelter).where(*where).order_by(Shelter.id)))
    features = []
    for sn in services.shelters_needs(shelters):
        details = {
            str(labels.NEED.get(c.key, c.key)): f"{c.delivered}/{c.needed} {c.unit}" for c in sn.coverage
        }
        details[_("Profile")] = sn.result.profile
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [sn.shelter.lon, sn.shelter.lat]},
                "properties": {
                    "id": sn.shelter.id,
                    "name": sn.shelter.name,
                    "band": sn.band,
                    "worst": round(sn.worst, 3) if sn.worst is not None else None,
                    "colour": COLOURS[sn.band],
                    "details": {
                        _("Worst coverage (7 days)"): "—"
                        if sn.worst is None
                        else f"{round(sn.worst * 100)} %",
                        **details,
                    },
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _register_map_layer() -> None:
    from siaga.maps.views import register_layer

    register_layer("aid", _aid_layer)


_register_map_layer()
