"""HXL-tagged CSV exports: deliveries (3W/4W: who, what, where, when) and stock.

Row one holds readable headers, row two the HXL hashtags, as HXL tools expect. Tags used:
``#org`` who (the depot's owner organisation), ``#sector`` and ``#item`` what (the
item's category, name, code and unit), ``#adm1``/``#adm2``/``#adm3``/``#loc``/``#geo``
where (the shelter or depot, with Kemendagri codes), ``#date`` when, and ``#output+num``
for quantities (sent, received, shortfall; stock balance). No people's names: receivers
and drivers stay out of the exports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from siaga.aid.models import Depot, Distribution, DistributionStatus, Item
from siaga.aid.services import stock_rows
from siaga.extensions import db
from siaga.regions.services import region_names

DELIVERY_COLUMNS = [
    ("Distribution", "#activity+code"),
    ("Status", "#status"),
    ("Organisation", "#org+name"),
    ("Sector", "#sector"),
    ("Item", "#item+name"),
    ("Item code", "#item+code"),
    ("Unit", "#item+unit"),
    ("Sent", "#output+num+sent"),
    ("Received", "#output+num+received"),
    ("Shortfall", "#output+num+shortfall"),
    ("Province code", "#adm1+code"),
    ("Regency code", "#adm2+code"),
    ("Regency", "#adm2+name"),
    ("District code", "#adm3+code"),
    ("District", "#adm3+name"),
    ("Shelter", "#loc+name"),
    ("Shelter code", "#loc+code"),
    ("Latitude", "#geo+lat"),
    ("Longitude", "#geo+lon"),
    ("Depot", "#loc+name+origin"),
    ("Planned", "#date+planned"),
    ("Delivered", "#date+delivered"),
]
STOCK_COLUMNS = [
    ("Depot", "#loc+name"),
    ("Depot code", "#loc+code"),
    ("Organisation", "#org+name"),
    ("Province code", "#adm1+code"),
    ("Regency code", "#adm2+code"),
    ("District code", "#adm3+code"),
    ("Latitude", "#geo+lat"),
    ("Longitude", "#geo+lon"),
    ("Sector", "#sector"),
    ("Item", "#item+name"),
    ("Item code", "#item+code"),
    ("Unit", "#item+unit"),
    ("Quantity", "#output+num+stock"),
]


def _levels(code: str) -> tuple[str, str, str]:
    parts = code.split(".")
    return parts[0], ".".join(parts[:2]), ".".join(parts[:3]) if len(parts) >= 3 else ""


def _date(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def _write(header: list[tuple[str, str]], rows: Iterable[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([h for h, _t in header])
    w.writerow([t for _h, t in header])
    for row in rows:
        w.writerow(row)
    return buf.getvalue()


def deliveries_csv(distributions: list[Distribution]) -> str:
    codes: set[str] = set()
    for d in distributions:
        _p, regency, district = _levels(d.shelter.region_code)
        codes.update({regency, district})
    names = region_names(codes)

    def rows() -> Iterable[list[Any]]:
        for d in distributions:
            if d.status == DistributionStatus.CANCELLED:
                continue
            province, regency, district = _levels(d.shelter.region_code)
            for line in d.lines:
                yield [
                    d.code,
                    d.status.value,
                    d.depot.owner.name,
                    line.item.category.value,
                    line.item.name,
                    line.item.code,
                    line.item.unit,
                    line.quantity if d.status != DistributionStatus.PLANNED else 0,
                    "" if line.quantity_received is None else line.quantity_received,
                    line.shortfall,
                    province,
                    regency,
                    names.get(regency, ""),
                    district,
                    names.get(district, ""),
                    d.shelter.name,
                    d.shelter.code,
                    d.shelter.lat,
                    d.shelter.lon,
                    d.depot.name,
                    _date(d.planned_at),
                    _date(d.delivered_at),
                ]

    return _write(DELIVERY_COLUMNS, rows())


def stock_csv(depots: list[Depot]) -> str:
    by_id = {d.id: d for d in depots}
    items = {i.id: i for i in db.session.scalars(select(Item))}
    data = sorted(
        (r for r in stock_rows(list(by_id))),
        key=lambda r: (by_id[r.depot_id].name, items[r.item_id].name),
    )

    def rows() -> Iterable[list[Any]]:
        for r in data:
            depot, item = by_id[r.depot_id], items[r.item_id]
            province, regency, district = _levels(depot.region_code)
            yield [
                depot.name,
                depot.code,
                depot.owner.name,
                province,
                regency,
                district,
                depot.lat,
                depot.lon,
                item.category.value,
                item.name,
                item.code,
                item.unit,
                r.quantity,
            ]

    return _write(STOCK_COLUMNS, rows())
