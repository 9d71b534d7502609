"""Permission table entries for hazards (merged by tests/test_permissions.py)."""

from __future__ import annotations

from typing import Any

OK, DENY = "ok", "deny"
EVERYONE = {"admin": OK, "coordinator": OK, "partner": OK, "field": OK}
READERS = {"admin": OK, "coordinator": OK, "partner": OK, "field": DENY}

ROUTES = {
    "hazards.event_list": [("GET", "/hazards", EVERYONE)],
    "hazards.event_detail": [("GET", "/hazards/{hazard_id}", EVERYONE)],
    "hazards.feed_health": [("GET", "/feeds", READERS)],
    "hazards_api.events": [("GET", "/api/v1/hazards/events", EVERYONE)],
    "hazards_api.event": [("GET", "/api/v1/hazards/events/{hazard_id}", EVERYONE)],
}


def build_objects(users: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime

    from siaga.hazards.reports import QuakeReport
    from siaga.hazards.services import ingest

    ev, _ = ingest(
        QuakeReport(
            source="autogempa",
            origin_time=datetime(2026, 1, 1, tzinfo=UTC),
            lat=-1.0,
            lon=100.8,
            depth_km=10,
            magnitude=5.0,
        )
    )
    return {"hazard_id": ev.id}
