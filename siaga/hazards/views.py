"""Hazard pages: events with their impact, feed health. Every page credits BMKG."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from siaga.core.auth import ALL_ROLES, READERS, roles_required
from siaga.extensions import db
from siaga.hazards import polling
from siaga.hazards.models import HazardEvent, HazardKind
from siaga.hazards.services import aor_codes, in_aor
from siaga.maps.event_map import event_map_html
from siaga.maps.services import View

bp = Blueprint("hazards", __name__)


@bp.record_once
def _register_map_layer(_state: Any) -> None:
    from siaga.maps.views import register_layer

    register_layer("hazards", hazard_features)


@bp.get("/hazards")
@roles_required(ALL_ROLES)
def event_list() -> str:
    kind = request.args.get("kind")
    stmt = (
        select(HazardEvent)
        .order_by(HazardEvent.origin_time.desc().nullslast(), HazardEvent.id.desc())
        .limit(200)
    )
    if kind in {k.value for k in HazardKind}:
        stmt = stmt.where(HazardEvent.kind == HazardKind(kind))
    if request.args.get("impact") == "1":
        stmt = stmt.where(HazardEvent.severity > 0)
    events = db.session.scalars(stmt).all()
    return render_template(
        "hazards/list.html", events=events, feeds=polling.health(), kind=kind, aor=aor_codes()
    )


@bp.get("/hazards/<int:event_id>")
@roles_required(ALL_ROLES)
def event_detail(event_id: int) -> str:
    ev = db.session.get(HazardEvent, event_id)
    if ev is None:
        abort(404)
    aor = aor_codes()
    impacts = list(ev.impacts)
    threshold = current_app.config["SIAGA_MMI_THRESHOLD"]
    return render_template(
        "hazards/detail.html",
        ev=ev,
        impacts=impacts,
        aor=aor,
        in_aor=in_aor,
        threshold=threshold,
        event_map=event_map_html(ev, impacts, threshold),
    )


@bp.get("/feeds")
@roles_required(READERS)
def feed_health() -> str:
    return render_template("hazards/feeds.html", feeds=polling.health())


def hazard_features(view: View, share: Any) -> dict[str, Any]:
    """Map layer: recent events as points (quakes, tsunami) and weather polygons, with BMKG credit."""
    from datetime import timedelta

    from siaga.db import utcnow

    since = utcnow() - timedelta(days=current_app.config["SIAGA_MAP_HAZARD_DAYS"])
    events = db.session.scalars(
        select(HazardEvent)
        .where(HazardEvent.first_seen_at >= since)
        .order_by(HazardEvent.id.desc())
        .limit(300)
    ).all()
    feats: list[dict[str, Any]] = []
    for ev in events:
        details = {
            k: v
            for k, v in {
                "M": f"{ev.magnitude:.1f}" if ev.magnitude is not None else None,
                "Kedalaman": f"{ev.depth_km:.0f} km" if ev.depth_km is not None else None,
                "MMI maks": f"{ev.max_mmi:.1f}" if ev.max_mmi is not None else None,
                "Level": ev.level or ev.cap_severity,
                "Waktu (UTC)": ev.origin_time.strftime("%Y-%m-%d %H:%M") if ev.origin_time else None,
            }.items()
            if v
        }
        props = {
            "title": ev.title,
            "name": ev.title,
            "kind": ev.kind.value,
            "level": ev.level,
            "details": details,
            "source": "Sumber: BMKG",
            "exercise": ev.is_exercise,
        }
        if ev.kind == HazardKind.WEATHER and ev.polygons:
            for area in ev.polygons:
                for ring in area:
                    coords = [[round(lon, 5), round(lat, 5)] for lat, lon in ring]
                    feats.append(
                        {
                            "type": "Feature",
                            "geometry": {"type": "Polygon", "coordinates": [coords]},
                            "properties": props,
                        }
                    )
        elif ev.lat is not None and ev.lon is not None:
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [ev.lon, ev.lat]},
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "clustered": False, "features": feats}
