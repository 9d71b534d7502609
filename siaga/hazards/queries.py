"""Read-side questions the pages and the API share: the region whose zone an event's times
are shown in, and the events about the same quake (a quake and its tsunami warning)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from geopy.distance import geodesic
from sqlalchemy import func, select

from siaga.extensions import db
from siaga.hazards.models import EventImpact, HazardEvent, HazardKind
from siaga.hazards.services import MATCH_KM, MATCH_SECONDS
from siaga.regions.services import locate_region


def event_regions(events: Sequence[HazardEvent], aor: Sequence[str]) -> dict[int, str | None]:
    """The region whose zone each event's times are shown in, by event id.

    The region of the place the event reaches hardest (its first-ranked impact with a known
    region), else the region of its epicentre (inside the seed regions), else the task
    force's first AOR region. One query for all the events.
    """
    first: dict[int, str] = {}
    ids = [ev.id for ev in events]
    if ids:
        ranked = (
            select(
                EventImpact.event_id,
                EventImpact.region_code,
                func.row_number()
                .over(partition_by=EventImpact.event_id, order_by=(EventImpact.rank, EventImpact.id))
                .label("n"),
            )
            .where(EventImpact.event_id.in_(ids), EventImpact.region_code.is_not(None))
            .subquery()
        )
        first = dict(
            db.session.execute(select(ranked.c.event_id, ranked.c.region_code).where(ranked.c.n == 1))
            .tuples()
            .all()
        )
    fallback = aor[0] if aor else None
    out: dict[int, str | None] = {}
    for ev in events:
        code = first.get(ev.id)
        if code is None and ev.lat is not None and ev.lon is not None:
            code = locate_region(ev.lat, ev.lon)
        out[ev.id] = code or fallback
    return out


def related_events(ev: HazardEvent) -> list[HazardEvent]:
    """The other events about the same quake: for an earthquake, the tsunami warnings issued
    for it; for a tsunami warning, its earthquake. Same origin time within ``MATCH_SECONDS``
    and epicentre within ``MATCH_KM`` (the rule that makes feeds' reports one quake), and the
    same kind of report (an exercise is never related to a real event). Oldest first."""
    if ev.kind == HazardKind.WEATHER or ev.origin_time is None or ev.lat is None or ev.lon is None:
        return []
    other = HazardKind.TSUNAMI if ev.kind == HazardKind.EARTHQUAKE else HazardKind.EARTHQUAKE
    window = timedelta(seconds=MATCH_SECONDS)
    candidates = db.session.scalars(
        select(HazardEvent)
        .where(
            HazardEvent.kind == other,
            HazardEvent.is_exercise == ev.is_exercise,
            HazardEvent.origin_time.between(ev.origin_time - window, ev.origin_time + window),
            HazardEvent.lat.is_not(None),
            HazardEvent.lon.is_not(None),
        )
        .order_by(HazardEvent.origin_time, HazardEvent.id)
    ).all()
    return [c for c in candidates if geodesic((ev.lat, ev.lon), (c.lat, c.lon)).km <= MATCH_KM]
