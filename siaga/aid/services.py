"""Aid logistics services: catalogue, depots, the stock ledger, distributions, requests, needs.

They flush, never commit. Every write that takes stock out of a depot starts with
:func:`lock_depot` (an UPDATE of ``aid_depots.version``: the row lock on PostgreSQL, the
write lock on SQLite), then sums the ledger and refuses to go below zero, so two teams
cannot both take the last sacks. Status changes of a distribution start with
:func:`lock_distribution` the same way; the lock order is always distribution, then
depots by ascending id, which rules out deadlocks between these writers.

Items with an expiry date are tracked per batch (``batch_expiry``): stock leaves first
expiring first (FEFO), each outgoing movement records the batch it took, and usable
stock for a distribution or transfer excludes batches already past their date.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from werkzeug.exceptions import Forbidden, NotFound

from siaga.accounts.models import Organisation, Role, User
from siaga.aid import needs as needs_calc
from siaga.aid.models import (
    AidRequest,
    AidRequestLine,
    Depot,
    Distribution,
    DistributionEvent,
    DistributionLine,
    DistributionStatus,
    Item,
    MovementKind,
    RequestStatus,
    StockMovement,
)
from siaga.aid.notices import notify_distribution
from siaga.aid.schemas import (
    AdjustIn,
    DepotIn,
    DistributionIn,
    ItemIn,
    ReceiptIn,
    ReceiveIn,
    RequestIn,
    StatusIn,
    TransferIn,
)
from siaga.core.context import current_actor
from siaga.core.errors import Conflict, NotAllowed, ValidationFailed
from siaga.db import lock_row, utcnow
from siaga.extensions import db
from siaga.regions.models import Region
from siaga.regions.services import locate_region
from siaga.registry.models import Shelter, ShelterAssignment

#: Days before an expiry date that a batch is flagged.
EXPIRY_WARNING_DAYS = 30
#: Decoded photo size limit.
MAX_PHOTO_BYTES = 3 * 1024 * 1024
PHOTO_TYPES = {
    "image/jpeg": ("jpg", b"\xff\xd8\xff"),
    "image/png": ("png", b"\x89PNG"),
    "image/webp": ("webp", b"RIFF"),
}
#: Statuses in which stock has left the depot but not reached the shelter.
ON_THE_ROAD = (DistributionStatus.LOADED, DistributionStatus.IN_TRANSIT)
#: Statuses whose received quantities count as delivered.
DELIVERED_STATES = (DistributionStatus.DELIVERED, DistributionStatus.CONFIRMED)

# ---------------------------------------------------------------- permissions


def is_ops(user: User | None) -> bool:
    return user is not None and user.role in (Role.ADMIN, Role.COORDINATOR)


def can_view_depot(user: User, depot: Depot) -> bool:
    """Coordinators see every depot; partners their own organisation's."""
    if is_ops(user):
        return True
    return user.role == Role.PARTNER and depot.owner_org_id == user.organisation_id


def visible_depot(depot_id: int, user: User) -> Depot:
    """The depot if ``user`` may see it; 404 when it does not exist, 403 when it is not theirs.

    Raises werkzeug's HTTP errors on purpose: API and pages answer both the same way.
    """
    depot = db.session.get(Depot, depot_id)
    if depot is None:
        raise NotFound()
    if not can_view_depot(user, depot):
        raise Forbidden()
    return depot


def visible_distribution(distribution_id: int, user: User, *, lock: bool = False) -> Distribution:
    """The distribution if ``user`` may see it; 404 or 403 as :func:`visible_depot`.

    ``lock``: for a write, take its row lock in the same statement (:func:`siaga.db.lock_row`),
    so the service that follows finds the row locked and loaded.
    """
    d = lock_row(Distribution, distribution_id) if lock else get_distribution(distribution_id)
    if d is None:
        raise NotFound()
    if not can_view_distribution(user, d):
        raise Forbidden()
    return d


def can_view_distribution(user: User, d: Distribution) -> bool:
    if is_ops(user):
        return True
    if user.role == Role.FIELD:
        return d.assigned_user_id == user.id
    if user.role == Role.PARTNER:
        return user.organisation_id in (d.depot.owner_org_id, d.shelter.owner_org_id)
    return False


def can_request_for(user: User, shelter: Shelter) -> bool:
    """Shelter managers (the owner organisation's partners), assigned field teams, coordinators."""
    if is_ops(user):
        return True
    if user.role == Role.PARTNER:
        return shelter.owner_org_id == user.organisation_id
    if user.role == Role.FIELD:
        return is_assigned_to(user, shelter.id)
    return False


