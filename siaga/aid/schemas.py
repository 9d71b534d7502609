"""Input schemas for aid logistics (pydantic): the web forms and the JSON API share them.

Quantities are whole, positive numbers of the item's unit; anything else (negative,
zero, fractional, text) is refused with a field error before a service runs.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from siaga.aid.models import AdjustReason, DepotKind, DistributionStatus, ItemCategory, ReceiveSource
from siaga.registry.schemas import Located, _blank_to_none, _required

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_QTY = 10_000_000


def _strict_int(v: Any) -> Any:
    """Whole numbers only: "12" and 12 pass; 12.5, "12,5", true and "" do not."""
    if isinstance(v, bool):
        raise ValueError(_("must be a whole number"))
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError(_("must be a whole number"))
        return int(v)
    if isinstance(v, str):
        s = v.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", s):
            raise ValueError(_("must be a whole number"))
        return int(s)
    return v


def _aware_time(v: datetime) -> datetime:
    """A time with a zone offset, in a sane range (far years would overflow when made UTC)."""
    if v.tzinfo is None:
        raise ValueError(_("needs a time zone offset, e.g. 2026-11-23T14:00:00+07:00"))
    if not 2000 <= v.year <= 2100:
        raise ValueError(_("must be between the years 2000 and 2100"))
    return v


def _sane_date(v: date | None) -> date | None:
    if v is not None and not 2000 <= v.year <= 2100:
        raise ValueError(_("must be between the years 2000 and 2100"))
    return v


OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QTY), BeforeValidator(_strict_int), BeforeValidator(_required)]
SignedQuantity = Annotated[
    int, Field(ge=-MAX_QTY, le=MAX_QTY), BeforeValidator(_strict_int), BeforeValidator(_required)
]
Id = Annotated[int, Field(ge=1, le=2_147_483_647), BeforeValidator(_strict_int), BeforeValidator(_required)]
OptId = Annotated[Annotated[int, Field(ge=1, le=2_147_483_647)] | None, BeforeValidator(_blank_to_none)]
Lat = Annotated[
    Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)] | None, BeforeValidator(_blank_to_none)
]
Lon = Annotated[
    Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)] | None, BeforeValidator(_blank_to_none)
]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemIn(_Base):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    category: ItemCategory
    need_key: OptStr = Field(default=None, max_length=40)
    has_expiry: bool = False

    @field_validator("code")
    @classmethod
    def _code_chars(cls, v: str) -> str:
        if not CODE.match(v):
            raise ValueError(_("letters, digits, dot, dash or underscore only"))
        return v


class DepotIn(Located):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: DepotKind
    owner_org_id: OptId = None
    address: OptStr = Field(default=None, max_length=300)

    @field_validator("code")
    @classmethod
    def _code_chars(cls, v: str) -> str:
        if not CODE.match(v):
            raise ValueError(_("letters, digits, dot, dash or underscore only"))
        return v


class ReceiveIn(_Base):
    item_id: Id
    quantity: Quantity
    source: ReceiveSource
    donor: OptStr = Field(default=None, max_length=200)
    batch_expiry: Annotated[date | None, BeforeValidator(_blank_to_none), AfterValidator(_sane_date)] = None
    reason: OptStr = Field(default=None, max_length=300)


class AdjustIn(_Base):
    item_id: Id
    #: Signed: negative takes stock out (damaged, expired, lost), positive adds (a recount found more).
    quantity: SignedQuantity
    adjust_reason: AdjustReason
    reason: Annotated[str, BeforeValidator(_required), Field(min_length=1, max_length=300)]

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, v: int) -> int:
        if v == 0:
            raise ValueError(_("must not be zero"))
        return v


class LineIn(_Base):
    item_id: Id
    quantity: Quantity


def _unique_items(lines: list[LineIn]) -> list[LineIn]:
    seen: set[int] = set()
    for line in lines:
        if line.item_id in seen:
            raise ValueError(_("each item only once"))
        seen.add(line.item_id)
    return lines


class TransferIn(_Base):
    from_depot_id: Id
    to_depot_id: Id
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=100)]
    reason: OptStr = Field(default=None, max_length=300)

    @field_validator("lines")
    @classmethod
    def _unique(cls, v: list[LineIn]) -> list[LineIn]:
        return _unique_items(v)


class DistributionIn(_Base):
    depot_id: Id
    shelter_id: Id
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=100)]
    assigned_user_id: OptId = None
    vehicle: OptStr = Field(default=None, max_length=100)
    planned_at: datetime
    request_id: OptId = None
    notes: OptStr = Field(default=None, max_length=2000)

    @field_validator("lines")
    @classmethod
    def _unique(cls, v: list[LineIn]) -> list[LineIn]:
        return _unique_items(v)

    @field_validator("planned_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        return _aware_time(v)


#: The transitions a status update may ask for (delivery has its own receipt).
STATUS_TARGETS = (
    DistributionStatus.LOADED,
    DistributionStatus.IN_TRANSIT,
    DistributionStatus.CONFIRMED,
    DistributionStatus.CANCELLED,
)


class StatusIn(_Base):
    status: DistributionStatus
    lat: Lat = None
    lon: Lon = None
    note: OptStr = Field(default=None, max_length=300)

    @field_validator("status")
    @classmethod
    def _target(cls, v: DistributionStatus) -> DistributionStatus:
        if v not in STATUS_TARGETS:
            raise ValueError(
                _("must be one of: %(choices)s", choices=", ".join(s.value for s in STATUS_TARGETS))
            )
        return v


class ReceiptLineIn(_Base):
    item_id: Id
    quantity_received: Annotated[
        int, Field(ge=0, le=MAX_QTY), BeforeValidator(_strict_int), BeforeValidator(_required)
    ]


class ReceiptIn(_Base):
    """What arrived: per item, who received it, when, and where the phone was."""

    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=100)]
    receiver_name: Annotated[str, BeforeValidator(_required), Field(min_length=1, max_length=200)]
    received_at: datetime | None = None
    lat: Lat = None
    lon: Lon = None
    accuracy_m: Annotated[float | None, Field(default=None, ge=0, le=100_000, allow_inf_nan=False)] = None
    #: A data URL (``data:image/jpeg;base64,...``); optional.
    photo: OptStr = Field(default=None, max_length=4_000_000)
    note: OptStr = Field(default=None, max_length=300)

    @field_validator("lines")
    @classmethod
    def _unique(cls, v: list[ReceiptLineIn]) -> list[ReceiptLineIn]:
        if len({line.item_id for line in v}) != len(v):
            raise ValueError(_("each item only once"))
        return v

    @field_validator("received_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        return None if v is None else _aware_time(v)


class RequestIn(_Base):
    shelter_id: Id
    priority: Annotated[int, Field(ge=1, le=4), BeforeValidator(_strict_int)] = 2
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=100)]
    note: OptStr = Field(default=None, max_length=2000)

    @field_validator("lines")
    @classmethod
    def _unique(cls, v: list[LineIn]) -> list[LineIn]:
        return _unique_items(v)
