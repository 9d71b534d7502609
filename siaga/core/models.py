"""Process heartbeats (proof that the Celery worker and beat are alive) and idempotency records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siaga.db import utcnow
from siaga.extensions import db


class Heartbeat(db.Model):  # type: ignore[name-defined]
    """One row per source (``beat``): the last time beat scheduled and a worker ran it."""

    __tablename__ = "heartbeats"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    worker_at: Mapped[datetime]
    hostname: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(default=0)


class IdempotencyRecord(db.Model):  # type: ignore[name-defined]
    """The stored answer to an API write, replayed when the same key comes again."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of method, path and body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
