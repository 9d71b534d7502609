"""Registry services: shelters, evacuation points, occupancy, nearest search. They flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from siaga.accounts.models import Organisation, Role, User
from siaga.core.context import current_actor
from siaga.core.errors import Conflict, NotAllowed, ValidationFailed
from siaga.db import lock_row, utcnow
from siaga.extensions import db
from siaga.regions.models import Region
from siaga.regions.services import locate_region, regency_elsewhere
from siaga.registry.models import (
    BREAKDOWN,
    EvacuationPoint,
    OccupancyEvent,
    OccupancyKind,
    Shelter,
    ShelterAssignment,
    ShelterStatus,
)
from siaga.registry.schemas import Located, OccupancyIn, PointIn, PointPatch, ShelterIn, ShelterPatch

# ---------------------------------------------------------------- permissions


def can_edit(user: User, record: Shelter | EvacuationPoint) -> bool:
    """Coordinators and admins edit everything; partners only their organisation's records."""
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        return True
    return user.role == Role.PARTNER and record.owner_org_id == user.organisation_id


def is_assigned(user: User, shelter_id: int) -> bool:
    """Whether a field-team user is assigned to the shelter (asked once per request)."""
    memo: dict[tuple[int, int], bool] | None = None
    if has_request_context():  # per request (the WSGI environ), never carried to the next one
        memo = request.environ.setdefault("siaga.assigned", {})
        if (user.id, shelter_id) in memo:
            return memo[(user.id, shelter_id)]
    found = (
        db.session.scalar(
            select(ShelterAssignment.id).where(
                ShelterAssignment.user_id == user.id, ShelterAssignment.shelter_id == shelter_id
            )
        )
        is not None
    )
    if memo is not None:
        memo[(user.id, shelter_id)] = found
    return found


def can_update_occupancy(user: User, shelter: Shelter) -> bool:
    if can_edit(user, shelter):
        return True
    return user.role == Role.FIELD and is_assigned(user, shelter.id)


def can_see_contacts(user: User | None) -> bool:
    """Names and phone numbers of people: task force and logged-in partners, never public links."""
    return user is not None and user.role in (Role.ADMIN, Role.COORDINATOR, Role.PARTNER, Role.FIELD)


def assign_field_user(shelter: Shelter, user: User) -> ShelterAssignment:
    if user.role != Role.FIELD:
        raise ValidationFailed({"user_id": _("only field-team users can be assigned")})
    existing = db.session.scalar(
        select(ShelterAssignment).where(
            ShelterAssignment.shelter_id == shelter.id, ShelterAssignment.user_id == user.id
        )
    )
    if existing:
        return existing
    a = ShelterAssignment(shelter_id=shelter.id, user_id=user.id)
    db.session.add(a)
    db.session.flush()
    if has_request_context():
        request.environ.pop("siaga.assigned", None)
    return a


def assigned_shelters(user: User) -> list[Shelter]:
    stmt = (
        select(Shelter)
        .join(ShelterAssignment, ShelterAssignment.shelter_id == Shelter.id)
        .where(ShelterAssignment.user_id == user.id)
        .order_by(Shelter.name)
    )
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- create / update


def coordinate_warnings(data: Located) -> list[str]:
    """What to tell about a place's coordinates, saved anyway: ``outside_indonesia``, or
    ``region_mismatch`` when they lie in another regency than the region code given (checked
    inside the seed regions)."""
    if data.outside_indonesia():
        return ["outside_indonesia"]
    if regency_elsewhere(data.lat, data.lon, data.region_code):
        return ["region_mismatch"]
    return []


def _resolve_region(data: Located) -> str:
    if data.region_code:
        if db.session.get(Region, data.region_code) is None:
            raise ValidationFailed({"region_code": _("unknown region code %(code)s", code=data.region_code)})
        return data.region_code
    code = locate_region(data.lat, data.lon)
    if code is None or db.session.get(Region, code) is None:
        raise ValidationFailed(
            {"region_code": _("no known region contains these coordinates; give the region code")}
        )
    return code


def _resolve_owner(requested: int | None, user: User | None) -> int:
    if user is not None and user.role == Role.PARTNER:
        if requested not in (None, user.organisation_id):
            raise ValidationFailed(
                {"owner_org_id": _("partners can only create records of their own organisation")}
            )
        return user.organisation_id
    if requested is not None:
        if db.session.get(Organisation, requested) is None:
            raise ValidationFailed({"owner_org_id": _("unknown organisation")})
        return requested
    if user is None:
        raise ValidationFailed({"owner_org_id": _("is required")})
    return user.organisation_id


