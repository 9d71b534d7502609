"""Permission table entries for aid logistics (merged by tests/test_permissions.py)."""

from __future__ import annotations

from typing import Any

OK, DENY = "ok", "deny"
OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": DENY}
READERS = {"admin": OK, "coordinator": OK, "partner": OK, "field": DENY}
EVERYONE = {"admin": OK, "coordinator": OK, "partner": OK, "field": OK}
FIELD_OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": OK}
PUBLIC = {"anon": OK, **EVERYONE}

ROUTES = {
    # pages
    "aid.dashboard": [("GET", "/aid", READERS)],
    "aid.item_list": [("GET", "/aid/items", READERS)],
    "aid.item_create": [("POST", "/aid/items", OPS)],
    "aid.depot_list": [("GET", "/aid/depots", READERS)],
    "aid.depot_new": [("GET", "/aid/depots/new", OPS)],
    "aid.depot_detail": [
        ("GET", "/aid/depots/{depot_id}", OPS),  # the Polres depot: not the partner's
        ("GET", "/aid/depots/{partner_depot_id}", READERS),  # the partner's own organisation
    ],
    "aid.depot_movement": [("POST", "/aid/depots/{depot_id}/movements", OPS)],
    "aid.distribution_list": [("GET", "/aid/distributions", EVERYONE)],
    "aid.distribution_new": [("GET", "/aid/distributions/new", OPS)],
    "aid.distribution_detail": [
        ("GET", "/aid/distributions/{distribution_id}", FIELD_OPS),  # assigned to the field user
        ("GET", "/aid/distributions/{other_distribution_id}", OPS),
        ("GET", "/aid/distributions/{partner_distribution_id}", READERS),  # from the partner's depot
    ],
    "aid.distribution_status": [
        ("POST", "/aid/distributions/{distribution_id}/status", FIELD_OPS),
        ("POST", "/aid/distributions/{other_distribution_id}/status", OPS),
    ],
    "aid.distribution_receipt": [
        ("POST", "/aid/distributions/{distribution_id}/receipt", FIELD_OPS),
        ("POST", "/aid/distributions/{other_distribution_id}/receipt", OPS),
    ],
    "aid.distribution_photo": [("GET", "/aid/distributions/{distribution_id}/photo", FIELD_OPS)],
    "aid.request_list": [("GET", "/aid/requests", EVERYONE)],
    "aid.request_create": [("POST", "/aid/requests", EVERYONE)],
    "aid.shelter_needs": [
        ("GET", "/aid/shelters/{shelter_id}/needs", EVERYONE),
        ("GET", "/aid/shelters/{other_shelter_id}/needs", READERS),
    ],
    "aid.field_home": [("GET", "/field/", FIELD_OPS)],
    "aid.service_worker": [("GET", "/field/sw.js", PUBLIC)],
    "aid.export_deliveries": [("GET", "/aid/export/deliveries.csv", READERS)],
    "aid.export_stock": [("GET", "/aid/export/stock.csv", READERS)],
    "aid.transparency": [("GET", "/transparency/aid", PUBLIC)],
    # API
    "aid_api.items": [("GET", "/api/v1/aid/items", EVERYONE)],
    "aid_api.depots": [("GET", "/api/v1/aid/depots", READERS)],
    "aid_api.depot": [
        ("GET", "/api/v1/aid/depots/{depot_id}", OPS),
        ("GET", "/api/v1/aid/depots/{partner_depot_id}", READERS),
    ],
    "aid_api.receive": [("POST", "/api/v1/aid/depots/{depot_id}/receipts", OPS)],
    "aid_api.adjust": [("POST", "/api/v1/aid/depots/{depot_id}/adjustments", OPS)],
    "aid_api.transfer": [("POST", "/api/v1/aid/transfers", OPS)],
    "aid_api.distributions": [("GET", "/api/v1/aid/distributions", EVERYONE)],
    "aid_api.plan": [("POST", "/api/v1/aid/distributions", OPS)],
    "aid_api.distribution": [
        ("GET", "/api/v1/aid/distributions/{distribution_id}", FIELD_OPS),
        ("GET", "/api/v1/aid/distributions/{other_distribution_id}", OPS),
    ],
    "aid_api.change_status": [
        ("POST", "/api/v1/aid/distributions/{distribution_id}/status", FIELD_OPS),
        ("POST", "/api/v1/aid/distributions/{other_distribution_id}/status", OPS),
    ],
    "aid_api.receipt": [
        ("POST", "/api/v1/aid/distributions/{distribution_id}/receipt", FIELD_OPS),
        ("POST", "/api/v1/aid/distributions/{other_distribution_id}/receipt", OPS),
    ],
    "aid_api.field_tasks": [("GET", "/api/v1/aid/field/tasks", FIELD_OPS)],
    "aid_api.requests_list": [("GET", "/api/v1/aid/requests", EVERYONE)],
    "aid_api.create_request": [("POST", "/api/v1/aid/requests", EVERYONE)],
    "aid_api.cancel_request": [("POST", "/api/v1/aid/requests/{aid_request_id}/cancel", OPS)],
    "aid_api.shelter_needs": [
        ("GET", "/api/v1/aid/shelters/{shelter_id}/needs", EVERYONE),
        ("GET", "/api/v1/aid/shelters/{other_shelter_id}/needs", READERS),
    ],
}


def build_objects(users: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A Polres depot, a partner depot, and distributions assigned / not assigned to the field user."""
    from datetime import UTC, datetime

    from siaga.aid import services
    from siaga.aid.schemas import DepotIn, DistributionIn, ItemIn, RequestIn

    item = services.create_item(
        ItemIn(code="perm-rice", name="Beras", unit="kg", category="food", need_key="rice")
    )
    depot = services.create_depot(
        DepotIn(code="PERM-G1", name="Gudang Polres", kind="warehouse", lat=-2.97, lon=104.77),
        users["coordinator"],
    )
    partner_depot = services.create_depot(
        DepotIn(code="PERM-G2", name="Gudang BPBD", kind="warehouse", lat=-2.97, lon=104.77), users["partner"]
    )

    def plan(depot_id: int, team: Any) -> int:
        d, _w = services.plan_distribution(
            DistributionIn(
                depot_id=depot_id,
                shelter_id=values["shelter_id"],
                lines=[{"item_id": item.id, "quantity": 5}],
                assigned_user_id=team.id if team else None,
                planned_at=datetime(2026, 11, 23, 7, tzinfo=UTC),
            )
        )
        return d.id

    req = services.create_request(
        RequestIn(shelter_id=values["shelter_id"], lines=[{"item_id": item.id, "quantity": 10}]),
        users["coordinator"],
    )
    return {
        "depot_id": depot.id,
        "partner_depot_id": partner_depot.id,
        "distribution_id": plan(depot.id, users["field"]),
        "other_distribution_id": plan(depot.id, None),
        "partner_distribution_id": plan(partner_depot.id, None),
        "aid_request_id": req.id,
    }
