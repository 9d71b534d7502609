"""Time helpers: store UTC, show WIB/WITA/WIT by region."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

#: Indonesian time zones by Kemendagri province code (first two digits).
#: WITA: Bali, NTB, NTT, Kalimantan Selatan/Timur/Utara, Sulawesi. WIT: Maluku, Papua.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}

ZONES = {
    "WIB": ZoneInfo("Asia/Jakarta"),
    "WITA": ZoneInfo("Asia/Makassar"),
    "WIT": ZoneInfo("Asia/Jayapura"),
}


def zone_for_region(region_code: str | None) -> str:
    """The zone abbreviation (WIB, WITA or WIT) for a Kemendagri region code."""
    province = (region_code or "")[:2]
    if province in _WIT:
        return "WIT"
    if province in _WITA:
        return "WITA"
    return "WIB"


def to_local(value: datetime, region_code: str | None = None) -> tuple[datetime, str]:
    """Convert an aware UTC datetime to the region's local time and zone name."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    abbr = zone_for_region(region_code)
    return value.astimezone(ZONES[abbr]), abbr


def format_local(value: datetime | None, region_code: str | None = None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """``23-11-2026 14:05 WIB``: how every time is shown to users."""
    if value is None:
        return "—"
    local, abbr = to_local(value, region_code)
    return f"{local.strftime(fmt)} {abbr}"


def age_seconds(value: datetime | None, now: datetime | None = None) -> float | None:
    if value is None:
        return None
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (now - value).total_seconds()
