"""Nearest open shelters and evacuation points from a point.

The search never loops over all rows. It asks the database for the rows inside a bounding
box around the point (served by the composite ``(status, lat, lon)`` / ``(lat, lon)``
indexes), ranks them by haversine distance in Python and grows the box until the answer is
provably complete; only the few finalists get a geodesic distance (geopy, WGS-84), and the
answer is ordered by that geodesic distance (ties by id).

Why the answer is exact (the k nearest by geodesic distance, as a loop over all rows would
give):

* The box for a spherical radius ``r`` contains the whole spherical cap of that radius:
  latitudes ``lat ± δ`` and longitudes ``lon ± asin(sin δ / cos lat)`` with ``δ = r / R``
  (the widest point of a cap is poleward of its centre, so ``δ / cos lat`` would be too
  narrow). When the cap reaches a pole or the box crosses ±180°, the longitude filter is
  dropped. So every row with haversine distance ≤ ``r`` is fetched.
* Mapping the sphere (radius ``R``) onto the WGS-84 ellipsoid stretches every length by a
  factor between ``M_eq / R`` and ``N_pole / R`` (the smallest and largest radii of
  curvature), so ``GEO_LO · haversine ≤ geodesic ≤ GEO_HI · haversine``.
* With the k-th smallest haversine distance ``h_k`` inside the cap, the k-th geodesic
  distance is at most ``GEO_HI · h_k``; a row that near has haversine distance at most
  ``reach = h_k · GEO_HI / GEO_LO``. Once ``reach ≤ r`` every row that could be among the
  k nearest has been fetched; the geodesic distance is computed for those (rarely more than
  k) and the k smallest win. Otherwise the radius grows (to ``reach`` itself when k rows
  were found, which then settles it) until it covers the whole sphere.

Speed (``scripts/bench_nearest``, ``docs/BENCHMARKS.md``): the statement is compiled once
per dialect and run on the session's own DBAPI connection (inside its transaction), which
skips SQLAlchemy's per-execution overhead; the radius starts small and grows with the
observed density, so a query usually needs one or two index range scans of a few dozen rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geopy.distance import geodesic
from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, select

from siaga.db import plain_rows
from siaga.registry.models import EvacuationPoint, PointStatus, Shelter, ShelterStatus

#: Mean earth radius (km) of the haversine sphere.
EARTH_RADIUS_KM = 6371.0088
#: geodesic / haversine bounds: WGS-84's smallest radius of curvature (meridional, at the
#: equator, 6335.439 km) and largest (at the poles, 6399.594 km) over R, rounded outwards.
GEO_LO = 0.9944
GEO_HI = 1.0045
#: A cap of this radius covers the whole sphere.
WHOLE_SPHERE_KM = math.pi * EARTH_RADIUS_KM
#: First search radius (km). Small on purpose: a B-tree on (lat, lon) seeks on latitude only,
#: so a box costs in proportion to its height times the width of the country (all rows in that
#: latitude band are visited in the index); a couple of cheap rounds beat one tall box.
START_RADIUS_KM = 2.0
#: Growth per round when fewer than k rows were found: at least ×1.5, at most ×4.
MIN_GROWTH, MAX_GROWTH = 1.5, 4.0
#: Box edges are widened by this much (degrees) against rounding at the boundary.
_BOX_EPS_DEG = 1e-9

#: One geopy calculator, reused: building ``geodesic(a, b)`` per pair costs twice as much.
_GEODESIC = geodesic()


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


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on WGS-84 in km (geopy)."""
    return float(_GEODESIC.measure((lat1, lon1), (lat2, lon2)))


def cap_bbox(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float] | None:
    """(south, north, west, east) containing the spherical cap of ``radius_km``, or None.

    None means no box helps: the cap covers the sphere. West/east are -180/180 (no
    longitude filter) when the cap reaches a pole or the box would cross the antimeridian.
    """
    if radius_km >= WHOLE_SPHERE_KM:
        return None
    delta = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(delta)
    south, north = lat - dlat - _BOX_EPS_DEG, lat + dlat + _BOX_EPS_DEG
    coslat = math.cos(math.radians(lat))
    if south <= -90.0 or north >= 90.0 or math.sin(delta) >= coslat:
        return max(south, -90.0), min(north, 90.0), -180.0, 180.0
    dlon = math.degrees(math.asin(math.sin(delta) / coslat)) + _BOX_EPS_DEG
    west, east = lon - dlon, lon + dlon
    if west < -180.0 or east > 180.0:
        return south, north, -180.0, 180.0
    return south, north, west, east


