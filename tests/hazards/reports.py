"""Hazard reports for tests: a quake near Sekayu (Musi Banyuasin), a tsunami warning in the
Bangka Strait and a weather warning over Palembang by default, any field overridden by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from siaga.hazards.reports import QuakeReport, TsunamiReport, WeatherArea, WeatherReport

T0 = datetime(2026, 11, 20, 3, 15, 0, tzinfo=UTC)
# Near Sekayu, Musi Banyuasin (16.06): our shelters are close by.
SEKAYU = (-2.88, 103.85)
# A box over central Palembang (16.71), (lat, lon) corners.
PALEMBANG_RING = ((-3.05, 104.65), (-3.05, 104.85), (-2.9, 104.85), (-2.9, 104.65))


def quake(**kw: Any) -> QuakeReport:
    data: dict[str, Any] = {
        "source": "autogempa",
        "origin_time": T0,
        "lat": SEKAYU[0],
        "lon": SEKAYU[1],
        "depth_km": 10.0,
        "magnitude": 6.2,
        "region_text": "10 km BaratLaut SEKAYU-MUBA-SUMSEL",
    }
    data.update(kw)
    return QuakeReport(**data)


def tsunami(**kw: Any) -> TsunamiReport:
    """A PD-1 warning; pass ``identifier`` and ``areas`` (the zones) for the case at hand."""
    data: dict[str, Any] = {
        "source": "inatews",
        "identifier": "tsu-1",
        "message_type": "PD-1",
        "origin_time": T0,
        "lat": -3.5,
        "lon": 105.5,
        "depth_km": 10,
        "magnitude": 7.3,
        "region_text": "Selat Bangka",
    }
    data.update(kw)
    return TsunamiReport(**data)


def weather(**kw: Any) -> WeatherReport:
    """A Severe nowcast warning over :data:`PALEMBANG_RING`, valid three hours from :data:`T0`."""
    data: dict[str, Any] = {
        "source": "nowcast",
        "identifier": "CSS20261120001",
        "sent": T0,
        "event": "Hujan Lebat disertai Petir",
        "headline": "Peringatan Dini Cuaca Sumatera Selatan",
        "description": "Hujan lebat di Palembang",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Likely",
        "effective": T0,
        "expires": T0 + timedelta(hours=3),
        "areas": (WeatherArea(description="Palembang", polygons=(PALEMBANG_RING,)),),
    }
    data.update(kw)
    return WeatherReport(**data)
