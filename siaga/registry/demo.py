"""Demo shelters and evacuation points inside the real districts of the seed regions.

Deterministic (fixed random seed): about 60 shelters and 100 evacuation points with varied
occupancy, some of it stale, each with an occupancy history.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import shapely
from shapely.geometry import shape
from sqlalchemy import func, select

from siaga.accounts.models import Organisation, User
from siaga.core.context import Actor, acting_as
from siaga.db import utcnow
from siaga.extensions import db
from siaga.regions.services import DATA_DIR, locate_region
from siaga.registry.models import (
    EvacuationPoint,
    OccupancyEvent,
    OccupancyKind,
    PointKind,
    Shelter,
    ShelterAssignment,
    ShelterStatus,
    ShelterType,
)

SHELTER_NAMES = [
    (ShelterType.SCHOOL, "SD Negeri {n} {d}"),
    (ShelterType.SCHOOL, "SMP Negeri {n} {d}"),
    (ShelterType.WORSHIP, "Masjid Al-Ikhlas {d}"),
    (ShelterType.WORSHIP, "Masjid Raya {d}"),
    (ShelterType.GOVERNMENT, "Kantor Camat {d}"),
    (ShelterType.GOVERNMENT, "Balai Desa {d}"),
    (ShelterType.SPORTS_HALL, "GOR {d}"),
    (ShelterType.TENT_CAMP, "Tenda Pengungsian Lapangan {d}"),
]
POINT_NAMES = [
    (PointKind.ASSEMBLY, "Titik Kumpul Lapangan {d} {n}"),
    (PointKind.ASSEMBLY, "Titik Kumpul Simpang {d} {n}"),
    (PointKind.ASSEMBLY, "Titik Kumpul Pasar {d}"),
    (PointKind.TES, "TES Gedung Bertingkat {d} {n}"),
    (PointKind.HELIPAD, "Helipad {d}"),
    (PointKind.OTHER, "Dermaga Evakuasi {d} {n}"),
]
STREETS = ["Merdeka", "Sudirman", "Lintas Sumatera", "Pendidikan", "Masjid"]
REGENCY_OWNER = {
    "16.06": "BPBD Kabupaten Musi Banyuasin",
    "16.71": "BPBD Kota Palembang",
    "13.02": "BPBD Kabupaten Solok",
}


def _random_point_in(geom: object, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = shapely.bounds(geom)
    for _ in range(1000):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, lon, lat):
            return round(lat, 6), round(lon, 6)
    c = shapely.centroid(geom)
    return round(c.y, 6), round(c.x, 6)


def load_registry_demo(n_shelters: int = 60, n_points: int = 100, seed: int = 2026) -> list[str]:
    if db.session.scalar(select(func.count(Shelter.id))):
        return []
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    districts = json.loads((DATA_DIR / "seed-district.geojson").read_text())["features"]
    geoms = [(f["properties"], shapely.make_valid(shape(f["geometry"]))) for f in districts]
    polres = db.session.scalar(select(Organisation).where(Organisation.name == "Polres Musi Banyuasin"))
    owners = {
        code: db.session.scalar(select(Organisation).where(Organisation.name == name))
        for code, name in REGENCY_OWNER.items()
    }
    if polres is None:
        raise RuntimeError("load the demo organisations first")
    field_user = db.session.scalar(select(User).where(User.email == "lapangan@siaga.example"))
    created: list[str] = []
    now = utcnow()
    actor = Actor(user_id=None, label="demo", via="cli")
    with acting_as(actor):
        for i in range(n_shelters):
            props, geom = geoms[i % len(geoms)]
            lat, lon = _random_point_in(geom, rng)
            region = locate_region(lat, lon) or props["code"]
            stype, pattern = SHELTER_NAMES[i % len(SHELTER_NAMES)]
            regency = ".".join(props["code"].split(".")[:2])
            capacity = rng.choice([50, 80, 120, 150, 200, 300, 500])
            shelter = Shelter(
                code=f"PSK-{props['code'].replace('.', '')}-{i + 1:03d}",
                name=pattern.format(n=rng.randint(1, 30), d=props["name"]),
                type=stype,
                owner_org_id=(owners.get(regency) or polres).id if i % 3 else polres.id,
                manager_name=rng.choice(
                    ["Pak Darmawan", "Ibu Siti Aminah", "Pak Hendra", "Ibu Yuliani", "Pak Rusli"]
                ),
                manager_phone=f"0812{rng.randint(10000000, 99999999)}",
                region_code=region,
                lat=lat,
                lon=lon,
                address=f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 200)}, {props['name']}",
                capacity=capacity,
                floor_area_m2=float(capacity * rng.choice([2.5, 3.5, 4.0])),
                status=ShelterStatus.STANDBY,
                water_points=rng.randint(0, 6),
                toilets=(toilets := rng.randint(1, 12)),
                accessible_toilets=min(rng.randint(0, 2), toilets),
                has_kitchen=rng.random() < 0.6,
                has_health_post=rng.random() < 0.3,
                has_power=rng.random() < 0.7,
                allows_pets=rng.random() < 0.2,
                updated_by="demo",
            )
            db.session.add(shelter)
            db.session.flush()
            # Occupancy history: a few check-ins over the last days; some shelters left stale.
            target = int(capacity * rng.choice([0, 0.2, 0.5, 0.75, 0.9, 1.0, 0.35]))
            hours_ago = rng.choice([1, 2, 3, 5, 9, 20, 30]) if target else 0
            total = 0
            steps = rng.randint(1, 4) if target else 0
            for step in range(steps):
                people = (
                    target - total if step == steps - 1 else rng.randint(1, max(1, (target - total) // 2))
                )
                if people <= 0:
                    continue
                total += people
                at = now - timedelta(hours=hours_ago + (steps - step - 1) * 6)
                male = people // 2
                bd = {
                    "male": male,
                    "female": people - male,
                    "under5": people // 10,
                    "over60": people // 9,
                    "pregnant_lactating": people // 40,
                    "disabled": people // 50,
                    "families": max(1, people // 4),
                }
                for k, v in bd.items():
                    setattr(shelter, k, getattr(shelter, k) + v)
                db.session.add(
                    OccupancyEvent(
                        shelter_id=shelter.id,
                        kind=OccupancyKind.CHECK_IN,
                        delta=people,
                        delta_breakdown=bd,
                        occupants_after=total,
                        at=at,
                        actor_label="lapangan@siaga.example",
                        via="web",
                    )
                )
                shelter.occupants = total
                shelter.occupancy_updated_at = at
                shelter.occupancy_updated_by = "lapangan@siaga.example"
            if total:
                shelter.status = ShelterStatus.FULL if total >= capacity else ShelterStatus.OPEN
            elif i % 7 == 6:
                shelter.status = ShelterStatus.CLOSED
            if field_user is not None and i % 10 == 0:
                db.session.add(ShelterAssignment(shelter_id=shelter.id, user_id=field_user.id))
        created.append(f"{n_shelters} shelters")
        for i in range(n_points):
            props, geom = geoms[(i * 7) % len(geoms)]
            lat, lon = _random_point_in(geom, rng)
            kind, pattern = POINT_NAMES[i % len(POINT_NAMES)]
            regency = ".".join(props["code"].split(".")[:2])
            db.session.add(
                EvacuationPoint(
                    code=f"TK-{props['code'].replace('.', '')}-{i + 1:03d}",
                    name=pattern.format(n=i + 1, d=props["name"]),
                    kind=kind,
                    capacity=rng.choice([100, 200, 300, 500, 1000]),
                    region_code=locate_region(lat, lon) or props["code"],
                    lat=lat,
                    lon=lon,
                    address=f"Kecamatan {props['name']}",
                    owner_org_id=(owners.get(regency) or polres).id,
                    updated_by="demo",
                )
            )
        db.session.flush()
        created.append(f"{n_points} evacuation points")
    return created
