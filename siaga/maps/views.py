"""The operational map, its GeoJSON data endpoints, and read-only share links."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from siaga.accounts.models import Role
from siaga.core.auth import ALL_ROLES, OPERATIONS, public, roles_required
from siaga.core.errors import ValidationFailed
from siaga.core.params import parse_int
from siaga.extensions import db
from siaga.maps import services
from siaga.maps.builder import LayerSpec, MapSettings, build_map, page_parts
from siaga.maps.models import MapShare
from siaga.regions.services import DATA_DIR
from siaga.registry import labels as reg_labels
from siaga.registry import services as reg_services

bp = Blueprint("maps", __name__)

DEFAULT_CENTER = (-2.2, 102.8)  # between the three seed regions
DEFAULT_ZOOM = 7
#: Layers drawn when the map opens; the others are one click away in the layer control
#: (the aid layer computes needs per shelter and is the slowest to load: docs/BENCHMARKS.md).
DEFAULT_VISIBLE = frozenset({"shelters", "points", "hazards"})
REGION_VIEWS = {"16.06": ((-2.45, 103.83), 9), "16.71": ((-2.97, 104.74), 12), "13.02": ((-0.98, 100.84), 10)}


def layer_labels() -> dict[str, str]:
    return {
        "shelters": _("Shelters"),
        "points": _("Evacuation points"),
        "boundaries": _("District boundaries"),
        "hazards": _("Hazards (Sumber: BMKG)"),
        "warnings": _("Weather warnings (Sumber: BMKG)"),
        "aid": _("Aid deliveries"),
    }


def js_labels() -> dict[str, str]:
    labels = {
        "occupancy": _("Occupancy"),
        "capacity": _("Capacity"),
        "updated": _("Updated"),
        "manager": _("Manager"),
        "details": _("Details"),
        "edit": _("Edit"),
        "free": _("free"),
        "shelters": _("shelters"),
        "points": _("evacuation points"),
        "aid_cluster": _("occupied shelters"),
        "people": _("people"),
        "zoom_in": _("zoom in to see needs coverage"),
        "nearest_title": _("Nearest open shelters"),
        "no_nearest": _("No open shelter with enough free places."),
        "load_error": _("Could not load the layer"),
        # Occupancy bands: symbols read the same in both languages.
        "legend_low": "< 70 %",
        "legend_mid": "70–95 %",
        "legend_high": "> 95 %",
        "legend_closed": _("closed"),
        "legend_stale": _("not updated recently"),
    }
    for key, value in reg_labels.SHELTER_STATUS.items():
        labels[f"status_{key}"] = str(value)
    for key, value in reg_labels.POINT_KIND.items():
        labels[f"kind_{key}"] = str(value)
    return labels


def _map_page(
    layer_ids: list[str],
    data_url: Any,
    *,
    center: tuple[float, float],
    zoom: int,
    share: MapShare | None,
    nearest: bool,
    template: str,
) -> str:
    names = layer_labels()
    layers = [
        LayerSpec(id=lid, label=names[lid], url=data_url(lid), kind=lid, visible=lid in DEFAULT_VISIBLE)
        for lid in layer_ids
        if lid in PROVIDERS
    ]
    settings = MapSettings(
        center=center,
        zoom=zoom,
        tile_url=current_app.config["SIAGA_TILE_URL"],
        tile_attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> · Sumber: BMKG',
        layers=layers,
        labels=js_labels(),
        detail_urls={}
        if share
        else {
            "shelters": url_for("registry.shelter_detail", shelter_id=0).replace("/0", "/{id}"),
            "points": url_for("registry.point_detail", point_id=0).replace("/0", "/{id}"),
            "hazards": url_for("hazards.event_detail", event_id=0).replace("/0", "/{id}"),
        },
        edit_urls={}
        if share
        else {
            "shelters": url_for("registry.shelter_edit", shelter_id=0).replace("/0/", "/{id}/"),
            "points": url_for("registry.point_edit", point_id=0).replace("/0/", "/{id}/"),
        },
        nearest_url=url_for("registry_api.nearest") if nearest else None,
        locale="id-ID" if str(get_locale()) == "id" else "en-GB",
    )
    m = build_map(settings, lambda path: url_for("static", filename=path))
    return render_template(template, parts=page_parts(m), share=share, layers=layers)


@bp.get("/map")
@roles_required(ALL_ROLES)
def map_page() -> str:
    region = request.args.get("region")
    center, zoom = REGION_VIEWS.get(region or "", (DEFAULT_CENTER, DEFAULT_ZOOM))
    return _map_page(
        list(PROVIDERS),
        lambda lid: url_for("maps.layer_data", layer=lid),
        center=center,
        zoom=zoom,
        share=None,
        nearest=True,
        template="maps/map.html",
    )


def _json(data: Any) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    resp = Response(body, mimetype="application/geo+json")
    resp.headers["Vary"] = "Accept-Encoding"
    resp.headers["Cache-Control"] = "no-store"
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(body) > 1024:
        resp.set_data(gzip.compress(body, compresslevel=6))
        resp.headers["Content-Encoding"] = "gzip"
    return resp


def _shelters(view: services.View, share: MapShare | None) -> dict[str, Any]:
    can_all = share is None and current_user.role in (Role.ADMIN, Role.COORDINATOR)
    org = current_user.organisation_id if share is None and current_user.role == Role.PARTNER else None
    return services.shelter_features(
        view,
        stale_hours=current_app.config["SIAGA_STALE_HOURS"],
        editable_org=org,
        can_edit_all=can_all,
        contacts=share is None and reg_services.can_see_contacts(current_user),
    )


def _points(view: services.View, share: MapShare | None) -> dict[str, Any]:
    can_all = share is None and current_user.role in (Role.ADMIN, Role.COORDINATOR)
    org = current_user.organisation_id if share is None and current_user.role == Role.PARTNER else None
    return services.point_features(view, editable_org=org, can_edit_all=can_all)


@lru_cache(maxsize=1)
def _boundaries_json() -> dict[str, Any]:
    data = json.loads((DATA_DIR / "seed-district.geojson").read_text())
    for f in data["features"]:
        p = f["properties"]
        f["properties"] = {"name": p["name"], "code": p["code"], "details": {"Kode": p["code"]}}
    return dict(data)


def _boundaries(view: services.View, share: MapShare | None) -> dict[str, Any]:
    data = _boundaries_json()
    if view.region:
        return {
            **data,
            "features": [f for f in data["features"] if f["properties"]["code"].startswith(view.region)],
        }
    return data


#: Layer id -> data provider. Hazard and aid layers register here when those domains load.
PROVIDERS: dict[str, Any] = {"shelters": _shelters, "points": _points, "boundaries": _boundaries}


def register_layer(layer_id: str, provider: Any) -> None:
    PROVIDERS[layer_id] = provider


@bp.get("/map/data/<layer>")
@roles_required(ALL_ROLES)
def layer_data(layer: str) -> Response:
    provider = PROVIDERS.get(layer)
    if provider is None:
        abort(404)
    return _json(provider(services.parse_view(request.args), None))


# ---------------------------------------------------------------- share links


@bp.route("/map/shares", methods=["GET", "POST"])
@roles_required(OPERATIONS)
def shares() -> str | Response | tuple[str, int]:
    errors: dict[str, str] = {}
    if request.method == "POST":
        raw_hours = (request.form.get("expires_in_hours") or "").strip()
        hours = (parse_int(raw_hours, 1, 8760) or -1) if raw_hours else None
        try:
            share = services.create_share(
                request.form.get("label", ""),
                request.form.getlist("layers"),
                request.form.get("region_code") or None,
                hours,
                current_user.id,
            )
            db.session.commit()
            flash(_("Share link created."), "success")
            return redirect(url_for("maps.shares", new=share.id))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.errors
    items = db.session.scalars(select(MapShare).order_by(MapShare.created_at.desc())).all()
    return render_template(
        "maps/shares.html",
        shares=items,
        errors=errors,
        layer_names=layer_labels(),
        layer_ids=list(PROVIDERS),
        regions=REGION_VIEWS,
        new_id=request.args.get("new", type=int),
        form=request.form,
    ), 422 if errors else 200


@bp.post("/map/shares/<int:share_id>/revoke")
@roles_required(OPERATIONS)
def revoke_share(share_id: int) -> Response:
    share = db.session.get(MapShare, share_id)
    if share is None:
        abort(404)
    services.revoke_share(share)
    db.session.commit()
    flash(_("Share link revoked."), "success")
    return redirect(url_for("maps.shares"))


def _share_or_404(token: str) -> MapShare:
    share = services.get_valid_share(token)
    if share is None:
        abort(404)
    return share


@bp.get("/share/<token>")
@public
def shared_map(token: str) -> Response:
    share = _share_or_404(token)
    center, zoom = REGION_VIEWS.get(share.region_code or "", (DEFAULT_CENTER, DEFAULT_ZOOM))
    html = _map_page(
        share.layers,
        lambda lid: url_for("maps.shared_layer_data", token=token, layer=lid),
        center=center,
        zoom=zoom,
        share=share,
        nearest=False,
        template="maps/shared.html",
    )
    resp = make_response(html)
    # Embeddable in partners' pages; nothing on it can act.
    resp.headers["Content-Security-Policy"] = "frame-ancestors *"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/share/<token>/data/<layer>")
@public
def shared_layer_data(token: str, layer: str) -> Response:
    share = _share_or_404(token)
    if layer not in share.layers or layer not in PROVIDERS:
        abort(404)
    view = services.parse_view(request.args)
    if share.region_code:
        view = services.View(bbox=view.bbox, zoom=view.zoom, region=share.region_code)
    return _json(PROVIDERS[layer](view, share))
