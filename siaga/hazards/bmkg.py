"""Pure parsers for BMKG feeds: bytes in, normalised reports out. No database, no HTTP.

Feeds and their quirks (``tests/data/bmkg/README.md``): everything is a string; one object
or a list; Indonesian month abbreviations; times in WIB without a zone ("03:00:57 WIB");
"lat,lon" in the TEWS feeds but "lon,lat" in InaTEWS ``point.coordinates``; hemisphere
suffixes LS/LU/BT/BB; a leading space before the JSON; ``status: "TES"`` for exercises;
CAP 1.2 polygons as "lat,lon" pairs. Any malformed input raises :class:`FeedParseError`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin

from siaga.hazards.reports import QuakeReport, Report, TsunamiArea, TsunamiReport, WeatherArea, WeatherReport

WIB = timezone(timedelta(hours=7))
MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "mei": 5,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "agu": 8,
    "agt": 8,
    "aug": 8,
    "sep": 9,
    "okt": 10,
    "oct": 10,
    "nov": 11,
    "des": 12,
    "dec": 12,
}
CAP_NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
MAX_BYTES = 5_000_000


class FeedParseError(ValueError):
    """The payload is not what the feed should send."""


# ---------------------------------------------------------------- small helpers


def _json(body: bytes) -> Any:
    if len(body) > MAX_BYTES:
        raise FeedParseError("payload too large")
    try:
        return json.loads(body.decode("utf-8-sig").strip())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not JSON: {exc}") from None


def _xml(body: bytes) -> ET.Element:
    if len(body) > MAX_BYTES:
        raise FeedParseError("payload too large")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise FeedParseError("XML with a DOCTYPE or entities is refused")
    try:
        return ET.fromstring(body)  # noqa: S314 - no DTD/entities allowed (checked above)
    except ET.ParseError as exc:
        raise FeedParseError(f"not XML: {exc}") from None


def _num(value: Any, what: str) -> float:
    """'10 km' → 10.0, '7.3' → 7.3, ' 84 Km' → 84.0."""
    m = re.search(r"-?\d+(?:[.,]\d+)?", str(value or ""))
    if not m:
        raise FeedParseError(f"{what}: not a number: {value!r}")
    return float(m.group(0).replace(",", "."))


def _hemi(value: str, what: str) -> float:
    """'8.51 LS' → -8.51; '4.74 LU' → 4.74; '123.27 BT' → 123.27; '176.44 BB' → -176.44."""
    v = _num(value, what)
    s = str(value).upper()
    if "LS" in s or "BB" in s:
        return -abs(v)
    return abs(v) if ("LU" in s or "BT" in s) else v


def _pair(value: Any, what: str) -> tuple[float, float]:
    parts = [p for p in re.split(r"[,\s]+", str(value or "").strip()) if p]
    if len(parts) < 2:
        raise FeedParseError(f"{what}: expected two numbers, got {value!r}")
    return _num(parts[0], what), _num(parts[1], what)


def _check_latlon(lat: float, lon: float) -> tuple[float, float]:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FeedParseError(f"coordinates out of range: {lat}, {lon}")
    return lat, lon


def _iso(value: str | None) -> datetime | None:
    """ISO 8601 with an offset, or BMKG's '2023-04-25T03:05:33WIB'."""
    if not value:
        return None
    v = value.strip()
    if v.endswith("WIB"):
        v = v[:-3].strip() + "+07:00"
    elif v.endswith("WITA"):
        v = v[:-4].strip() + "+08:00"
    elif v.endswith("WIT"):
        v = v[:-3].strip() + "+09:00"
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise FeedParseError(f"not a timestamp: {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _wib(date: str, time: str) -> datetime:
    """'14 Des 2021' or '25-04-23' (dd-mm-yy) with '03:00:57 WIB' → aware UTC."""
    t = re.match(r"\s*(\d{1,2}):(\d{2}):(\d{2})", time or "")
    if not t:
        raise FeedParseError(f"not a time: {time!r}")
    hh, mm, ss = (int(x) for x in t.groups())
    d = (date or "").strip()
    m1 = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{4})", d)
    m2 = re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{2,4})", d)
    if m1:
        day, mon, year = int(m1.group(1)), MONTHS.get(m1.group(2).lower()), int(m1.group(3))
        if mon is None:
            raise FeedParseError(f"unknown month in {date!r}")
    elif m2:
        day, mon, year = int(m2.group(1)), int(m2.group(2)), int(m2.group(3))
        year += 2000 if year < 100 else 0
    else:
        raise FeedParseError(f"not a date: {date!r}")
    zone = WIB
    if "WITA" in (time or ""):
        zone = timezone(timedelta(hours=8))
    elif re.search(r"\bWIT\b", time or ""):
        zone = timezone(timedelta(hours=9))
    try:
        return datetime(year, mon, day, hh, mm, ss, tzinfo=zone).astimezone(UTC)
    except ValueError as exc:
        raise FeedParseError(f"bad date/time {date!r} {time!r}: {exc}") from None


