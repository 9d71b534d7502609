"""Normalised hazard reports: what the ingest needs from any feed, whatever its quirks.

The pure parsers in :mod:`siaga.hazards.bmkg` turn each feed's bytes into these.
Times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class QuakeReport:
    source: str
    origin_time: datetime
    lat: float
    lon: float
    depth_km: float
    magnitude: float
    identifier: str | None = None
    region_text: str | None = None
    felt_text: str | None = None
    potential_text: str | None = None
    is_exercise: bool = False
    #: From ``potential_text`` by the README's keywords: True "potensi tsunami", False
    #: "tidak berpotensi", None when the text says nothing about a tsunami (felt info, absent).
    tsunami_potential: bool | None = None
    #: The item exactly as BMKG sent it (a JSON object, an XML element or the whole message),
    #: shown on the event page; not part of a report's identity (equality, fingerprint).
    payload: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TsunamiArea:
    province: str
    district: str
    level: str  #: AWAS, SIAGA or WASPADA
    eta: str | None = None


@dataclass(frozen=True)
class TsunamiReport:
    source: str
    identifier: str | None
    message_type: str  #: PD-1 … PD-4
    origin_time: datetime | None
    lat: float | None
    lon: float | None
    depth_km: float | None
    magnitude: float | None
    region_text: str | None
    areas: tuple[TsunamiArea, ...] = ()
    is_exercise: bool = False
    is_ended: bool = False
    headline: str | None = None
    #: The item exactly as BMKG sent it (a JSON object, an XML element or the whole message),
    #: shown on the event page; not part of a report's identity (equality, fingerprint).
    payload: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class WeatherArea:
    description: str
    #: Rings of (lat, lon) pairs.
    polygons: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True)
class WeatherReport:
    source: str
    identifier: str
    sent: datetime | None
    event: str
    headline: str
    description: str
    severity: str  #: CAP: Extreme, Severe, Moderate, Minor, Unknown
    urgency: str | None
    certainty: str | None
    effective: datetime | None
    expires: datetime | None
    areas: tuple[WeatherArea, ...] = field(default_factory=tuple)
    is_exercise: bool = False
    is_cancel: bool = False
    #: The item exactly as BMKG sent it (a JSON object, an XML element or the whole message),
    #: shown on the event page; not part of a report's identity (equality, fingerprint).
    payload: str | None = field(default=None, compare=False, repr=False)


Report = QuakeReport | TsunamiReport | WeatherReport
