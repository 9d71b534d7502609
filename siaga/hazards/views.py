"""Hazard pages: events with their impact, feed health, and the hazards layer of the
operational map. Every page and the layer credit BMKG ("Sumber: BMKG").

Times are stored in UTC and shown in a local zone (WIB, WITA or WIT): an event's times in
the zone of its region (:func:`event_regions`, the one rule for the list, the detail page
and the map layer), a feed's times in the task force's zone (its first AOR region).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from siaga.core.auth import ALL_ROLES, READERS, roles_required
from siaga.core.http_input import MAX_ID
from siaga.core.params import int_arg
from siaga.core.time import format_local, to_local
from siaga.db import UTCDateTime, utcnow
from siaga.extensions import db
from siaga.hazards import polling
from siaga.hazards.models import HazardEvent, HazardKind
from siaga.hazards.queries import event_regions, related_events
from siaga.hazards.services import aor_codes, in_aor
from siaga.maps.event_map import event_map_html
from siaga.maps.services import View

bp = Blueprint("hazards", __name__)

CREDIT = "Sumber: BMKG"
#: Events per page of the hazard list (newest first).
LIST_PER_PAGE = 50
#: The event's datetime columns: their values in a revision's changes are shown in local time.
_TIME_FIELDS = frozenset(c.key for c in HazardEvent.__table__.columns if isinstance(c.type, UTCDateTime))


@bp.record_once
def _register_map_layer(_state: Any) -> None:
    from siaga.maps.views import register_layer

    register_layer("hazards", hazard_features)


def local_with_utc(value: datetime, region: str | None) -> str:
    """``20-11-2026 10:15 WIB (03:15 UTC)``, with the UTC date too when it is another day."""
    local, _zone = to_local(value, region)
    utc = local.astimezone(UTC)
    utc_text = utc.strftime("%H:%M" if utc.date() == local.date() else "%d-%m %H:%M")
    return f"{format_local(value, region)} ({utc_text} UTC)"


@bp.get("/hazards")
@roles_required(ALL_ROLES)
def event_list() -> str:
    kind = request.args.get("kind")
    stmt = select(HazardEvent)
    if kind in {k.value for k in HazardKind}:
        stmt = stmt.where(HazardEvent.kind == HazardKind(kind))
    if request.args.get("impact") == "1":
        stmt = stmt.where(HazardEvent.severity > 0)
    if request.args.get("exercise") == "0":
        stmt = stmt.where(HazardEvent.is_exercise.is_(False))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    last_page = max(1, -(-total // LIST_PER_PAGE))
    page = min(int_arg("page", 1, lo=1, hi=MAX_ID), last_page)
    events = db.session.scalars(
        stmt.order_by(HazardEvent.origin_time.desc().nullslast(), HazardEvent.id.desc())
        .limit(LIST_PER_PAGE)
        .offset((page - 1) * LIST_PER_PAGE)
    ).all()
    aor = aor_codes()
    return render_template(
        "hazards/list.html",
        events=events,
        regions=event_regions(events, aor),
        feeds=feed_rows(),
        feed_region=aor[0] if aor else None,
        status_labels=feed_status_labels(),
        kind=kind,
        page=page,
        last_page=last_page,
        total=total,
        page_url=lambda n: url_for("hazards.event_list", **{**request.args.to_dict(), "page": n}),
    )


@bp.get("/hazards/<int:event_id>")
@roles_required(ALL_ROLES)
def event_detail(event_id: int) -> str:
    ev = db.session.get(HazardEvent, event_id)
    if ev is None:
        abort(404)
    aor = aor_codes()
    region = event_regions([ev], aor)[ev.id]
    impacts = list(ev.impacts)
    threshold = current_app.config["SIAGA_MMI_THRESHOLD"]
    return render_template(
        "hazards/detail.html",
        ev=ev,
        region=region,
        history=[(rev, change_rows(rev.changes or {}, region)) for rev in ev.revisions],
        impacts=impacts,
        aor=aor,
        in_aor=in_aor,
        threshold=threshold,
        event_map=event_map_html(ev, impacts, threshold),
        related=related_events(ev),
    )


def change_rows(changes: dict[str, Any], region: str | None) -> list[tuple[str, str, str]]:
    """A revision's changes as ``(field, from, to)`` texts, times in the event's zone."""
    rows = []
    for key, change in changes.items():
        if not isinstance(change, dict):  # {"created": true}, {"sources": [...]}
            continue
        old, new = (_change_text(key, change.get(side), region) for side in ("from", "to"))
        rows.append((key, old, new))
    return rows


def _change_text(key: str, value: Any, region: str | None) -> str:
    if value is None:
        return "—"
    if key in _TIME_FIELDS and isinstance(value, str):
        try:
            return local_with_utc(datetime.fromisoformat(value), region)
        except ValueError:
            return value
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@bp.get("/feeds")
@roles_required(READERS)
def feed_health() -> str:
    aor = aor_codes()
    return render_template(
        "hazards/feeds.html",
        feeds=feed_rows(),
        region=aor[0] if aor else None,
        status_labels=feed_status_labels(),
        failures_limit=current_app.config["SIAGA_FEED_FAILURES_NOTICE"],
        silent_minutes=current_app.config["SIAGA_FEED_SILENT_MINUTES"],
    )


def feed_status_labels() -> dict[str, str]:
    return {"ok": _("ok"), "down": _("down"), "silent": _("silent"), "waiting": _("no data yet")}


def feed_rows() -> list[dict[str, Any]]:
    """:func:`polling.health` with its times as datetimes (shown local, with their age) and a
    status: ``ok``; ``down`` (too many failed polls in a row); ``silent`` (no successful
    poll for too long); ``waiting`` (never polled successfully, not yet down)."""
    limit = current_app.config["SIAGA_FEED_FAILURES_NOTICE"]
    rows = []
    for feed in polling.health():
        row = dict(feed)
        for key in ("last_success_at", "last_error_at", "last_new_item_at"):
            row[key] = datetime.fromisoformat(feed[key]) if feed[key] else None
        if feed["ok"]:
            row["status"] = "ok"
        elif feed["consecutive_failures"] >= limit:
            row["status"] = "down"
        elif row["last_success_at"] is not None:
            row["status"] = "silent"
        else:
            row["status"] = "waiting"
        rows.append(row)
    return rows


def hazard_features(view: View, share: Any) -> dict[str, Any]:
    """Map layer: recent events as points (quakes, tsunami) and weather polygons, with BMKG credit.

    Texts go out as plain strings (the map's popups and tooltips set them as text, never as
    HTML); times are in the event's zone with UTC in brackets. A share link gets no link to
    the event page (its viewers cannot log in).
    """
    since = utcnow() - timedelta(days=current_app.config["SIAGA_MAP_HAZARD_DAYS"])
    events = db.session.scalars(
        select(HazardEvent)
        .where(HazardEvent.first_seen_at >= since)
        .order_by(HazardEvent.id.desc())
        .limit(300)
    ).all()
    regions = event_regions(events, aor_codes())
    feats: list[dict[str, Any]] = []
    for ev in events:
        region = regions[ev.id]
        details = {
            k: v
            for k, v in {
                "M": f"{ev.magnitude:.1f}" if ev.magnitude is not None else None,
                _("Depth"): f"{ev.depth_km:.0f} km" if ev.depth_km is not None else None,
                _("Highest MMI"): f"{ev.max_mmi:.1f}" if ev.max_mmi is not None else None,
                _("Level"): ev.level or ev.cap_severity,
                _("Tsunami potential"): _("yes") if ev.tsunami_potential else None,
                _("Time"): local_with_utc(ev.origin_time, region) if ev.origin_time else None,
                _("Valid until"): local_with_utc(ev.expires_at, region) if ev.expires_at else None,
                _("Status"): _("exercise") if ev.is_exercise else None,
            }.items()
            if v
        }
        props: dict[str, Any] = {
            "id": ev.id,
            "title": ev.title,
            "name": ev.title,
            "kind": ev.kind.value,
            "level": ev.level,
            "details": details,
            "source": CREDIT,
            "exercise": ev.is_exercise,
        }
        if share is None:
            props["url"] = url_for("hazards.event_detail", event_id=ev.id)
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