def _actor_label() -> str:
    return current_actor().label


def create_shelter(data: ShelterIn, user: User | None) -> Shelter:
    if db.session.scalar(select(Shelter.id).where(Shelter.code == data.code)) is not None:
        raise ValidationFailed({"code": _("a shelter with code %(code)s already exists", code=data.code)})
    values = data.model_dump(exclude={"region_code", "owner_org_id"})
    shelter = Shelter(
        **values,
        region_code=_resolve_region(data),
        owner_org_id=_resolve_owner(data.owner_org_id, user),
        updated_by=_actor_label(),
    )
    db.session.add(shelter)
    db.session.flush()
    return shelter


def update_shelter(shelter: Shelter, patch: ShelterPatch | ShelterIn, user: User | None) -> Shelter:
    if user is not None and not can_edit(user, shelter):
        raise NotAllowed("not allowed to edit this shelter")
    changes = patch.model_dump(exclude_unset=True, exclude={"region_code", "owner_org_id", "code"})
    changes = {
        k: v
        for k, v in changes.items()
        if v is not None or k in {"manager_name", "manager_phone", "address", "notes", "floor_area_m2"}
    }
    toilets = changes.get("toilets", shelter.toilets) or 0
    accessible = changes.get("accessible_toilets", shelter.accessible_toilets) or 0
    if accessible > toilets:
        if "accessible_toilets" in changes:
            raise ValidationFailed({"accessible_toilets": _("cannot exceed the number of toilets")})
        raise ValidationFailed(
            {"toilets": _("must be at least the number of accessible toilets (%(n)d)", n=accessible)}
        )
    for key, value in changes.items():
        setattr(shelter, key, value)
    if isinstance(patch, ShelterIn):
        if patch.owner_org_id is not None and user is not None and user.role != Role.PARTNER:
            shelter.owner_org_id = _resolve_owner(patch.owner_org_id, user)
        shelter.region_code = _resolve_region(patch)
    elif "lat" in changes or "lon" in changes:
        shelter.region_code = _resolve_region(Located(lat=shelter.lat, lon=shelter.lon, region_code=None))
    if "status" not in changes or changes.get("status") in (ShelterStatus.OPEN, ShelterStatus.FULL):
        _apply_capacity_status(shelter)
    shelter.updated_by = _actor_label()
    db.session.flush()
    return shelter


def create_point(data: PointIn, user: User | None) -> EvacuationPoint:
    if data.code and db.session.scalar(select(EvacuationPoint.id).where(EvacuationPoint.code == data.code)):
        raise ValidationFailed(
            {"code": _("an evacuation point with code %(code)s already exists", code=data.code)}
        )
    values = data.model_dump(exclude={"region_code", "owner_org_id"})
    point = EvacuationPoint(
        **values,
        region_code=_resolve_region(data),
        owner_org_id=_resolve_owner(data.owner_org_id, user),
        updated_by=_actor_label(),
    )
    db.session.add(point)
    db.session.flush()
    return point


def update_point(point: EvacuationPoint, patch: PointPatch | PointIn, user: User | None) -> EvacuationPoint:
    if user is not None and not can_edit(user, point):
        raise NotAllowed("not allowed to edit this evacuation point")
    changes = patch.model_dump(exclude_unset=True, exclude={"region_code", "owner_org_id", "code"})
    changes = {k: v for k, v in changes.items() if v is not None or k in {"address", "notes"}}
    for key, value in changes.items():
        setattr(point, key, value)
    if isinstance(patch, PointIn):
        point.region_code = _resolve_region(patch)
    elif "lat" in changes or "lon" in changes:
        point.region_code = _resolve_region(Located(lat=point.lat, lon=point.lon, region_code=None))
    point.updated_by = _actor_label()
    db.session.flush()
    return point


# ---------------------------------------------------------------- occupancy


def _apply_capacity_status(shelter: Shelter) -> None:
    """full at capacity, open below it; standby opens at the first check-in; closed stays closed."""
    if shelter.status == ShelterStatus.CLOSED:
        return
    if shelter.capacity > 0 and shelter.occupants >= shelter.capacity:
        shelter.status = ShelterStatus.FULL
    elif shelter.status == ShelterStatus.FULL or (
        shelter.status == ShelterStatus.STANDBY and shelter.occupants > 0
    ):
        shelter.status = ShelterStatus.OPEN


