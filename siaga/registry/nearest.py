"""Nearest open shelters and evacuation points from a point.

An indexed bounding-box prefilter (composite ``(lat, lon)`` indexes) that grows until k
candidates lie within its radius; candidates ranked by haversine, the answer's distances
geodesic (geopy). Never a loop over all rows: ``scripts/bench_nearest`` measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geopy.distance import geodesic
from sqlalchemy import and_, select

from siaga.extensions import db
from siaga.registry.models import EvacuationPoint, PointStatus, Shelter, ShelterStatus

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Nearby:
    id: int
    name: str
    lat: float
    lon: float
    distance_km: float
    capacity: int
    free: int
    status: str
    kind: str


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _bbox(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    coslat = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(math.degrees(radius_km / (EARTH_RADIUS_KM * coslat)), 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


#: Search radii tried in turn (km); the last is the whole table.
RADII_KM = (5.0, 20.0, 80.0, 300.0, 1200.0, math.inf)


def _nearest(
    table: Any, extra_where: list[Any], columns: list[Any], lat: float, lon: float, k: int
) -> list[tuple[float, Any]]:
    """k nearest rows by an indexed bounding box that grows until k rows lie inside its circle.

    Candidates are ranked by haversine distance (cheap); a row within ``r`` of the point is
    certainly inside the box of ``r``, so once k candidates are within ``r`` no row outside
    the box can be nearer.
    """
    for radius in RADII_KM:
        where = list(extra_where)
        if math.isfinite(radius):
            s, n, w, e = _bbox(lat, lon, radius)
            where += [table.lat.between(s, n), table.lon.between(w, e)]
        rows = db.session.execute(select(*columns).where(and_(*where))).all()
        ranked = sorted(((_haversine_km(lat, lon, r.lat, r.lon), r) for r in rows), key=lambda t: t[0])
        within = [t for t in ranked if t[0] <= radius]
        if len(within) >= k or not math.isfinite(radius):
            return within[:k]
    return []  # pragma: no cover - the last radius is infinite


def nearest_shelters(lat: float, lon: float, k: int = 5, min_free: int = 1) -> list[Nearby]:
    """The k nearest shelters that are open (or on standby) with at least ``min_free`` free places."""
    cols = [
        Shelter.id,
        Shelter.name,
        Shelter.lat,
        Shelter.lon,
        Shelter.capacity,
        Shelter.occupants,
        Shelter.status,
    ]
    where = [
        Shelter.status.in_([ShelterStatus.OPEN, ShelterStatus.STANDBY]),
        (Shelter.capacity - Shelter.occupants) >= min_free,
    ]
    found = _nearest(Shelter, where, cols, lat, lon, k)
    out = [
        Nearby(
            id=r.id,
            name=r.name,
            lat=r.lat,
            lon=r.lon,
            distance_km=round(geodesic((lat, lon), (r.lat, r.lon)).km, 3),
            capacity=r.capacity,
            free=max(r.capacity - r.occupants, 0),
            status=ShelterStatus(r.status).value,
            kind="shelter",
        )
        for _d, r in found
    ]
    return sorted(out, key=lambda n: n.distance_km)


def nearest_points(lat: float, lon: float, k: int = 5) -> list[Nearby]:
    cols = [
        EvacuationPoint.id,
        EvacuationPoint.name,
        EvacuationPoint.lat,
        EvacuationPoint.lon,
        EvacuationPoint.capacity,
        EvacuationPoint.kind,
        EvacuationPoint.status,
    ]
    found = _nearest(EvacuationPoint, [EvacuationPoint.status == PointStatus.ACTIVE], cols, lat, lon, k)
    out = [
        Nearby(
            id=r.id,
            name=r.name,
            lat=r.lat,
            lon=r.lon,
            distance_km=round(geodesic((lat, lon), (r.lat, r.lon)).km, 3),
            capacity=r.capacity,
            free=r.capacity,
            status=PointStatus(r.status).value,
            kind=str(r.kind.value if hasattr(r.kind, "value") else r.kind),
        )
        for _d, r in found
    ]
    return sorted(out, key=lambda n: n.distance_km)