# ---------------------------------------------------------------- TEWS earthquakes


def _tews_quake(g: dict[str, Any], source: str) -> QuakeReport:
    if not isinstance(g, dict):
        raise FeedParseError("gempa entry is not an object")
    try:
        when = _iso(g.get("DateTime")) or _wib(g["Tanggal"], g["Jam"])
        if "Coordinates" in g:
            lat, lon = _pair(g["Coordinates"], "Coordinates")
        else:
            lat, lon = _hemi(g["Lintang"], "Lintang"), _hemi(g["Bujur"], "Bujur")
        lat, lon = _check_latlon(lat, lon)
        return QuakeReport(
            source=source,
            origin_time=when,
            lat=lat,
            lon=lon,
            depth_km=_num(g.get("Kedalaman"), "Kedalaman"),
            magnitude=_num(g.get("Magnitude"), "Magnitude"),
            region_text=(g.get("Wilayah") or "").strip() or None,
            felt_text=(g.get("Dirasakan") or "").strip() or None,
            potential_text=(g.get("Potensi") or "").strip() or None,
        )
    except KeyError as exc:
        raise FeedParseError(f"missing field {exc}") from None


def parse_tews_json(body: bytes, source: str = "autogempa") -> list[QuakeReport]:
    data = _json(body)
    try:
        gempa = data["Infogempa"]["gempa"]
    except (KeyError, TypeError):
        raise FeedParseError("expected {'Infogempa': {'gempa': ...}}") from None
    items = gempa if isinstance(gempa, list) else [gempa]
    return [_tews_quake(g, source) for g in items]


def parse_tews_xml(body: bytes, source: str = "autogempa") -> list[QuakeReport]:
    root = _xml(body)
    if root.tag != "Infogempa":
        raise FeedParseError(f"expected <Infogempa>, got <{root.tag}>")
    out = []
    for g in root.findall("gempa"):
        d: dict[str, Any] = {child.tag: (child.text or "") for child in g if child.tag != "point"}
        coords = g.findtext("point/coordinates")
        if coords:
            d["Coordinates"] = coords
        out.append(_tews_quake(d, source))
    if not out:
        raise FeedParseError("no <gempa> in <Infogempa>")
    return out


# ---------------------------------------------------------------- InaTEWS


def parse_inatews(body: bytes, source: str = "inatews") -> list[Report]:
    """InaTEWS datagempa.json: a tsunami warning (PD-1…PD-4) or a felt/M5+ quake message."""
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("info"), dict):
        raise FeedParseError("expected an object with 'info'")
    info = data["info"]
    is_exercise = str(data.get("status", "")).strip().upper() in ("TES", "TEST", "EXERCISE")
    try:
        when = _wib(info["date"], info["time"])
        coords = (info.get("point") or {}).get("coordinates")
        if coords:
            lon, lat = _pair(coords, "point.coordinates")  # InaTEWS: lon,lat
        else:
            lat, lon = _hemi(info["latitude"], "latitude"), _hemi(info["longitude"], "longitude")
        lat, lon = _check_latlon(lat, lon)
        magnitude = _num(info["magnitude"], "magnitude")
        depth = _num(info.get("depth", "10"), "depth")
    except KeyError as exc:
        raise FeedParseError(f"missing field info.{exc.args[0]}") from None
    subject = str(info.get("subject") or "")
    pd = re.search(r"PD-?\s*([1-4])", subject)
    if pd:
        areas = tuple(
            TsunamiArea(
                province=str(a.get("province", "")).strip(),
                district=str(a.get("district", "")).strip(),
                level=str(a.get("level", "")).strip().upper(),
                eta=" ".join(x for x in (a.get("date"), a.get("time")) if x) or None,
            )
            for a in (info.get("wzarea") or [])
            if isinstance(a, dict)
        )
        message_type = f"PD-{pd.group(1)}"
        return [
            TsunamiReport(
                source=source,
                identifier=str(info.get("eventid") or data.get("identifier") or "") or None,
                message_type=message_type,
                origin_time=when,
                lat=lat,
                lon=lon,
                depth_km=depth,
                magnitude=magnitude,
                region_text=info.get("area"),
                areas=areas,
                is_exercise=is_exercise,
                is_ended=message_type == "PD-4",
                headline=info.get("headline"),
            )
        ]
    return [
        QuakeReport(
            source=source,
            origin_time=when,
            lat=lat,
            lon=lon,
            depth_km=depth,
            magnitude=magnitude,
            identifier=None,  # InaTEWS gives the same quake different event ids per message
            region_text=info.get("area"),
            felt_text=info.get("felt"),
            potential_text=info.get("potential"),
            is_exercise=is_exercise,
        )
    ]


