"""The field page offline, in real headless Chromium (Debian's, driven by Playwright).

Offline, the field team records a delivery and an occupancy change; the page reloads from
the service worker with both still queued (IndexedDB); back online they are sent, and the
server applies each exactly once, also when the same queued requests are sent again.
Data is committed (the browser talks to a live server) and removed afterwards.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from siaga.aid.models import (
    Depot,
    Distribution,
    DistributionEvent,
    DistributionLine,
    DistributionStatus,
    Item,
    StockMovement,
)
from siaga.core.models import IdempotencyRecord
from siaga.extensions import db
from siaga.registry.models import OccupancyEvent, Shelter, ShelterAssignment
from tests.aid.conftest import delete_aid_notices
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def field_data(app, committed_users):
    """A depot, a shelter assigned to the field user, and a delivery of 20 kg rice on its way there."""
    from siaga.accounts.models import User
    from siaga.aid import services
    from siaga.aid.schemas import DepotIn, DistributionIn, ItemIn, ReceiveIn, StatusIn
    from siaga.registry.schemas import ShelterIn
    from siaga.registry.services import assign_field_user, create_shelter

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        coord = db.session.get(User, committed_users["coordinator"]["id"])
        field = db.session.get(User, committed_users["field"]["id"])
        item = services.create_item(
            ItemIn(code=f"b-{tag}", name="Beras", unit="kg", category="food", need_key="rice")
        )
        depot = services.create_depot(
            DepotIn(code=f"GB-{tag}", name="Gudang Browser", kind="warehouse", lat=-2.97, lon=104.77), coord
        )
        shelter = create_shelter(
            ShelterIn.model_validate(
                {
                    "code": f"FB-{tag}",
                    "name": "Posko Lapangan",
                    "type": "school",
                    "lat": -2.975,
                    "lon": 104.765,
                    "capacity": 100,
                    "status": "open",
                }
            ),
            coord,
        )
        assign_field_user(shelter, field)
        services.receive(depot.id, ReceiveIn(item_id=item.id, quantity=100, source="procurement"))
        d, _w = services.plan_distribution(
            DistributionIn(
                depot_id=depot.id,
                shelter_id=shelter.id,
                lines=[{"item_id": item.id, "quantity": 20}],
                assigned_user_id=field.id,
                planned_at=datetime.now(UTC),
            )
        )
        services.change_status(d.id, StatusIn(status="loaded"), None)
        services.change_status(d.id, StatusIn(status="in_transit"), None)
        db.session.commit()
        ids = {"item": item.id, "depot": depot.id, "shelter": shelter.id, "d": d.id, "field": field.id}
    yield ids
    with app.app_context():
        delete_aid_notices([ids["d"]], [u["id"] for u in committed_users.values()])
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == ids["field"]))
        db.session.execute(delete(StockMovement).where(StockMovement.depot_id == ids["depot"]))
        db.session.execute(delete(DistributionEvent).where(DistributionEvent.distribution_id == ids["d"]))
        db.session.execute(delete(DistributionLine).where(DistributionLine.distribution_id == ids["d"]))
        db.session.execute(delete(Distribution).where(Distribution.id == ids["d"]))
        db.session.execute(delete(Depot).where(Depot.id == ids["depot"]))
        db.session.execute(delete(Item).where(Item.id == ids["item"]))
        db.session.execute(delete(ShelterAssignment).where(ShelterAssignment.shelter_id == ids["shelter"]))
        db.session.execute(delete(OccupancyEvent).where(OccupancyEvent.shelter_id == ids["shelter"]))
        db.session.execute(delete(Shelter).where(Shelter.id == ids["shelter"]))
        db.session.commit()


def _server_state(app, ids):
    with app.app_context():
        d = db.session.get(Distribution, ids["d"])
        delivered_events = db.session.scalar(
            select(func.count(DistributionEvent.id)).where(
                DistributionEvent.distribution_id == ids["d"], DistributionEvent.status_to == "delivered"
            )
        )
        occupancy_events = db.session.scalar(
            select(func.count(OccupancyEvent.id)).where(OccupancyEvent.shelter_id == ids["shelter"])
        )
        occupants = db.session.get(Shelter, ids["shelter"]).occupants
        state = {
            "status": d.status,
            "received": [line.quantity_received for line in d.lines],
            "receiver": d.receiver_name,
            "gps": (d.delivered_lat, d.delivered_lon),
            "delivered_events": delivered_events,
            "occupancy_events": occupancy_events,
            "occupants": occupants,
        }
        db.session.remove()
        return state


def _wait_queued(page, n):
    page.wait_for_function(f"document.body.dataset.queued === '{n}'", timeout=15_000)


def _open_field_page(page, live_server, email):
    """Log in as a field user and open the field page, with its service worker in control,
    the page cached and nothing queued."""
    browser_login(page, live_server, email)
    page.goto(f"{live_server}/field/")
    page.wait_for_function(
        "document.body.dataset.sw === 'ready' && !!navigator.serviceWorker.controller", timeout=15_000
    )
    page.wait_for_function("caches.match('/field/', {ignoreVary: true}).then(r => !!r)", timeout=15_000)
    _wait_queued(page, 0)


def test_offline_changes_survive_a_reload_and_sync_once(
    app, browser, live_server, committed_users, field_data, artifacts_dir
):
    context = browser.new_context(
        viewport={"width": 400, "height": 820},
        locale="id-ID",
        geolocation={"latitude": -2.9751, "longitude": 104.7652},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        _open_field_page(page, live_server, committed_users["field"]["email"])

        context.set_offline(True)
        page.wait_for_function("navigator.onLine === false")
        card = page.locator(f".delivery[data-id='{field_data['d']}']")
        card.locator("summary").click()
        card.locator(f"input[name=q{field_data['item']}]").fill("18")
        card.locator("input[name=receiver_name]").fill("Ibu Siti Aminah")
        card.locator("button[type=submit]").click()
        _wait_queued(page, 1)
        shelter = page.locator(f".shelter[data-id='{field_data['shelter']}']")
        shelter.locator("input[name=people]").fill("7")
        shelter.locator("button[type=submit]").click()
        _wait_queued(page, 2)

        page.reload()  # offline: the service worker serves the page, IndexedDB still holds the queue
        page.wait_for_function("document.body.dataset.ready === '1'", timeout=15_000)
        _wait_queued(page, 2)
        assert page.locator("#queue-count").inner_text() == "2"
        assert page.locator("#queue-list li").count() == 2
        assert (
            page.locator(f".delivery[data-id='{field_data['d']}']").get_attribute("data-status")
            == "delivered"
        )
        before = _server_state(app, field_data)
        assert before["status"] == DistributionStatus.IN_TRANSIT and before["occupancy_events"] == 0
        queued = page.evaluate(
            "window.siagaField.queued().then(rows => rows.map(r => ({key: r.key, url: r.url, body: r.body})))"
        )
        assert len({q["key"] for q in queued}) == 2

        context.set_offline(False)
        _wait_queued(page, 0)
        after = _server_state(app, field_data)
        assert after["status"] == DistributionStatus.DELIVERED
        assert after["received"] == [18] and after["receiver"] == "Ibu Siti Aminah"
        assert after["gps"] == pytest.approx((-2.9751, 104.7652))
        assert after["delivered_events"] == 1 and after["occupancy_events"] == 1 and after["occupants"] == 7

        # A repeated sync (the same queued requests, the same keys) is replayed, not applied again.
        replies = page.evaluate(
            """rows => Promise.all(rows.map(r => fetch(r.url, {method: 'POST', credentials: 'same-origin',
                 headers: {'Content-Type': 'application/json', 'Idempotency-Key': r.key}, body: r.body})
                 .then(x => [x.status, x.headers.get('Idempotent-Replayed')])))""",
            queued,
        )
        assert [r[1] for r in replies] == ["true", "true"], replies
        assert _server_state(app, field_data) == after
        page.screenshot(path=str(artifacts_dir / "aid-field-offline-synced.png"))
    finally:
        context.close()


def test_logout_asks_about_unsent_changes_keeps_them_and_clears_the_page_cache(
    app, browser, live_server, committed_users, field_data
):
    """A shared phone: unsent changes are kept for their user, the cached page goes."""
    context = browser.new_context(viewport={"width": 400, "height": 820}, locale="id-ID")
    page = context.new_page()
    dialogs: list[str] = []
    try:
        _open_field_page(page, live_server, committed_users["field"]["email"])
        page.route("**/api/v1/**", lambda route: route.abort())  # the network is down for writes
        shelter = page.locator(f".shelter[data-id='{field_data['shelter']}']")
        shelter.locator("input[name=people]").fill("3")
        shelter.locator("button[type=submit]").click()
        _wait_queued(page, 1)

        # First answer "no": nothing happens, the user stays logged in with the change queued.
        page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.locator("form[data-logout] button").click()
        page.wait_for_function("document.body.dataset.queued === '1'")
        page.wait_for_timeout(300)
        assert len(dialogs) == 1 and dialogs[0].startswith("1 perubahan")
        assert page.url.endswith("/field/")

        # Then "yes": logged out, the page cache is gone, the queued change is still on the phone.
        page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
        page.locator("form[data-logout] button").click()
        page.wait_for_url("**/login**", timeout=15_000)
        assert len(dialogs) == 2
        assert (
            page.evaluate("caches.keys().then(k => k.filter(n => n.startsWith('siaga-field')).length)") == 0
        )
        left = page.evaluate(
            """() => new Promise(res => { const r = indexedDB.open('siaga-field');
                 r.onsuccess = () => { const q = r.result.transaction('queue').objectStore('queue').getAll();
                   q.onsuccess = () => res(q.result.length); }; })"""
        )
        assert left == 1
        assert _server_state(app, field_data)["occupancy_events"] == 0

        # The same user logs in again with the network back: the change is sent, once.
        page.unroute("**/api/v1/**")
        browser_login(page, live_server, committed_users["field"]["email"])
        page.goto(f"{live_server}/field/")
        _wait_queued(page, 0)
        state = _server_state(app, field_data)
        assert state["occupancy_events"] == 1 and state["occupants"] == 3
    finally:
        context.close()
