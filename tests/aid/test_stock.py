"""The stock ledger: receive, transfer, adjust, balances that never go negative, expiry warnings.

Bad input (negative, non-numeric, fractional quantities, unknown items) is a clear 422 and
changes nothing; not enough stock is a 409 and changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from siaga.aid import services
from siaga.aid.models import MovementKind, StockMovement
from siaga.aid.schemas import AdjustIn, TransferIn
from siaga.core.errors import Conflict
from siaga.extensions import db


def _movements() -> int:
    return db.session.scalar(select(func.count(StockMovement.id))) or 0


def _post(client, url, body, **headers):
    return client.post(url, json=body, headers=headers)


def test_receive_through_the_api_records_donor_actor_and_balance(login_as, users, items, make_depot):
    client = login_as("coordinator")
    depot = make_depot()
    resp = _post(
        client,
        f"/api/v1/aid/depots/{depot.id}/receipts",
        {"item_id": items["water"].id, "quantity": 500, "source": "donation", "donor": "PMI Sumsel"},
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["balance"] == 500
    assert body["movement"]["donor"] == "PMI Sumsel" and body["movement"]["by"] == users["coordinator"].email
    assert body["movement"]["kind"] == "receive" and body["movement"]["via"] == "api"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"quantity": -5}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "sepuluh"}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": "2,5"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"item_id": 999_999}, "item_id"),
        ({"item_id": "beras"}, "item_id"),
        ({"source": "gift"}, "source"),
        ({"donor": ""}, "donor"),  # a donation names its donor
    ],
)
def test_bad_receipts_are_refused_and_change_nothing(login_as, items, make_depot, patch, field):
    client = login_as("coordinator")
    depot = make_depot()
    body = {"item_id": items["water"].id, "quantity": 10, "source": "donation", "donor": "PT X", **patch}
    before = _movements()
    resp = _post(client, f"/api/v1/aid/depots/{depot.id}/receipts", body)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["fields"]
    assert _movements() == before


def test_food_needs_an_expiry_date(login_as, items, make_depot):
    client = login_as("coordinator")
    depot = make_depot()
    body = {"item_id": items["rice"].id, "quantity": 10, "source": "procurement"}
    resp = _post(client, f"/api/v1/aid/depots/{depot.id}/receipts", body)
    assert resp.status_code == 422 and "batch_expiry" in resp.get_json()["fields"]
    body["batch_expiry"] = (date.today() + timedelta(days=100)).isoformat()
    assert _post(client, f"/api/v1/aid/depots/{depot.id}/receipts", body).status_code == 201


def test_adjustment_needs_a_reason_and_cannot_go_negative(login_as, items, make_depot, stock):
    client = login_as("coordinator")
    depot = make_depot()
    stock(depot, items["blanket"], 20)
    url = f"/api/v1/aid/depots/{depot.id}/adjustments"
    no_reason = _post(
        client, url, {"item_id": items["blanket"].id, "quantity": -3, "adjust_reason": "damaged"}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    before = _movements()
    too_many = _post(
        client,
        url,
        {"item_id": items["blanket"].id, "quantity": -21, "adjust_reason": "lost", "reason": "banjir"},
    )
    assert too_many.status_code == 409, too_many.get_json()
    assert _movements() == before
    ok = _post(
        client,
        url,
        {"item_id": items["blanket"].id, "quantity": -3, "adjust_reason": "damaged", "reason": "basah"},
    )
    assert ok.status_code == 201 and ok.get_json()["balance"] == 17
    recount = _post(
        client,
        url,
        {
            "item_id": items["blanket"].id,
            "quantity": 2,
            "adjust_reason": "count_correction",
            "reason": "hitung ulang",
        },
    )
    assert recount.get_json()["balance"] == 19


def test_transfer_moves_stock_and_its_expiry_dates(login_as, items, make_depot, stock):
    client = login_as("coordinator")
    a, b = make_depot(name="Gudang A"), make_depot(name="Gudang B")
    soon, later = date.today() + timedelta(days=40), date.today() + timedelta(days=200)
    stock(a, items["rice"], 30, expiry=soon)
    stock(a, items["rice"], 50, expiry=later)
    resp = _post(
        client,
        "/api/v1/aid/transfers",
        {
            "from_depot_id": a.id,
            "to_depot_id": b.id,
            "lines": [{"item_id": items["rice"].id, "quantity": 40}],
        },
    )
    assert resp.status_code == 201, resp.get_json()
    assert services.balance(a.id, items["rice"].id) == 40
    assert services.balance(b.id, items["rice"].id) == 40
    # First expiring first: all 30 of the early batch and 10 of the later one moved.
    assert services.batches(b.id, items["rice"].id) == [(soon, 30), (later, 10)]
    assert services.batches(a.id, items["rice"].id) == [(later, 40)]


def test_transfer_of_more_than_is_there_changes_nothing(login_as, items, make_depot, stock):
    client = login_as("coordinator")
    a, b = make_depot(), make_depot()
    stock(a, items["kit"], 5)
    stock(a, items["water"], 100)
    before = _movements()
    resp = _post(
        client,
        "/api/v1/aid/transfers",
        {
            "from_depot_id": a.id,
            "to_depot_id": b.id,
            "lines": [
                {"item_id": items["water"].id, "quantity": 50},
                {"item_id": items["kit"].id, "quantity": 6},
            ],
        },
    )
    assert resp.status_code == 409 and "lines.1.quantity" in resp.get_json()["fields"]
    assert _movements() == before and services.balance(a.id, items["water"].id) == 100


def test_transfer_to_the_same_depot_or_with_repeated_items_is_refused(items, make_depot):
    from siaga.core.errors import ValidationFailed
    from siaga.core.validation import validate

    a = make_depot()
    with pytest.raises(ValidationFailed) as exc:
        services.transfer(
            TransferIn(
                from_depot_id=a.id, to_depot_id=a.id, lines=[{"item_id": items["kit"].id, "quantity": 1}]
            )
        )
    assert "to_depot_id" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        validate(
            TransferIn,
            {
                "from_depot_id": 1,
                "to_depot_id": 2,
                "lines": [{"item_id": 1, "quantity": 1}, {"item_id": 1, "quantity": 2}],
            },
        )
    assert "lines" in exc.value.errors


def test_expiry_warning_before_the_date_and_expired_stock_is_not_distributed(items, make_depot, stock):
    depot = make_depot()
    today = date.today()
    stock(depot, items["rice"], 10, expiry=today - timedelta(days=1))
    stock(depot, items["rice"], 20, expiry=today + timedelta(days=10))
    stock(depot, items["rice"], 30, expiry=today + timedelta(days=300))
    warnings = services.expiry_warnings([depot.id], today)
    assert [(w.quantity, w.days_left, w.is_expired) for w in warnings] == [(10, -1, True), (20, 10, False)]
    # Distributions skip the expired batch: 50 usable of 60.
    locked = services.lock_depot(depot.id)
    with pytest.raises(Conflict):
        services._take(locked, items["rice"], 51, MovementKind.DISTRIBUTE, field="q", usable_only=True)
    taken = services._take(locked, items["rice"], 25, MovementKind.DISTRIBUTE, field="q", usable_only=True)
    assert [(m.batch_expiry, m.quantity) for m in taken] == [
        (today + timedelta(days=10), -20),
        (today + timedelta(days=300), -5),
    ]
    # Writing off the expired sacks takes the expired batch first.
    services.adjust(
        depot.id,
        AdjustIn(item_id=items["rice"].id, quantity=-10, adjust_reason="expired", reason="kedaluwarsa"),
    )
    assert services.expiry_warnings([depot.id], today) == []
    assert services.balance(depot.id, items["rice"].id) == 25


def test_depot_pages_show_stock_and_ledger(login_as, items, make_depot, stock):
    depot = make_depot(name="Gudang Sekojo")
    stock(depot, items["blanket"], 12)
    client = login_as("coordinator")  # after the data: a view's rollback must not drop it
    page = client.get(f"/aid/depots/{depot.id}").get_data(as_text=True)
    assert "Gudang Sekojo" in page and "PT Donatur" in page and 'class="qty">12<' in page
    resp = client.post(
        f"/aid/depots/{depot.id}/movements",
        data={
            "action": "adjust",
            "item_id": items["blanket"].id,
            "quantity": "-20",
            "adjust_reason": "lost",
            "reason": "x",
        },
    )
    assert resp.status_code == 409 and services.balance(depot.id, items["blanket"].id) == 12
    resp = client.post(
        f"/aid/depots/{depot.id}/movements",
        data={"action": "receive", "item_id": items["blanket"].id, "quantity": "8", "source": "procurement"},
    )
    assert resp.status_code == 302 and services.balance(depot.id, items["blanket"].id) == 20


def test_partner_sees_only_own_organisation_depots(login_as, users, make_depot):
    own = make_depot(owner=users["partner"], name="Gudang BPBD")
    make_depot(name="Gudang Polres")
    client = login_as("partner")
    names = [d["name"] for d in client.get("/api/v1/aid/depots").get_json()["items"]]
    assert names == ["Gudang BPBD"]
    assert client.get(f"/aid/depots/{own.id}").status_code == 200
