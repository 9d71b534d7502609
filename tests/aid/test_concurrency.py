"""Never below zero under concurrency: real threads through the API, each its own transaction.

Runs on every backend; on PostgreSQL (CI) it exercises the depot row lock. Data is committed
for real (threads need their own connections) and removed afterwards.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from siaga.accounts.models import ApiToken, Organisation, User
from siaga.aid.models import (
    Depot,
    Distribution,
    DistributionEvent,
    DistributionLine,
    Item,
    MovementKind,
    StockMovement,
)
from siaga.core.models import IdempotencyRecord
from siaga.extensions import db
from siaga.registry.models import Shelter

pytestmark = pytest.mark.concurrency

SACKS = 10
TEAMS = 8


@pytest.fixture
def committed(app):
    """A coordinator with a token, a depot holding 10 sacks, and 8 planned deliveries of 3 each."""
    from siaga.accounts.services import create_api_token, create_user, get_or_create_organisation
    from siaga.aid import services
    from siaga.aid.schemas import DepotIn, DistributionIn, ItemIn, ReceiveIn
    from siaga.registry.schemas import ShelterIn
    from siaga.registry.services import create_shelter

    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        org = get_or_create_organisation(f"Polres Aid {tag}", "POLRES", "16.71")
        user = create_user(
            email=f"aid-{tag}@siaga.example",
            name="c",
            password="long-enough-pw",
            role="coordinator",
            organisation=org,
        )
        shelter = create_shelter(
            ShelterIn.model_validate(
                {
                    "code": f"A-{tag}",
                    "name": "Posko",
                    "type": "school",
                    "lat": -2.97,
                    "lon": 104.77,
                    "capacity": 100,
                }
            ),
            user,
        )
        item = services.create_item(
            ItemIn(code=f"sack-{tag}", name="Beras (karung)", unit="sack", category="food")
        )
        depot = services.create_depot(
            DepotIn(code=f"G-{tag}", name="Gudang", kind="warehouse", lat=-2.97, lon=104.77), user
        )
        services.receive(depot.id, ReceiveIn(item_id=item.id, quantity=SACKS, source="procurement"))
        dists = []
        for _ in range(TEAMS):
            d, _w = services.plan_distribution(
                DistributionIn(
                    depot_id=depot.id,
                    shelter_id=shelter.id,
                    lines=[{"item_id": item.id, "quantity": 3}],
                    planned_at=datetime.now(UTC),
                )
            )
            dists.append(d.id)
        _t, token = create_api_token(user, "aid-conc")
        db.session.commit()
        ids = {
            "user": user.id,
            "org": org.id,
            "shelter": shelter.id,
            "item": item.id,
            "depot": depot.id,
            "dists": dists,
            "token": token,
        }
    yield ids
    with app.app_context():
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == ids["user"]))
        db.session.execute(delete(StockMovement).where(StockMovement.depot_id == ids["depot"]))
        db.session.execute(
            delete(DistributionEvent).where(DistributionEvent.distribution_id.in_(ids["dists"]))
        )
        db.session.execute(delete(DistributionLine).where(DistributionLine.distribution_id.in_(ids["dists"])))
        db.session.execute(delete(Distribution).where(Distribution.id.in_(ids["dists"])))
        db.session.execute(delete(Depot).where(Depot.id == ids["depot"]))
        db.session.execute(delete(Item).where(Item.id == ids["item"]))
        db.session.execute(delete(Shelter).where(Shelter.id == ids["shelter"]))
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == ids["user"]))
        db.session.execute(delete(User).where(User.id == ids["user"]))
        db.session.execute(delete(Organisation).where(Organisation.id == ids["org"]))
        db.session.commit()


def _post(app, token, url, body, key=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    resp = app.test_client().post(url, data=json.dumps(body), headers=headers)
    return resp.status_code, resp.get_json()


def _balance(app, depot_id, item_id):
    with app.app_context():
        return db.session.scalar(
            select(func.sum(StockMovement.quantity)).where(
                StockMovement.depot_id == depot_id, StockMovement.item_id == item_id
            )
        )


def test_concurrent_loads_never_take_more_than_is_there(app, committed):
    def load(dist_id):
        return _post(
            app, committed["token"], f"/api/v1/aid/distributions/{dist_id}/status", {"status": "loaded"}
        )

    with ThreadPoolExecutor(max_workers=TEAMS) as pool:
        results = list(pool.map(load, committed["dists"]))
    statuses = sorted(s for s, _b in results)
    assert statuses == [200] * 3 + [409] * (TEAMS - 3), results
    assert _balance(app, committed["depot"], committed["item"]) == SACKS - 9
    with app.app_context():
        loaded = db.session.scalar(
            select(func.count(Distribution.id)).where(
                Distribution.id.in_(committed["dists"]), Distribution.status == "loaded"
            )
        )
        taken = db.session.scalar(
            select(func.count(StockMovement.id)).where(
                StockMovement.depot_id == committed["depot"], StockMovement.kind == MovementKind.DISTRIBUTE
            )
        )
    assert loaded == taken == 3


def test_concurrent_write_offs_stop_at_zero(app, committed):
    url = f"/api/v1/aid/depots/{committed['depot']}/adjustments"
    body = {"item_id": committed["item"], "quantity": -1, "adjust_reason": "lost", "reason": "hilang"}
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _i: _post(app, committed["token"], url, body), range(16)))
    assert sorted(s for s, _b in results) == [201] * SACKS + [409] * 6, results
    assert _balance(app, committed["depot"], committed["item"]) == 0


def test_concurrent_retries_of_one_load_apply_once(app, committed):
    key = f"load-{uuid.uuid4()}"
    url = f"/api/v1/aid/distributions/{committed['dists'][0]}/status"
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda _i: _post(app, committed["token"], url, {"status": "loaded"}, key), range(6))
        )
    assert {s for s, _b in results} == {200}, results
    assert _balance(app, committed["depot"], committed["item"]) == SACKS - 3