def is_assigned_to(user: User, shelter_id: int) -> bool:
    stmt = select(ShelterAssignment.id).where(
        ShelterAssignment.user_id == user.id, ShelterAssignment.shelter_id == shelter_id
    )
    return db.session.scalar(stmt) is not None


def visible_depots_query(user: User) -> Any:
    stmt = select(Depot).order_by(Depot.name)
    if not is_ops(user):
        stmt = stmt.where(Depot.owner_org_id == user.organisation_id)
    return stmt


def visible_distributions_query(user: User) -> Any:
    stmt = select(Distribution).order_by(Distribution.planned_at.desc(), Distribution.id.desc())
    if is_ops(user):
        return stmt
    if user.role == Role.FIELD:
        return stmt.where(Distribution.assigned_user_id == user.id)
    own_depots = select(Depot.id).where(Depot.owner_org_id == user.organisation_id)
    own_shelters = select(Shelter.id).where(Shelter.owner_org_id == user.organisation_id)
    return stmt.where(or_(Distribution.depot_id.in_(own_depots), Distribution.shelter_id.in_(own_shelters)))


# ---------------------------------------------------------------- catalogue and depots


def _actor_fields() -> dict[str, Any]:
    actor = current_actor()
    return {"actor_id": actor.user_id, "actor_label": actor.label, "via": actor.via}


def get_item(item_id: int, field: str = "item_id") -> Item:
    item = db.session.get(Item, item_id)
    if item is None or not item.is_active:
        raise ValidationFailed({field: _("unknown item")})
    return item


def list_items(active_only: bool = True) -> list[Item]:
    stmt = select(Item).order_by(Item.category, Item.name)
    if active_only:
        stmt = stmt.where(Item.is_active.is_(True))
    return list(db.session.scalars(stmt))


def create_item(data: ItemIn) -> Item:
    if db.session.scalar(select(Item.id).where(Item.code == data.code)) is not None:
        raise ValidationFailed({"code": _("an item with code %(code)s already exists", code=data.code)})
    if data.need_key and data.need_key not in known_need_keys():
        raise ValidationFailed(
            {"need_key": _("must be one of: %(choices)s", choices=", ".join(sorted(known_need_keys())))}
        )
    item = Item(**data.model_dump())
    db.session.add(item)
    db.session.flush()
    return item


def known_need_keys() -> set[str]:
    """The need keys deliveries can count towards (consumables of any profile)."""
    return {
        needs_calc.COVERED_BY.get(r.key, r.key)
        for p in needs_calc.PROFILES.values()
        for r in p.rates
        if r.kind == needs_calc.CONSUMABLE
    }


def _region_for(lat: float, lon: float, code: str | None) -> str:
    if code:
        if db.session.get(Region, code) is None:
            raise ValidationFailed({"region_code": _("unknown region code %(code)s", code=code)})
        return code
    found = locate_region(lat, lon)
    if found is None or db.session.get(Region, found) is None:
        raise ValidationFailed(
            {"region_code": _("no known region contains these coordinates; give the region code")}
        )
    return found


def create_depot(data: DepotIn, user: User) -> Depot:
    if db.session.scalar(select(Depot.id).where(Depot.code == data.code)) is not None:
        raise ValidationFailed({"code": _("a depot with code %(code)s already exists", code=data.code)})
    owner = data.owner_org_id or user.organisation_id
    if db.session.get(Organisation, owner) is None:
        raise ValidationFailed({"owner_org_id": _("unknown organisation")})
    depot = Depot(
        code=data.code,
        name=data.name,
        kind=data.kind,
        owner_org_id=owner,
        region_code=_region_for(data.lat, data.lon, data.region_code),
        lat=data.lat,
        lon=data.lon,
        address=data.address,
        updated_by=current_actor().label,
    )
    db.session.add(depot)
    db.session.flush()
    return depot


# ---------------------------------------------------------------- locks and balances


def lock_depot(depot_id: int, field: str = "depot_id") -> Depot:
    """Take the depot's row lock (PostgreSQL) or the write lock (SQLite); return it fresh.

    One UPDATE of ``version`` returning the row (:func:`siaga.db.lock_row`): a concurrent
    writer of the same depot waits here until the other transaction ends, and every sum read
    afterwards is current.
    """
    depot = lock_row(Depot, depot_id)
    if depot is None:
        raise ValidationFailed({field: _("unknown depot")})
    return depot


