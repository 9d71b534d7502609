"""Demo aid logistics: the item catalogue, three depots with stock, deliveries in every state, a request.

Idempotent (does nothing once items exist). Call after the registry demo: deliveries go to
its occupied shelters. Everything goes through the services, so the ledger, the audit log
and the stock checks are the real ones.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from siaga.accounts.models import Organisation, Role, User
from siaga.aid import services
from siaga.aid.models import DistributionStatus, Item
from siaga.aid.schemas import DepotIn, DistributionIn, ItemIn, ReceiptIn, ReceiveIn, RequestIn, StatusIn
from siaga.core.context import Actor, acting_as
from siaga.db import utcnow
from siaga.extensions import db
from siaga.registry.models import Shelter

#: code, name, unit, category, need key, has expiry
CATALOGUE = [
    ("beras", "Beras", "kg", "food", "rice", True),
    ("air-minum", "Air minum (botol)", "L", "water", "drinking_water", True),
    ("air-bersih", "Air bersih (tangki)", "L", "water", "clean_water", False),
    ("family-kit", "Family kit", "pcs", "household", "family_kit", False),
    ("hygiene-kit", "Hygiene kit", "pcs", "hygiene", "hygiene_pack", False),
    ("selimut", "Selimut", "pcs", "shelter", None, False),
    ("tikar", "Tikar", "pcs", "shelter", None, False),
    ("mie-siap-saji", "Makanan siap saji", "pack", "food", None, True),
    ("susu-bayi", "Susu bayi", "pack", "food", None, True),
    ("popok", "Popok bayi", "pack", "hygiene", None, False),
    ("obat", "Obat-obatan (paket)", "pack", "health", None, True),
    ("terpal", "Terpal", "sheet", "shelter", None, False),
    ("tenda", "Tenda keluarga", "pcs", "shelter", None, False),
]
#: code, name, kind, owner organisation, lat, lon, region (regency)
DEPOTS = [
    (
        "GDG-MUBA-01",
        "Gudang Logistik Polres Musi Banyuasin",
        "warehouse",
        "Polres Musi Banyuasin",
        -2.8897,
        103.8456,
        "16.06",
    ),
    (
        "PSK-PLG-01",
        "Posko Logistik BPBD Kota Palembang",
        "logistics_post",
        "BPBD Kota Palembang",
        -2.9761,
        104.7754,
        "16.71",
    ),
    (
        "GDG-SLK-01",
        "Gudang BPBD Kabupaten Solok",
        "warehouse",
        "BPBD Kabupaten Solok",
        -0.9836,
        100.8413,
        "13.02",
    ),
]
STOCK = {
    "beras": 5000,
    "air-minum": 20000,
    "air-bersih": 60000,
    "family-kit": 400,
    "hygiene-kit": 600,
    "selimut": 800,
    "tikar": 500,
    "mie-siap-saji": 3000,
    "susu-bayi": 400,
    "popok": 600,
    "obat": 150,
    "terpal": 300,
    "tenda": 60,
}


def load_aid_demo() -> list[str]:
    """Load the demo; return a line per kind of thing created (nothing when items already exist)."""
    if db.session.scalar(select(func.count(Item.id))):
        return []
    now = utcnow()
    created: list[str] = []
    with acting_as(Actor(user_id=None, label="demo", via="cli")):
        items = {
            code: services.create_item(
                ItemIn.model_validate(
                    {
                        "code": code,
                        "name": name,
                        "unit": unit,
                        "category": cat,
                        "need_key": need,
                        "has_expiry": exp,
                    }
                )
            )
            for code, name, unit, cat, need, exp in CATALOGUE
        }
        created.append(f"{len(items)} aid items")
        fallback = db.session.scalar(select(Organisation).order_by(Organisation.id))
        if fallback is None:
            return created
        depots = []
        for code, name, kind, org_name, lat, lon, region in DEPOTS:
            org = db.session.scalar(select(Organisation).where(Organisation.name == org_name)) or fallback
            owner = db.session.scalar(
                select(User).where(User.organisation_id == org.id)
            ) or db.session.scalar(select(User).order_by(User.id))
            if owner is None:
                return created
            depot = services.create_depot(
                DepotIn.model_validate(
                    {
                        "code": code,
                        "name": name,
                        "kind": kind,
                        "lat": lat,
                        "lon": lon,
                        "owner_org_id": org.id,
                        "region_code": region,
                    }
                ),
                owner,
            )
            depots.append(depot)
            for item_code, qty in STOCK.items():
                item = items[item_code]
                # One batch of bottled water expires soon, to show the warning.
                expiry = None
                if item.has_expiry:
                    expiry = (now + timedelta(days=20 if item_code == "air-minum" else 240)).date()
                services.receive(
                    depot.id,
                    ReceiveIn.model_validate(
                        {
                            "item_id": item.id,
                            "quantity": qty,
                            "source": "donation"
                            if item_code in ("selimut", "tikar", "susu-bayi")
                            else "procurement",
                            "donor": "PT Semen Baturaja (CSR)"
                            if item_code in ("selimut", "tikar", "susu-bayi")
                            else None,
                            "batch_expiry": expiry,
                        }
                    ),
                )
        created.append(f"{len(depots)} depots with stock")
        team = db.session.scalar(
            select(User).where(User.email == "lapangan@siaga.example")
        ) or db.session.scalar(select(User).where(User.role == Role.FIELD))
        shelters = list(
            db.session.scalars(select(Shelter).where(Shelter.occupants > 0).order_by(Shelter.id).limit(5))
        )
        if not shelters:
            return created
        depot = depots[0]
        states = [
            DistributionStatus.PLANNED,
            DistributionStatus.LOADED,
            DistributionStatus.IN_TRANSIT,
            DistributionStatus.DELIVERED,
            DistributionStatus.CONFIRMED,
        ]
        request = services.create_request(
            RequestIn.model_validate(
                {
                    "shelter_id": shelters[0].id,
                    "priority": 4,
                    "lines": [
                        {"item_id": items["beras"].id, "quantity": 200},
                        {"item_id": items["susu-bayi"].id, "quantity": 30},
                    ],
                    "note": "Banyak balita; stok beras habis besok pagi.",
                }
            ),
            None,
        )
        for i, (shelter, state) in enumerate(zip(shelters, states, strict=False)):
            people = max(shelter.occupants, 1)
            rice = max(people * 12 // 10, 10)  # three days at 0.4 kg
            d, _w = services.plan_distribution(
                DistributionIn.model_validate(
                    {
                        "depot_id": depot.id,
                        "shelter_id": shelter.id,
                        "lines": [
                            {"item_id": items["beras"].id, "quantity": rice},
                            {"item_id": items["air-minum"].id, "quantity": people * 15},
                            {"item_id": items["family-kit"].id, "quantity": max(people // 5, 1)},
                        ],
                        "assigned_user_id": team.id if team else None,
                        "vehicle": f"BG {8100 + i} MB",
                        "planned_at": now - timedelta(hours=6 - i),
                        "request_id": request.id if i == 0 else None,
                    }
                )
            )
            order = [DistributionStatus.LOADED, DistributionStatus.IN_TRANSIT]
            for step in order[: states.index(state)]:
                services.change_status(d.id, StatusIn(status=step), None)
            if state in (DistributionStatus.DELIVERED, DistributionStatus.CONFIRMED):
                services.record_receipt(
                    d.id,
                    ReceiptIn.model_validate(
                        {
                            "lines": [
                                {
                                    "item_id": line.item_id,
                                    # The delivered one arrives two sacks short: a discrepancy to show.
                                    "quantity_received": line.quantity
                                    - (
                                        2
                                        if state == DistributionStatus.DELIVERED
                                        and line.item_id == items["beras"].id
                                        else 0
                                    ),
                                }
                                for line in d.lines
                            ],
                            "receiver_name": shelter.manager_name or "Pengelola posko",
                            "lat": shelter.lat,
                            "lon": shelter.lon,
                        }
                    ),
                    None,
                )
            if state == DistributionStatus.CONFIRMED:
                services.change_status(d.id, StatusIn(status=DistributionStatus.CONFIRMED), None)
        created.append(f"{min(len(shelters), len(states))} deliveries and 1 request")
    db.session.flush()
    return created
