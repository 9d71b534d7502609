"""Registry models: evacuation points, shelters, occupancy events, idempotency keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
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

from siaga.accounts.models import Organisation
from siaga.db import TimestampMixin, utcnow
from siaga.extensions import db


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class PointKind(enum.StrEnum):
    ASSEMBLY = "assembly"  #: titik kumpul
    TES = "tes"  #: tempat evakuasi sementara (tsunami, vertical)
    HELIPAD = "helipad"
    OTHER = "other"


class PointStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DAMAGED = "damaged"


class ShelterType(enum.StrEnum):
    SCHOOL = "school"
    WORSHIP = "worship"
    GOVERNMENT = "government"
    SPORTS_HALL = "sports_hall"
    TENT_CAMP = "tent_camp"
    OTHER = "other"


class ShelterStatus(enum.StrEnum):
    STANDBY = "standby"
    OPEN = "open"
    FULL = "full"
    CLOSED = "closed"


class OccupancyKind(enum.StrEnum):
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    CORRECTION = "correction"


#: The occupancy breakdown fields, in display order (all counts of people except families).
BREAKDOWN = ("male", "female", "under5", "over60", "pregnant_lactating", "disabled", "families")


class EvacuationPoint(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "evacuation_points"
    __audited__ = True
    __table_args__ = (
        Index("ix_evacuation_points_lat_lon", "lat", "lon"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Optional external/stable code for imports (upsert key).
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PointKind] = mapped_column(_enum(PointKind, "point_kind"), index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[PointStatus] = mapped_column(
        _enum(PointStatus, "point_status"), default=PointStatus.ACTIVE
    )
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(254))

    owner: Mapped[Organisation] = relationship(lazy="joined")


class Shelter(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "shelters"
    __audited__ = True
    __audit_exclude__ = frozenset({"version"})
    __table_args__ = (
        Index("ix_shelters_lat_lon", "lat", "lon"),
        Index("ix_shelters_status_lat_lon", "status", "lat", "lon"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("occupants >= 0", name="occupants_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[ShelterType] = mapped_column(_enum(ShelterType, "shelter_type"))
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    manager_name: Mapped[str | None] = mapped_column(String(200))
    manager_phone: Mapped[str | None] = mapped_column(String(30))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    #: Covered floor area in m², for the Sphere hint (3.5 m² per person).
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    status: Mapped[ShelterStatus] = mapped_column(
        _enum(ShelterStatus, "shelter_status"), default=ShelterStatus.STANDBY
    )
    notes: Mapped[str | None] = mapped_column(Text)
    # Facilities
    water_points: Mapped[int] = mapped_column(Integer, default=0)
    toilets: Mapped[int] = mapped_column(Integer, default=0)
    accessible_toilets: Mapped[int] = mapped_column(Integer, default=0)
    has_kitchen: Mapped[bool] = mapped_column(default=False)
    has_health_post: Mapped[bool] = mapped_column(default=False)
    has_power: Mapped[bool] = mapped_column(default=False)
    allows_pets: Mapped[bool] = mapped_column(default=False)
    # Occupancy: derived from OccupancyEvent rows, cached here and updated atomically with them.
    occupants: Mapped[int] = mapped_column(Integer, default=0)
    male: Mapped[int] = mapped_column(Integer, default=0)
    female: Mapped[int] = mapped_column(Integer, default=0)
    under5: Mapped[int] = mapped_column(Integer, default=0)
    over60: Mapped[int] = mapped_column(Integer, default=0)
    pregnant_lactating: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    families: Mapped[int] = mapped_column(Integer, default=0)
    occupancy_updated_at: Mapped[datetime | None]
    occupancy_updated_by: Mapped[str | None] = mapped_column(String(254))
    #: Bumped by every occupancy write; the first statement of the write, so it takes the row lock.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[str | None] = mapped_column(String(254))

    owner: Mapped[Organisation] = relationship(lazy="joined")
    events: Mapped[list[OccupancyEvent]] = relationship(
        back_populates="shelter",
        order_by="OccupancyEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.occupants, 0)

    @property
    def occupancy_ratio(self) -> float | None:
        return self.occupants / self.capacity if self.capacity else None

    @property
    def sphere_capacity(self) -> int | None:
        """People the covered area holds at Sphere's 3.5 m² per person."""
        return int(self.floor_area_m2 // 3.5) if self.floor_area_m2 else None


class OccupancyEvent(db.Model):  # type: ignore[name-defined]
    """One check-in, check-out or correction. Append-only: the shelter's totals derive from these."""

    __tablename__ = "occupancy_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OccupancyKind] = mapped_column(_enum(OccupancyKind, "occupancy_kind"))
    #: Change in people (negative for check-out; for a correction, new total − old total).
    delta: Mapped[int] = mapped_column(Integer)
    #: Change per breakdown field, e.g. {"male": 2, "under5": 1}.
    delta_breakdown: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: Totals after the event (the history chart reads these).
    occupants_after: Mapped[int] = mapped_column(Integer)
    is_overflow: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    via: Mapped[str] = mapped_column(String(10))

    shelter: Mapped[Shelter] = relationship(back_populates="events")


class ShelterAssignment(db.Model):  # type: ignore[name-defined]
    """A field-team user assigned to a shelter: they may update its occupancy."""

    __tablename__ = "shelter_assignments"
    __audited__ = True
    __table_args__ = (UniqueConstraint("shelter_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlaceVersion(db.Model):  # type: ignore[name-defined]
    """One row whose ``token`` changes whenever the place catalogue changes.

    Database triggers (migration ``7d1f0c2b9a44``) give it a new random token on every insert
    or delete of a shelter, evacuation point or region, and on every update of a column the
    hazard impact's per-process place cache holds (name, position, region; a point's status;
    a region's level and centroid). Occupancy is not among them: it is read fresh. A random
    token, not a counter, so that a rolled-back change can never bring back a token that a
    cache filled inside that transaction still holds.
    """

    __tablename__ = "place_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40))