def lock_distribution(distribution_id: int) -> Distribution:
    d = lock_row(Distribution, distribution_id)
    if d is None:
        raise ValidationFailed({"distribution_id": _("unknown distribution")})
    return d


def balance(depot_id: int, item_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
            StockMovement.depot_id == depot_id, StockMovement.item_id == item_id
        )
    )
    return int(total or 0)


def batches(depot_id: int, item_id: int) -> list[tuple[date | None, int]]:
    """Remaining quantity per expiry batch (earliest first, undated last), only those left."""
    rows = db.session.execute(
        select(StockMovement.batch_expiry, func.sum(StockMovement.quantity))
        .where(StockMovement.depot_id == depot_id, StockMovement.item_id == item_id)
        .group_by(StockMovement.batch_expiry)
    ).all()
    left = [(expiry, int(qty)) for expiry, qty in rows if qty and qty > 0]
    return sorted(left, key=lambda r: (r[0] is None, r[0] or date.max))


def allocate(available: list[tuple[date | None, int]], quantity: int) -> list[tuple[date | None, int]]:
    """Split ``quantity`` over batches in the given order (pure; the caller checks the total)."""
    out: list[tuple[date | None, int]] = []
    need = quantity
    for expiry, qty in available:
        if need <= 0:
            break
        take = min(qty, need)
        out.append((expiry, take))
        need -= take
    return out


@dataclass(frozen=True)
class StockRow:
    depot_id: int
    item_id: int
    quantity: int


def stock_rows(depot_ids: list[int] | None = None) -> list[StockRow]:
    stmt = select(StockMovement.depot_id, StockMovement.item_id, func.sum(StockMovement.quantity)).group_by(
        StockMovement.depot_id, StockMovement.item_id
    )
    if depot_ids is not None:
        stmt = stmt.where(StockMovement.depot_id.in_(depot_ids))
    return [StockRow(d, i, int(q)) for d, i, q in db.session.execute(stmt).all() if q]


def _add_movement(depot_id: int, item: Item, quantity: int, kind: MovementKind, **kw: Any) -> StockMovement:
    mv = StockMovement(
        depot_id=depot_id, item_id=item.id, quantity=quantity, kind=kind, **_actor_fields(), **kw
    )
    db.session.add(mv)
    return mv


Allocation = list[tuple[date | None, int]]


def _allocate_take(
    depot: Depot, item: Item, quantity: int, *, field: str, usable_only: bool, today: date | None = None
) -> Allocation:
    """Which batches ``quantity`` would come from in a locked depot; Conflict if it is not there.

    ``usable_only`` (distributions, transfers) skips batches already expired; adjustments
    (damaged, expired, lost) take expired stock first. Nothing is written: callers check
    every line first, then write, so a refused request leaves no movement behind.
    """
    today = today or utcnow().date()
    if not item.has_expiry:
        total = balance(depot.id, item.id)
        if total < quantity:
            raise Conflict(
                _(
                    "Only %(n)d %(unit)s of %(item)s in %(depot)s.",
                    n=total,
                    unit=item.unit,
                    item=item.name,
                    depot=depot.name,
                ),
                field=field,
            )
        return [(None, quantity)]
    left = batches(depot.id, item.id)
    expired = [(e, q) for e, q in left if e is not None and e < today]
    fresh = [(e, q) for e, q in left if e is None or e >= today]
    order = fresh if usable_only else expired + fresh
    usable = sum(q for _e, q in order)
    if usable < quantity:
        raise Conflict(
            _(
                "Only %(n)d %(unit)s of %(item)s usable in %(depot)s (%(expired)d %(unit)s expired).",
                n=usable,
                unit=item.unit,
                item=item.name,
                depot=depot.name,
                expired=sum(q for _e, q in expired),
            ),
            field=field,
        )
    return allocate(order, quantity)


def _write_take(
    depot: Depot, item: Item, alloc: Allocation, kind: MovementKind, **kw: Any
) -> list[StockMovement]:
    return [_add_movement(depot.id, item, -qty, kind, batch_expiry=expiry, **kw) for expiry, qty in alloc]


