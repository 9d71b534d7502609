"""Our places as arrays for the hazard impact, cached per process and checked on every use.

Every poll that finds something new computes the impact of each event over every shelter,
active evacuation point and district centroid we know. Reading those 10,000+ rows costs more
than the rest of the ingest, yet they rarely change: a coordinator adds a shelter, moves it,
renames it. So each process keeps one copy (:class:`Places`), and before each use reads one
token (``place_versions``, one row) that database triggers change on every insert or delete of
a shelter, point or region and on every update of a column kept here. The check is one
indexed read; a changed token reloads everything. Correct across processes and machines (the
token lives in the database, no clocks involved) and across rollbacks (tokens are random:
one rolled back never comes back).

Occupancy is not kept: it changes all day. The people in the shelters an event reaches are
read fresh (:func:`people_in`), for those shelters only.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import case, func, select

from siaga.db import plain_rows
from siaga.regions.models import Region, RegionLevel
from siaga.registry.models import EvacuationPoint, PlaceVersion, PointStatus, Shelter, ShelterStatus

#: (type, id, name, lat, lon, region code): type is "shelter", "point" or "district"
Place = tuple[str, str, str, float, float, str | None]


def aor_codes() -> list[str]:
    """The task force's area of responsibility (Kemendagri codes)."""
    raw = current_app.config["SIAGA_AOR_REGIONS"]
    return [c.strip() for c in raw.split(",") if c.strip()]


def in_aor(code: str | None, aor: Sequence[str]) -> bool:
    """Whether a region code lies in the area of responsibility (memoised: asked per row)."""
    return bool(code) and _in_aor(str(code), tuple(aor))


@functools.lru_cache(maxsize=65_536)
def _in_aor(code: str, aor: tuple[str, ...]) -> bool:
    return any(code == a or code.startswith(a + ".") for a in aor)


def overlaps_aor(code: str | None, aor: Sequence[str]) -> bool:
    """Whether a region shares ground with the area of responsibility: it lies in it, or part of
    the area lies in it (a warned regency, 16.06, when the task force covers its district
    16.06.01)."""
    return in_aor(code, aor) or (bool(code) and any(a.startswith(f"{code}.") for a in aor))


@dataclass
class Places:
    """Every place an event can reach, in a fixed order (shelters, active points, districts).

    ``lat``/``lon`` are the rows' coordinates as arrays and ``aor`` marks the places inside
    the area of responsibility. Shared by every event of a process until the catalogue
    changes: never modified after it is built.
    """

    rows: list[Place]
    lat: np.ndarray
    lon: np.ndarray
    aor: np.ndarray
    by_lat: np.ndarray = field(init=False)
    sorted_lat: np.ndarray = field(init=False)
    aor_idx: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        #: Indices by latitude (for a latitude band search) and of the places in the AOR.
        self.by_lat = np.argsort(self.lat, kind="stable")
        self.sorted_lat = self.lat[self.by_lat]
        self.aor_idx = np.flatnonzero(self.aor)
        for array in (self.lat, self.lon, self.aor, self.by_lat, self.sorted_lat, self.aor_idx):
            array.flags.writeable = False


_QUERIES: dict[str, Any] = {
    "shelters": select(Shelter.id, Shelter.name, Shelter.lat, Shelter.lon, Shelter.region_code).order_by(
        Shelter.id
    ),
    "points": select(
        EvacuationPoint.id,
        EvacuationPoint.name,
        EvacuationPoint.lat,
        EvacuationPoint.lon,
        EvacuationPoint.region_code,
    )
    .where(EvacuationPoint.status == PointStatus.ACTIVE)
    .order_by(EvacuationPoint.id),
    "districts": select(Region.code, Region.name, Region.centroid_lat, Region.centroid_lon)
    .where(
        Region.level == RegionLevel.DISTRICT,
        Region.centroid_lat.is_not(None),
        Region.centroid_lon.is_not(None),
    )
    .order_by(Region.code),
    "token": select(PlaceVersion.token).where(PlaceVersion.id == 1),
    # + " WHERE shelters.id IN (...)": see people_in
    "people": select(
        Shelter.id,
        case((Shelter.status == ShelterStatus.CLOSED, 0), else_=func.coalesce(Shelter.occupants, 0)),
    ),
}
_SQL: dict[tuple[str, str], str] = {}


def _sql(name: str, dialect: Any) -> str:
    key = (dialect.name, name)
    if key not in _SQL:
        compiled = _QUERIES[name].compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        _SQL[key] = str(compiled)
    return _SQL[key]


def _rows(name: str) -> list[tuple[Any, ...]]:
    return plain_rows(lambda dialect: (_sql(name, dialect), None))


def load_places() -> Places:
    """Read every shelter, active evacuation point and district centroid (no cache).

    Plain tuples from the DBAPI cursor (no ORM entities, no row objects, no enum
    conversion): this reads every place we know, so it must stay cheap at 10,000+ places.
    """
    aor = aor_codes()
    rows: list[Place] = [("shelter", str(i), n, lat, lon, r) for i, n, lat, lon, r in _rows("shelters")]
    rows += [("point", str(i), n, lat, lon, r) for i, n, lat, lon, r in _rows("points")]
    rows += [("district", code, n, lat, lon, code) for code, n, lat, lon in _rows("districts")]
    regions = [r[5] for r in rows]
    inside = {code: in_aor(code, aor) for code in set(regions)}
    return Places(
        rows=rows,
        lat=np.array([r[3] for r in rows], dtype=float),
        lon=np.array([r[4] for r in rows], dtype=float),
        aor=np.array([inside[c] for c in regions], dtype=bool),
    )


# (database URL, area of responsibility) → (token, places); one entry per key.
_cache: dict[tuple[str, tuple[str, ...]], tuple[str, Places]] = {}
_lock = threading.Lock()


def current_token() -> str | None:
    """The catalogue's token as this transaction sees it (None without the table's row)."""
    rows = _rows("token")
    return str(rows[0][0]) if rows else None


def cached_places() -> Places:
    """Every place, from this process's copy when the catalogue has not changed since.

    The token is read before the places: what is stored under a token is never older than
    the catalogue that token stands for (a newer one only costs a reload on the next check).
    """
    from siaga.extensions import db

    token = current_token()
    key = (db.session.connection().engine.url.render_as_string(hide_password=True), tuple(aor_codes()))
    with _lock:
        hit = _cache.get(key)
    if token is not None and hit is not None and hit[0] == token:
        return hit[1]
    places = load_places()
    if token is not None:
        with _lock:
            _cache[key] = (token, places)
    return places


def people_in(shelter_ids: Iterable[str]) -> dict[str, int]:
    """People in these shelters now: their occupants, 0 when closed (read fresh, never cached).

    The ids are integers we hold (checked here), written into the statement: one plain query
    per 1,000 shelters, without a bound parameter per id.
    """
    ids = sorted({int(i) for i in shelter_ids})
    out: dict[str, int] = {}
    for start in range(0, len(ids), 1000):
        listed = ", ".join(str(i) for i in ids[start : start + 1000])

        def statement(dialect: Any, listed: str = listed) -> tuple[str, None]:
            return f"{_sql('people', dialect)} WHERE shelters.id IN ({listed})", None

        out.update((str(sid), int(n)) for sid, n in plain_rows(statement))
    return out
