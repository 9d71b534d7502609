"""Nearest free shelter and evacuation point search: correctness against brute force.

No timing here: speed is measured by ``scripts/bench_nearest`` (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from geopy.distance import geodesic

from siaga.extensions import db
from siaga.registry import nearest as nearest_mod
from siaga.registry.models import ShelterStatus
from siaga.registry.nearest import nearest_points, nearest_shelters

REGION = "16.06"  # a seed region, so creating shelters needs no polygon lookup
PALEMBANG = (-2.9761, 104.7754)


def brute_force(
    shelters: list[Any], lat: float, lon: float, k: int, min_free: int
) -> list[tuple[float, int]]:
    matching = [
        s for s in shelters if str(s.status) in ("open", "standby") and s.capacity - s.occupants >= min_free
    ]
    return sorted((geodesic((lat, lon), (s.lat, s.lon)).km, s.id) for s in matching)[:k]


@pytest.fixture
def field(make_shelter: Any) -> list[Any]:
    """300 shelters around three towns in South Sumatra, with mixed statuses and occupancy."""
    rng = random.Random(7)
    towns = [PALEMBANG, (-3.30, 104.10), (-4.03, 103.55)]
    made = []
    for i in range(300):
        clat, clon = towns[i % 3]
        status = rng.choice(["open", "open", "standby", "full", "closed"])
        capacity = rng.randint(0, 200)
        shelter = make_shelter(
            name=f"Posko {i}",
            lat=clat + rng.gauss(0, 0.08),
            lon=clon + rng.gauss(0, 0.08),
            status=status,
            capacity=capacity,
            region_code=REGION,
        )
        shelter.occupants = rng.randint(0, capacity) if status == "open" else 0
        made.append(shelter)
    db.session.flush()
    return made


@pytest.mark.parametrize("min_free", [1, 10, 60])
def test_k_nearest_equal_brute_force_geodesic_ordering(field: list[Any], min_free: int) -> None:
    rng = random.Random(min_free)
    queries = [PALEMBANG, (-3.6, 103.9), (-2.5, 105.5)] + [
        (rng.uniform(-4.3, -2.6), rng.uniform(103.3, 105.1)) for _ in range(12)
    ]
    for lat, lon in queries:
        for k in (1, 5, 12):
            got = nearest_shelters(lat, lon, k=k, min_free=min_free)
            want = brute_force(field, lat, lon, k, min_free)
            assert [n.id for n in got] == [i for _d, i in want], (lat, lon, k)
            for n, (dist, _i) in zip(got, want, strict=True):
                assert n.distance_km == pytest.approx(dist, abs=0.0006)
            assert [n.distance_km for n in got] == sorted(n.distance_km for n in got)


def test_closed_full_and_too_few_free_places_are_excluded(make_shelter: Any) -> None:
    lat, lon = PALEMBANG
    closed = make_shelter(name="Tutup", lat=lat, lon=lon, status="closed", capacity=100, region_code=REGION)
    full = make_shelter(
        name="Penuh", lat=lat + 0.001, lon=lon, status="full", capacity=100, region_code=REGION
    )
    crowded = make_shelter(
        name="Sesak", lat=lat + 0.002, lon=lon, status="open", capacity=100, region_code=REGION
    )
    crowded.occupants = 95  # 5 free
    over = make_shelter(
        name="Lebih", lat=lat + 0.0025, lon=lon, status="open", capacity=10, region_code=REGION
    )
    over.occupants = 12  # overflow: no free place, never a negative count
    opened = make_shelter(
        name="Buka", lat=lat + 0.003, lon=lon, status="open", capacity=100, region_code=REGION
    )
    opened.occupants = 80  # 20 free
    standby = make_shelter(
        name="Siaga", lat=lat + 0.004, lon=lon, status="standby", capacity=30, region_code=REGION
    )
    db.session.flush()

    got = nearest_shelters(lat, lon, k=10, min_free=10)
    assert [n.id for n in got] == [opened.id, standby.id]
    assert {n.status for n in got} == {"open", "standby"}
    assert got[0].free == 20 and got[1].free == 30
    assert all(n.kind == "shelter" for n in got)

    with_five = nearest_shelters(lat, lon, k=10, min_free=5)
    assert [n.id for n in with_five] == [crowded.id, opened.id, standby.id]
    excluded = {closed.id, full.id, over.id}
    assert not excluded & {n.id for n in nearest_shelters(lat, lon, k=10, min_free=1)}


def test_far_result_found_when_nothing_is_near(make_shelter: Any) -> None:
    """Nothing within thousands of km: the search radius keeps growing until it finds them."""
    jayapura = make_shelter(name="Jayapura", lat=-2.5337, lon=140.7181, status="open", region_code=REGION)
    merauke = make_shelter(name="Merauke", lat=-8.4932, lon=140.4018, status="standby", region_code=REGION)
    make_shelter(name="Tutup dekat", lat=5.55, lon=95.32, status="closed", region_code=REGION)
    banda_aceh = (5.5483, 95.3238)

    got = nearest_shelters(*banda_aceh, k=5, min_free=1)
    assert [n.id for n in got] == [jayapura.id, merauke.id]
    assert got[0].distance_km == pytest.approx(geodesic(banda_aceh, (-2.5337, 140.7181)).km, abs=0.001)
    assert got[0].distance_km > 4000


def test_k_larger_than_matches_returns_all_matches_sorted(make_shelter: Any) -> None:
    lat, lon = PALEMBANG
    a = make_shelter(name="A", lat=lat + 0.05, lon=lon, status="open", region_code=REGION)
    b = make_shelter(name="B", lat=lat + 0.01, lon=lon, status="standby", region_code=REGION)
    make_shelter(name="C", lat=lat + 0.02, lon=lon, status="closed", region_code=REGION)

    got = nearest_shelters(lat, lon, k=50, min_free=1)
    assert [n.id for n in got] == [b.id, a.id]
    assert nearest_shelters(lat, lon, k=0) == []


def test_ties_are_broken_by_id(make_shelter: Any) -> None:
    lat, lon = PALEMBANG
    same = [
        make_shelter(name=f"Sama {i}", lat=lat + 0.01, lon=lon, status="open", region_code=REGION)
        for i in range(4)
    ]
    got = nearest_shelters(lat, lon, k=3)
    assert [n.id for n in got] == sorted(s.id for s in same)[:3]


def test_nearest_points_exclude_inactive_and_damaged(make_point: Any) -> None:
    lat, lon = PALEMBANG
    make_point(name="Nonaktif", lat=lat, lon=lon, status="inactive", region_code=REGION)
    make_point(name="Rusak", lat=lat + 0.001, lon=lon, status="damaged", region_code=REGION)
    tes = make_point(name="TES", kind="tes", lat=lat + 0.01, lon=lon, capacity=500, region_code=REGION)
    far = make_point(name="Jauh", lat=lat + 0.5, lon=lon + 0.5, region_code=REGION)

    got = nearest_points(lat, lon, k=5)
    assert [n.id for n in got] == [tes.id, far.id]
    assert got[0].kind == "tes" and got[0].status == "active" and got[0].capacity == 500
    assert got[0].distance_km == pytest.approx(geodesic((lat, lon), (lat + 0.01, lon)).km, abs=0.001)


def test_nearest_points_match_brute_force(make_point: Any) -> None:
    rng = random.Random(11)
    made = [
        make_point(
            name=f"Titik {i}",
            lat=PALEMBANG[0] + rng.gauss(0, 0.2),
            lon=PALEMBANG[1] + rng.gauss(0, 0.2),
            status=rng.choice(["active", "active", "inactive"]),
            region_code=REGION,
        )
        for i in range(150)
    ]
    for lat, lon in [(rng.uniform(-3.4, -2.6), rng.uniform(104.4, 105.2)) for _ in range(10)]:
        want = sorted(
            (geodesic((lat, lon), (p.lat, p.lon)).km, p.id) for p in made if str(p.status) == "active"
        )[:7]
        assert [n.id for n in nearest_points(lat, lon, k=7)] == [i for _d, i in want]


def test_unflushed_changes_are_seen(make_shelter: Any) -> None:
    """The search reads through the session: a pending change counts, as with session.execute."""
    lat, lon = PALEMBANG
    shelter = make_shelter(name="Baru ditutup", lat=lat, lon=lon, status="open", region_code=REGION)
    assert [n.id for n in nearest_shelters(lat, lon, k=1)] == [shelter.id]
    shelter.status = ShelterStatus.CLOSED
    assert nearest_shelters(lat, lon, k=1) == []


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km"),
    [(0.0, 120.0, 50.0), (-11.0, 94.0, 300.0), (60.0, 10.0, 800.0), (-89.5, 0.0, 100.0), (5.0, 179.9, 40.0)],
)
def test_box_contains_the_whole_circle(lat: float, lon: float, radius_km: float) -> None:
    """Every point on the circle of the radius lies in the box (the cap's widest point is poleward)."""
    box = nearest_mod.cap_bbox(lat, lon, radius_km)
    assert box is not None
    south, north, west, east = box
    for i in range(720):
        bearing = i / 2
        dest = geodesic_on_sphere(lat, lon, bearing, radius_km * 0.999999)
        assert south <= dest[0] <= north
        assert west <= dest[1] <= east


def test_geodesic_haversine_bounds_hold() -> None:
    """The ratio bounds the completeness argument relies on, checked on random pairs."""
    rng = random.Random(3)
    for _ in range(2000):
        a = (rng.uniform(-89, 89), rng.uniform(-180, 180))
        spread = rng.choice([0.01, 1, 30, 90])
        b = (max(-90, min(90, a[0] + rng.uniform(-spread, spread))), a[1] + rng.uniform(-spread, spread))
        b = (b[0], (b[1] + 180) % 360 - 180)
        hav = nearest_mod._haversine_km(*a, *b)
        if hav < 1e-6:
            continue
        ratio = nearest_mod.geodesic_km(*a, *b) / hav
        assert nearest_mod.GEO_LO <= ratio <= nearest_mod.GEO_HI


def geodesic_on_sphere(lat: float, lon: float, bearing_deg: float, dist_km: float) -> tuple[float, float]:
    """Destination on the haversine sphere (the sphere the box is built for)."""
    d = dist_km / nearest_mod.EARTH_RADIUS_KM
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 180.0) % 360.0 - 180.0