def lock_shelter(shelter_id: int) -> Shelter:
    """Take the shelter's row lock (PostgreSQL) or the write lock (SQLite) and load fresh values.

    The first statement is an UPDATE of ``version``: on PostgreSQL it waits for any other
    writer of the row; on SQLite it takes the database write lock at once, avoiding a
    read-then-upgrade deadlock. Everything read afterwards is current.
    """
    shelter = lock_row(Shelter, shelter_id)
    if shelter is None:
        raise ValidationFailed({"shelter_id": _("unknown shelter")})
    return shelter


def record_occupancy(shelter_id: int, data: OccupancyIn, user: User | None) -> OccupancyEvent:
    """Apply one occupancy event atomically; refuse over capacity unless ``overflow``."""
    shelter = lock_shelter(shelter_id)
    if user is not None and not can_update_occupancy(user, shelter):
        raise NotAllowed("not allowed to update this shelter's occupancy")
    breakdown_in = {f: getattr(data, f) for f in BREAKDOWN}
    is_overflow = False
    if data.kind == OccupancyKind.CHECK_IN:
        if shelter.status == ShelterStatus.CLOSED:
            raise Conflict(_("The shelter is closed; open it before checking people in."), field="kind")
        new_total = shelter.occupants + data.people
        if shelter.capacity and new_total > shelter.capacity:
            if not data.overflow:
                raise Conflict(
                    _(
                        "Over capacity: %(free)d free places, %(people)d arriving. "
                        "Mark it as overflow to record it anyway.",
                        free=shelter.free_places,
                        people=data.people,
                    ),
                    field="people",
                )
            is_overflow = True
        delta = data.people
        delta_bd = {f: v for f, v in breakdown_in.items() if v}
    elif data.kind == OccupancyKind.CHECK_OUT:
        if data.people > shelter.occupants:
            raise Conflict(_("Only %(n)d people are registered here.", n=shelter.occupants), field="people")
        for f, v in breakdown_in.items():
            if v > getattr(shelter, f):
                raise Conflict(
                    _("Only %(n)d registered in %(field)s.", n=getattr(shelter, f), field=f), field=f
                )
        delta = -data.people
        if any(breakdown_in.values()):
            delta_bd = {f: -v for f, v in breakdown_in.items() if v}
        else:  # who left is not known: the breakdown shrinks with the head count
            delta_bd = _scaled_breakdown(shelter, shelter.occupants - data.people)
    else:
        delta = data.people - shelter.occupants
        if any(breakdown_in.values()) or data.people == 0:
            delta_bd = {
                f: v - getattr(shelter, f) for f, v in breakdown_in.items() if v != getattr(shelter, f)
            }
        else:  # a new head count alone: keep the known make-up, in proportion
            delta_bd = _scaled_breakdown(shelter, data.people)
        is_overflow = bool(shelter.capacity and data.people > shelter.capacity)
        if is_overflow and not data.overflow:
            raise Conflict(
                _(
                    "The corrected figure is above capacity (%(cap)d). Mark it as overflow.",
                    cap=shelter.capacity,
                ),
                field="people",
            )
    shelter.occupants += delta
    for f, v in delta_bd.items():
        setattr(shelter, f, getattr(shelter, f) + v)
    now = utcnow()
    actor = current_actor()
    shelter.occupancy_updated_at = now
    shelter.occupancy_updated_by = actor.label
    status_before = shelter.status
    _apply_capacity_status(shelter)
    event = OccupancyEvent(
        shelter_id=shelter.id,
        kind=data.kind,
        delta=delta,
        delta_breakdown=delta_bd,
        occupants_after=shelter.occupants,
        is_overflow=is_overflow,
        reason=data.reason,
        at=now,
        actor_id=actor.user_id,
        actor_label=actor.label,
        via=actor.via,
    )
    db.session.add(event)
    db.session.flush()
    event.notice_delivery_ids = status_notice(shelter, status_before)
    return event


def _scaled_breakdown(shelter: Shelter, people: int) -> dict[str, int]:
    """The change that brings the shelter's breakdown to ``people`` in the same proportions
    (rounded down, so it never exceeds the head count). A head count without a breakdown
    must neither wipe the known make-up (the needs estimate uses it) nor leave figures above
    the number of people."""
    if shelter.occupants <= 0:
        return {}
    share = min(people, shelter.occupants) / shelter.occupants if people < shelter.occupants else 1.0
    out: dict[str, int] = {}
    for f in BREAKDOWN:
        old = getattr(shelter, f) or 0
        new = int(old * share)
        if new != old:
            out[f] = new - old
    return out


