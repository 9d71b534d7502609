"""Aid logistics models: items, depots, the stock ledger, distributions and requests.

Stock is a ledger: :class:`StockMovement` rows are append-only and balances are their
sum per depot and item. Quantities are whole units of the item's unit (kg, L, pieces):
nobody hands out 0.3 kg, and integers keep sums exact on every backend. Writes that take
stock out lock the depot row first (``depots.version``), so two teams cannot both take the
last sacks; see :func:`siaga.aid.services.lock_depot`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga.accounts.models import Organisation, User
from siaga.db import TimestampMixin, utcnow
from siaga.extensions import db
from siaga.registry.models import Shelter


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ItemCategory(enum.StrEnum):
    FOOD = "food"
    WATER = "water"
    SHELTER = "shelter"
    HYGIENE = "hygiene"
    HEALTH = "health"
    HOUSEHOLD = "household"


class DepotKind(enum.StrEnum):
    WAREHOUSE = "warehouse"  #: gudang
    LOGISTICS_POST = "logistics_post"  #: posko logistik


class MovementKind(enum.StrEnum):
    RECEIVE = "receive"  #: + from a donor, a procurement or an outside transfer
    TRANSFER_OUT = "transfer_out"  #: − to another depot
    TRANSFER_IN = "transfer_in"  #: + from another depot
    DISTRIBUTE = "distribute"  #: − loaded for a distribution to a shelter
    RETURN = "return"  #: + a cancelled distribution's stock back in the depot
    ADJUST = "adjust"  #: ± damaged, expired, lost, count correction


class ReceiveSource(enum.StrEnum):
    DONATION = "donation"
    PROCUREMENT = "procurement"
    TRANSFER = "transfer"  #: from outside the system (e.g. the province's warehouse)


class AdjustReason(enum.StrEnum):
    DAMAGED = "damaged"
    EXPIRED = "expired"
    LOST = "lost"
    COUNT_CORRECTION = "count_correction"


class DistributionStatus(enum.StrEnum):
    PLANNED = "planned"
    LOADED = "loaded"  #: stock has left the depot
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class RequestPriority(enum.IntEnum):
    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"


class Item(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """One kind of aid in the catalogue, counted in ``unit``."""

    __tablename__ = "aid_items"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: kg, L, pcs, pack, box, sheet ... (whole units only)
    unit: Mapped[str] = mapped_column(String(20))
    category: Mapped[ItemCategory] = mapped_column(_enum(ItemCategory, "aid_item_category"))
    #: Which minimum need (siaga.aid.needs) deliveries of this item count towards, if any.
    need_key: Mapped[str | None] = mapped_column(String(40), index=True)
    #: Food and medicine: receipts carry an expiry date.
    has_expiry: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class Depot(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "aid_depots"
    __audited__ = True
    __audit_exclude__ = frozenset({"version"})

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DepotKind] = mapped_column(_enum(DepotKind, "aid_depot_kind"))
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Bumped as the first statement of every stock write: the row lock that serialises them.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[str | None] = mapped_column(String(254))

    owner: Mapped[Organisation] = relationship(lazy="joined")


class StockMovement(db.Model):  # type: ignore[name-defined]
    """One change of stock. Append-only: balances are the sum of these per depot and item."""

    __tablename__ = "aid_stock_movements"
    __table_args__ = (
        Index("ix_aid_stock_movements_depot_item", "depot_id", "item_id"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("aid_depots.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id"), index=True)
    #: Signed: positive into the depot, negative out of it.
    quantity: Mapped[int] = mapped_column(Integer)
    kind: Mapped[MovementKind] = mapped_column(_enum(MovementKind, "aid_movement_kind"))
    source: Mapped[ReceiveSource | None] = mapped_column(_enum(ReceiveSource, "aid_receive_source"))
    adjust_reason: Mapped[AdjustReason | None] = mapped_column(_enum(AdjustReason, "aid_adjust_reason"))
    #: Free text: why (required for adjustments), the donor's letter number, ...
    reason: Mapped[str | None] = mapped_column(String(300))
    donor: Mapped[str | None] = mapped_column(String(200))
    #: Expiry date of the received batch (food, medicine).
    batch_expiry: Mapped[date | None] = mapped_column(Date)
    #: The other depot of a transfer.
    counterpart_depot_id: Mapped[int | None] = mapped_column(ForeignKey("aid_depots.id"))
    distribution_id: Mapped[int | None] = mapped_column(ForeignKey("aid_distributions.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    via: Mapped[str] = mapped_column(String(10))

    item: Mapped[Item] = relationship(lazy="joined")
    depot: Mapped[Depot] = relationship(foreign_keys=[depot_id])


class AidRequest(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """A request (permintaan) from a shelter manager or a field team."""

    __tablename__ = "aid_requests"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=RequestPriority.NORMAL)
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, "aid_request_status"), default=RequestStatus.OPEN, index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(254))

    shelter: Mapped[Shelter] = relationship(lazy="joined")
    lines: Mapped[list[AidRequestLine]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AidRequestLine.id"
    )
    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="request", order_by="Distribution.id"
    )


class AidRequestLine(db.Model):  # type: ignore[name-defined]
    __tablename__ = "aid_request_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "item_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("aid_requests.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    request: Mapped[AidRequest] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")


class Distribution(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """A delivery from a depot to a shelter: planned → loaded → in transit → delivered → confirmed."""

    __tablename__ = "aid_distributions"
    __audited__ = True
    __audit_exclude__ = frozenset({"version"})

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("aid_depots.id"), index=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("aid_requests.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[DistributionStatus] = mapped_column(
        _enum(DistributionStatus, "aid_distribution_status"), default=DistributionStatus.PLANNED, index=True
    )
    #: The field-team user who carries it out.
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    vehicle: Mapped[str | None] = mapped_column(String(100))
    planned_at: Mapped[datetime]
    loaded_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    receiver_name: Mapped[str | None] = mapped_column(String(200))
    #: The phone's GPS position when the delivery was recorded.
    delivered_lat: Mapped[float | None] = mapped_column(Float)
    delivered_lon: Mapped[float | None] = mapped_column(Float)
    delivered_accuracy_m: Mapped[float | None] = mapped_column(Float)
    #: File name under the instance folder's ``aid-photos/``.
    photo_file: Mapped[str | None] = mapped_column(String(100))
    #: Some item arrived short (received < sent).
    has_discrepancy: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(254))
    #: Bumped as the first statement of every status change: the row lock.
    version: Mapped[int] = mapped_column(Integer, default=0)

    depot: Mapped[Depot] = relationship(lazy="joined")
    shelter: Mapped[Shelter] = relationship(lazy="joined")
    assigned_user: Mapped[User | None] = relationship(lazy="joined")
    request: Mapped[AidRequest | None] = relationship(back_populates="distributions")
    lines: Mapped[list[DistributionLine]] = relationship(
        back_populates="distribution", cascade="all, delete-orphan", order_by="DistributionLine.id"
    )
    events: Mapped[list[DistributionEvent]] = relationship(
        back_populates="distribution", cascade="all, delete-orphan", order_by="DistributionEvent.id"
    )

    @property
    def code(self) -> str:
        return f"DST-{self.id:05d}"


class DistributionLine(db.Model):  # type: ignore[name-defined]
    __tablename__ = "aid_distribution_lines"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("distribution_id", "item_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("quantity_received >= 0", name="received_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("aid_distributions.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("aid_items.id"), index=True)
    #: Planned, and once loaded the quantity that left the depot.
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_received: Mapped[int | None] = mapped_column(Integer)

    distribution: Mapped[Distribution] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")

    @property
    def shortfall(self) -> int:
        if self.quantity_received is None:
            return 0
        return max(self.quantity - self.quantity_received, 0)


class DistributionEvent(db.Model):  # type: ignore[name-defined]
    """A status change of a distribution: who, when, where (GPS when the phone gave one)."""

    __tablename__ = "aid_distribution_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("aid_distributions.id", ondelete="CASCADE"), index=True
    )
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    via: Mapped[str] = mapped_column(String(10))

    distribution: Mapped[Distribution] = relationship(back_populates="events")
