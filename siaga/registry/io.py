"""Import and export of shelters and evacuation points as CSV (with an HXL row) and GeoJSON.

Export
    :func:`export_shelters_csv` / :func:`export_points_csv` write a header row, then an
    `HXL <https://hxlstandard.org>`_ hashtag row, then one row per record.
    :func:`export_shelters_geojson` / :func:`export_points_geojson` write an RFC 7946
    FeatureCollection of Point features (``[lon, lat]``) whose properties carry the same
    names as the CSV header. Manager names and phone numbers appear only with ``contacts=True``.
    Text cells that a spreadsheet would run as a formula (``=``, ``@``, ``+``/``-`` followed by
    more than digits) are written with a leading apostrophe; the importer removes it again.

Import
    :func:`parse_csv` / :func:`parse_geojson` turn a file into :class:`SourceRow` values, then
    :func:`import_records` validates every row with the same pydantic schemas as the web forms
    (:class:`~siaga.registry.schemas.ShelterIn`, :class:`~siaga.registry.schemas.PointIn`) and
    upserts by ``code`` through the registry services, inside the caller's transaction
    (it flushes, never commits). Every bad row is reported as a :class:`RowError`
    ``(row, column, reason)``; if there is any, nothing is kept unless ``skip_invalid``.

    CSV: UTF-8 with or without a BOM; comma, semicolon or tab, sniffed from the header line
    (a semicolon file may use decimal commas in ``lat``, ``lon`` and ``floor_area_m2``).
    The HXL row is optional and detected. Columns are matched by header name (a few
    English and Indonesian aliases too) or else by HXL hashtag, in any order.
    Row numbers are the spreadsheet's: the header is row 1, the HXL row (if any) row 2.
    GeoJSON: the "row" is the feature's position in ``features``, counting from 1.

    Region: the most specific of ``village_code`` (#adm4+code), ``district_code``
    (#adm3+code), ``regency_code`` (#adm2+code) or ``region_code``; blank means "find it
    from the coordinates", as in the web form. Owner: the ``owner_org`` column holds an
    organisation's name; rows without one belong to ``default_org_id`` or the user's
    organisation (the services decide, as for the web form).

    Occupancy is *not* imported. The occupancy columns of an export (#affected …) are
    recognised and ignored: occupancy changes only through check-in, check-out and
    correction events, and re-importing an edited export of yesterday must never roll back
    the counts that field teams recorded since. Columns that match nothing are listed in
    :attr:`ImportReport.ignored_columns`.

    Every row is validated and tried (each in its own SAVEPOINT, so database-level errors
    such as an unknown region are found too) before anything is kept: the report lists
    every bad row, not only the first.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import PurePath
from typing import Any, Literal, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from siaga.accounts.models import Organisation, User
from siaga.core.errors import Conflict, NotAllowed, ValidationFailed
from siaga.core.validation import validate
from siaga.extensions import db
from siaga.registry import services
from siaga.registry.labels import WARNING_TEXT
from siaga.registry.models import EvacuationPoint, Shelter
from siaga.registry.schemas import PointIn, ShelterIn

Kind = Literal["shelters", "points"]
Format = Literal["csv", "geojson"]
KINDS: tuple[Kind, ...] = ("shelters", "points")
FORMATS: tuple[Format, ...] = ("csv", "geojson")

#: Rows of a file's header; row number 0 means "the file as a whole".
FILE_ROW = 0
#: Free-text columns that may hold a line break (a quoted cell from a spreadsheet); in any
#: other column a line break means a quote left open that swallowed the next rows.
MULTILINE_KEYS = frozenset({"address", "notes"})

# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """One exported column: header name (also the GeoJSON property) and HXL hashtag."""

    name: str
    tag: str
    #: False for export-only columns (occupancy, dates): recognised and ignored on import.
    importable: bool = True
    #: Manager contact details: exported only with ``contacts=True``.
    contact: bool = False


_REGION_COLUMNS = [
    Column("regency_code", "#adm2+code"),
    Column("district_code", "#adm3+code"),
    Column("village_code", "#adm4+code"),
]

SHELTER_COLUMNS: tuple[Column, ...] = (
    Column("code", "#loc+code"),
    Column("name", "#loc+name"),
    Column("type", "#loc+type"),
    Column("status", "#status"),
    *_REGION_COLUMNS,
    Column("lat", "#geo+lat"),
    Column("lon", "#geo+lon"),
    Column("address", "#loc+address"),
    Column("capacity", "#capacity"),
    Column("floor_area_m2", "#capacity+area_m2"),
    Column("occupants", "#affected", importable=False),
    Column("free", "#capacity+free", importable=False),
    Column("male", "#affected+m", importable=False),
    Column("female", "#affected+f", importable=False),
    Column("under5", "#affected+children+under5", importable=False),
    Column("over60", "#affected+elderly+over60", importable=False),
    Column("pregnant_lactating", "#affected+pregnant_lactating", importable=False),
    Column("disabled", "#affected+disabled", importable=False),
    Column("families", "#affected+hh", importable=False),
    Column("water_points", "#indicator+num+water_points"),
    Column("toilets", "#indicator+num+toilets"),
    Column("accessible_toilets", "#indicator+accessible+num+toilets"),
    Column("has_kitchen", "#indicator+bool+kitchen"),
    Column("has_health_post", "#indicator+bool+health_post"),
    Column("has_power", "#indicator+bool+power"),
    Column("allows_pets", "#indicator+bool+pets"),
    Column("owner_org", "#org+owner"),
    Column("manager_name", "#contact+name", contact=True),
    Column("manager_phone", "#contact+phone", contact=True),
    Column("notes", "#description+notes"),
    Column("occupancy_updated_at", "#date+occupancy", importable=False),
    Column("updated_at", "#date+updated", importable=False),
)

POINT_COLUMNS: tuple[Column, ...] = (
    Column("code", "#loc+code"),
    Column("name", "#loc+name"),
    Column("kind", "#loc+type"),
    Column("status", "#status"),
    *_REGION_COLUMNS,
    Column("lat", "#geo+lat"),
    Column("lon", "#geo+lon"),
    Column("address", "#loc+address"),
    Column("capacity", "#capacity"),
    Column("owner_org", "#org+owner"),
    Column("notes", "#description+notes"),
    Column("updated_at", "#date+updated", importable=False),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {"shelters": SHELTER_COLUMNS, "points": POINT_COLUMNS}
SCHEMAS: dict[Kind, type[ShelterIn] | type[PointIn]] = {"shelters": ShelterIn, "points": PointIn}

#: Columns an import file must have (GeoJSON: lat/lon come from the geometry).
REQUIRED_COLUMNS: dict[Kind, tuple[str, ...]] = {
    "shelters": ("code", "name", "type", "lat", "lon"),
    "points": ("name", "kind", "lat", "lon"),
}

#: Other header names accepted on import (after lower-casing, spaces and dashes to "_").
ALIASES = {
    "latitude": "lat",
    "lintang": "lat",
    "longitude": "lon",
    "lng": "lon",
    "long": "lon",
    "bujur": "lon",
    "kode": "code",
    "nama": "name",
    "jenis": "type",
    "kapasitas": "capacity",
    "alamat": "address",
    "catatan": "notes",
    "kode_wilayah": "region_code",
    "organisation": "owner_org",
    "organization": "owner_org",
    "owner": "owner_org",
}
#: Import-only keys that are not export columns.
_EXTRA_KEYS = ("region_code", "owner_org_id")
_FLOAT_FIELDS = frozenset({"lat", "lon", "floor_area_m2"})
_REGION_KEYS = ("village_code", "district_code", "regency_code", "region_code")  # most specific first

# ---------------------------------------------------------------- results


class RowError(NamedTuple):
    """One problem: the row as the user sees it (0 = the whole file), the column, the reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row == FILE_ROW:
            return f"file: {self.reason}" if not self.column else f"file, column {self.column}: {self.reason}"
        if not self.column:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass
