"""Pure parsers for BMKG feeds: bytes in, normalised reports out. No database, no HTTP.

Feeds and their quirks (``tests/data/bmkg/README.md``, "What a robust parser must do"):

- Every value is a string, numbers with units and odd spacing ("5.0", " 10 km", "84 Km",
  "5,0", legacy "5.0 SR"); real JSON numbers are accepted too.
- One object or a list: ``Infogempa.gempa`` and InaTEWS ``info.wzarea`` may be either; in XML
  ``<gempa>``, ``<item>``, CAP ``<info>``, ``<area>`` and ``<polygon>`` may repeat.
- Dates with Indonesian month names ("14 Des 2021", "14-Mei-23", old spellings "Nop"/"Peb"),
  numeric "25-04-23"; clock times in WIB, WITA or WIT (UTC+7/+8/+9), WIB when no zone is named.
- Positions: TEWS ``Coordinates`` are "lat,lon"; InaTEWS ``point.coordinates`` are "lon,lat";
  the ``Lintang``/``Bujur`` (``latitude``/``longitude``) texts carry hemisphere suffixes LS/LU
  and BT/BB. When both forms are present the text wins, see :func:`_position`.
- ``Potensi`` classified by keywords (:func:`classify_potential`); the raw text is kept.
- InaTEWS ``status: "TES"`` (any status other than "Actual") marks an exercise.

Unknown extra fields are ignored. Anything else unexpected (not JSON/XML, a list where an
object belongs, a text where a number belongs, a required field missing) raises
:class:`FeedParseError` naming the field; the parsers raise no other exception.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import urljoin
from xml.parsers import expat

from siaga.hazards.reports import QuakeReport, Report, TsunamiArea, TsunamiReport, WeatherArea, WeatherReport

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))
ZONES = {"WIB": WIB, "WITA": WITA, "WIT": WIT}

#: Month names and abbreviations as BMKG writes them (Indonesian, with the old spellings
#: "Nop"/"Peb", and English ones seen in headlines, CAP text and the legacy feed).
_MONTH_NAMES = (
    ("jan", "januari", "january"),
    ("feb", "peb", "februari", "pebruari", "february"),
    ("mar", "maret", "march"),
    ("apr", "april"),
    ("mei", "may"),
    ("jun", "juni", "june"),
    ("jul", "juli", "july"),
    ("agu", "agt", "ags", "agus", "agustus", "aug", "august"),
    ("sep", "sept", "september"),
    ("okt", "oct", "oktober", "october"),
    ("nov", "nop", "november", "nopember"),
    ("des", "dec", "desember", "december"),
)
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
CAP_NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
MAX_BYTES = 5_000_000
TSUNAMI_LEVELS = ("AWAS", "SIAGA", "WASPADA")

Potential = Literal["tsunami", "no_tsunami", "felt"]


class FeedParseError(ValueError):
    """The payload is not what the feed should send."""


# ---------------------------------------------------------------- small helpers


def _kind(value: Any) -> str:
    """How a JSON value is named in error messages."""
    if value is None:
        return "nothing (missing or null)"
    return {dict: "an object", list: "a list", str: "a text", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _json(body: bytes) -> Any:
    if len(body) > MAX_BYTES:
        raise FeedParseError("payload too large")
    try:
        return json.loads(body.decode("utf-8-sig").strip())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise FeedParseError(f"not JSON: {str(exc)[:200]}") from None


def _refuse_doctype(*_args: Any) -> None:
    raise FeedParseError("XML with a DOCTYPE or entities is refused")


def _xml(body: bytes) -> ET.Element:
    if len(body) > MAX_BYTES:
        raise FeedParseError("payload too large")
    # Like the leading space seen before InaTEWS JSON: tolerated before the XML prolog too.
    body = body.removeprefix(b"\xef\xbb\xbf").lstrip()
    try:
        # A first pass with expat refuses DTDs and entity declarations in any encoding
        # (the stdlib has no switch for that); feeds never send them.
        guard = expat.ParserCreate()
        guard.StartDoctypeDeclHandler = _refuse_doctype
        guard.EntityDeclHandler = _refuse_doctype
        guard.Parse(body, True)
        return ET.fromstring(body)  # noqa: S314 - no DTD/entities (refused above)
    except (expat.ExpatError, ET.ParseError, ValueError, LookupError) as exc:
        if isinstance(exc, FeedParseError):
            raise
        raise FeedParseError(f"not XML: {exc}") from None


def _one(value: Any, what: str) -> dict[str, Any]:
    """An object where the feed sends one (a list here is an error, not a guess)."""
    if not isinstance(value, dict):
        raise FeedParseError(f"{what}: expected an object, got {_kind(value)}")
    return value


def _many(value: Any, what: str, *, required: bool) -> list[dict[str, Any]]:
    """Fields BMKG sends as one object or a list of them: always a list of objects."""
    if value is None and not required:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise FeedParseError(f"{what}: expected an object or a list of objects, got {_kind(value)}")
    return [_one(item, f"{what}[{i}]") for i, item in enumerate(value)]


def _text(value: Any, what: str) -> str | None:
    """A text field, trimmed; None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedParseError(f"{what}: expected a text, got {_kind(value)}")
    return value.strip() or None


