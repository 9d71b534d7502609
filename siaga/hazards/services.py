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

import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from flask import current_app
from geopy.distance import geodesic
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from siaga.db import lock_name, prefetch_ids
from siaga.extensions import db
from siaga.hazards import intensity as ipe
from siaga.hazards.models import EventImpact, HazardEvent, HazardKind, HazardRevision
from siaga.hazards.places import Place, Places, aor_codes, cached_places, in_aor, overlaps_aor, people_in
from siaga.hazards.reports import QuakeReport, Report, TsunamiReport, WeatherReport
from siaga.regions.models import Region, RegionLevel
from siaga.registry.nearest import cap_bbox

MATCH_SECONDS = 120
MATCH_KM = 50.0
MATCH_MAGNITUDE = 0.5
TSUNAMI_SEVERITY = {"AWAS": 4, "SIAGA": 3, "WASPADA": 2}
CAP_SEVERITY = {"Extreme": 4, "Severe": 3, "Moderate": 2, "Minor": 1}


def _hash(report: Report, data: dict[str, Any] | None = None) -> str:
    """The report's fingerprint (its fields but the feed it came from); ``data``: its
    ``asdict`` when the caller has it."""
    fields = dict(data) if data is not None else asdict(report)
    fields.pop("source", None)
    fields.pop("payload", None)
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def report_json(report: Report, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report's fields as JSON-ready values (times in ISO 8601, UTC), for the revision
    (without the payload as sent, stored beside it)."""
    fields = dict(data) if data is not None else asdict(report)
    fields.pop("payload", None)
    return json.loads(json.dumps(fields, default=_plain))


#: A quake felt in the area of responsibility whose report says "berpotensi tsunami" is at
#: least this severe (the severity of a SIAGA tsunami warning).
TSUNAMI_POTENTIAL_SEVERITY = 3


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


def known_quakes(reports: list[Report]) -> list[HazardEvent] | None:
    """The stored quakes a batch of reports can match (one query instead of one per report):
    those with one of the reports' identifiers or an origin time within the match window of
    one of the reports. None when the batch has no quake."""
    quakes = [r for r in reports if isinstance(r, QuakeReport)]
    if not quakes:
        return None
    window = timedelta(seconds=MATCH_SECONDS)
    # One window per report (a list can span weeks: never read every quake in between).
    near = [
        HazardEvent.origin_time.between(t - window, t + window)
        for t in sorted({r.origin_time for r in quakes})
    ]
    idents = sorted({i for r in quakes if (i := fit_identifier(r.identifier))})
    where = or_(*near, HazardEvent.identifier.in_(idents)) if idents else or_(*near)
    return list(
        db.session.scalars(select(HazardEvent).where(HazardEvent.kind == HazardKind.EARTHQUAKE, where))
    )


def _find_quake(r: QuakeReport, known: list[HazardEvent] | None = None) -> HazardEvent | None:
    """The stored event this quake report belongs to: same identifier, else origin time within
    ``MATCH_SECONDS``, epicentre within ``MATCH_KM`` and magnitude within ``MATCH_MAGNITUDE``
    (the nearest such). Only an event of the same kind of report matches: an exercise never
    merges with a real quake, however close. ``known``: the batch's candidates from
    :func:`known_quakes` (read for this report alone when not given)."""
    if known is None:
        known = known_quakes([r]) or []
    known = [ev for ev in known if ev.is_exercise == r.is_exercise]
    if ident := fit_identifier(r.identifier):
        same = next((e for e in known if e.identifier == ident), None)
        if same is not None:
            return same
    window = timedelta(seconds=MATCH_SECONDS)
    candidates = [
        ev for ev in known if ev.origin_time is not None and abs(ev.origin_time - r.origin_time) <= window
    ]
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


def fit_identifier(identifier: str | None) -> str | None:
    """The identifier as stored: as given when it fits its column, else its start and a digest
    of the whole (still one identifier per report, never two merged by the cut)."""
    size = HazardEvent.__table__.c.identifier.type.length
    if not identifier or len(identifier) <= size:
        return identifier or None
    return f"{identifier[: size - 41]}~{hashlib.sha256(identifier.encode()).hexdigest()[:40]}"


def _fit(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every text cut to its column's length (a feed's overlong place text
    must not fail the whole body on PostgreSQL, which refuses it)."""
    columns = HazardEvent.__table__.c
    for key, value in values.items():
        if isinstance(value, str) and key in columns:
            size = getattr(columns[key].type, "length", None)
            if size and len(value) > size:
                values[key] = value[:size]
    return values


def _find_by_identifier(kind: HazardKind, identifier: str | None, is_exercise: bool) -> HazardEvent | None:
    identifier = fit_identifier(identifier)
    if not identifier:
        return None
    return db.session.scalar(
        select(HazardEvent).where(
            HazardEvent.kind == kind,
            HazardEvent.identifier == identifier,
            HazardEvent.is_exercise == is_exercise,
        )
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


#: A quake report's solution: the fields BMKG revises as its analysis improves.
SOLUTION_FIELDS = ("origin_time", "lat", "lon", "depth_km", "magnitude")
Solution = tuple[Any, ...]
#: What a superseded solution does not change on the event.
SUPERSEDED_FIELDS = frozenset((*SOLUTION_FIELDS, "region_text", "potential_text", "title"))


def solution_of(report: dict[str, Any] | None) -> Solution | None:
    """The solution in a report's JSON (:func:`report_json`); None for other hazards."""
    if not report or report.get("magnitude") is None or "depth_km" not in report:
        return None
    return tuple(report.get(k) for k in SOLUTION_FIELDS)


@dataclass
class IngestBatch:
    """What the reports of one feed body share: the stored quakes they can match
    (:func:`known_quakes`) and the report hashes and quake solutions each of those events has
    seen, read in one query, so that merging a report needs no round trip of its own."""

    known: list[HazardEvent] | None
    hashes: dict[int, set[str]]  # id(event) → report hashes of its revisions
    solutions: dict[int, set[Solution]] = field(default_factory=dict)  # id(event) → solutions seen

    @classmethod
    def of(cls, reports: list[Report]) -> IngestBatch:
        known = known_quakes(reports)
        hashes: dict[int, set[str]] = {}
        solutions: dict[int, set[Solution]] = {}
        if known:
            by_id = {ev.id: ev for ev in known}
            for ev in known:
                hashes[id(ev)], solutions[id(ev)] = set(), set()
            rows = db.session.execute(
                select(HazardRevision.event_id, HazardRevision.report_hash, HazardRevision.report).where(
                    HazardRevision.event_id.in_(sorted(by_id))
                )
            )
            for event_id, digest, report in rows:
                hashes[id(by_id[event_id])].add(digest)
                if (solution := solution_of(report)) is not None:
                    solutions[id(by_id[event_id])].add(solution)
        return cls(known, hashes, solutions)

    def seen(self, ev: HazardEvent, digest: str) -> bool:
        if id(ev) in self.hashes:
            return digest in self.hashes[id(ev)]
        # an event this batch did not read ahead (a tsunami or weather warning, a lone report): ask
        return ev.id is not None and _revision_seen(ev.id, digest)

    def superseded(self, ev: HazardEvent, solution: Solution | None) -> bool:
        """Whether ``solution`` is one the event held before and moved on from: a feed that
        lags behind BMKG's revision (gempadirasakan still listing the first M7.5 after
        autogempa gave M7.4) must not move the event back.

        Known limit: only a solution this event has stored (all five fields equal) is
        recognised; an older solution no feed brought us before (BMKG revised it within one
        poll interval) cannot be told from a newer one, as BMKG's feeds carry no issue time,
        and is applied."""
        if solution is None or solution == solution_of(report_json_of_event(ev)):
            return False
        if id(ev) in self.solutions:
            return solution in self.solutions[id(ev)]
        if ev.id is None:
            return False
        with db.session.no_autoflush:
            stored = db.session.scalars(select(HazardRevision.report).where(HazardRevision.event_id == ev.id))
            return any(solution_of(r) == solution for r in stored)

    def add(self, ev: HazardEvent, digest: str, solution: Solution | None = None) -> None:
        if id(ev) in self.hashes:
            self.hashes[id(ev)].add(digest)
        if solution is not None and id(ev) in self.solutions:
            self.solutions[id(ev)].add(solution)


def report_json_of_event(ev: HazardEvent) -> dict[str, Any]:
    """The event's current solution fields, as :func:`report_json` writes them."""
    return json.loads(json.dumps({k: getattr(ev, k) for k in SOLUTION_FIELDS}, default=_plain))


def _revision_seen(event_id: int, digest: str) -> bool:
    return (
        db.session.scalar(
            select(HazardRevision.id).where(
                HazardRevision.event_id == event_id, HazardRevision.report_hash == digest
            )
        )
        is not None
    )


def ingest(
    report: Report, *, flush: bool = True, batch: IngestBatch | None = None
) -> tuple[HazardEvent, str]:
    """Merge one report; returns the event and "created", "updated" or "unchanged".

    ``flush=False`` leaves the changes pending (a new event without an id), so the caller can
    set the impact figures before one flush writes a whole batch. ``batch``: what the feed
    body's reports share (:class:`IngestBatch`); a new quake event is added to it.
    """
    if batch is None:  # a report on its own: nothing read ahead, IngestBatch asks as needed
        batch = IngestBatch(known=None, hashes={})
    data = asdict(report)
    digest = _hash(report, data)
    if isinstance(report, QuakeReport):
        kind, ev, values = HazardKind.EARTHQUAKE, _find_quake(report, batch.known), _quake_values(report)
    elif isinstance(report, TsunamiReport):
        kind, ev, values = (
            HazardKind.TSUNAMI,
            _find_by_identifier(HazardKind.TSUNAMI, report.identifier, report.is_exercise),
            _tsunami_values(report),
        )
    else:
        kind, ev, values = (
            HazardKind.WEATHER,
            _find_by_identifier(HazardKind.WEATHER, report.identifier, report.is_exercise),
            _weather_values(report),
        )
    # Most reports of a changed list body were seen before: no more work for them.
    if ev is not None and batch.seen(ev, digest):
        return ev, "unchanged"
    values = _fit(values)
    stored_report = report_json(report, data)
    solution = solution_of(stored_report) if kind == HazardKind.EARTHQUAKE else None
    if ev is not None:
        if batch.superseded(ev, solution):
            # An older solution from a lagging feed: keep its felt report and its source, not
            # what belongs to that solution (figures, place text, tsunami potential).
            values = {k: v for k, v in values.items() if k not in SUPERSEDED_FIELDS}
        changes = _apply(ev, values)
        if report.source not in (ev.sources or []):
            ev.sources = [*(ev.sources or []), report.source]
            changes["sources"] = ev.sources
        db.session.add(  # (not ev.revisions.append: that would load every earlier revision)
            HazardRevision(
                event=ev,
                source=report.source,
                report_hash=digest,
                changes=changes,
                report=stored_report,
                payload=report.payload,
            )
        )
        batch.add(ev, digest, solution)
        if changes:
            ev.revision += 1
        if flush:
            db.session.flush()
        return ev, "updated" if changes else "unchanged"
    ev = HazardEvent(
        kind=kind,
        identifier=fit_identifier(getattr(report, "identifier", None)),
        is_exercise=report.is_exercise,
        sources=[report.source],
        revision=1,  # set now: a revision later in the same batch counts on from it before any flush
        severity=0,
        **{k: v for k, v in values.items() if v is not None},
    )
    # A new event's revision list is empty: mark it loaded, then add the first revision to it.
    set_committed_value(ev, "revisions", [])
    ev.revisions.append(
        HazardRevision(
            source=report.source,
            report_hash=digest,
            changes={"created": True},
            report=stored_report,
            payload=report.payload,
        )
    )
    db.session.add(ev)
    if batch.known is not None and kind == HazardKind.EARTHQUAKE:
        batch.known.append(ev)
        batch.hashes[id(ev)] = {digest}
        batch.solutions[id(ev)] = {solution} if solution is not None else set()
    if flush:
        db.session.flush()
    return ev, "created"


# ---------------------------------------------------------------- impact


_QUALIFIER = re.compile(r"(?<=\S) (?:BAGIAN (?:UTARA|SELATAN|BARAT|TIMUR|TENGAH)|PULAU)\b.*$")
_KIND_PREFIX = re.compile(
    r"^(KOTA ADMINISTRASI|KOTA ADM|KOTA|KABUPATEN ADMINISTRASI|KABUPATEN ADM|KAB ADM|KABUPATEN|KAB)\b ?"
)
_ISLANDS_PREFIX = re.compile(r"^(?:KEPULAUAN|KEP)\b ?")


def regency_key(name: str, *, strip_qualifier: bool = True) -> tuple[str | None, str]:
    """A regency name as BMKG or Kemendagri writes it → (``"kota"``/``"kab"``/None, base name).

    Case, punctuation, hyphens and spacing are ignored ("Kab.Musi-Banyuasin",
    "KABUPATEN MUSI BANYUASIN" and "musi banyuasin" give ``MUSIBANYUASIN``; InaTEWS writes
    "BIAKNUMFOR" for Biak Numfor), so is "Kepulauan"/"Kep." ("KEP. MENTAWAI"), and
    InaTEWS's part-of qualifiers are dropped ("RAJAAMPAT BAGIAN UTARA" → Raja Ampat,
    "NIAS-SELATAN PULAU TANABALA" → Nias Selatan). The kind stays: "KOTA-JAYAPURA" is not
    "JAYAPURA" (InaTEWS's bare names are kabupaten). ``strip_qualifier=False`` keeps
    "BAGIAN BARAT" and the like, which are part of some regencies' own names (Kabupaten
    Seram Bagian Barat is not Kabupaten Seram Bagian Timur).
    """
    text = re.sub(r"[^A-Z0-9]+", " ", name.upper()).strip()
    kind: str | None = None
    m = _KIND_PREFIX.match(text)
    if m:
        kind = "kota" if m.group(1).startswith("KOTA") else "kab"
        text = text[m.end() :]
    if strip_qualifier:
        text = _QUALIFIER.sub("", text)
    text = _ISLANDS_PREFIX.sub("", text)
    return kind, text.replace(" ", "")


def match_regencies(areas: list[dict[str, Any]], regencies: list[tuple[str, str]]) -> dict[str, str]:
    """Tsunami warning zones (``wzarea``: district name + level) → {regency code: top level}.

    ``regencies`` are our (code, name) pairs; a code's regency number tells kabupaten
    (01–69) from kota (71–99), whatever its name says. A zone named with "Kota …" matches
    a kota only, "Kab. …" a kabupaten only; a bare name (InaTEWS's usual form) the kabupaten
    of that name, or the kota when we have no such kabupaten. The highest level wins when
    a regency appears twice; names matching none of ours are ignored.
    """
    by_base: dict[str, dict[str, str]] = {}
    for regency, name in regencies:
        number = regency.split(".")[1] if "." in regency else "0"
        our_kind = "kota" if number.isdigit() and int(number) >= 71 else "kab"
        by_base.setdefault(regency_key(name, strip_qualifier=False)[1], {})[our_kind] = regency
    zones: dict[str, str] = {}
    for area in areas:
        district = str(area.get("district", ""))
        # The whole name first ("SERAM-BAGIAN-BARAT" is a regency of its own), then without
        # InaTEWS's part-of qualifier ("RAJAAMPAT BAGIAN UTARA" is part of Raja Ampat).
        kind, base = regency_key(district, strip_qualifier=False)
        if base not in by_base:
            kind, base = regency_key(district)
        found = by_base.get(base, {})
        code = found.get(kind) if kind else (found.get("kab") or found.get("kota"))
        level = str(area.get("level", "")).strip().upper()
        if code and TSUNAMI_SEVERITY.get(level, 0) > TSUNAMI_SEVERITY.get(zones.get(code, ""), 0):
            zones[code] = level
    return zones


def regency_matches(areas: list[dict[str, Any]]) -> dict[str, str]:
    """:func:`match_regencies` against the regencies we know."""
    regencies = db.session.execute(
        select(Region.code, Region.name).where(Region.level == RegionLevel.REGENCY)
    ).all()
    return match_regencies(areas, [(code, name) for code, name in regencies])


def _impact_row(
    ev: HazardEvent,
    place: Place,
    *,
    mmi: float | None = None,
    distance_km: float | None = None,
    level: str | None = None,
) -> dict[str, Any]:
    """An impact row for one place; ``people`` is filled in by :func:`write_impacts`."""
    return {
        "event_id": ev.id,
        "target_type": place[0],
        "target_id": place[1],
        "name": place[2],
        "region_code": place[5],
        "lat": place[3],
        "lon": place[4],
        "people": 0,
        "mmi": mmi,
        "distance_km": distance_km,
        "level": level[:20] if level else level,  # the column's length
    }


@functools.lru_cache(maxsize=1024)
def reach_km(magnitude: float, depth_km: float, threshold: float) -> float:
    """Spherical (haversine) distance beyond which no place can reach ``threshold``.

    The geodesic distance can be ``HAVERSINE_SLACK`` shorter than the spherical one, so the
    exact radius at which the estimate falls to the threshold is widened by that much.
    """
    keep = 1 - ipe.HAVERSINE_SLACK
    radius = ipe.mmi_radius_km(magnitude, depth_km, threshold, max_km=20_000.0 * keep)
    return (radius or 0.0) / keep


def _quake_impact(ev: HazardEvent, places: Places) -> tuple[list[dict[str, Any]], float | None]:
    """Impact rows (MMI ≥ threshold, highest first) and the highest MMI in the AOR.

    Estimated MMI at every place, vectorised: a cheap spherical distance first, whose
    small error is bounded (``HAVERSINE_SLACK``), rules out the places that cannot reach
    the threshold; the places that can, and the nearest places in the AOR, get the exact
    WGS-84 distance (the same figure geopy's geodesic gives). MMI falls with distance, so
    nothing at or above the threshold is ever left out.
    """
    assert ev.lat is not None and ev.lon is not None and ev.magnitude is not None
    if not places.rows:
        return [], None
    threshold = float(current_app.config["SIAGA_MMI_THRESHOLD"])
    depth = ipe.quake_depth_km(ev.depth_km)
    hi_km = reach_km(ev.magnitude, depth, threshold)
    mask = np.zeros(len(places.rows), dtype=bool)
    box = cap_bbox(ev.lat, ev.lon, hi_km)  # holds every place within hi_km (spherical)
    if box is None:
        mask[:] = True
    else:
        south, north, west, east = box
        first = int(np.searchsorted(places.sorted_lat, south, side="left"))
        last = int(np.searchsorted(places.sorted_lat, north, side="right"))
        band = places.by_lat[first:last]
        if west > -180.0 or east < 180.0:
            band_lon = places.lon[band]
            band = band[(band_lon >= west) & (band_lon <= east)]
        mask[band] = True
    mask[places.aor_idx] = True
    cand = np.flatnonzero(mask)  # sorted: keeps the place order
    rough = ipe.haversine_km(ev.lat, ev.lon, places.lat[cand], places.lon[cand])
    low = rough * (1 - ipe.HAVERSINE_SLACK)
    upper = ipe.allen_2012_mmi_many(ev.magnitude, np.hypot(low, depth))
    wanted = upper >= threshold
    cand_aor = places.aor[cand]
    if cand_aor.any():
        nearest_aor = float(rough[cand_aor].min())
        reach = (nearest_aor * (1 + ipe.HAVERSINE_SLACK)) / (1 - ipe.HAVERSINE_SLACK)
        wanted |= cand_aor & (rough <= reach)
    idx = cand[wanted]
    dist = ipe.geodesic_km(ev.lat, ev.lon, places.lat[idx], places.lon[idx])
    mmi = ipe.allen_2012_mmi_many(ev.magnitude, np.hypot(dist, depth))
    in_aor_idx = places.aor[idx]
    max_mmi = float(mmi[in_aor_idx].max()) if in_aor_idx.any() else None
    hits = np.flatnonzero(mmi >= threshold)
    rounded = np.round(mmi[hits], 2)
    order = hits[np.argsort(-rounded, kind="stable")]
    rows = [
        _impact_row(ev, places.rows[i], mmi=round(m, 2), distance_km=round(d, 1))
        for i, m, d in zip(idx[order].tolist(), mmi[order].tolist(), dist[order].tolist(), strict=True)
    ]
    return rows, max_mmi


_IMPACT_COLUMNS = (
    "event_id",
    "target_type",
    "target_id",
    "name",
    "region_code",
    "lat",
    "lon",
    "people",
    "mmi",
    "distance_km",
    "level",
    "rank",
)


def _insert_impacts(rows: list[dict[str, Any]]) -> None:
    """Write impact rows (derived data, not audited; there can be thousands) in the session's
    transaction: ``COPY`` on PostgreSQL with psycopg (which sends an executemany as one
    pipelined statement per row: 435 rows took 6.5–8.5 ms that way, 2.2 ms with COPY, measured
    in isolation), a Core executemany elsewhere."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        columns = ", ".join(_IMPACT_COLUMNS)
        with cursor, cursor.copy(f"COPY {EventImpact.__tablename__} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in _IMPACT_COLUMNS])
        return
    conn.execute(insert(EventImpact.__table__), rows)


def impact_of(ev: HazardEvent, places: Places) -> list[dict[str, Any]]:
    """The event's impact rows (ranked) over ``places``; sets its severity, max MMI and the
    number of our places affected (AOR only). Writes nothing; ``people`` is filled in by
    :func:`write_impacts`."""
    aor = aor_codes()
    rows: list[dict[str, Any]] = []
    severity = 0
    max_mmi: float | None = None
    if (
        ev.kind == HazardKind.EARTHQUAKE
        and ev.lat is not None
        and ev.lon is not None
        and ev.magnitude is not None
    ):
        threshold = float(current_app.config["SIAGA_MMI_THRESHOLD"])
        rows, max_mmi = _quake_impact(ev, places)
        if max_mmi is not None and max_mmi >= threshold:
            severity = mmi_severity(max_mmi)
            if ev.tsunami_potential:
                # Felt in our area and BMKG says a tsunami may follow: as urgent as a SIAGA
                # warning (a revision that adds the potential raises the severity: one new alert).
                severity = max(severity, TSUNAMI_POTENTIAL_SEVERITY)
    elif ev.kind == HazardKind.TSUNAMI:
        zones = regency_matches(list(ev.areas or []))
        for place in places.rows:
            regency = ".".join(str(place[5]).split(".")[:2])
            if regency in zones:
                rows.append(_impact_row(ev, place, level=zones[regency]))
        severity = max(
            (TSUNAMI_SEVERITY.get(lv, 0) for code, lv in zones.items() if overlaps_aor(code, aor)), default=0
        )
    elif ev.kind == HazardKind.WEATHER and ev.polygons:
        polygons = [ring for area in ev.polygons for ring in area]
        inside = ipe.points_inside([(p[3], p[4]) for p in places.rows], polygons)
        for place, hit in zip(places.rows, inside, strict=True):
            if hit:
                rows.append(_impact_row(ev, place, level=ev.cap_severity))
        if any(in_aor(r["region_code"], aor) for r in rows):
            severity = CAP_SEVERITY.get(ev.cap_severity or "", 1)
    ev.severity = 0 if ev.is_ended else severity
    ev.max_mmi = round(max_mmi, 2) if max_mmi is not None else None
    ev.affected_count = sum(
        1 for r in rows if r["target_type"] != "district" and in_aor(r["region_code"], aor)
    )
    return rows


def write_impacts(batch: list[tuple[HazardEvent, bool, list[dict[str, Any]]]]) -> None:
    """Store the impact of a batch's events: ``(event, fresh, rows)`` with ``fresh`` when the
    event was just created (it has no rows to delete yet).

    The people in the shelters reached are read once for the whole batch (fresh, not cached),
    each event's count of people affected is set before the one flush that writes the events
    (a new event is inserted with its figures), then the old rows of revised events go in one
    DELETE and every new row in one insert.
    """
    aor = aor_codes()
    shelter_ids = [r["target_id"] for _, _, rows in batch for r in rows if r["target_type"] == "shelter"]
    with db.session.no_autoflush:
        people = people_in(shelter_ids) if shelter_ids else {}
    for ev, _, rows in batch:
        total = 0
        for r in rows:
            if r["target_type"] == "shelter":
                r["people"] = people.get(r["target_id"], 0)
                if in_aor(r["region_code"], aor):
                    total += r["people"]
        ev.people_affected = total
    prefetch_ids([o for o in db.session.new if isinstance(o, HazardEvent | HazardRevision)])
    db.session.flush()  # the rows need their events' ids: new events are inserted here, figures and all
    stale = [ev.id for ev, fresh, _ in batch if not fresh]
    if stale:
        db.session.execute(delete(EventImpact).where(EventImpact.event_id.in_(stale)))
    all_rows = []
    for ev, _, rows in batch:
        for rank, row in enumerate(rows):
            row["rank"] = rank
            row["event_id"] = ev.id
        all_rows += rows
        if rows:
            db.session.expire(ev, ["impacts"])  # reloaded from the rows written below
        else:
            set_committed_value(ev, "impacts", [])
    if all_rows:
        _insert_impacts(all_rows)


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
        "tsunami_potential": ev.tsunami_potential,
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


class BatchPlaces:
    """Our places for one batch of reports (one feed body): the process's cached copy,
    checked against the catalogue once, on first use (a batch with nothing new needs none)."""

    def __init__(self) -> None:
        self._places: Places | None = None

    def get(self) -> Places:
        if self._places is None:
            self._places = cached_places()
        return self._places


def process_report(report: Report) -> tuple[HazardEvent, str, Any]:
    """:func:`process_reports` for one report."""
    return process_reports([report])[0]


def process_reports(reports: list[Report]) -> list[tuple[HazardEvent, str, Any]]:
    """Ingest one feed body's reports, recompute the impact of what changed, alert when
    severity rose; returns ``(event, outcome, message or None)`` per report. Flushes only.

    One batch: the stored quakes the reports can match are read in one query, our places
    checked once, every changed event's impact written together (:func:`write_impacts`).
    An event reported twice in the batch (a quake and its revision) is computed for its
    latest state and alerted at most once, with its final figures, when its severity ends
    above where it started (0 for a new event). The message goes with the event's last report.

    Bodies are ingested one at a time (a lock held until the caller commits): two feeds that
    bring the same new quake in the same second (autogempa and gempadirasakan, polled by two
    worker processes) would otherwise each find no stored event and create one each.
    """
    lock_name("hazards.ingest")
    places = BatchPlaces()
    batch = IngestBatch.of(reports)
    outcomes: list[tuple[HazardEvent, str]] = []
    changed: dict[int, tuple[HazardEvent, bool, int]] = {}  # id(event) → (event, fresh, severity before)
    for report in reports:
        ev, outcome = ingest(report, flush=False, batch=batch)
        outcomes.append((ev, outcome))
        if outcome != "unchanged" and id(ev) not in changed:
            changed[id(ev)] = (ev, outcome == "created", ev.severity if outcome == "updated" else 0)
    # Each changed event's impact once, for its state after the whole batch; no autoflush on
    # the way (reading the places' token would insert the new events without their figures).
    with db.session.no_autoflush:
        impacts = [(ev, fresh, impact_of(ev, places.get())) for ev, fresh, _ in changed.values()]
    write_impacts(impacts)
    messages: dict[int, Any] = {}
    for key, (ev, _, before) in changed.items():
        if ev.severity > before:
            messages[key] = raise_alert(ev)
    last = {id(ev): i for i, (ev, _) in enumerate(outcomes)}
    db.session.flush()
    return [
        (ev, outcome, messages.get(id(ev)) if last[id(ev)] == i else None)
        for i, (ev, outcome) in enumerate(outcomes)
    ]


@dataclass
class Ingested:
    """What :func:`ingest_reports` did: per-report counts, each changed event once, the alerts."""

    created: int = 0
    updated: int = 0
    #: each event created or updated, once, with "created" or "updated" (a new event revised in
    #: the same body is still "created")
    events: list[tuple[HazardEvent, str]] = field(default_factory=list)
    #: the queued deliveries of the alerts raised; the caller enqueues them after its commit
    message_ids: tuple[int, ...] = ()


def ingest_reports(reports: list[Report]) -> Ingested:
    """:func:`process_reports` for one feed body, summarised for a poll or a replay. Flushes only.

    ``reports`` in the body's order: BMKG lists newest first, and a list can hold a quake's
    first solution below its revision (gempaterkini's Flores M7.5, then M7.4 above it), so
    they are applied oldest first and the newest solution is the one that stays.
    """
    from siaga.messaging.services import queued_ids

    out = Ingested()
    seen: set[int] = set()
    message_ids: list[int] = []
    for ev, outcome, msg in process_reports(list(reversed(reports))):
        if outcome == "created":
            out.created += 1
        elif outcome == "updated":
            out.updated += 1
        if outcome in ("created", "updated") and id(ev) not in seen:
            seen.add(id(ev))
            out.events.append((ev, outcome))
        if msg is not None:
            message_ids.extend(queued_ids(msg))
    out.message_ids = tuple(message_ids)
    return out