class SourceRow:
    """One record of the file: raw values by import key, and each key's column label in the file."""

    number: int
    values: dict[str, Any]
    labels: dict[str, str]


@dataclass
class ParsedFile:
    kind: Kind
    format: Format
    rows: list[SourceRow] = field(default_factory=list)
    #: File-level problems (encoding, missing columns, not a FeatureCollection ...) and bad rows.
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    #: Rows not written (bad rows with ``skip_invalid``; every row when the import was refused).
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Not errors: e.g. coordinates outside Indonesia.
    warnings: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    #: False when nothing was kept (bad rows without ``skip_invalid``, or a bad file).
    applied: bool = True

    @property
    def total(self) -> int:
        return self.created + self.updated + self.skipped


# ---------------------------------------------------------------- export


def _formula_safe(value: str) -> str:
    """Defuse spreadsheet formulas in text cells; plain numbers and phone numbers stay as they are."""
    if value[:1] in ("=", "@", "\t", "\r") or (
        value[:1] in ("+", "-") and not re.fullmatch(r"[+-][0-9 ()./-]*", value)
    ):
        return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return _formula_safe(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _region_parts(code: str) -> dict[str, str | None]:
    parts = code.split(".")
    return {
        "regency_code": ".".join(parts[:2]) if len(parts) >= 2 else None,
        "district_code": ".".join(parts[:3]) if len(parts) >= 3 else None,
        "village_code": code if len(parts) >= 4 else None,
    }


def shelter_values(s: Shelter) -> dict[str, Any]:
    """A shelter as a flat mapping of export column name to Python value."""
    return {
        "code": s.code,
        "name": s.name,
        "type": s.type,
        "status": s.status,
        **_region_parts(s.region_code),
        "lat": s.lat,
        "lon": s.lon,
        "address": s.address,
        "capacity": s.capacity,
        "floor_area_m2": s.floor_area_m2,
        "occupants": s.occupants,
        "free": s.free_places,
        "male": s.male,
        "female": s.female,
        "under5": s.under5,
        "over60": s.over60,
        "pregnant_lactating": s.pregnant_lactating,
        "disabled": s.disabled,
        "families": s.families,
        "water_points": s.water_points,
        "toilets": s.toilets,
        "accessible_toilets": s.accessible_toilets,
        "has_kitchen": s.has_kitchen,
        "has_health_post": s.has_health_post,
        "has_power": s.has_power,
        "allows_pets": s.allows_pets,
        "owner_org": s.owner.name if s.owner else None,
        "manager_name": s.manager_name,
        "manager_phone": s.manager_phone,
        "notes": s.notes,
        "occupancy_updated_at": s.occupancy_updated_at,
        "updated_at": s.updated_at,
    }


def point_values(p: EvacuationPoint) -> dict[str, Any]:
    """An evacuation point as a flat mapping of export column name to Python value."""
    return {
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "status": p.status,
        **_region_parts(p.region_code),
        "lat": p.lat,
        "lon": p.lon,
        "address": p.address,
        "capacity": p.capacity,
        "owner_org": p.owner.name if p.owner else None,
        "notes": p.notes,
        "updated_at": p.updated_at,
    }


def export_columns(kind: Kind, *, contacts: bool = False) -> list[Column]:
    return [c for c in COLUMNS[kind] if contacts or not c.contact]


def _csv(columns: Sequence[Column], records: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([c.tag for c in columns])
    for rec in records:
        writer.writerow([_cell(rec.get(c.name)) for c in columns])
    return out.getvalue()


def _geojson(columns: Sequence[Column], records: Iterable[dict[str, Any]]) -> str:
    features = []
    for rec in records:
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
            "properties": {
                c.name: _json_value(rec.get(c.name)) for c in columns if c.name not in ("lat", "lon")
            },
        }
        if rec.get("code"):
            feature["id"] = rec["code"]
        features.append(feature)
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1)


