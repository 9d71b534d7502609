"""No lost counts: 50 concurrent check-ins through the real API, each its own transaction.

Runs on every backend; on PostgreSQL (CI) it exercises the row lock. Data is committed for
real (threads need their own connections) and removed afterwards.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, select

from siaga.accounts.models import ApiToken, Organisation, User
from siaga.core.models import IdempotencyRecord
from siaga.extensions import db
from siaga.registry.models import OccupancyEvent, Shelter

pytestmark = pytest.mark.concurrency

N = 50


@pytest.fixture
def committed(app):
    """A shelter, a coordinator and a token, committed; deleted after the test."""
    from siaga.accounts.services import create_api_token, create_user, get_or_create_organisation
    from siaga.registry.schemas import ShelterIn
    from siaga.registry.services import create_shelter

    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        org = get_or_create_organisation(f"Polres Conc {tag}", "POLRES", "16.71")
        user = create_user(
            email=f"conc-{tag}@siaga.example",
            name="c",
            password="long-enough-pw",
            role="coordinator",
            organisation=org,
        )
        shelter = create_shelter(
            ShelterIn.model_validate(
                {
                    "code": f"C-{tag}",
                    "name": "Concurrent",
                    "type": "school",
                    "lat": -2.97,
                    "lon": 104.77,
                    "capacity": 1000,
                    "status": "open",
                }
            ),
            user,
        )
        _t, token = create_api_token(user, "conc")
        db.session.commit()
        ids = {"shelter": shelter.id, "user": user.id, "org": org.id, "token": token}
    yield ids
    with app.app_context():
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == ids["user"]))
        db.session.execute(delete(OccupancyEvent).where(OccupancyEvent.shelter_id == ids["shelter"]))
        db.session.execute(delete(Shelter).where(Shelter.id == ids["shelter"]))
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == ids["user"]))
        db.session.execute(delete(User).where(User.id == ids["user"]))
        db.session.execute(delete(Organisation).where(Organisation.id == ids["org"]))
        db.session.commit()


def _post(app, token, shelter_id, body, key=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    resp = app.test_client().post(
        f"/api/v1/shelters/{shelter_id}/occupancy", data=json.dumps(body), headers=headers
    )
    return resp.status_code, resp.get_json()


def test_fifty_concurrent_check_ins_end_at_exactly_fifty(app, committed):
    body = {"kind": "check_in", "people": 1}
    with ThreadPoolExecutor(max_workers=N) as pool:
        results = list(
            pool.map(lambda _i: _post(app, committed["token"], committed["shelter"], body), range(N))
        )
    assert [s for s, _b in results] == [201] * N, results
    with app.app_context():
        shelter = db.session.get(Shelter, committed["shelter"])
        assert shelter.occupants == N
        events = db.session.scalars(
            select(OccupancyEvent.occupants_after).where(OccupancyEvent.shelter_id == committed["shelter"])
        ).all()
        # Each event saw the one before it: the running totals are exactly 1..N.
        assert sorted(events) == list(range(1, N + 1))


def test_concurrent_retries_with_one_key_apply_once(app, committed):
    body = {"kind": "check_in", "people": 3}
    key = f"retry-{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(
            pool.map(lambda _i: _post(app, committed["token"], committed["shelter"], body, key), range(10))
        )
    statuses = {s for s, _b in results}
    assert statuses == {201}, results
    event_ids = {b["event"]["id"] for _s, b in results}
    assert len(event_ids) == 1  # every answer is the first one's
    with app.app_context():
        assert db.session.get(Shelter, committed["shelter"]).occupants == 3
        count = db.session.scalar(
            select(func.count(OccupancyEvent.id)).where(OccupancyEvent.shelter_id == committed["shelter"])
        )
        assert count == 1
