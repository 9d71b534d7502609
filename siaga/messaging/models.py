"""Messaging: recipients, groups, subscriptions, messages and one delivery per (message, recipient, channel)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siaga.accounts.models import Organisation, User
from siaga.db import TimestampMixin, utcnow
from siaga.extensions import db

#: Channel names; "inapp" is the in-app inbox of a contact linked to a user.
CHANNELS = ("whatsapp", "telegram", "sms", "email", "webhook", "inapp")


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class GroupKind(enum.StrEnum):
    ORGANISATION = "organisation"
    ROLE = "role"
    REGION = "region"
    MANUAL = "manual"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"


class Contact(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """A person or endpoint to reach: a user, or an external contact (e.g. a BPBD duty officer)."""

    __tablename__ = "contacts"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    function: Mapped[str | None] = mapped_column(String(200))
    #: Normalised 628… number, for WhatsApp and SMS.
    phone: Mapped[str | None] = mapped_column(String(20))
    telegram_chat_id: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    #: Channels in order of preference, e.g. ["whatsapp", "sms", "email"].
    channel_order: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Set when the contact is a user of the app (in-app inbox, role groups).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(lazy="joined")

    def address_for(self, channel: str) -> str | None:
        return {
            "whatsapp": self.phone,
            "sms": self.phone,
            "telegram": self.telegram_chat_id,
            "email": self.email,
            "webhook": self.webhook_url,
            "inapp": str(self.user_id) if self.user_id else None,
        }.get(channel)

    def usable_channels(self) -> list[str]:
        order = [c for c in (self.channel_order or []) if c in CHANNELS]
        if self.user_id and "inapp" not in order:
            order.append("inapp")
        return [c for c in order if self.address_for(c)]


class Group(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "contact_groups"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[GroupKind] = mapped_column(_enum(GroupKind, "group_kind"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str | None] = mapped_column(String(20))
    #: Kemendagri code prefix: contacts of organisations covering this region.
    region_code: Mapped[str | None] = mapped_column(String(13))

    members: Mapped[list[GroupMember]] = relationship(cascade="all, delete-orphan")


class GroupMember(db.Model):  # type: ignore[name-defined]
    __tablename__ = "contact_group_members"
    __table_args__ = (UniqueConstraint("group_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)


class Subscription(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """Region × hazard kind × minimum severity → group, e.g. BPBD Muba gets quakes felt at MMI ≥ V in 16.06."""

    __tablename__ = "subscriptions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(13))
    #: earthquake, tsunami, weather or any
    hazard_kind: Mapped[str] = mapped_column(String(20))
    #: 1 minor … 4 extreme (for quakes: 2 = MMI V, 3 = VI, 4 = VII+)
    min_severity: Mapped[int] = mapped_column(Integer, default=2)
    group_id: Mapped[int] = mapped_column(ForeignKey("contact_groups.id", ondelete="CASCADE"))

    group: Mapped[Group] = relationship(lazy="joined")


class Message(db.Model):  # type: ignore[name-defined]
    __tablename__ = "messages"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Template name (earthquake, tsunami, weather, shelter_full, ..., broadcast).
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body_id: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    #: 1 minor … 4 extreme; drives the acknowledgement deadline.
    severity: Mapped[int] = mapped_column(Integer, default=1)
    requires_ack: Mapped[bool] = mapped_column(default=True)
    #: Where the message came from, e.g. {"hazard_event_id": 3} or {"distribution_id": 9}.
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Unique key of the thing that caused it, so a cause produces one message (e.g. "hazard:3:sev:3").
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    is_exercise: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="message", order_by="Delivery.id")


class Delivery(db.Model):  # type: ignore[name-defined]
    """One (message, recipient, channel). The unique key is what makes a send happen at most once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "contact_id", "channel"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(500))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    #: link, inbox or reply
    ack_via: Mapped[str | None] = mapped_column(String(20))
    #: A short in-app reply from the recipient.
    reply_text: Mapped[str | None] = mapped_column(String(1000))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: Set when this delivery replaced an earlier one that failed or went unacknowledged.
    escalated_from_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    message: Mapped[Message] = relationship(back_populates="deliveries")
    contact: Mapped[Contact] = relationship(lazy="joined")
