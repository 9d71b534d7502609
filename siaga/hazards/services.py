"""Hazard ingest: one event per real hazard, revisions, impact on our places, alerts.

* One event per real quake: the same quake from several feeds (or twice in one) merges
  by identifier, else by origin time within 2 minutes, epicentre within 50 km and
  magnitude within 0.5. Later revisions update the event and keep its history; the same
  report again changes nothing.
* Impact: estimated MMI at every shelter, evacuation point and district centroid (Allen
  et al. 2012); tsunami zones matched to our regencies; weather polygons against points.
* Alerts: a new event, or a revision that raises its severity, with impact in the area
  of responsibility produces exactly one message (dedupe key per event and severity).
  Exercises are stored and shown, and go to the in-app inbox only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from geopy.distance import geodesic
from sqlalchemy import delete, select

from siaga.extensions import db
from siaga.hazards.models import EventImpact, HazardEvent, HazardKind, HazardRevision
from siaga.hazards.reports import QuakeReport, Report, TsunamiReport, WeatherReport
from siaga.regions.models import Region, RegionLevel
from siaga.registry.models import EvacuationPoint, PointStatus, Shelter, ShelterStatus

MATCH_SECONDS = 120
MATCH_KM = 50.0
MATCH_MAGNITUDE = 0.5
TSUNAMI_SEVERITY = {"AWAS": 4, "SIAGA": 3, "WASPADA": 2}
CAP_SEVERITY = {"Extreme": 4, "Severe": 3, "Moderate": 2, "Minor": 1}


def _hash(report: Report) -> str:
    data = asdict(report)
    data.pop("source", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def aor_codes() -> list[str]:
    """The task force's area of responsibility (Kemendagri codes)."""
    raw = current_app.config["SIAGA_AOR_REGIONS"]
    return [c.strip() for c in raw.split(",") if c.strip()]


def in_aor(code: str | None, aor: list[str]) -> bool:
    return bool(code) and any(code == a or str(code).startswith(a + ".") for a in aor)


def mmi_severity(mmi: float | None) -> int:
    """0 below IV, 1 for IV, 2 for V, 3 for VI, 4 for VII and above."""
    if mmi is None or mmi < 4:
        return 0
    if mmi < 5:
        return 1
    if mmi < 6:
        return 2
    if mmi < 7:
        return 3
    return 4


# ---------------------------------------------------------------- matching


def _find_quake(r: QuakeReport) -> HazardEvent | None:
    if r.identifier:
        ev = db.session.scalar(
            select(HazardEvent).where(
                HazardEvent.kind == HazardKind.EARTHQUAKE, HazardEvent.identifier == r.identifier
            )
        )
        if ev:
            return ev
    window = timedelta(seconds=MATCH_SECONDS)
    candidates = db.session.scalars(
        select(HazardEvent).where(
            HazardEvent.kind == HazardKind.EARTHQUAKE,
            HazardEvent.origin_time.between(r.origin_time - window, r.origin_time + window),
        )
    ).all()
    best: tuple[float, HazardEvent] | None = None
    for ev in candidates:
        if ev.lat is None or ev.lon is None or ev.magnitude is None:
            continue
        km = geodesic((r.lat, r.lon), (ev.lat, ev.lon)).km
        if (
            km <= MATCH_KM
            and abs(ev.magnitude - r.magnitude) <= MATCH_MAGNITUDE
            and (best is None or km < best[0])
        ):
            best = (km, ev)
    return best[1] if best else None


def _find_by_identifier(kind: HazardKind, identifier: str | None) -> HazardEvent | None:
    if not identifier:
        return None
    return db.session.scalar(
        select(HazardEvent).where(HazardEvent.kind == kind, HazardEvent.identifier == identifier)
    )


# ---------------------------------------------------------------- ingest


