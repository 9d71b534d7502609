"""Input schemas for shelters, evacuation points and occupancy events (pydantic).

Used by the web forms, the JSON API (and its OpenAPI document) and CSV/GeoJSON imports.
Blank strings from forms and CSV cells count as "not given".
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from siaga.registry.models import OccupancyKind, PointKind, PointStatus, ShelterStatus, ShelterType

#: Indonesia's extent; coordinates outside get a warning, not an error.
INDONESIA_LAT = (-11.0, 6.0)
INDONESIA_LON = (94.0, 142.0)
REGION_CODE = re.compile(r"^[0-9]{2}\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?$")
SHELTER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def _blank_to_none(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def _required(v: Any) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        raise PydanticCustomError("missing", "Field required")
    return v


def _blank_to_zero(v: Any) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        return 0
    return v


def _bool(v: Any) -> Any:
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("", "0", "false", "no", "tidak", "off", "n"):
            return False
        if s in ("1", "true", "yes", "ya", "on", "y"):
            return True
    return False if v is None else v


OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
Flag = Annotated[bool, BeforeValidator(_bool)]
Count = Annotated[int, Field(ge=0, le=1_000_000), BeforeValidator(_blank_to_zero)]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)


class Located(_Base):
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), BeforeValidator(_required)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), BeforeValidator(_required)]
    region_code: OptStr = Field(
        default=None, max_length=13, description="Kemendagri code; found from lat/lon if blank"
    )

    @field_validator("region_code")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        if v is not None and not REGION_CODE.match(v):
            raise ValueError(_l("must look like PP.KK.CC or PP.KK.CC.VVVV"))
        return v

    def outside_indonesia(self) -> bool:
        return not (
            INDONESIA_LAT[0] <= self.lat <= INDONESIA_LAT[1]
            and INDONESIA_LON[0] <= self.lon <= INDONESIA_LON[1]
        )


class PointIn(Located):
    code: OptStr = Field(default=None, max_length=40)
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: PointKind
    capacity: Count = 0
    address: OptStr = Field(default=None, max_length=300)
    status: PointStatus = PointStatus.ACTIVE
    notes: OptStr = Field(default=None, max_length=5000)
    owner_org_id: Annotated[int | None, Field(default=None, ge=1, le=2_147_483_647)]


class ShelterIn(Located):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: ShelterType
    owner_org_id: Annotated[int | None, Field(default=None, ge=1, le=2_147_483_647)]
    manager_name: OptStr = Field(default=None, max_length=200)
    manager_phone: OptStr = Field(default=None, max_length=30)
    address: OptStr = Field(default=None, max_length=300)
    capacity: Count = 0
    floor_area_m2: Annotated[
        float | None, Field(default=None, ge=0, le=10_000_000), BeforeValidator(_blank_to_none)
    ]
    status: ShelterStatus = ShelterStatus.STANDBY
    notes: OptStr = Field(default=None, max_length=5000)
    water_points: Count = 0
    toilets: Count = 0
    accessible_toilets: Count = 0
    has_kitchen: Flag = False
    has_health_post: Flag = False
    has_power: Flag = False
    allows_pets: Flag = False

    @field_validator("accessible_toilets")
    @classmethod
    def _accessible_within_toilets(cls, v: int, info: ValidationInfo) -> int:
        toilets = info.data.get("toilets")
        if toilets is not None and v > toilets:
            raise ValueError(_l("cannot exceed the number of toilets"))
        return v

    @field_validator("code")
    @classmethod
    def _code_chars(cls, v: str) -> str:
        if not SHELTER_CODE.match(v):
            raise ValueError(_l("letters, digits, dot, dash or underscore only"))
        return v

    @field_validator("manager_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[+0-9 ()./-]{6,30}", v):
            raise ValueError(_l("not a phone number"))
        return v


class ShelterPatch(_Base):
    """Partial update: only the given fields change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str | None, Field(default=None, min_length=1, max_length=200)]
    type: ShelterType | None = None
    manager_name: OptStr = Field(default=None, max_length=200)
    manager_phone: OptStr = Field(default=None, max_length=30)
    address: OptStr = Field(default=None, max_length=300)
    capacity: Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]
    floor_area_m2: Annotated[float | None, Field(default=None, ge=0, le=10_000_000)]
    status: ShelterStatus | None = None
    notes: OptStr = Field(default=None, max_length=5000)
    lat: Annotated[float | None, Field(default=None, ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float | None, Field(default=None, ge=-180, le=180, allow_inf_nan=False)]
    water_points: Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]
    toilets: Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]
    accessible_toilets: Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]
    has_kitchen: bool | None = None
    has_health_post: bool | None = None
    has_power: bool | None = None
    allows_pets: bool | None = None


class PointPatch(_Base):
    name: Annotated[str | None, Field(default=None, min_length=1, max_length=200)]
    kind: PointKind | None = None
    capacity: Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]
    address: OptStr = Field(default=None, max_length=300)
    status: PointStatus | None = None
    notes: OptStr = Field(default=None, max_length=5000)
    lat: Annotated[float | None, Field(default=None, ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float | None, Field(default=None, ge=-180, le=180, allow_inf_nan=False)]


_People = Annotated[int, Field(default=0, ge=0, le=100_000), BeforeValidator(_blank_to_zero)]


class OccupancyIn(_Base):
    """A check-in (+people), check-out (−people) or a correction to absolute figures.

    For check-in/out the breakdown fields are the change; for a correction, the new figures.
    """

    kind: OccupancyKind
    #: People checking in or out; for a correction, the new total.
    people: Annotated[int, Field(ge=0, le=100_000), BeforeValidator(_required)]
    male: _People
    female: _People
    under5: _People
    over60: _People
    pregnant_lactating: _People
    disabled: _People
    families: _People
    overflow: Flag = False
    reason: OptStr = Field(default=None, max_length=300, validate_default=True)

    @field_validator("people")
    @classmethod
    def _at_least_one(cls, v: int, info: ValidationInfo) -> int:
        if info.data.get("kind") in (OccupancyKind.CHECK_IN, OccupancyKind.CHECK_OUT) and v < 1:
            raise ValueError(_l("must be at least 1"))
        return v

    @field_validator("male", "female", "under5", "over60", "pregnant_lactating", "disabled", "families")
    @classmethod
    def _within_people(cls, v: int, info: ValidationInfo) -> int:
        people = info.data.get("people")
        if people is not None and v > people:
            raise ValueError(_l("cannot exceed the number of people"))
        if info.field_name == "female" and people is not None and v + info.data.get("male", 0) > people:
            raise ValueError(_l("male + female cannot exceed the number of people"))
        return v

    @field_validator("reason")
    @classmethod
    def _reason_for_correction(cls, v: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") == OccupancyKind.CORRECTION and not v:
            raise ValueError(_l("a correction needs a reason"))
        return v


class NearestQuery(_Base):
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    k: Annotated[int, Field(default=5, ge=1, le=50)]
    min_free: Annotated[int, Field(default=1, ge=0, le=100_000)]
