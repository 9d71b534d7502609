"""Aid records as plain dicts for the JSON API and the field page."""

from __future__ import annotations

from typing import Any

from siaga.aid.models import AidRequest, Depot, Distribution, DistributionEvent, Item, StockMovement
from siaga.aid.services import ShelterNeeds


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def item_dict(i: Item) -> dict[str, Any]:
    return {
        "id": i.id,
        "code": i.code,
        "name": i.name,
        "unit": i.unit,
        "category": i.category.value,
        "need_key": i.need_key,
        "has_expiry": i.has_expiry,
    }


def depot_dict(d: Depot, stock: dict[int, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id,
        "code": d.code,
        "name": d.name,
        "kind": d.kind.value,
        "owner_org_id": d.owner_org_id,
        "owner_org": d.owner.name if d.owner else None,
        "region_code": d.region_code,
        "lat": d.lat,
        "lon": d.lon,
        "address": d.address,
    }
    if stock is not None:
        out["stock"] = [{"item_id": k, "quantity": v} for k, v in sorted(stock.items())]
    return out


def movement_dict(m: StockMovement) -> dict[str, Any]:
    return {
        "id": m.id,
        "depot_id": m.depot_id,
        "item_id": m.item_id,
        "quantity": m.quantity,
        "kind": m.kind.value,
        "source": m.source.value if m.source else None,
        "adjust_reason": m.adjust_reason.value if m.adjust_reason else None,
        "reason": m.reason,
        "donor": m.donor,
        "batch_expiry": _iso(m.batch_expiry),
        "counterpart_depot_id": m.counterpart_depot_id,
        "distribution_id": m.distribution_id,
        "at": _iso(m.at),
        "by": m.actor_label,
        "via": m.via,
    }


def event_dict(e: DistributionEvent) -> dict[str, Any]:
    return {
        "from": e.status_from,
        "to": e.status_to,
        "at": _iso(e.at),
        "lat": e.lat,
        "lon": e.lon,
        "note": e.note,
        "by": e.actor_label,
        "via": e.via,
    }


def distribution_dict(d: Distribution, *, contacts: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id,
        "code": d.code,
        "status": d.status.value,
        "depot": {"id": d.depot.id, "name": d.depot.name, "lat": d.depot.lat, "lon": d.depot.lon},
        "shelter": {
            "id": d.shelter.id,
            "name": d.shelter.name,
            "lat": d.shelter.lat,
            "lon": d.shelter.lon,
            "address": d.shelter.address,
        },
        "request_id": d.request_id,
        "assigned_user_id": d.assigned_user_id,
        "vehicle": d.vehicle,
        "planned_at": _iso(d.planned_at),
        "loaded_at": _iso(d.loaded_at),
        "dispatched_at": _iso(d.dispatched_at),
        "delivered_at": _iso(d.delivered_at),
        "confirmed_at": _iso(d.confirmed_at),
        "cancelled_at": _iso(d.cancelled_at),
        "has_discrepancy": d.has_discrepancy,
        "has_photo": bool(d.photo_file),
        "lines": [
            {
                "item_id": line.item_id,
                "item": line.item.name,
                "unit": line.item.unit,
                "quantity": line.quantity,
                "quantity_received": line.quantity_received,
                "shortfall": line.shortfall,
            }
            for line in d.lines
        ],
        "notes": d.notes,
    }
    if contacts:
        out["assigned_to"] = d.assigned_user.name if d.assigned_user else None
        out["receiver_name"] = d.receiver_name
        out["delivered_position"] = (
            {"lat": d.delivered_lat, "lon": d.delivered_lon, "accuracy_m": d.delivered_accuracy_m}
            if d.delivered_lat is not None
            else None
        )
        out["shelter"]["manager_name"] = d.shelter.manager_name
        out["shelter"]["manager_phone"] = d.shelter.manager_phone
        out["events"] = [event_dict(e) for e in d.events]
    return out


def request_dict(r: AidRequest, progress: dict[int, int]) -> dict[str, Any]:
    return {
        "id": r.id,
        "shelter_id": r.shelter_id,
        "shelter": r.shelter.name,
        "priority": r.priority,
        "status": r.status.value,
        "note": r.note,
        "requested_by": r.requested_by,
        "created_at": _iso(r.created_at),
        "lines": [
            {
                "item_id": line.item_id,
                "item": line.item.name,
                "unit": line.item.unit,
                "quantity": line.quantity,
                "received": progress.get(line.item_id, 0),
            }
            for line in r.lines
        ],
        "distribution_ids": [d.id for d in r.distributions],
    }


def needs_dict(n: ShelterNeeds) -> dict[str, Any]:
    r = n.result
    return {
        "shelter_id": n.shelter.id,
        "shelter": n.shelter.name,
        "profile": r.profile,
        "profile_key": r.profile_key,
        "occupants": r.occupants,
        "days": r.days,
        "since": _iso(n.since),
        "groups": {k: {"count": g.count, "basis": g.basis} for k, g in r.groups.items()},
        "needs": [
            {
                "key": x.key,
                "unit": x.unit,
                "kind": x.kind,
                "per_day": x.per_day,
                "per_week": x.per_week,
                "for_period": x.for_period,
                "applies_to": x.applies_to,
                "people": x.people,
                "profile": x.profile,
            }
            for x in r.needs
        ],
        "coverage": [
            {
                "key": c.key,
                "unit": c.unit,
                "needed": c.needed,
                "delivered": c.delivered,
                "ratio": round(c.ratio, 3) if c.ratio is not None else None,
                "gap": c.gap,
                "profile": c.profile,
            }
            for c in n.coverage
        ],
        "worst_coverage": round(n.worst, 3) if n.worst is not None else None,
        "band": n.band,
    }
