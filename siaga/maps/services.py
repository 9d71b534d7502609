"""Map data: GeoJSON for the map's layers, aggregated server-side when zoomed out.

The page itself carries no data (it stays small whatever the number of shelters); the
browser fetches each layer for the visible bounding box and zoom. Below
``CLUSTER_MAX_ZOOM``, or when the box holds more than ``MAX_POINTS`` rows, rows are
grouped into grid cells of about 60 screen pixels with SQL ``GROUP BY``: the answer's size
depends on the screen, not on the data.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, case, cast, func, select

from siaga.core.errors import ValidationFailed
from siaga.core.params import parse_int, parse_region
from siaga.db import utcnow
from siaga.extensions import db
from siaga.maps.models import MapShare
from siaga.registry.models import EvacuationPoint, Shelter, ShelterStatus

LAYERS = ("shelters", "points", "hazards", "warnings", "aid", "boundaries")
CLUSTER_MAX_ZOOM = 10
MAX_POINTS = 2000
CELL_PX = 60


@dataclass(frozen=True)
class View:
    bbox: tuple[float, float, float, float]  #: west, south, east, north
    zoom: int
    region: str | None = None


def parse_view(args: Any) -> View:
    errors: dict[str, str] = {}
    bbox = (-180.0, -90.0, 180.0, 90.0)
    raw = args.get("bbox")
    if raw:
        try:
            w, s, e, n = (float(x) for x in raw.split(","))
            if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
                raise ValueError
            bbox = (w, s, e, n)
        except ValueError:
            errors["bbox"] = "must be west,south,east,north in degrees"
    zoom = parse_int(args.get("zoom", "10"), 0, 22)
    if zoom is None:
        errors["zoom"] = "must be a whole number from 0 to 22"
        zoom = 10
    raw_region = args.get("region") or None
    region = parse_region(raw_region)
    if raw_region and region is None:
        errors["region"] = "must be a Kemendagri code like 16.06"
    if errors:
        raise ValidationFailed(errors)
    return View(bbox=bbox, zoom=zoom, region=region)


def cell_size_deg(zoom: int) -> float:
    """Degrees of longitude covered by ``CELL_PX`` pixels at this Web-Mercator zoom."""
    return 360.0 / (256 * 2**zoom) * CELL_PX


def in_view(model: Any, view: View) -> list[Any]:
    """Conditions: inside the view's box (and its region, when one is chosen)."""
    w, s, e, n = view.bbox
    where = [model.lat.between(s, n), model.lon.between(w, e)]
    if view.region:
        where.append((model.region_code == view.region) | model.region_code.startswith(view.region + "."))
    return where


def _round(x: float) -> float:
    return round(x, 5)


def cluster_features(model: Any, where: list[Any], view: View, extra: list[Any]) -> list[dict[str, Any]]:
    """Rows grouped into grid cells of about ``CELL_PX`` screen pixels at the view's zoom (SQL GROUP BY)."""
    size = cell_size_deg(view.zoom)
    gx = func.floor(cast(model.lon, Float) / size).label("gx")
    gy = func.floor(cast(model.lat, Float) / size).label("gy")
    stmt = select(gx, gy, func.count().label("n"), func.avg(model.lat), func.avg(model.lon), *extra).where(
        *where
    )
    rows = db.session.execute(stmt.group_by(gx, gy)).all()
    feats = []
    for r in rows:
        props: dict[str, Any] = {"cluster": True, "n": r.n}
        for col in extra:
            props[col.name] = int(getattr(r, col.name) or 0)
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [_round(r[4]), _round(r[3])]},
                "properties": props,
            }
        )
    return feats


