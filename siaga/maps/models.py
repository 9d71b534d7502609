"""Read-only share links for the operational map (partners, embeds)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga.db import utcnow
from siaga.extensions import db


class MapShare(db.Model):  # type: ignore[name-defined]
    __tablename__ = "map_shares"
    __audited__ = True
    __audit_exclude__ = frozenset({"token"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL-safe random token; the link is /share/<token>.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    #: Layer ids shown, e.g. ["shelters", "points", "hazards"].
    layers: Mapped[list[str]] = mapped_column(JSON)
    #: Optional Kemendagri code the view is limited to and centred on.
    region_code: Mapped[str | None] = mapped_column(String(13))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def is_valid(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