def _take(
    depot: Depot,
    item: Item,
    quantity: int,
    kind: MovementKind,
    *,
    field: str,
    usable_only: bool,
    today: date | None = None,
    **kw: Any,
) -> list[StockMovement]:
    """Take ``quantity`` out of a locked depot, split by expiry batch; refuse to go below zero."""
    alloc = _allocate_take(depot, item, quantity, field=field, usable_only=usable_only, today=today)
    return _write_take(depot, item, alloc, kind, **kw)


# ---------------------------------------------------------------- stock movements


def receive(depot_id: int, data: ReceiveIn) -> StockMovement:
    """Stock arrives from a donor, a procurement or a transfer from outside."""
    item = get_item(data.item_id)
    if item.has_expiry and data.batch_expiry is None:
        raise ValidationFailed({"batch_expiry": _("%(item)s needs an expiry date", item=item.name)})
    if data.source.value == "donation" and not data.donor:
        raise ValidationFailed({"donor": _("name the donor")})
    depot = lock_depot(depot_id)
    mv = _add_movement(
        depot.id,
        item,
        data.quantity,
        MovementKind.RECEIVE,
        source=data.source,
        donor=data.donor,
        batch_expiry=data.batch_expiry if item.has_expiry else None,
        reason=data.reason,
    )
    db.session.flush()
    return mv


def adjust(depot_id: int, data: AdjustIn) -> list[StockMovement]:
    """Damaged, expired, lost or a count correction; always with a reason."""
    item = get_item(data.item_id)
    depot = lock_depot(depot_id)
    if data.quantity > 0:
        mvs = [
            _add_movement(
                depot.id,
                item,
                data.quantity,
                MovementKind.ADJUST,
                adjust_reason=data.adjust_reason,
                reason=data.reason,
            )
        ]
    else:
        mvs = _take(
            depot,
            item,
            -data.quantity,
            MovementKind.ADJUST,
            field="quantity",
            usable_only=False,
            adjust_reason=data.adjust_reason,
            reason=data.reason,
        )
    db.session.flush()
    return mvs


def transfer(data: TransferIn) -> list[StockMovement]:
    """Move stock between depots; batches (expiry dates) travel with it."""
    if data.from_depot_id == data.to_depot_id:
        raise ValidationFailed({"to_depot_id": _("choose another depot")})
    items = [get_item(line.item_id, f"lines.{i}.item_id") for i, line in enumerate(data.lines)]
    locked = {}
    for depot_id in sorted({data.from_depot_id, data.to_depot_id}):
        field = "from_depot_id" if depot_id == data.from_depot_id else "to_depot_id"
        locked[depot_id] = lock_depot(depot_id, field)
    source, target = locked[data.from_depot_id], locked[data.to_depot_id]
    allocs = [
        _allocate_take(source, item, line.quantity, field=f"lines.{i}.quantity", usable_only=True)
        for i, (line, item) in enumerate(zip(data.lines, items, strict=True))
    ]
    out: list[StockMovement] = []
    for item, alloc in zip(items, allocs, strict=True):
        taken = _write_take(
            source, item, alloc, MovementKind.TRANSFER_OUT, counterpart_depot_id=target.id, reason=data.reason
        )
        out.extend(taken)
        for mv in taken:
            out.append(
                _add_movement(
                    target.id,
                    item,
                    -mv.quantity,
                    MovementKind.TRANSFER_IN,
                    batch_expiry=mv.batch_expiry,
                    counterpart_depot_id=source.id,
                    reason=data.reason,
                )
            )
    db.session.flush()
    return out