class _Search:
    """One nearest-search statement, compiled once per dialect and run on the DBAPI cursor.

    The selected columns must start with ``id, lat, lon``.
    """

    def __init__(self, columns: Sequence[Any], table: Any, filters: Sequence[ColumnElement[bool]]) -> None:
        box = [
            table.lat.between(bindparam("south"), bindparam("north")),
            table.lon.between(bindparam("west"), bindparam("east")),
        ]
        self.boxed: Select[Any] = select(*columns).where(and_(*filters, *box))
        self.unbounded: Select[Any] = select(*columns).where(and_(*filters))
        self._compiled: dict[tuple[str, bool], tuple[str, list[str] | None]] = {}

    def _sql(self, dialect: Any, boxed: bool) -> tuple[str, list[str] | None]:
        key = (dialect.name, boxed)
        found = self._compiled.get(key)
        if found is None:
            compiled = (self.boxed if boxed else self.unbounded).compile(dialect=dialect)
            found = (compiled.string, list(compiled.positiontup) if compiled.positiontup else None)
            self._compiled[key] = found
        return found

    def fetch(self, params: dict[str, Any], box: tuple[float, float, float, float] | None) -> list[Any]:
        """Rows matching the filters (inside ``box`` unless None), in the session's transaction."""
        if box is not None:
            params = {**params, "south": box[0], "north": box[1], "west": box[2], "east": box[3]}

        def statement(dialect: Any) -> tuple[str, Any]:
            sql, order = self._sql(dialect, box is not None)
            return sql, ([params[name] for name in order] if order is not None else params)

        return plain_rows(statement)


def _nearest(
    search: _Search, params: dict[str, Any], lat: float, lon: float, k: int
) -> list[tuple[float, Any]]:
    """The k rows nearest to the point by geodesic distance, as (km, row), nearest first.

    See the module docstring for why no nearer row can be missed.
    """
    if k <= 0:
        return []
    radius = START_RADIUS_KM
    while True:
        box = cap_bbox(lat, lon, radius)
        rows = search.fetch(params, box)
        ranked = sorted(((_haversine_km(lat, lon, r[1], r[2]), r) for r in rows), key=lambda t: t[0])
        inside = [t for t in ranked if t[0] <= radius] if box is not None else ranked
        if len(inside) >= k:
            reach = inside[k - 1][0] * (GEO_HI / GEO_LO)
            if reach <= radius or box is None:
                finalists = [(geodesic_km(lat, lon, r[1], r[2]), r[0], r) for h, r in inside if h <= reach]
                finalists.sort(key=lambda t: (t[0], t[1]))
                return [(d, r) for d, _id, r in finalists[:k]]
            radius = reach
        elif box is None:  # the whole sphere holds fewer than k rows
            finalists = [(geodesic_km(lat, lon, r[1], r[2]), r[0], r) for _h, r in inside]
            finalists.sort(key=lambda t: (t[0], t[1]))
            return [(d, r) for d, _id, r in finalists]
        else:
            growth = math.sqrt(k / len(inside)) * 1.5 if inside else MAX_GROWTH
            radius *= min(max(growth, MIN_GROWTH), MAX_GROWTH)


_SHELTERS = _Search(
    [Shelter.id, Shelter.lat, Shelter.lon, Shelter.name, Shelter.capacity, Shelter.occupants, Shelter.status],
    Shelter,
    [
        Shelter.status.in_([bindparam("status_a"), bindparam("status_b")]),
        (Shelter.capacity - Shelter.occupants) >= bindparam("min_free"),
    ],
)
_POINTS = _Search(
    [
        EvacuationPoint.id,
        EvacuationPoint.lat,
        EvacuationPoint.lon,
        EvacuationPoint.name,
        EvacuationPoint.capacity,
        EvacuationPoint.kind,
    ],
    EvacuationPoint,
    [EvacuationPoint.status == BindParameter("status", type_=EvacuationPoint.status.type)],
)


def nearest_shelters(lat: float, lon: float, k: int = 5, min_free: int = 1) -> list[Nearby]:
    """The k nearest shelters that are open (or on standby) with at least ``min_free`` free places.

    Sorted by geodesic distance (ties by id); fewer than k when fewer match anywhere.
    """
    params = {
        "status_a": ShelterStatus.OPEN.value,
        "status_b": ShelterStatus.STANDBY.value,
        "min_free": int(min_free),
    }
    return [
        Nearby(
            id=r[0],
            name=r[3],
            lat=r[1],
            lon=r[2],
            distance_km=round(dist, 3),
            capacity=r[4],
            free=max(r[4] - r[5], 0),
            status=ShelterStatus(r[6]).value,
            kind="shelter",
        )
        for dist, r in _nearest(_SHELTERS, params, lat, lon, k)
    ]


def nearest_points(lat: float, lon: float, k: int = 5) -> list[Nearby]:
    """The k nearest active evacuation points, sorted by geodesic distance (ties by id)."""
    found = _nearest(_POINTS, {"status": PointStatus.ACTIVE.value}, lat, lon, k)
    return [
        Nearby(
            id=r[0],
            name=r[3],
            lat=r[1],
            lon=r[2],
            distance_km=round(dist, 3),
            capacity=r[4],
            free=r[4],
            status=PointStatus.ACTIVE.value,
            kind=str(r[5]),
        )
        for dist, r in found
    ]
