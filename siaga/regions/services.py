"""Region loading and lookup: which village/district contains a point."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import select

from siaga.extensions import db
from siaga.regions.models import Region, RegionLevel

DATA_DIR = Path(__file__).resolve().parent / "data"
PROVINCES = {"13": "Sumatera Barat", "16": "Sumatera Selatan"}
FILES = [
    ("seed-regency.geojson", RegionLevel.REGENCY),
    ("seed-district.geojson", RegionLevel.DISTRICT),
    ("seed-village.geojson", RegionLevel.VILLAGE),
]


def parent_of(code: str) -> str | None:
    parts = code.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 else None


def level_of(code: str) -> RegionLevel:
    return [RegionLevel.PROVINCE, RegionLevel.REGENCY, RegionLevel.DISTRICT, RegionLevel.VILLAGE][
        code.count(".")
    ]


def load_seed_regions() -> int:
    """Insert the seed regions that are missing; return how many were added."""
    existing = set(db.session.scalars(select(Region.code)))
    added = 0
    for code, name in PROVINCES.items():
        if code not in existing:
            db.session.add(Region(code=code, name=name, level=RegionLevel.PROVINCE))
            added += 1
    db.session.flush()
    for filename, level in FILES:
        features = json.loads((DATA_DIR / filename).read_text())["features"]
        for feat in features:
            props = feat["properties"]
            if props["code"] in existing:
                continue
            db.session.add(
                Region(
                    code=props["code"],
                    name=props["name"],
                    level=level,
                    parent_code=parent_of(props["code"]),
                    centroid_lat=props["centroid_lat"],
                    centroid_lon=props["centroid_lon"],
                    geometry=json.dumps(feat["geometry"], separators=(",", ":")),
                )
            )
            added += 1
        db.session.flush()
    return added


@dataclass(frozen=True)
class RegionIndex:
    """Seed polygons in an STRtree, for point → region lookups without the database."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    geoms: tuple[Any, ...]
    tree: Any

    def locate(self, lat: float, lon: float) -> str | None:
        """The code of the smallest seed region containing the point, or None."""
        point = shapely.Point(lon, lat)
        hits = self.tree.query(point, predicate="intersects")
        if len(hits) == 0:
            return None
        best = max(hits, key=lambda i: self.codes[i].count("."))
        return self.codes[best]


@lru_cache(maxsize=2)
def region_index(level: str = "village") -> RegionIndex:
    filename = {
        "village": "seed-village.geojson",
        "district": "seed-district.geojson",
        "regency": "seed-regency.geojson",
    }[level]
    features = json.loads((DATA_DIR / filename).read_text())["features"]
    geoms = [shapely.make_valid(shape(f["geometry"])) for f in features]
    return RegionIndex(
        codes=tuple(f["properties"]["code"] for f in features),
        names=tuple(f["properties"]["name"] for f in features),
        geoms=tuple(geoms),
        tree=shapely.STRtree(geoms),
    )


def locate_region(lat: float, lon: float) -> str | None:
    """Village code for a point inside the seed regions, else the district, else None."""
    for level in ("village", "district"):
        code = region_index(level).locate(lat, lon)
        if code:
            return code
    return None


def regency_elsewhere(lat: float, lon: float, region_code: str | None) -> str | None:
    """The regency (PP.KK) the coordinates lie in when it is not the one ``region_code`` is
    in: a swapped coordinate or a wrong region. Compared by regency, as the seed boundaries
    are simplified (a place near a district border may fall on either side). None when they
    agree or the point is outside the seed regions."""
    located = locate_region(lat, lon)
    if not located or not region_code:
        return None
    here, given = ".".join(located.split(".")[:2]), ".".join(region_code.split(".")[:2])
    return here if here != given else None


def get_region(code: str) -> Region | None:
    return db.session.get(Region, code)


def list_regions(level: RegionLevel | None = None, parent: str | None = None) -> list[Region]:
    stmt = select(Region).order_by(Region.code)
    if level:
        stmt = stmt.where(Region.level == level)
    if parent:
        stmt = stmt.where(Region.code.startswith(parent + "."))
    return list(db.session.scalars(stmt))


def region_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    return dict(rows)  # type: ignore[arg-type]
