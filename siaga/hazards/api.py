"""Hazards JSON API (v1): BMKG hazard events, newest first, and one event with its impact.

Read-only, for every logged-in role and API token (as the hazard pages). Every answer credits
BMKG (``"source": "Sumber: BMKG"``), as its terms require wherever its data is shown. Bad
filters answer 422 with one reason per field. Described in ``/api/v1/openapi.json``
(:mod:`siaga.hazards.openapi`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response

from siaga.core.auth import ALL_ROLES, roles_required
from siaga.core.validation import validate
from siaga.extensions import db
from siaga.hazards.models import HazardEvent, HazardKind
from siaga.hazards.places import aor_codes
from siaga.hazards.queries import event_regions, related_events
from siaga.hazards.serializers import CREDIT, event_detail_dict, event_dict

bp = Blueprint("hazards_api", __name__, url_prefix="/api/v1")

KINDS = tuple(k.value for k in HazardKind)


def _utc(value: Any) -> Any:
    """An ISO 8601 date-time (or a date: its midnight) as an aware UTC datetime; a time
    without an offset is UTC. Blank is "not given"."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("must be an ISO 8601 date-time, e.g. 2026-11-20T03:15:00Z")) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise ValueError(_l("is out of range")) from None
    return value


UtcDateTime = Annotated[datetime | None, BeforeValidator(_utc)]


class EventListQuery(BaseModel):
    """The list's filters and page; the OpenAPI document's query parameters come from here."""

    model_config = ConfigDict(extra="ignore")
    page: Annotated[int, Field(default=1, ge=1, le=100_000)]
    per_page: Annotated[int, Field(default=50, ge=1, le=500)]
    kind: Annotated[str | None, Field(default=None, max_length=20)]
    since: Annotated[UtcDateTime, Field(default=None)]
    until: Annotated[UtcDateTime, Field(default=None)]
    exercise: bool | None = None
    impact: bool = False

    @field_validator("kind")
    @classmethod
    def _check_kind(cls, v: str | None) -> str | None:
        if v and v not in KINDS:
            raise ValueError("must be one of: " + ", ".join(KINDS))
        return v

    @field_validator("until")
    @classmethod
    def _after_since(cls, v: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if v is not None and since is not None and v <= since:
            raise ValueError(_l("must be later than since"))
        return v


def _filtered(q: EventListQuery) -> Select[tuple[HazardEvent]]:
    stmt = select(HazardEvent)
    if q.kind:
        stmt = stmt.where(HazardEvent.kind == HazardKind(q.kind))
    if q.since is not None:
        stmt = stmt.where(HazardEvent.origin_time >= q.since)
    if q.until is not None:
        stmt = stmt.where(HazardEvent.origin_time < q.until)
    if q.exercise is not None:
        stmt = stmt.where(HazardEvent.is_exercise.is_(q.exercise))
    if q.impact:
        stmt = stmt.where(HazardEvent.severity > 0)
    return stmt


@bp.get("/hazards/events")
@roles_required(ALL_ROLES)
def events() -> Response:
    q = validate(EventListQuery, request.args.to_dict())
    stmt = _filtered(q)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        db.session.scalars(
            stmt.order_by(HazardEvent.origin_time.desc().nullslast(), HazardEvent.id.desc())
            .limit(q.per_page)
            .offset((q.page - 1) * q.per_page)
        )
    )
    regions = event_regions(rows, aor_codes())
    return jsonify(
        items=[event_dict(ev, regions[ev.id]) for ev in rows],
        page=q.page,
        per_page=q.per_page,
        total=total,
        source=CREDIT,
    )


@bp.get("/hazards/events/<int:event_id>")
@roles_required(ALL_ROLES)
def event(event_id: int) -> Response:
    ev = db.session.get(HazardEvent, event_id)  # ids beyond 32 bits never get here (404)
    if ev is None:
        abort(404)
    aor = aor_codes()
    region = event_regions([ev], aor)[ev.id]
    threshold = float(current_app.config["SIAGA_MMI_THRESHOLD"])
    return jsonify(event_detail_dict(ev, region, aor, threshold, related_events(ev)))