def export_shelters_csv(rows: Iterable[Shelter], *, contacts: bool = False) -> str:
    """Header row, HXL row, one row per shelter. Manager name/phone only with ``contacts``."""
    return _csv(export_columns("shelters", contacts=contacts), (shelter_values(s) for s in rows))


def export_points_csv(rows: Iterable[EvacuationPoint]) -> str:
    """Header row, HXL row, one row per evacuation point."""
    return _csv(export_columns("points"), (point_values(p) for p in rows))


def export_shelters_geojson(rows: Iterable[Shelter], *, contacts: bool = False) -> str:
    """A GeoJSON FeatureCollection (RFC 7946, ``[lon, lat]``) of the shelters."""
    return _geojson(export_columns("shelters", contacts=contacts), (shelter_values(s) for s in rows))


def export_points_geojson(rows: Iterable[EvacuationPoint]) -> str:
    """A GeoJSON FeatureCollection (RFC 7946, ``[lon, lat]``) of the evacuation points."""
    return _geojson(export_columns("points"), (point_values(p) for p in rows))


def export_records(kind: Kind) -> list[Any]:
    """Every shelter or evacuation point, in a stable order (by code, then name)."""
    if kind == "shelters":
        return list(db.session.scalars(select(Shelter).order_by(Shelter.code)))
    return list(
        db.session.scalars(
            select(EvacuationPoint).order_by(
                EvacuationPoint.code.is_(None), EvacuationPoint.code, EvacuationPoint.name, EvacuationPoint.id
            )
        )
    )


