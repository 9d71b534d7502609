"""Kemendagri administrative regions (``PP.KK.CC.VVVV``)."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siaga.extensions import db


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    REGENCY = "regency"
    DISTRICT = "district"
    VILLAGE = "village"


class Region(db.Model):  # type: ignore[name-defined]
    __tablename__ = "regions"

    #: Dotted Kemendagri code: 16, 16.06, 16.06.01, 16.06.01.2001.
    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[RegionLevel] = mapped_column(
        Enum(
            RegionLevel,
            name="region_level",
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    #: GeoJSON geometry (lon, lat), simplified; None for provinces.
    geometry: Mapped[str | None] = mapped_column(Text, deferred=True)

    @property
    def regency_code(self) -> str:
        return ".".join(self.code.split(".")[:2])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