# ---------------------------------------------------------------- nowcast + CAP


@dataclass(frozen=True)
class CapLink:
    url: str
    identifier: str | None
    title: str


def parse_nowcast_rss(body: bytes, base_url: str = "") -> list[CapLink]:
    root = _xml(body)
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedParseError("expected an RSS document")
    links = []
    for item in channel.findall("item"):
        link = (item.findtext("link") or "").strip()
        if not link:
            continue
        links.append(
            CapLink(
                url=urljoin(base_url, link),
                identifier=(item.findtext("guid") or "").strip() or None,
                title=(item.findtext("title") or "").strip(),
            )
        )
    return links


def _polygon(text: str) -> tuple[tuple[float, float], ...]:
    pts = []
    for pair in text.split():
        lat, lon = _pair(pair, "polygon")
        pts.append(_check_latlon(lat, lon))
    if len(pts) < 3:
        raise FeedParseError("a polygon needs at least 3 points")
    return tuple(pts)


def parse_cap(body: bytes, source: str = "nowcast") -> list[WeatherReport]:
    root = _xml(body)
    if not root.tag.endswith("alert"):
        raise FeedParseError(f"expected a CAP <alert>, got <{root.tag}>")

    def t(el: ET.Element, name: str) -> str:
        return (el.findtext(f"cap:{name}", default="", namespaces=CAP_NS) or "").strip()

    info = root.find("cap:info", CAP_NS)
    identifier = t(root, "identifier")
    if info is None or not identifier:
        raise FeedParseError("CAP alert without identifier or info")
    areas = []
    for area in info.findall("cap:area", CAP_NS):
        polys = tuple(
            _polygon(p.text or "") for p in area.findall("cap:polygon", CAP_NS) if (p.text or "").strip()
        )
        areas.append(WeatherArea(description=t(area, "areaDesc"), polygons=polys))
    status = t(root, "status")
    return [
        WeatherReport(
            source=source,
            identifier=identifier,
            sent=_iso(t(root, "sent")),
            event=t(info, "event") or t(info, "headline"),
            headline=t(info, "headline"),
            description=t(info, "description"),
            severity=t(info, "severity") or "Unknown",
            urgency=t(info, "urgency") or None,
            certainty=t(info, "certainty") or None,
            effective=_iso(t(info, "effective")),
            expires=_iso(t(info, "expires")),
            areas=tuple(areas),
            is_exercise=status in ("Exercise", "Test", "Draft"),
            is_cancel=t(root, "msgType") == "Cancel",
        )
    ]


# ---------------------------------------------------------------- dispatch by feed name


def reports_from(feed: str, body: bytes) -> list[Report]:
    if feed in ("autogempa", "gempaterkini", "gempadirasakan"):
        if body.lstrip().startswith(b"<"):
            return list(parse_tews_xml(body, feed))
        return list(parse_tews_json(body, feed))
    if feed == "inatews":
        return parse_inatews(body)
    if feed == "cap":
        return list(parse_cap(body))
    raise FeedParseError(f"unknown feed {feed!r}")


def nowcast_links(body: bytes, base_url: str) -> Iterable[CapLink]:
    return parse_nowcast_rss(body, base_url)