def _required_text(value: Any, what: str) -> str:
    text = _text(value, what)
    if text is None:
        raise FeedParseError(f"missing field {what}")
    return text


_NUMBER = re.compile(r"\s*([-+]?\d+(?:[.,]\d+)?)\s*([A-Za-z]*)\s*")


def _num(value: Any, what: str, units: tuple[str, ...] = ()) -> float:
    """'7.3' → 7.3, ' 10 km' → 10.0, '84 Km' → 84.0, '5,0' → 5.0 (comma decimal).

    Only the given unit suffixes (lower case) are accepted after the number."""
    if value is None:
        raise FeedParseError(f"missing field {what}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FeedParseError(f"{what}: expected a number, got {_kind(value)}")
    if isinstance(value, str):
        m = _NUMBER.fullmatch(value)
        if not m or (m.group(2) and m.group(2).lower() not in units):
            raise FeedParseError(f"{what}: not a number: {value[:40]!r}")
        value = m.group(1).replace(",", ".")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise FeedParseError(f"{what}: not a finite number")
    return number


def _in_range(number: float, low: float, high: float, what: str) -> float:
    if not low <= number <= high:
        raise FeedParseError(f"{what}: {number} is outside {low}…{high}")
    return number


def _magnitude(value: Any, what: str) -> float:
    return _in_range(_num(value, what, units=("sr",)), 0, 10, what)


def _depth(value: Any, what: str) -> float:
    return _in_range(_num(value, what, units=("km",)), 0, 1000, what)


_HEMI = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*°?\s*(LU|LS|BT|BB)\s*", re.IGNORECASE)
_HEMI_SIGN = {"LU": 1, "LS": -1, "BT": 1, "BB": -1}


def _hemi(value: Any, axis: Literal["lat", "lon"], what: str) -> float | None:
    """'8.51 LS' → -8.51; '4.74 LU' → 4.74; '123.27 BT' → 123.27; '176.44 BB' → -176.44.

    None when the text is absent or does not name the hemisphere of its own axis
    (LU/LS for a latitude, BT/BB for a longitude): then it cannot tell the position."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedParseError(f"{what}: expected a text, got {_kind(value)}")
    m = _HEMI.fullmatch(value)
    if not m:
        return None
    suffix = m.group(2).upper()
    if (axis == "lat") != (suffix in ("LU", "LS")):
        return None
    return _HEMI_SIGN[suffix] * float(m.group(1).replace(",", "."))


def _pair(value: Any, what: str) -> tuple[float, float]:
    """'-8.51,123.27' (or a two-element list, GeoJSON style) → two numbers, in the given order."""
    if isinstance(value, list):
        parts: list[Any] = value
    elif isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    else:
        raise FeedParseError(f"{what}: expected two numbers, got {_kind(value)}")
    if len(parts) != 2:
        raise FeedParseError(f"{what}: expected two numbers, got {str(value)[:60]!r}")
    return _num(parts[0], what), _num(parts[1], what)


def _check_latlon(lat: float, lon: float) -> tuple[float, float]:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FeedParseError(f"coordinates out of range: {lat}, {lon}")
    return lat, lon


def _position(
    lat_text: Any, lon_text: Any, pair: Any, order: Literal["lat,lon", "lon,lat"], what: str
) -> tuple[float, float]:
    """The epicentre from the hemisphere texts or, failing them, the coordinate pair.

    Both are given to 2 decimals, so they agree in every real payload. When they do not, the
    text wins: it names its axis and hemisphere ("0.93 LS", "98.39 BT"), while the pair's
    order is a per-feed convention (TEWS "lat,lon", InaTEWS "lon,lat", and the legacy
    autogempa.xml put "lon,lat" in the very ``<coordinates>`` element that now holds
    "lat,lon"), so a swapped pair is the likelier error. The pair is used when the texts are
    missing or carry no LU/LS, BT/BB suffix."""
    lat = _hemi(lat_text, "lat", f"{what} latitude")
    lon = _hemi(lon_text, "lon", f"{what} longitude")
    if lat is not None and lon is not None:
        return _check_latlon(lat, lon)
    if pair is None:
        raise FeedParseError(f"{what}: no position (neither coordinates nor Lintang/Bujur with LU/LS, BT/BB)")
    a, b = _pair(pair, f"{what} coordinates")
    return _check_latlon(a, b) if order == "lat,lon" else _check_latlon(b, a)


#: Years a BMKG timestamp can carry: anything else is a broken payload, refused here rather
#: than stored (or overflowing the match window's arithmetic at 9999).
YEARS = range(1900, 2101)


def _plausible(dt: datetime, what: str) -> datetime:
    if dt.year not in YEARS:
        raise FeedParseError(f"{what}: year {dt.year} is out of range ({YEARS.start}–{YEARS.stop - 1})")
    return dt


def _iso(value: Any, what: str = "timestamp") -> datetime | None:
    """ISO 8601 with an offset, or BMKG's '2023-04-25T03:05:33WIB' (zone name glued on)."""
    v = _text(value, what)
    if v is None:
        return None
    zone = re.search(r"\s*(WIB|WITA|WIT)$", v)
    if zone:
        offset = {"WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00"}[zone.group(1)]
        v = v[: zone.start()] + offset
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        dt = dt.astimezone(UTC)
    except (ValueError, OverflowError):
        raise FeedParseError(f"{what}: not a timestamp: {v[:40]!r}") from None
    return _plausible(dt, what)


_DATE = re.compile(r"\s*(\d{1,2})[\s\-/]+([A-Za-z]+|\d{1,2})\.?[\s\-/]+(\d{4}|\d{2})\s*")
_TIME = re.compile(r"\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(WIB|WITA|WIT)?\s*", re.IGNORECASE)


def _local(date: Any, time: Any, what: str) -> datetime:
    """A BMKG date and clock time → aware UTC.

    Dates: '14 Des 2021', '14 Desember 2021', '14-Mei-23', '25-04-23', '04-02-2021'.
    Times: '03:00:57 WIB', '10:00:00 WITA', '09:00:00 WIT'; WIB when no zone is named (the
    TEWS feeds always use WIB, even for quakes in WITA/WIT regions)."""
    d = _required_text(date, f"{what} date")
    t = _required_text(time, f"{what} time")
    md, mt = _DATE.fullmatch(d), _TIME.fullmatch(t)
    if not md:
        raise FeedParseError(f"{what}: not a date: {d[:40]!r}")
    if not mt:
        raise FeedParseError(f"{what}: not a time: {t[:40]!r}")
    month_text = md.group(2)
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text.lower())
    if month is None:
        raise FeedParseError(f"{what}: unknown month {month_text!r}")
    year = int(md.group(3))
    year += 2000 if len(md.group(3)) == 2 else 0
    zone = ZONES[(mt.group(4) or "WIB").upper()]
    hh, mm, ss = int(mt.group(1)), int(mt.group(2)), int(mt.group(3) or 0)
    try:
        when = datetime(year, month, int(md.group(1)), hh, mm, ss, tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise FeedParseError(f"{what}: not a valid date/time {d!r} {t!r}: {exc}") from None
    return _plausible(when, what)


def classify_potential(text: str | None) -> Potential | None:
    """BMKG's "Potensi" text by keywords, case-insensitive (fixtures README):
    "tidak berpotensi" → no tsunami; else "potensi tsunami"/"berpotensi tsunami" → tsunami
    potential; else "dirasakan" → felt-quake information; else None (unknown)."""
    t = " ".join((text or "").casefold().split())
    if "tidak berpotensi" in t:
        return "no_tsunami"
    if "potensi tsunami" in t:  # also "berpotensi tsunami"
        return "tsunami"
    if "dirasakan" in t:
        return "felt"
    return None


def tsunami_potential(text: str | None) -> bool | None:
    """True/False when the text says whether a tsunami may follow, None when it says nothing."""
    return {"tsunami": True, "no_tsunami": False}.get(classify_potential(text) or "")


# ---------------------------------------------------------------- TEWS earthquakes


def _tews_quake(g: dict[str, Any], source: str, what: str, payload: str | None = None) -> QuakeReport:
    """One TEWS ``gempa`` item; ``payload``: its text as sent (else ``g`` as JSON)."""
    # DateTime (UTC) is the instant; Tanggal + Jam (WIB) only when it is missing or unreadable.
    try:
        when = _iso(g.get("DateTime"), f"{what}.DateTime")
    except FeedParseError:
        if "Tanggal" not in g:
            raise
        when = None
    if when is None:
        if "Tanggal" not in g or "Jam" not in g:
            raise FeedParseError(f"{what}: missing DateTime (or Tanggal and Jam)")
        when = _local(g["Tanggal"], g["Jam"], what)
    lat, lon = _position(g.get("Lintang"), g.get("Bujur"), g.get("Coordinates"), "lat,lon", what)
    potential = _text(g.get("Potensi"), f"{what}.Potensi")
    return QuakeReport(
        source=source,
        origin_time=when,
        lat=lat,
        lon=lon,
        depth_km=_depth(g.get("Kedalaman"), f"{what}.Kedalaman"),
        magnitude=_magnitude(g.get("Magnitude"), f"{what}.Magnitude"),
        region_text=_text(g.get("Wilayah"), f"{what}.Wilayah"),
        felt_text=_text(g.get("Dirasakan"), f"{what}.Dirasakan"),
        potential_text=potential,
        tsunami_potential=tsunami_potential(potential),
        payload=payload if payload is not None else json.dumps(g, ensure_ascii=False, indent=2),
    )


def _as_sent(body: bytes) -> str:
    """A whole message as text for the event page (BMKG's bytes are UTF-8)."""
    return body.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace").strip()


def parse_tews_json(body: bytes, source: str = "autogempa") -> list[QuakeReport]:
    """``{"Infogempa": {"gempa": X}}``, X one object (autogempa) or a list (the others)."""
    data = _one(_json(body), "payload")
    info = _one(data.get("Infogempa"), "Infogempa")
    items = _many(info.get("gempa"), "Infogempa.gempa", required=True)
    return [_tews_quake(g, source, f"Infogempa.gempa[{i}]") for i, g in enumerate(items)]


def parse_tews_xml(body: bytes, source: str = "autogempa") -> list[QuakeReport]:
    """``<Infogempa>`` with one or more ``<gempa>``; the pair sits in ``<point><coordinates>``."""
    root = _xml(body)
    if root.tag != "Infogempa":
        raise FeedParseError(f"expected <Infogempa>, got <{root.tag}>")
    out = []
    for i, g in enumerate(root.findall("gempa")):
        d: dict[str, Any] = {child.tag: (child.text or "") for child in g if child.tag != "point"}
        coords = g.findtext("point/coordinates")
        if coords:
            d["Coordinates"] = coords
        out.append(_tews_quake(d, source, f"gempa[{i}]", ET.tostring(g, encoding="unicode").strip()))
    if not out:
        raise FeedParseError("no <gempa> in <Infogempa>")
    return out


# ---------------------------------------------------------------- InaTEWS


def _tsunami_area(a: dict[str, Any], what: str) -> TsunamiArea:
    level = _required_text(a.get("level"), f"{what}.level").upper()  # unknown levels are kept
    date, time = _text(a.get("date"), f"{what}.date"), _text(a.get("time"), f"{what}.time")
    return TsunamiArea(
        province=_text(a.get("province"), f"{what}.province") or "",
        district=_required_text(a.get("district"), f"{what}.district"),
        level=level,
        eta=" ".join(x for x in (date, time) if x) or None,
    )


def parse_inatews(body: bytes, source: str = "inatews") -> list[Report]:
    """InaTEWS datagempa.json: a tsunami warning (PD-1…PD-4) or a felt/M5+ quake message."""
    data = _one(_json(body), "payload")
    info = _one(data.get("info"), "info")
    status = _text(data.get("status"), "status") or "Actual"
    # "TES" is the exercise; any other non-"Actual" status must not dispatch for real either.
    is_exercise = status.upper() != "ACTUAL"
    identifier = _text(data.get("identifier"), "identifier")
    when = _local(info.get("date"), info.get("time"), "info")
    point = info.get("point")
    coords = None if point is None else _one(point, "info.point").get("coordinates")
    lat, lon = _position(info.get("latitude"), info.get("longitude"), coords, "lon,lat", "info")
    magnitude = _magnitude(info.get("magnitude"), "info.magnitude")
    # Absent in no real message; 10 km is BMKG's fixed depth for unresolved shallow quakes.
    depth = _depth(info.get("depth", "10"), "info.depth")
    region_text = _text(info.get("area"), "info.area")
    subject = _text(info.get("subject"), "info.subject") or ""
    headline = _text(info.get("headline"), "info.headline")
    potential = _text(info.get("potential"), "info.potential")
    zones = _many(info.get("wzarea"), "info.wzarea", required=False)
    pd = re.search(r"\bPD-?\s*([1-4])\b", subject) or re.search(r"-PD-?([1-4])$", identifier or "")
    if pd is None and zones:
        raise FeedParseError(
            f"info.wzarea lists tsunami zones but the subject {subject[:40]!r} names no PD-1…PD-4"
        )
    if pd:
        message_type = f"PD-{pd.group(1)}"
        return [
            TsunamiReport(
                source=source,
                identifier=_text(info.get("eventid"), "info.eventid") or identifier,
                message_type=message_type,
                origin_time=when,
                lat=lat,
                lon=lon,
                depth_km=depth,
                magnitude=magnitude,
                region_text=region_text,
                areas=tuple(_tsunami_area(a, f"info.wzarea[{i}]") for i, a in enumerate(zones)),
                is_exercise=is_exercise,
                is_ended=message_type == "PD-4",
                headline=headline,
                payload=_as_sent(body),
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
            region_text=region_text,
            felt_text=_text(info.get("felt"), "info.felt"),
            potential_text=potential,
            tsunami_potential=tsunami_potential(potential),
            is_exercise=is_exercise,
            payload=_as_sent(body),
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
        try:
            url = urljoin(base_url, link)
        except ValueError as exc:  # e.g. an invalid IPv6 host
            raise FeedParseError(f"item link {link[:60]!r}: {exc}") from None
        links.append(
            CapLink(
                url=url,
                identifier=(item.findtext("guid") or "").strip() or None,
                title=(item.findtext("title") or "").strip(),
            )
        )
    return links


def _polygon(text: str) -> tuple[tuple[float, float], ...]:
    """CAP: "lat,lon lat,lon …", space-separated pairs."""
    pts = []
    for pair in text.split():
        lat, lon = _pair(pair, "polygon")
        pts.append(_check_latlon(lat, lon))
    if len(pts) < 3:
        raise FeedParseError("a polygon needs at least 3 points")
    return tuple(pts)


def _t(el: ET.Element, name: str) -> str:
    return (el.findtext(f"cap:{name}", default="", namespaces=CAP_NS) or "").strip()


def parse_cap(body: bytes, source: str = "nowcast") -> list[WeatherReport]:
    """A CAP 1.2 alert → one report. BMKG sends one ``<info>`` with one ``<area>`` and many
    ``<polygon>``; CAP allows every one of them to repeat. With several ``<info>`` blocks
    (languages), the Indonesian one (else the first) gives the texts and the areas of all
    blocks are kept, each distinct area once."""
    root = _xml(body)
    if root.tag != f"{{{CAP_NS['cap']}}}alert":
        raise FeedParseError(f"expected a CAP 1.2 <alert>, got <{root.tag}>")
    infos = root.findall("cap:info", CAP_NS)
    identifier = _t(root, "identifier")
    if not infos or not identifier:
        raise FeedParseError("CAP alert without identifier or info")
    info = next((i for i in infos if _t(i, "language").lower().startswith("id")), infos[0])
    areas: dict[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], WeatherArea] = {}
    for block in infos:
        for area in block.findall("cap:area", CAP_NS):
            polys = tuple(
                _polygon(p.text or "") for p in area.findall("cap:polygon", CAP_NS) if (p.text or "").strip()
            )
            desc = _t(area, "areaDesc")
            areas.setdefault((desc, polys), WeatherArea(description=desc, polygons=polys))
    # CAP status: Actual, Exercise, System, Test, Draft. Only "Actual" is real.
    status = _t(root, "status") or "Actual"
    return [
        WeatherReport(
            source=source,
            identifier=identifier,
            sent=_iso(_t(root, "sent"), "sent"),
            event=_t(info, "event") or _t(info, "headline"),
            headline=_t(info, "headline"),
            description=_t(info, "description"),
            severity=_t(info, "severity") or "Unknown",
            urgency=_t(info, "urgency") or None,
            certainty=_t(info, "certainty") or None,
            effective=_iso(_t(info, "effective"), "effective"),
            expires=_iso(_t(info, "expires"), "expires"),
            areas=tuple(areas.values()),
            is_exercise=status.lower() != "actual",
            is_cancel=_t(root, "msgType") == "Cancel",
            payload=_as_sent(body),
        )
    ]


# ---------------------------------------------------------------- dispatch by feed name


def reports_from(feed: str, body: bytes) -> list[Report]:
    if feed in ("autogempa", "gempaterkini", "gempadirasakan"):
        if body.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
            return list(parse_tews_xml(body, feed))
        return list(parse_tews_json(body, feed))
    if feed == "inatews":
        return parse_inatews(body)
    if feed == "cap":
        return list(parse_cap(body))
    raise FeedParseError(f"unknown feed {feed!r}")


def nowcast_links(body: bytes, base_url: str) -> Iterable[CapLink]:
    return parse_nowcast_rss(body, base_url)
