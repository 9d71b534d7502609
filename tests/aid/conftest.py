"""Fixtures for aid logistics: a small catalogue, depots with stock, planned distributions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

#: code, name, unit, category, need key, has expiry
CATALOGUE = [
    ("rice", "Beras", "kg", "food", "rice", True),
    ("water", "Air minum", "L", "water", "drinking_water", False),
    ("clean", "Air bersih", "L", "water", "clean_water", False),
    ("kit", "Family kit", "pcs", "household", "family_kit", False),
    ("hygiene", "Hygiene kit", "pcs", "hygiene", "hygiene_pack", False),
    ("blanket", "Selimut", "pcs", "shelter", None, False),
]
NEXT_YEAR = date.today() + timedelta(days=365)


@pytest.fixture
def items(db_session: Any) -> dict[str, Any]:
    from siaga.aid import services
    from siaga.aid.schemas import ItemIn

    out = {}
    for code, name, unit, category, need, expiry in CATALOGUE:
        out[code] = services.create_item(
            ItemIn(
                code=f"t-{code}", name=name, unit=unit, category=category, need_key=need, has_expiry=expiry
            )
        )
    return out


@pytest.fixture
def make_depot(db_session: Any, users: dict[str, Any]) -> Any:
    from siaga.aid import services
    from siaga.aid.schemas import DepotIn

    counter = iter(range(1, 1000))

    def make(owner: Any = None, **kw: Any) -> Any:
        data = {
            "code": f"G-{next(counter):03d}",
            "name": "Gudang Test",
            "kind": "warehouse",
            "lat": -2.97,
            "lon": 104.77,
        }
        data.update(kw)
        return services.create_depot(DepotIn.model_validate(data), owner or users["coordinator"])

    return make


@pytest.fixture
def stock(db_session: Any) -> Any:
    """Receive ``quantity`` of ``item`` into ``depot`` (a donation; expiring items a year out)."""
    from siaga.aid import services
    from siaga.aid.schemas import ReceiveIn

    def add(depot: Any, item: Any, quantity: int, expiry: date | None = None) -> Any:
        return services.receive(
            depot.id,
            ReceiveIn(
                item_id=item.id,
                quantity=quantity,
                source="donation",
                donor="PT Donatur",
                batch_expiry=(expiry or NEXT_YEAR) if item.has_expiry else None,
            ),
        )

    return add


@pytest.fixture
def plan(db_session: Any, users: dict[str, Any]) -> Any:
    from siaga.aid import services
    from siaga.aid.schemas import DistributionIn

    def make(depot: Any, shelter: Any, lines: dict[Any, int], team: Any = "field", **kw: Any) -> Any:
        d, _warnings = services.plan_distribution(
            DistributionIn.model_validate(
                {
                    "depot_id": depot.id,
                    "shelter_id": shelter.id,
                    "lines": [{"item_id": i.id, "quantity": q} for i, q in lines.items()],
                    "assigned_user_id": users[team].id if team else None,
                    "planned_at": datetime.now(UTC),
                    **kw,
                }
            )
        )
        return d

    return make


def delete_aid_notices(distribution_ids: list[int], user_ids: list[int]) -> None:
    """Remove the notices committed tests caused: aid messages of these distributions, their
    deliveries, and the in-app contacts made for these users (call before deleting the users)."""
    from sqlalchemy import delete, or_, select

    from siaga.extensions import db
    from siaga.messaging.models import Contact, Delivery, Message

    keys = [f"aid:{d}:{event}" for d in distribution_ids for event in ("in_transit", "delivered")]
    messages = select(Message.id).where(Message.dedupe_key.in_(keys))
    contacts = select(Contact.id).where(Contact.user_id.in_(user_ids))
    db.session.execute(
        delete(Delivery).where(or_(Delivery.message_id.in_(messages), Delivery.contact_id.in_(contacts)))
    )
    db.session.execute(delete(Message).where(Message.dedupe_key.in_(keys)))
    db.session.execute(delete(Contact).where(Contact.user_id.in_(user_ids)))