def export_text(kind: Kind, fmt: Format, *, contacts: bool = False) -> str:
    """The whole registry of ``kind`` as CSV or GeoJSON text."""
    records = export_records(kind)
    if kind == "shelters":
        if fmt == "csv":
            return export_shelters_csv(records, contacts=contacts)
        return export_shelters_geojson(records, contacts=contacts)
    return export_points_csv(records) if fmt == "csv" else export_points_geojson(records)


def guess_format(filename: str | None) -> Format | None:
    """``csv`` or ``geojson`` from a file name's extension, else None."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".geojson", ".json"):
        return "geojson"
    return None


# ---------------------------------------------------------------- parsing

_HXL_SPEC = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*$", re.IGNORECASE)


def _norm_tag(tag: str) -> str:
    """``#Geo +Lat`` -> ``#geo+lat``; attributes sorted, so their order does not matter."""
    parts = [p.strip().lower() for p in tag.strip().split("+")]
    return "+".join([parts[0], *sorted(p for p in parts[1:] if p)])


def _norm_header(header: str) -> str:
    key = re.sub(r"[\s\-]+", "_", header.strip().lower())
    return ALIASES.get(key, key)


def _is_hxl_row(cells: Sequence[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(_HXL_SPEC.match(c) for c in filled)


def _known(kind: Kind) -> tuple[dict[str, Column], dict[str, str]]:
    """Import keys by header name, and by normalised HXL tag."""
    by_name = {c.name: c for c in COLUMNS[kind]}
    by_tag = {_norm_tag(c.tag): c.name for c in COLUMNS[kind]}
    return by_name, by_tag


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8-sig")
    return data.removeprefix("\ufeff")


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unescape(value: str) -> str:
    """Undo :func:`_formula_safe`."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=@+-\t\r":
        return value[1:]
    return value


def parse_csv(data: bytes | str, kind: Kind) -> ParsedFile:
    """Read a CSV file into rows keyed by import key. Problems go to ``errors``, never raise."""
    parsed = ParsedFile(kind=kind, format="csv")
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        parsed.errors.append(
            RowError(
                FILE_ROW,
                "",
                _("the file is not UTF-8 text (byte %(pos)d); save it as CSV UTF-8", pos=exc.start),
            )
        )
        return parsed
    delimiter = _sniff_delimiter(text)
    decimal_comma = delimiter == ";"
    # Each record with the file line it starts on: a quoted cell may hold a line break, so a
    # record is not always one line, and the user looks for the line in their editor.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    starts: list[int] = []
    last_line = 0
    try:
        for cells in reader:
            starts.append(last_line + 1)
            last_line = reader.line_num
            records.append(cells)
    except csv.Error as exc:
        parsed.errors.append(
            RowError(
                last_line + 1,
                "",
                _('not a readable CSV file: %(error)s (a quote " not closed?)', error=str(exc)),
            )
        )
        return parsed
    if not records:
        parsed.errors.append(RowError(FILE_ROW, "", _("the file has no data rows")))
        return parsed

    if _is_hxl_row(records[0]):
        headers, tags, first_data = [""] * len(records[0]), records[0], 1
    elif len(records) > 1 and _is_hxl_row(records[1]):
        headers, tags, first_data = records[0], records[1], 2
    else:
        headers, tags, first_data = records[0], [], 1

    by_name, by_tag = _known(kind)
    columns: dict[int, str] = {}  # cell index -> import key
    labels: dict[str, str] = {}  # import key -> label as the user sees it
    for i in range(max(len(headers), len(tags))):
        header = headers[i].strip() if i < len(headers) else ""
        tag = tags[i].strip() if i < len(tags) else ""
        label = header or tag
        if not label:
            continue
        key = _norm_header(header) if header else ""
        if key not in by_name and key not in _EXTRA_KEYS:
            key = by_tag.get(_norm_tag(tag), "") if tag else ""
        if not key:
            parsed.ignored_columns.append(label)
            continue
        if key in by_name and not by_name[key].importable:
            continue  # export-only (occupancy, dates): ignored on purpose
        if key in labels:
            parsed.errors.append(
                RowError(1, label, _("holds the same data as column %(other)s", other=labels[key]))
            )
            continue
        columns[i] = key
        labels[key] = label
    for key in REQUIRED_COLUMNS[kind]:
        if key not in labels:
            parsed.errors.append(RowError(FILE_ROW, key, _("the file has no such column")))
    if parsed.errors:
        return parsed

    width = max(len(headers), len(tags))
    for number, cells in zip(starts[first_data:], records[first_data:], strict=True):
        if not any(c.strip() for c in cells):
            continue  # blank lines, e.g. the tail of a spreadsheet
        if any(c.strip() for c in cells[width:]):
            # more filled cells than the header has columns: a comma inside an unquoted
            # name shifts every value after it; refuse rather than import shifted data
            parsed.errors.append(
                RowError(
                    number,
                    "",
                    _(
                        "has %(cells)d cells but the header has %(columns)d columns "
                        "(a comma in a value that is not in quotes?)",
                        cells=len(cells),
                        columns=width,
                    ),
                )
            )
            continue
        broken = [
            key
            for i, key in columns.items()
            if key not in MULTILINE_KEYS and i < len(cells) and ("\n" in cells[i] or "\r" in cells[i])
        ]
        if broken:
            # a quote opened and never closed swallows the next lines into one cell
            parsed.errors.append(
                RowError(
                    number,
                    broken[0],
                    _('the value runs over several lines: a quote " that is not closed?'),
                )
            )
            continue
        values: dict[str, Any] = {}
        for i, key in columns.items():
            value = _unescape(cells[i]) if i < len(cells) else ""
            if decimal_comma and key in _FLOAT_FIELDS and re.fullmatch(r"\s*-?\d+,\d+\s*", value):
                value = value.replace(",", ".")
            values[key] = value
        parsed.rows.append(SourceRow(number=number, values=values, labels=labels))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(FILE_ROW, "", _("the file has no data rows")))
    return parsed


def parse_geojson(data: bytes | str, kind: Kind) -> ParsedFile:
    """Read a GeoJSON FeatureCollection of Point features; properties named as the CSV header."""
    parsed = ParsedFile(kind=kind, format="geojson")
    try:
        doc = json.loads(_decode(data))
    except (UnicodeDecodeError, ValueError) as exc:
        parsed.errors.append(
            RowError(FILE_ROW, "", _("not a readable GeoJSON file: %(error)s", error=str(exc)))
        )
        return parsed
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(features, list):
        parsed.errors.append(RowError(FILE_ROW, "", _("a GeoJSON FeatureCollection is expected")))
        return parsed
    if not features:
        parsed.errors.append(RowError(FILE_ROW, "", _("the file has no data rows")))
        return parsed
    by_name, _by_tag = _known(kind)
    ignored: set[str] = set()
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        values: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for name, value in (props or {}).items() if isinstance(props, dict) else ():
            key = _norm_header(str(name))
            if key in ("lat", "lon"):
                continue  # the geometry is the position
            if key not in by_name and key not in _EXTRA_KEYS:
                ignored.add(str(name))
                continue
            if key in by_name and not by_name[key].importable:
                continue
            values[key] = value
            labels[key] = str(name)
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(coords, list)
            or len(coords) < 2
        ):
            parsed.errors.append(
                RowError(number, "geometry", _("must be a Point with [longitude, latitude]"))
            )
            continue
        values["lon"], values["lat"] = coords[0], coords[1]
        labels["lon"], labels["lat"] = "lon", "lat"
        parsed.rows.append(SourceRow(number=number, values=values, labels=labels))
    parsed.ignored_columns = sorted(ignored)
    return parsed


def parse_file(data: bytes | str, kind: Kind, fmt: Format) -> ParsedFile:
    return parse_csv(data, kind) if fmt == "csv" else parse_geojson(data, kind)


# ---------------------------------------------------------------- import


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _organisations() -> dict[str, int]:
    return {o.name.casefold(): o.id for o in db.session.scalars(select(Organisation))}


def _build(
    kind: Kind, row: SourceRow, orgs: dict[str, int], default_org_id: int | None
) -> tuple[dict[str, Any], dict[str, str], list[RowError]]:
    """The schema input for one row, the column label of each schema field, and any errors."""
    errors: list[RowError] = []
    schema_fields = set(SCHEMAS[kind].model_fields)
    data = {k: v for k, v in row.values.items() if k in schema_fields and k not in ("region_code",)}
    labels = {k: row.labels.get(k, k) for k in schema_fields}

    regions = {k: str(row.values[k]).strip() for k in _REGION_KEYS if not _blank(row.values.get(k))}
    for inner, outer in (("village_code", "district_code"), ("district_code", "regency_code")):
        if inner in regions and outer in regions and not regions[inner].startswith(regions[outer] + "."):
            errors.append(
                RowError(
                    row.number,
                    row.labels[inner],
                    _("%(code)s is not inside %(outer)s", code=regions[inner], outer=regions[outer]),
                )
            )
    for key in _REGION_KEYS:
        if key in regions:
            data["region_code"] = regions[key]
            labels["region_code"] = row.labels[key]
            break

    owner_name = row.values.get("owner_org")
    if not _blank(owner_name):
        labels["owner_org_id"] = row.labels["owner_org"]
        org_id = orgs.get(str(owner_name).strip().casefold())
        if org_id is None:
            errors.append(
                RowError(
                    row.number, row.labels["owner_org"], _("unknown organisation %(name)s", name=owner_name)
                )
            )
        else:
            data["owner_org_id"] = org_id
    elif _blank(data.get("owner_org_id")):
        data.pop("owner_org_id", None)
        if default_org_id is not None:
            data["owner_org_id"] = default_org_id
        labels["owner_org_id"] = row.labels.get("owner_org", "owner_org")
    return data, labels, errors


def _row_errors(number: int, labels: dict[str, str], errors: dict[str, str]) -> list[RowError]:
    return [RowError(number, labels.get(key, key), reason) for key, reason in errors.items()]


def _existing(kind: Kind, codes: list[str]) -> dict[str, Any]:
    """The records already in the database for these codes, by code."""
    found: dict[str, Any] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        stmt = (
            select(Shelter).where(Shelter.code.in_(chunk))
            if kind == "shelters"
            else select(EvacuationPoint).where(EvacuationPoint.code.in_(chunk))
        )
        for obj in db.session.scalars(stmt):
            found[obj.code] = obj
    return found


def _upsert(kind: Kind, data: ShelterIn | PointIn, existing: dict[str, Any], user: User | None) -> bool:
    """Create or update one record; True if it was an update."""
    code = getattr(data, "code", None)
    current = existing.get(code) if code else None
    if kind == "shelters":
        assert isinstance(data, ShelterIn)
        if current is not None:
            services.update_shelter(current, data, user)
            return True
        services.create_shelter(data, user)
        return False
    assert isinstance(data, PointIn)
    if current is not None:
        services.update_point(current, data, user)
        return True
    services.create_point(data, user)
    return False


def import_records(
    parsed: ParsedFile,
    *,
    user: User | None,
    default_org_id: int | None = None,
    skip_invalid: bool = False,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Validate every row, then upsert by code; keep nothing if any row is bad, unless ``skip_invalid``.

    Runs inside the caller's transaction and flushes; the caller commits when
    ``report.applied`` (and may roll back otherwise; nothing of the import is left either way).
    ``user`` is the acting user (None for the CLI; then give ``default_org_id`` or an
    ``owner_org`` column). ``progress`` is called with the number of rows just processed.
    """
    kind = parsed.kind
    report = ImportReport(errors=list(parsed.errors), ignored_columns=list(parsed.ignored_columns))
    if not parsed.rows or any(e.row == FILE_ROW for e in parsed.errors):
        # a bad file (encoding, header, no rows): refuse it as a whole
        report.applied = False
        report.skipped = len(parsed.rows) + len({e.row for e in parsed.errors if e.row != FILE_ROW})
        return report
    bad_rows = {e.row for e in parsed.errors}
    schema = SCHEMAS[kind]
    orgs = _organisations() if any("owner_org" in r.values for r in parsed.rows) else {}

    # 1. validate every row (schemas, cross-column checks, codes unique in the file)
    valid: list[tuple[SourceRow, ShelterIn | PointIn, dict[str, str]]] = []
    seen_codes: dict[str, int] = {}
    for row in parsed.rows:
        data, labels, errors = _build(kind, row, orgs, default_org_id)
        model: ShelterIn | PointIn | None
        try:
            model = validate(schema, data)
        except ValidationFailed as exc:
            errors += _row_errors(row.number, labels, exc.errors)
            model = None
        code = str(data.get("code") or "").strip()
        if code:
            if code in seen_codes:
                errors.append(
                    RowError(
                        row.number,
                        labels.get("code", "code"),
                        _("the same code is already in row %(row)d", row=seen_codes[code]),
                    )
                )
            else:
                seen_codes[code] = row.number
        if errors or model is None:
            report.errors += errors
            bad_rows.add(row.number)
            continue
        for warning in services.coordinate_warnings(model):
            report.warnings.append(RowError(row.number, labels["lat"], str(WARNING_TEXT[warning])))
        valid.append((row, model, labels))

    # 2. write every valid row, each in its own savepoint, inside one savepoint for the file
    existing = _existing(kind, list(seen_codes))
    outer = db.session.begin_nested()
    for row, model, labels in valid:
        savepoint = db.session.begin_nested()
        try:
            was_update = _upsert(kind, model, existing, user)
            savepoint.commit()
        except ValidationFailed as exc:
            savepoint.rollback()
            report.errors += _row_errors(row.number, labels, exc.errors)
            bad_rows.add(row.number)
        except (Conflict, NotAllowed) as exc:
            savepoint.rollback()
            column = getattr(exc, "field", None) or "code"
            report.errors.append(RowError(row.number, labels.get(column, column), str(exc)))
            bad_rows.add(row.number)
        except IntegrityError:  # e.g. the same code saved by someone else meanwhile
            savepoint.rollback()
            reason = _("clashes with a record saved at the same time; try again")
            report.errors.append(RowError(row.number, labels.get("code", "code"), reason))
            bad_rows.add(row.number)
        else:
            if was_update:
                report.updated += 1
            else:
                report.created += 1
        if progress is not None:
            progress(1)
    if progress is not None and len(parsed.rows) > len(valid):
        progress(len(parsed.rows) - len(valid))

    report.errors.sort(key=lambda e: e.row)  # stable: a row's errors keep their order
    if report.errors and not skip_invalid:
        outer.rollback()
        report.applied = False
        report.created = report.updated = 0
        report.skipped = len({r.number for r in parsed.rows} | bad_rows)
    else:
        outer.commit()
        report.skipped = len(bad_rows)
    return report


def import_file(
    data: bytes | str,
    kind: Kind,
    fmt: Format,
    *,
    user: User | None,
    default_org_id: int | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Parse and import in one call (see :func:`import_records`)."""
    return import_records(
        parse_file(data, kind, fmt), user=user, default_org_id=default_org_id, skip_invalid=skip_invalid
    )