def status_notice(shelter: Shelter, before: ShelterStatus) -> list[int]:
    """Tell coordinators (and the shelter's own organisation) when a shelter fills up or opens.

    Returns queued delivery ids; the caller enqueues them after its commit (the beat sweep
    picks them up otherwise). One message per shelter, status and hour.
    """
    if shelter.status == before or shelter.status not in (ShelterStatus.FULL, ShelterStatus.OPEN):
        return []
    if shelter.status == ShelterStatus.OPEN and before != ShelterStatus.STANDBY:
        return []  # back below capacity is not news; opening from standby is
    from siaga.messaging import services as messaging

    kind = "shelter_full" if shelter.status == ShelterStatus.FULL else "shelter_opened"
    recipients = {c.id: c for c in messaging.coordinators_on_duty()}
    owners = db.session.scalars(
        select(User).where(User.organisation_id == shelter.owner_org_id, User.is_active_user.is_(True))
    )
    for user in owners:
        c = messaging.contact_for_user(user)
        recipients[c.id] = c
    msg = messaging.create_message(
        kind=kind,
        facts={
            "name": shelter.name,
            "occupants": shelter.occupants,
            "capacity": shelter.capacity,
            "address": shelter.address or "",
        },
        recipients=recipients.values(),
        severity=2 if kind == "shelter_full" else 1,
        requires_ack=kind == "shelter_full",
        source={"shelter_id": shelter.id},
        dedupe_key=f"{kind}:{shelter.id}:{utcnow():%Y%m%d%H}",
        channels=["inapp"],
    )
    return messaging.queued_ids(msg) if msg else []


def occupancy_history(shelter_id: int, limit: int = 500) -> list[OccupancyEvent]:
    stmt = (
        select(OccupancyEvent)
        .where(OccupancyEvent.shelter_id == shelter_id)
        .order_by(OccupancyEvent.at.desc(), OccupancyEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- listing


@dataclass
class ShelterFilters:
    region: str | None = None
    status: str | None = None
    min_free: int | None = None
    stale_hours: int | None = None
    only_stale: bool = False
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None  #: west, south, east, north
    owner_org_id: int | None = None


def shelter_query(f: ShelterFilters) -> Any:
    stmt = select(Shelter)
    if f.region:
        stmt = stmt.where(
            or_(Shelter.region_code == f.region, Shelter.region_code.startswith(f.region + "."))
        )
    if f.status:
        stmt = stmt.where(Shelter.status == ShelterStatus(f.status))
    if f.min_free is not None:
        stmt = stmt.where((Shelter.capacity - Shelter.occupants) >= f.min_free)
    if f.only_stale and f.stale_hours:
        from datetime import timedelta

        cutoff = utcnow() - timedelta(hours=f.stale_hours)
        stmt = stmt.where(or_(Shelter.occupancy_updated_at.is_(None), Shelter.occupancy_updated_at < cutoff))
    if f.q:
        like = f"%{f.q.lower()}%"
        stmt = stmt.where(or_(func.lower(Shelter.name).like(like), func.lower(Shelter.code).like(like)))
    if f.bbox:
        w, s, e, n = f.bbox
        stmt = stmt.where(Shelter.lat.between(s, n), Shelter.lon.between(w, e))
    if f.owner_org_id:
        stmt = stmt.where(Shelter.owner_org_id == f.owner_org_id)
    return stmt


def point_query(
    region: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> Any:
    stmt = select(EvacuationPoint)
    if region:
        stmt = stmt.where(
            or_(EvacuationPoint.region_code == region, EvacuationPoint.region_code.startswith(region + "."))
        )
    if kind:
        stmt = stmt.where(EvacuationPoint.kind == kind)
    if status:
        stmt = stmt.where(EvacuationPoint.status == status)
    if q:
        stmt = stmt.where(func.lower(EvacuationPoint.name).like(f"%{q.lower()}%"))
    if bbox:
        w, s, e, n = bbox
        stmt = stmt.where(EvacuationPoint.lat.between(s, n), EvacuationPoint.lon.between(w, e))
    return stmt


def get_shelter(shelter_id: int) -> Shelter | None:
    return db.session.get(Shelter, shelter_id)


def get_point(point_id: int) -> EvacuationPoint | None:
    return db.session.get(EvacuationPoint, point_id)
