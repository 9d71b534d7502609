"""Hazard events from BMKG feeds, their revisions and impact, and each feed's health."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga.db import utcnow
from siaga.extensions import db


class HazardKind(enum.StrEnum):
    EARTHQUAKE = "earthquake"
    TSUNAMI = "tsunami"
    WEATHER = "weather"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class HazardEvent(db.Model):  # type: ignore[name-defined]
    """One real-world hazard (one quake even when several feeds report it)."""

    __tablename__ = "hazard_events"
    __table_args__ = (
        # An exercise never shares an event with a real report, even under the same identifier.
        UniqueConstraint("kind", "identifier", "is_exercise"),
        Index("ix_hazard_events_kind_origin", "kind", "origin_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HazardKind] = mapped_column(_enum(HazardKind, "hazard_kind"))
    #: The feed's own identifier (InaTEWS eventid, CAP identifier, BMKG shakemap id) when given.
    identifier: Mapped[str | None] = mapped_column(String(120))
    #: Exercise (status "TES" / CAP "Exercise"): stored, shown, never dispatched for real.
    is_exercise: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(300))
    origin_time: Mapped[datetime | None] = mapped_column(index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    depth_km: Mapped[float | None] = mapped_column(Float)
    magnitude: Mapped[float | None] = mapped_column(Float)
    region_text: Mapped[str | None] = mapped_column(String(300))
    felt_text: Mapped[str | None] = mapped_column(Text)
    potential_text: Mapped[str | None] = mapped_column(String(300))
    #: Tsunami message type (PD-1 … PD-4) and highest level (AWAS, SIAGA, WASPADA).
    message_type: Mapped[str | None] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(10))
    #: Tsunami warning zones [{"province", "district", "level", ...}] or weather areas.
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Weather warning polygons as [[[lat, lon], ...], ...].
    polygons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    headline: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    cap_severity: Mapped[str | None] = mapped_column(String(20))
    effective_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    is_ended: Mapped[bool] = mapped_column(default=False)
    #: Our severity inside the area of responsibility, 0 none … 4 extreme (drives alerts).
    severity: Mapped[int] = mapped_column(Integer, default=0)
    #: Highest estimated MMI at our shelters/points/districts (quakes).
    max_mmi: Mapped[float | None] = mapped_column(Float)
    affected_count: Mapped[int] = mapped_column(Integer, default=0)
    people_affected: Mapped[int] = mapped_column(Integer, default=0)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def tsunami_potential(self) -> bool | None:
        """A quake's tsunami potential as BMKG's Potensi text states it: True ("berpotensi
        tsunami"), False ("tidak berpotensi tsunami"), None when it says nothing (felt-quake
        information, no text, any other hazard)."""
        from siaga.hazards.bmkg import tsunami_potential

        return tsunami_potential(self.potential_text) if self.kind == HazardKind.EARTHQUAKE else None

    revisions: Mapped[list[HazardRevision]] = relationship(
        back_populates="event", order_by="HazardRevision.id", cascade="all, delete-orphan"
    )
    impacts: Mapped[list[EventImpact]] = relationship(
        cascade="all, delete-orphan", order_by="EventImpact.rank"
    )


class HazardRevision(db.Model):  # type: ignore[name-defined]
    """Each report that created or changed an event: what came, from where, what changed."""

    __tablename__ = "hazard_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("hazard_events.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: SHA-256 of the normalised report: the same report twice changes nothing.
    report_hash: Mapped[str] = mapped_column(String(64), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The report as read from the feed (every field the parser took from BMKG's payload),
    #: shown on the event page for after-action review.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The item as BMKG sent it (JSON object, XML element or whole message), for the same review.
    payload: Mapped[str | None] = mapped_column(Text)

    event: Mapped[HazardEvent] = relationship(back_populates="revisions")


class EventImpact(db.Model):  # type: ignore[name-defined]
    """One place an event reaches: a shelter, an evacuation point or a district."""

    __tablename__ = "event_impacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("hazard_events.id", ondelete="CASCADE"), index=True)
    #: shelter, point or district
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(13))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    #: Estimated MMI (quakes) or None.
    mmi: Mapped[float | None] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float)
    #: AWAS/SIAGA/WASPADA (tsunami) or the CAP severity (weather).
    level: Mapped[str | None] = mapped_column(String(20))
    people: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[int] = mapped_column(Integer, default=0)


class FeedState(db.Model):  # type: ignore[name-defined]
    """Health and conditional-GET state of one BMKG feed."""

    __tablename__ = "feed_states"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    #: The first poll: a feed that never answered counts as silent from then.
    first_checked_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_new_item_at: Mapped[datetime | None]
    #: SHA-256 of the last body: an unchanged body is not parsed again.
    last_body_hash: Mapped[str | None] = mapped_column(String(64))
    #: When coordinators were last told the feed is down (one notice per outage).
    notice_sent_at: Mapped[datetime | None]
