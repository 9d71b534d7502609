"""Shelters and evacuation points as plain dicts (JSON API, exports, map popups)."""

from __future__ import annotations

from typing import Any

from siaga.registry.models import BREAKDOWN, EvacuationPoint, OccupancyEvent, Shelter


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def shelter_dict(s: Shelter, *, contacts: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "type": s.type.value,
        "status": s.status.value,
        "region_code": s.region_code,
        "lat": s.lat,
        "lon": s.lon,
        "address": s.address,
        "capacity": s.capacity,
        "occupants": s.occupants,
        "free": s.free_places,
        "floor_area_m2": s.floor_area_m2,
        "sphere_capacity": s.sphere_capacity,
        "occupancy": {f: getattr(s, f) for f in BREAKDOWN},
        "facilities": {
            "water_points": s.water_points,
            "toilets": s.toilets,
            "accessible_toilets": s.accessible_toilets,
            "kitchen": s.has_kitchen,
            "health_post": s.has_health_post,
            "power": s.has_power,
            "pets_allowed": s.allows_pets,
        },
        "owner_org_id": s.owner_org_id,
        "owner_org": s.owner.name if s.owner else None,
        "notes": s.notes,
        "occupancy_updated_at": _iso(s.occupancy_updated_at),
        "updated_at": _iso(s.updated_at),
    }
    if contacts:
        d["manager_name"] = s.manager_name
        d["manager_phone"] = s.manager_phone
        d["occupancy_updated_by"] = s.occupancy_updated_by
    return d


def point_dict(p: EvacuationPoint) -> dict[str, Any]:
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "kind": p.kind.value,
        "status": p.status.value,
        "capacity": p.capacity,
        "region_code": p.region_code,
        "lat": p.lat,
        "lon": p.lon,
        "address": p.address,
        "notes": p.notes,
        "owner_org_id": p.owner_org_id,
        "owner_org": p.owner.name if p.owner else None,
        "updated_at": _iso(p.updated_at),
    }


def event_dict(e: OccupancyEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "shelter_id": e.shelter_id,
        "kind": e.kind.value,
        "delta": e.delta,
        "delta_breakdown": e.delta_breakdown,
        "occupants_after": e.occupants_after,
        "overflow": e.is_overflow,
        "reason": e.reason,
        "at": _iso(e.at),
        "by": e.actor_label,
        "via": e.via,
    }