def count_rows(model: Any, where: list[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def shelter_features(
    view: View, *, stale_hours: int, editable_org: int | None, can_edit_all: bool, contacts: bool = False
) -> dict[str, Any]:
    """Shelters in the view: clusters, or one feature per shelter.

    ``contacts``: include the manager's name and phone (``mn``, ``mp``), only for roles
    allowed to see people's contact details (never on a share link).
    """
    where = in_view(Shelter, view)
    if view.zoom <= CLUSTER_MAX_ZOOM or count_rows(Shelter, where) > MAX_POINTS:
        extra = [
            func.sum(Shelter.occupants).label("o"),
            func.sum(Shelter.capacity).label("c"),
            func.sum(case((Shelter.status == ShelterStatus.FULL, 1), else_=0)).label("full"),
        ]
        return {
            "type": "FeatureCollection",
            "clustered": True,
            "features": cluster_features(Shelter, where, view, extra),
        }
    cutoff = utcnow() - timedelta(hours=stale_hours)
    cols = [
        Shelter.id,
        Shelter.name,
        Shelter.lat,
        Shelter.lon,
        Shelter.status,
        Shelter.occupants,
        Shelter.capacity,
        Shelter.occupancy_updated_at,
        Shelter.owner_org_id,
        Shelter.manager_name,
        Shelter.manager_phone,
    ]
    feats = []
    for r in db.session.execute(select(*cols).where(*where)).all():
        updated: datetime | None = r.occupancy_updated_at
        props: dict[str, Any] = {
            "id": r.id,
            "name": r.name,
            "status": ShelterStatus(r.status).value,
            "o": r.occupants,
            "c": r.capacity,
            "u": updated.isoformat() if updated else None,
            "stale": updated is None or updated < cutoff,
            "edit": can_edit_all or (editable_org is not None and r.owner_org_id == editable_org),
        }
        if contacts and (r.manager_name or r.manager_phone):
            props.update(mn=r.manager_name or "", mp=r.manager_phone or "")
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [_round(r.lon), _round(r.lat)]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "clustered": False, "features": feats}


def point_features(view: View, *, editable_org: int | None, can_edit_all: bool) -> dict[str, Any]:
    where = in_view(EvacuationPoint, view)
    if view.zoom <= CLUSTER_MAX_ZOOM or count_rows(EvacuationPoint, where) > MAX_POINTS:
        extra = [func.sum(EvacuationPoint.capacity).label("c")]
        return {
            "type": "FeatureCollection",
            "clustered": True,
            "features": cluster_features(EvacuationPoint, where, view, extra),
        }
    cols = [
        EvacuationPoint.id,
        EvacuationPoint.name,
        EvacuationPoint.lat,
        EvacuationPoint.lon,
        EvacuationPoint.kind,
        EvacuationPoint.status,
        EvacuationPoint.capacity,
        EvacuationPoint.owner_org_id,
    ]
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [_round(r.lon), _round(r.lat)]},
            "properties": {
                "id": r.id,
                "name": r.name,
                "kind": getattr(r.kind, "value", r.kind),
                "status": getattr(r.status, "value", r.status),
                "c": r.capacity,
                "edit": can_edit_all or (editable_org is not None and r.owner_org_id == editable_org),
            },
        }
        for r in db.session.execute(select(*cols).where(*where)).all()
    ]
    return {"type": "FeatureCollection", "clustered": False, "features": feats}


# ---------------------------------------------------------------- share links


def create_share(
    label: str, layers: list[str], region_code: str | None, expires_in_hours: int | None, user_id: int | None
) -> MapShare:
    errors: dict[str, str] = {}
    label = (label or "").strip()
    if not label:
        errors["label"] = "is required"
    elif len(label) > 200:
        errors["label"] = "must be at most 200 characters"
    bad = [layer for layer in layers if layer not in LAYERS]
    if not layers or bad:
        errors["layers"] = "choose at least one known layer"
    if expires_in_hours is not None and not 1 <= expires_in_hours <= 24 * 365:
        errors["expires_in_hours"] = "must be between 1 and 8760"
    if region_code and len(region_code) > 13:
        errors["region_code"] = "must be a Kemendagri code"
    if errors:
        raise ValidationFailed(errors)
    share = MapShare(
        token=secrets.token_urlsafe(24),
        label=label,
        layers=list(dict.fromkeys(layers)),
        region_code=region_code or None,
        created_by_id=user_id,
        expires_at=utcnow() + timedelta(hours=expires_in_hours) if expires_in_hours else None,
    )
    db.session.add(share)
    db.session.flush()
    return share


def get_valid_share(token: str) -> MapShare | None:
    share = db.session.scalar(select(MapShare).where(MapShare.token == token))
    if share is None or not share.is_valid():
        return None
    return share


def revoke_share(share: MapShare) -> None:
    if share.revoked_at is None:
        share.revoked_at = utcnow()
    db.session.flush()


def zoom_for_bbox(w: float, s: float, e: float, n: float) -> int:
    span = max(e - w, (n - s) * 1.3, 1e-6)
    return max(3, min(15, int(math.log2(360 / span)) + 1))
