"""Process heartbeats: proof that the Celery worker and beat are alive."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from siaga.extensions import db


class Heartbeat(db.Model):  # type: ignore[name-defined]
    """One row per source (``beat``): the last time beat scheduled and a worker ran it."""

    __tablename__ = "heartbeats"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    worker_at: Mapped[datetime]
    hostname: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(default=0)
