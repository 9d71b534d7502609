"""Hazard events as plain dicts for the JSON API, each with the BMKG credit.

BMKG's terms ask for the credit wherever its data is shown, so every event (and every list
envelope, see :mod:`siaga.hazards.api`) carries ``"source": "Sumber: BMKG"``; the feeds the
event came from are under ``feeds``. Times are ISO 8601 in UTC, each with its local text
(``20-11-2026 10:15 WIB``) in the zone of the event's region
(:func:`siaga.hazards.queries.event_regions`, the rule the pages use).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import url_for

from siaga.core.time import format_local, zone_for_region
from siaga.db import utcnow
from siaga.hazards.intensity import roman
from siaga.hazards.models import EventImpact, HazardEvent, HazardRevision
from siaga.hazards.places import in_aor

CREDIT = "Sumber: BMKG"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local(value: datetime | None, region: str | None) -> str | None:
    return format_local(value, region) if value is not None else None


def _roman(mmi: float | None) -> str | None:
    return roman(mmi) if mmi is not None else None


def event_status(ev: HazardEvent, now: datetime | None = None) -> str:
    """``ended`` (BMKG ended or cancelled the warning), ``expired`` (a warning past its expiry),
    else ``active``."""
    if ev.is_ended:
        return "ended"
    if ev.expires_at is not None and ev.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def event_dict(ev: HazardEvent, region: str | None) -> dict[str, Any]:
    """One event's facts and impact figures; ``region``: the region whose zone its times are
    shown in."""
    return {
        "id": ev.id,
        "kind": ev.kind.value,
        "identifier": ev.identifier,
        "title": ev.title,
        "status": event_status(ev),
        "is_exercise": ev.is_exercise,
        "is_ended": ev.is_ended,
        "origin_time": _iso(ev.origin_time),
        "origin_time_local": _local(ev.origin_time, region),
        "time_zone": zone_for_region(region),
        "magnitude": ev.magnitude,
        "depth_km": ev.depth_km,
        "lat": ev.lat,
        "lon": ev.lon,
        "region_text": ev.region_text,
        "felt_text": ev.felt_text,
        "potential_text": ev.potential_text,
        "tsunami_potential": ev.tsunami_potential,
        "message_type": ev.message_type,
        "level": ev.level,
        "headline": ev.headline,
        "cap_severity": ev.cap_severity,
        "effective_at": _iso(ev.effective_at),
        "effective_at_local": _local(ev.effective_at, region),
        "expires_at": _iso(ev.expires_at),
        "expires_at_local": _local(ev.expires_at, region),
        "severity": ev.severity,
        "max_mmi": ev.max_mmi,
        "max_mmi_roman": _roman(ev.max_mmi),
        "affected_count": ev.affected_count,
        "people_affected": ev.people_affected,
        "revision": ev.revision,
        "first_seen_at": _iso(ev.first_seen_at),
        "updated_at": _iso(ev.updated_at),
        "feeds": list(ev.sources or []),
        "url": url_for("hazards.event_detail", event_id=ev.id, _external=True),
        "source": CREDIT,
    }


def _impact_common(r: EventImpact, aor: Sequence[str]) -> dict[str, Any]:
    return {
        "name": r.name,
        "region_code": r.region_code,
        "lat": r.lat,
        "lon": r.lon,
        "mmi": r.mmi,
        "mmi_roman": _roman(r.mmi),
        "level": r.level,
        "distance_km": r.distance_km,
        "rank": r.rank,
        "in_area": in_aor(r.region_code, aor),
    }


def shelter_impact_dict(r: EventImpact, aor: Sequence[str]) -> dict[str, Any]:
    return {"id": int(r.target_id), **_impact_common(r, aor), "people": r.people}


def point_impact_dict(r: EventImpact, aor: Sequence[str]) -> dict[str, Any]:
    return {"id": int(r.target_id), **_impact_common(r, aor)}


def region_impact_dict(r: EventImpact, aor: Sequence[str]) -> dict[str, Any]:
    return {"code": r.target_id, **_impact_common(r, aor)}


def revision_dict(rev: HazardRevision) -> dict[str, Any]:
    """A revision without the report itself (the event page shows that)."""
    return {"feed": rev.source, "received_at": _iso(rev.received_at), "changes": rev.changes or {}}


def event_detail_dict(
    ev: HazardEvent,
    region: str | None,
    aor: Sequence[str],
    mmi_threshold: float,
    related: Sequence[HazardEvent] = (),
) -> dict[str, Any]:
    """:func:`event_dict` with the warning's text, zones and polygons, the places it reaches
    (shelters, evacuation points, regions: each list in the stored rank order, highest MMI or
    level first), the events about the same quake and the revision history."""
    by_type: dict[str, list[EventImpact]] = {"shelter": [], "point": [], "district": []}
    for r in ev.impacts:
        by_type.setdefault(r.target_type, []).append(r)
    return {
        **event_dict(ev, region),
        "description": ev.description,
        "areas": list(ev.areas or []),
        "polygons": list(ev.polygons or []),
        "mmi_threshold": mmi_threshold,
        "shelters": [shelter_impact_dict(r, aor) for r in by_type["shelter"]],
        "evacuation_points": [point_impact_dict(r, aor) for r in by_type["point"]],
        "regions": [region_impact_dict(r, aor) for r in by_type["district"]],
        "related": [related_dict(r) for r in related],
        "revisions": [revision_dict(rev) for rev in ev.revisions],
    }


def related_dict(ev: HazardEvent) -> dict[str, Any]:
    return {
        "id": ev.id,
        "kind": ev.kind.value,
        "title": ev.title,
        "level": ev.level,
        "is_ended": ev.is_ended,
        "url": url_for("hazards.event_detail", event_id=ev.id, _external=True),
    }