def ledger(depot_id: int, limit: int = 200) -> list[StockMovement]:
    stmt = (
        select(StockMovement)
        .where(StockMovement.depot_id == depot_id)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class ExpiryWarning:
    depot_id: int
    item_id: int
    expiry: date
    quantity: int
    days_left: int

    @property
    def is_expired(self) -> bool:
        return self.days_left < 0


def expiry_warnings(
    depot_ids: list[int] | None = None, today: date | None = None, within_days: int = EXPIRY_WARNING_DAYS
) -> list[ExpiryWarning]:
    """Batches still in stock that expire within ``within_days`` (or already did), soonest first."""
    today = today or utcnow().date()
    stmt = (
        select(
            StockMovement.depot_id,
            StockMovement.item_id,
            StockMovement.batch_expiry,
            func.sum(StockMovement.quantity),
        )
        .where(
            StockMovement.batch_expiry.is_not(None),
            StockMovement.batch_expiry <= today + timedelta(days=within_days),
        )
        .group_by(StockMovement.depot_id, StockMovement.item_id, StockMovement.batch_expiry)
    )
    if depot_ids is not None:
        stmt = stmt.where(StockMovement.depot_id.in_(depot_ids))
    out = [
        ExpiryWarning(d, i, e, int(q), (e - today).days)
        for d, i, e, q in db.session.execute(stmt).all()
        if q and q > 0
    ]
    return sorted(out, key=lambda w: (w.expiry, w.depot_id, w.item_id))


# ---------------------------------------------------------------- distributions


def _event(
    d: Distribution, before: DistributionStatus | None, lat: float | None, lon: float | None, note: str | None
) -> None:
    db.session.add(
        DistributionEvent(
            distribution_id=d.id,
            status_from=before.value if before else None,
            status_to=d.status.value,
            at=utcnow(),
            lat=lat,
            lon=lon,
            note=note,
            **_actor_fields(),
        )
    )


def plan_distribution(data: DistributionIn) -> tuple[Distribution, list[str]]:
    """Plan a delivery; nothing leaves the depot yet. Returns it and warnings (stock short now)."""
    depot = db.session.get(Depot, data.depot_id)
    if depot is None or not depot.is_active:
        raise ValidationFailed({"depot_id": _("unknown depot")})
    shelter = db.session.get(Shelter, data.shelter_id)
    if shelter is None:
        raise ValidationFailed({"shelter_id": _("unknown shelter")})
    items = [get_item(line.item_id, f"lines.{i}.item_id") for i, line in enumerate(data.lines)]
    if data.assigned_user_id is not None:
        team = db.session.get(User, data.assigned_user_id)
        if team is None or team.role != Role.FIELD or not team.is_active:
            raise ValidationFailed({"assigned_user_id": _("only field-team users can be assigned")})
    if data.request_id is not None:
        req = db.session.get(AidRequest, data.request_id)
        if req is None or req.shelter_id != shelter.id:
            raise ValidationFailed({"request_id": _("not a request of this shelter")})
    d = Distribution(
        depot_id=depot.id,
        shelter_id=shelter.id,
        request_id=data.request_id,
        status=DistributionStatus.PLANNED,
        assigned_user_id=data.assigned_user_id,
        vehicle=data.vehicle,
        planned_at=data.planned_at,
        notes=data.notes,
        created_by=current_actor().label,
        lines=[
            DistributionLine(item_id=item.id, quantity=line.quantity)
            for line, item in zip(data.lines, items, strict=True)
        ],
    )
    db.session.add(d)
    db.session.flush()
    _event(d, None, None, None, None)
    warnings = []
    for line, item in zip(data.lines, items, strict=True):
        have = balance(depot.id, item.id)
        if have < line.quantity:
            warnings.append(
                _(
                    "%(depot)s holds %(n)d %(unit)s of %(item)s now; loading needs %(q)d.",
                    depot=depot.name,
                    n=have,
                    unit=item.unit,
                    item=item.name,
                    q=line.quantity,
                )
            )
    db.session.flush()
    return d, warnings


#: Allowed moves: target -> statuses it may come from.
TRANSITIONS: dict[DistributionStatus, tuple[DistributionStatus, ...]] = {
    DistributionStatus.LOADED: (DistributionStatus.PLANNED,),
    DistributionStatus.IN_TRANSIT: (DistributionStatus.LOADED,),
    DistributionStatus.DELIVERED: ON_THE_ROAD,
    DistributionStatus.CONFIRMED: (DistributionStatus.DELIVERED,),
    DistributionStatus.CANCELLED: (DistributionStatus.PLANNED, *ON_THE_ROAD),
}
#: What the assigned field team may do; coordinators may do everything.
FIELD_TARGETS = (DistributionStatus.LOADED, DistributionStatus.IN_TRANSIT, DistributionStatus.DELIVERED)


def _check_actor(user: User | None, d: Distribution, target: DistributionStatus) -> None:
    if user is None or is_ops(user):
        return
    if user.role == Role.FIELD and d.assigned_user_id == user.id and target in FIELD_TARGETS:
        return
    raise NotAllowed("not allowed to change this distribution")


def _check_transition(d: Distribution, target: DistributionStatus) -> None:
    if d.status == target:
        raise Conflict(_("Already %(status)s.", status=status_label(target)), field="status")
    if d.status not in TRANSITIONS[target]:
        raise Conflict(
            _(
                "A %(current)s distribution cannot become %(target)s.",
                current=status_label(d.status),
                target=status_label(target),
            ),
            field="status",
        )


def status_label(status: DistributionStatus) -> str:
    from siaga.aid.labels import DISTRIBUTION_STATUS

    return str(DISTRIBUTION_STATUS[status.value])


def change_status(distribution_id: int, data: StatusIn, user: User | None) -> tuple[Distribution, list[int]]:
    """Load (stock leaves the depot), dispatch, confirm or cancel (stock returns).

    Returns the distribution and the message delivery ids to enqueue after the commit.
    """
    d = lock_distribution(distribution_id)
    target = data.status
    _check_actor(user, d, target)
    _check_transition(d, target)
    before = d.status
    now = utcnow()
    if target == DistributionStatus.LOADED:
        depot = lock_depot(d.depot_id)
        allocs = [
            _allocate_take(depot, line.item, line.quantity, field=f"lines.{i}.quantity", usable_only=True)
            for i, line in enumerate(d.lines)
        ]
        for line, alloc in zip(d.lines, allocs, strict=True):
            _write_take(depot, line.item, alloc, MovementKind.DISTRIBUTE, distribution_id=d.id)
        d.loaded_at = now
    elif target == DistributionStatus.IN_TRANSIT:
        d.dispatched_at = now
    elif target == DistributionStatus.CONFIRMED:
        d.confirmed_at = now
    elif target == DistributionStatus.CANCELLED:
        if before in ON_THE_ROAD:
            depot = lock_depot(d.depot_id)
            taken = db.session.scalars(
                select(StockMovement).where(
                    StockMovement.distribution_id == d.id, StockMovement.kind == MovementKind.DISTRIBUTE
                )
            ).all()
            for mv in taken:
                _add_movement(
                    depot.id,
                    mv.item,
                    -mv.quantity,
                    MovementKind.RETURN,
                    batch_expiry=mv.batch_expiry,
                    distribution_id=d.id,
                    reason=data.note,
                )
        d.cancelled_at = now
    d.status = target
    _event(d, before, data.lat, data.lon, data.note)
    queued = notify_distribution(d, target.value)  # flushes it all at once when it sends
    return d, queued


def record_receipt(
    distribution_id: int, data: ReceiptIn, user: User | None
) -> tuple[Distribution, list[int]]:
    """The delivery arrived: quantities received per item, receiver, time, GPS, optional photo.

    Every loaded item must be reported; receiving more than was loaded is refused. A shortfall
    is kept as a discrepancy on the line and the distribution.
    """
    d = lock_distribution(distribution_id)
    _check_actor(user, d, DistributionStatus.DELIVERED)
    if d.status in DELIVERED_STATES:
        raise Conflict(_("This delivery was already recorded."), field="status")
    _check_transition(d, DistributionStatus.DELIVERED)
    lines = {line.item_id: line for line in d.lines}
    errors: dict[str, str] = {}
    for i, rl in enumerate(data.lines):
        line = lines.get(rl.item_id)
        if line is None:
            errors[f"lines.{i}.item_id"] = _("not an item of this delivery")
        elif rl.quantity_received > line.quantity:
            errors[f"lines.{i}.quantity_received"] = _(
                "more than was loaded (%(n)d %(unit)s)", n=line.quantity, unit=line.item.unit
            )
    reported = {rl.item_id for rl in data.lines}
    for item_id, line in lines.items():
        if item_id not in reported:
            errors.setdefault("lines", _("report every item; %(item)s is missing", item=line.item.name))
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    received_at = data.received_at or now
    if received_at > now + timedelta(minutes=10):
        raise ValidationFailed({"received_at": _("is in the future")})
    photo_file = _save_photo(d.id, data.photo) if data.photo else None
    before = d.status
    for rl in data.lines:
        lines[rl.item_id].quantity_received = rl.quantity_received
    d.has_discrepancy = any(line.shortfall for line in d.lines)
    d.status = DistributionStatus.DELIVERED
    d.delivered_at = received_at
    d.receiver_name = data.receiver_name
    d.delivered_lat, d.delivered_lon, d.delivered_accuracy_m = data.lat, data.lon, data.accuracy_m
    if photo_file:
        d.photo_file = photo_file
    _event(d, before, data.lat, data.lon, data.note)
    if d.request is not None:
        refresh_request_status(d.request)
    queued = notify_distribution(d, DistributionStatus.DELIVERED.value)  # flushes it all at once
    return d, queued


def photo_dir() -> Path:
    return Path(current_app.instance_path) / "aid-photos"


def _save_photo(distribution_id: int, data_url: str) -> str:
    """Store a ``data:image/...;base64,`` photo under the instance folder; return its file name."""
    head, sep, payload = data_url.partition(",")
    mime = head.removeprefix("data:").removesuffix(";base64")
    if not sep or not head.startswith("data:") or not head.endswith(";base64") or mime not in PHOTO_TYPES:
        raise ValidationFailed({"photo": _("must be a JPEG, PNG or WebP image")})
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed({"photo": _("must be a JPEG, PNG or WebP image")}) from None
    ext, magic = PHOTO_TYPES[mime]
    if not raw.startswith(magic):
        raise ValidationFailed({"photo": _("must be a JPEG, PNG or WebP image")})
    if len(raw) > MAX_PHOTO_BYTES:
        raise ValidationFailed({"photo": _("is larger than 3 MB")})
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{distribution_id}-{secrets.token_hex(8)}.{ext}"
    (folder / name).write_bytes(raw)
    return name


def get_distribution(distribution_id: int) -> Distribution | None:
    return db.session.get(Distribution, distribution_id)


def field_tasks(user: User) -> list[Distribution]:
    """The field team's open deliveries (not yet delivered or cancelled), soonest first."""
    stmt = (
        select(Distribution)
        .where(
            Distribution.assigned_user_id == user.id,
            Distribution.status.in_([DistributionStatus.PLANNED, *ON_THE_ROAD]),
        )
        .order_by(Distribution.planned_at, Distribution.id)
    )
    return list(db.session.scalars(stmt))


def recent_deliveries(user: User, days: int = 3) -> list[Distribution]:
    since = utcnow() - timedelta(days=days)
    stmt = (
        select(Distribution)
        .where(
            Distribution.assigned_user_id == user.id,
            Distribution.status.in_(DELIVERED_STATES),
            Distribution.delivered_at >= since,
        )
        .order_by(Distribution.delivered_at.desc())
    )
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- requests


def create_request(data: RequestIn, user: User | None) -> AidRequest:
    """A request for a shelter; ``user`` None for system callers (CLI, demo)."""
    shelter = db.session.get(Shelter, data.shelter_id)
    if shelter is None:
        raise ValidationFailed({"shelter_id": _("unknown shelter")})
    if user is not None and not can_request_for(user, shelter):
        raise NotAllowed("not allowed to request for this shelter")
    items = [get_item(line.item_id, f"lines.{i}.item_id") for i, line in enumerate(data.lines)]
    req = AidRequest(
        shelter_id=shelter.id,
        priority=data.priority,
        note=data.note,
        requested_by_id=user.id if user else None,
        requested_by=current_actor().label,
        lines=[
            AidRequestLine(item_id=it.id, quantity=line.quantity)
            for line, it in zip(data.lines, items, strict=True)
        ],
    )
    db.session.add(req)
    db.session.flush()
    return req


def request_progress(req: AidRequest) -> dict[int, int]:
    """Received per item over the request's delivered distributions."""
    got: dict[int, int] = defaultdict(int)
    for d in req.distributions:
        if d.status in DELIVERED_STATES:
            for line in d.lines:
                got[line.item_id] += line.quantity_received or 0
    return dict(got)


def refresh_request_status(req: AidRequest) -> None:
    if req.status != RequestStatus.OPEN:
        return
    got = request_progress(req)
    if all(got.get(line.item_id, 0) >= line.quantity for line in req.lines):
        req.status = RequestStatus.FILLED
        db.session.flush()


def cancel_request(req: AidRequest) -> None:
    if req.status != RequestStatus.OPEN:
        raise Conflict(_("Only open requests can be cancelled."), field="status")
    req.status = RequestStatus.CANCELLED
    db.session.flush()


def visible_requests_query(user: User, status: str | None = None) -> Any:
    stmt = select(AidRequest).order_by(AidRequest.priority.desc(), AidRequest.created_at)
    if status:
        stmt = stmt.where(AidRequest.status == RequestStatus(status))
    if is_ops(user):
        return stmt
    if user.role == Role.PARTNER:
        return stmt.where(
            AidRequest.shelter_id.in_(select(Shelter.id).where(Shelter.owner_org_id == user.organisation_id))
        )
    assigned = select(ShelterAssignment.shelter_id).where(ShelterAssignment.user_id == user.id)
    return stmt.where(or_(AidRequest.shelter_id.in_(assigned), AidRequest.requested_by_id == user.id))


# ---------------------------------------------------------------- needs against deliveries


def delivered_by_need(
    shelter_ids: list[int], since: datetime, until: datetime | None = None
) -> dict[int, dict[str, int]]:
    """Quantities received per shelter and need key, over delivered distributions in the period."""
    stmt = (
        select(Distribution.shelter_id, Item.need_key, func.sum(DistributionLine.quantity_received))
        .join(DistributionLine, DistributionLine.distribution_id == Distribution.id)
        .join(Item, Item.id == DistributionLine.item_id)
        .where(
            Distribution.shelter_id.in_(shelter_ids),
            Distribution.status.in_(DELIVERED_STATES),
            Distribution.delivered_at >= since,
            Item.need_key.is_not(None),
        )
        .group_by(Distribution.shelter_id, Item.need_key)
    )
    if until is not None:
        stmt = stmt.where(Distribution.delivered_at < until)
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for shelter_id, key, qty in db.session.execute(stmt).all():
        out[shelter_id][key] = int(qty or 0)
    return out


@dataclass(frozen=True)
class ShelterNeeds:
    shelter: Shelter
    result: needs_calc.NeedsResult
    coverage: list[needs_calc.Coverage]
    worst: float | None
    band: str
    since: datetime


def population_of(shelter: Shelter) -> needs_calc.Population:
    return needs_calc.Population.from_counts(
        {
            "occupants": shelter.occupants,
            "male": shelter.male,
            "female": shelter.female,
            "pregnant_lactating": shelter.pregnant_lactating,
            "under5": shelter.under5,
            "over60": shelter.over60,
            "disabled": shelter.disabled,
        }
    )


def shelters_needs(
    shelters: list[Shelter], profile_key: str | None = None, days: int = 7, now: datetime | None = None
) -> list[ShelterNeeds]:
    """Needs for ``days`` days from each shelter's occupancy, against what arrived in those days."""
    profile = needs_calc.get_profile(profile_key)
    now = now or utcnow()
    since = now - timedelta(days=days)
    got = delivered_by_need([s.id for s in shelters], since) if shelters else {}
    out = []
    for s in shelters:
        result = needs_calc.compute_needs(population_of(s), profile, days)
        rows = needs_calc.coverage(result, got.get(s.id, {}))
        worst = needs_calc.worst_coverage(rows)
        out.append(ShelterNeeds(s, result, rows, worst, needs_calc.band(worst), since))
    return out


def shelter_needs(shelter: Shelter, profile_key: str | None = None, days: int = 7) -> ShelterNeeds:
    return shelters_needs([shelter], profile_key, days)[0]


def occupied_shelters(region: str | None = None, owner_org_id: int | None = None) -> list[Shelter]:
    stmt = select(Shelter).where(Shelter.occupants > 0).order_by(Shelter.name)
    if region:
        stmt = stmt.where(or_(Shelter.region_code == region, Shelter.region_code.startswith(region + ".")))
    if owner_org_id:
        stmt = stmt.where(Shelter.owner_org_id == owner_org_id)
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- transparency


@dataclass(frozen=True)
class DeliveredTotal:
    region_code: str
    item_name: str
    unit: str
    quantity: int
    deliveries: int


def delivered_totals(region: str | None, since: datetime) -> list[DeliveredTotal]:
    """Quantities received per district (kecamatan) and item: aggregates only, no names of people."""
    district = func.substr(Shelter.region_code, 1, 8)
    stmt = (
        select(
            district,
            Item.name,
            Item.unit,
            func.sum(DistributionLine.quantity_received),
            func.count(func.distinct(Distribution.id)),
        )
        .join(Distribution, Distribution.shelter_id == Shelter.id)
        .join(DistributionLine, DistributionLine.distribution_id == Distribution.id)
        .join(Item, Item.id == DistributionLine.item_id)
        .where(Distribution.status.in_(DELIVERED_STATES), Distribution.delivered_at >= since)
        .group_by(district, Item.name, Item.unit)
        .order_by(district, Item.name)
    )
    if region:
        stmt = stmt.where(or_(Shelter.region_code == region, Shelter.region_code.startswith(region + ".")))
    return [
        DeliveredTotal(r, n, u, int(q or 0), int(c)) for r, n, u, q, c in db.session.execute(stmt).all() if q
    ]