def _apply(ev: HazardEvent, values: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        old = getattr(ev, key)
        if old != value:
            changes[key] = {"from": _plain(old), "to": _plain(value)}
            setattr(ev, key, value)
    return changes


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def _quake_values(r: QuakeReport) -> dict[str, Any]:
    return {
        "origin_time": r.origin_time,
        "lat": r.lat,
        "lon": r.lon,
        "depth_km": r.depth_km,
        "magnitude": r.magnitude,
        "region_text": r.region_text,
        "felt_text": r.felt_text if r.felt_text not in (None, "-", "") else None,
        "potential_text": r.potential_text,
        "title": f"M{r.magnitude:.1f} {r.region_text or ''}".strip()[:300],
    }


def _tsunami_values(r: TsunamiReport) -> dict[str, Any]:
    levels = [a.level for a in r.areas]
    top = max(levels, key=lambda lv: TSUNAMI_SEVERITY.get(lv, 0)) if levels else None
    return {
        "origin_time": r.origin_time,
        "lat": r.lat,
        "lon": r.lon,
        "depth_km": r.depth_km,
        "magnitude": r.magnitude,
        "region_text": r.region_text,
        "message_type": r.message_type,
        "level": top,
        "areas": [asdict(a) for a in r.areas] or None,
        "is_ended": r.is_ended or None,
        "headline": (r.headline or "")[:500] or None,
        "title": (
            f"Tsunami {r.message_type} {top or ''} M{r.magnitude or 0:.1f} {r.region_text or ''}"
        ).strip()[:300],
    }


def _weather_values(r: WeatherReport) -> dict[str, Any]:
    return {
        "origin_time": r.sent,
        "headline": r.headline[:500],
        "description": r.description,
        "cap_severity": r.severity,
        "effective_at": r.effective,
        "expires_at": r.expires,
        "areas": [{"description": a.description} for a in r.areas],
        "polygons": [[list(map(list, ring)) for ring in a.polygons] for a in r.areas],
        "is_ended": r.is_cancel or None,
        "title": r.event[:300],
    }


def ingest(report: Report) -> tuple[HazardEvent, str]:
    """Merge one report; returns the event and "created", "updated" or "unchanged"."""
    digest = _hash(report)
    if isinstance(report, QuakeReport):
        kind, ev, values = HazardKind.EARTHQUAKE, _find_quake(report), _quake_values(report)
    elif isinstance(report, TsunamiReport):
        kind, ev, values = (
            HazardKind.TSUNAMI,
            _find_by_identifier(HazardKind.TSUNAMI, report.identifier),
            _tsunami_values(report),
        )
    else:
        kind, ev, values = (
            HazardKind.WEATHER,
            _find_by_identifier(HazardKind.WEATHER, report.identifier),
            _weather_values(report),
        )
    if ev is not None:
        seen = db.session.scalar(
            select(HazardRevision.id).where(
                HazardRevision.event_id == ev.id, HazardRevision.report_hash == digest
            )
        )
        if seen:
            return ev, "unchanged"
        changes = _apply(ev, values)
        if report.source not in (ev.sources or []):
            ev.sources = [*(ev.sources or []), report.source]
            changes["sources"] = ev.sources
        db.session.add(
            HazardRevision(event_id=ev.id, source=report.source, report_hash=digest, changes=changes)
        )
        if not changes:
            db.session.flush()
            return ev, "unchanged"
        ev.revision += 1
        db.session.flush()
        return ev, "updated"
    ev = HazardEvent(
        kind=kind,
        identifier=getattr(report, "identifier", None),
        is_exercise=report.is_exercise,
        sources=[report.source],
        **{k: v for k, v in values.items() if v is not None},
    )
    db.session.add(ev)
    db.session.flush()
    db.session.add(
        HazardRevision(event_id=ev.id, source=report.source, report_hash=digest, changes={"created": True})
    )
    db.session.flush()
    return ev, "created"


# ---------------------------------------------------------------- impact


def _targets() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in db.session.execute(
        select(
            Shelter.id,
            Shelter.name,
            Shelter.lat,
            Shelter.lon,
            Shelter.region_code,
            Shelter.occupants,
            Shelter.status,
        )
    ).all():
        rows.append(
            {
                "type": "shelter",
                "id": str(s.id),
                "name": s.name,
                "lat": s.lat,
                "lon": s.lon,
                "region": s.region_code,
                "people": s.occupants if s.status != ShelterStatus.CLOSED else 0,
            }
        )
    for p in db.session.execute(
        select(
            EvacuationPoint.id,
            EvacuationPoint.name,
            EvacuationPoint.lat,
            EvacuationPoint.lon,
            EvacuationPoint.region_code,
            EvacuationPoint.kind,
        ).where(EvacuationPoint.status == PointStatus.ACTIVE)
    ).all():
        rows.append(
            {
                "type": "point",
                "id": str(p.id),
                "name": p.name,
                "lat": p.lat,
                "lon": p.lon,
                "region": p.region_code,
                "people": 0,
                "kind": getattr(p.kind, "value", p.kind),
            }
        )
    for d in db.session.execute(
        select(Region.code, Region.name, Region.centroid_lat, Region.centroid_lon).where(
            Region.level == RegionLevel.DISTRICT
        )
    ).all():
        if d.centroid_lat is not None and d.centroid_lon is not None:
            rows.append(
                {
                    "type": "district",
                    "id": d.code,
                    "name": d.name,
                    "lat": d.centroid_lat,
                    "lon": d.centroid_lon,
                    "region": d.code,
                    "people": 0,
                }
            )
    return rows


def _norm(name: str) -> str:
    name = name.upper()
    name = re.sub(r"\b(KABUPATEN|KAB\.?|KOTA|KEP\.?)\s*", "", name)
    return re.sub(r"[^A-Z]", "", name)


def _impact_row(ev: HazardEvent, t: dict[str, Any], **values: Any) -> EventImpact:
    return EventImpact(
        event_id=ev.id,
        target_type=t["type"],
        target_id=t["id"],
        name=t["name"],
        region_code=t["region"],
        lat=t["lat"],
        lon=t["lon"],
        people=t["people"],
        **values,
    )


def compute_impact(ev: HazardEvent) -> list[EventImpact]:
    """Replace the event's impact rows; set its severity, max MMI and affected counts (AOR only)."""
    from siaga.hazards import intensity as ipe

    db.session.execute(delete(EventImpact).where(EventImpact.event_id == ev.id))
    aor = aor_codes()
    targets = _targets()
    rows: list[EventImpact] = []
    severity = 0
    max_mmi: float | None = None
    if (
        ev.kind == HazardKind.EARTHQUAKE
        and ev.lat is not None
        and ev.lon is not None
        and ev.magnitude is not None
    ):
        threshold = float(current_app.config["SIAGA_MMI_THRESHOLD"])
        for t in targets:
            mmi, dist = ipe.intensity_at(
                ev.magnitude, ev.depth_km or 10.0, ev.lat, ev.lon, t["lat"], t["lon"]
            )
            if in_aor(t["region"], aor):
                max_mmi = mmi if max_mmi is None else max(max_mmi, mmi)
            if mmi >= threshold:
                rows.append(_impact_row(ev, t, mmi=round(mmi, 2), distance_km=round(dist, 1)))
        rows.sort(key=lambda r: -(r.mmi or 0))
        if max_mmi is not None and max_mmi >= threshold:
            severity = mmi_severity(max_mmi)
    elif ev.kind == HazardKind.TSUNAMI:
        regencies = {
            _norm(r.name): r.code
            for r in db.session.scalars(select(Region).where(Region.level == RegionLevel.REGENCY))
        }
        zones: dict[str, str] = {}
        for area in ev.areas or []:
            code = regencies.get(_norm(str(area.get("district", ""))))
            level = str(area.get("level", "")).upper()
            if code and TSUNAMI_SEVERITY.get(level, 0) > TSUNAMI_SEVERITY.get(zones.get(code, ""), 0):
                zones[code] = level
        for t in targets:
            regency = ".".join(str(t["region"]).split(".")[:2])
            if regency in zones:
                rows.append(_impact_row(ev, t, level=zones[regency]))
        severity = max(
            (TSUNAMI_SEVERITY.get(lv, 0) for code, lv in zones.items() if in_aor(code, aor)), default=0
        )
    elif ev.kind == HazardKind.WEATHER and ev.polygons:
        polygons = [ring for area in ev.polygons for ring in area]
        inside = ipe.points_inside([(t["lat"], t["lon"]) for t in targets], polygons)
        for t, hit in zip(targets, inside, strict=True):
            if hit:
                rows.append(_impact_row(ev, t, level=ev.cap_severity))
        if any(in_aor(r.region_code, aor) for r in rows):
            severity = CAP_SEVERITY.get(ev.cap_severity or "", 1)
    for rank, row in enumerate(rows):
        row.rank = rank
        db.session.add(row)
    aor_rows = [r for r in rows if in_aor(r.region_code, aor)]
    ev.severity = 0 if ev.is_ended else severity
    ev.max_mmi = round(max_mmi, 2) if max_mmi is not None else None
    ev.affected_count = len([r for r in aor_rows if r.target_type != "district"])
    ev.people_affected = sum(r.people for r in aor_rows if r.target_type == "shelter")
    db.session.flush()
    return rows


# ---------------------------------------------------------------- alerts


def alert_facts(ev: HazardEvent) -> dict[str, Any]:
    from siaga.core.time import format_local

    aor = aor_codes()
    shelters = [
        {"name": r.name, "mmi": _roman(r.mmi) if r.mmi else r.level, "people": r.people}
        for r in ev.impacts
        if r.target_type == "shelter" and in_aor(r.region_code, aor)
    ]
    districts = sorted(
        {r.name for r in ev.impacts if r.target_type == "district" and in_aor(r.region_code, aor)}
    )
    return {
        "exercise": ev.is_exercise,
        "magnitude": f"{ev.magnitude:.1f}" if ev.magnitude is not None else "?",
        "depth_km": f"{ev.depth_km:.0f}" if ev.depth_km is not None else "?",
        "place": ev.region_text or "",
        "time_local": format_local(ev.origin_time, aor[0] if aor else None),
        "max_mmi": _roman(ev.max_mmi) if ev.max_mmi else "-",
        "shelters": shelters,
        "people": ev.people_affected,
        "potential": ev.potential_text or "",
        "level": ev.level or "",
        "message_type": ev.message_type or "",
        "areas": ev.areas or [],
        "tes_points": [r.name for r in ev.impacts if r.target_type == "point" and in_aor(r.region_code, aor)][
            :5
        ],
        "event": ev.title,
        "severity_label": ev.cap_severity or "",
        "headline": ev.headline or "",
        "effective_local": format_local(ev.effective_at, aor[0] if aor else None),
        "expires_local": format_local(ev.expires_at, aor[0] if aor else None),
        "districts": districts,
    }


def _roman(mmi: float | None) -> str:
    from siaga.hazards import intensity as ipe

    return ipe.roman(mmi) if mmi is not None else "-"


def raise_alert(ev: HazardEvent) -> Any:
    """One message per (event, severity level reached); None when nothing to say."""
    from siaga.messaging import services as messaging

    if ev.severity <= 0:
        return None
    aor = aor_codes()
    regions = {r.region_code for r in ev.impacts if r.region_code and in_aor(r.region_code, aor)} or set(aor)
    recipients = {c.id: c for c in messaging.coordinators_on_duty()}
    for c in messaging.subscribed_contacts(regions, ev.kind.value, ev.severity):
        recipients[c.id] = c
    base = current_app.config["SIAGA_BASE_URL"].rstrip("/")
    return messaging.create_message(
        kind=ev.kind.value,
        facts=alert_facts(ev),
        recipients=recipients.values(),
        severity=ev.severity,
        link=f"{base}/hazards/{ev.id}",
        source={"hazard_event_id": ev.id},
        dedupe_key=f"hazard:{ev.id}:sev:{ev.severity}",
        is_exercise=ev.is_exercise,
    )


def process_report(report: Report) -> tuple[HazardEvent, str, Any]:
    """Ingest, recompute impact when something changed, alert when severity rose. Flushes only."""
    ev, outcome = ingest(report)
    message = None
    if outcome != "unchanged":
        before = ev.severity if outcome == "updated" else 0
        compute_impact(ev)
        if ev.severity > before or (outcome == "created" and ev.severity > 0):
            message = raise_alert(ev)
    return ev, outcome, message
