"""Permission table entries for the map (merged by tests/test_permissions.py)."""

from __future__ import annotations

from typing import Any

OK, DENY = "ok", "deny"
EVERYONE = {"admin": OK, "coordinator": OK, "partner": OK, "field": OK}
OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": DENY}
PUBLIC = {"anon": OK, **EVERYONE}

ROUTES = {
    "maps.map_page": [("GET", "/map", EVERYONE)],
    "maps.layer_data": [("GET", "/map/data/shelters?bbox=100,-4,106,0&zoom=8", EVERYONE)],
    "maps.shares": [("GET", "/map/shares", OPS)],
    "maps.revoke_share": [("POST", "/map/shares/{share_id}/revoke", OPS)],
    "maps.shared_map": [("GET", "/share/{share_token}", PUBLIC)],
    "maps.shared_layer_data": [("GET", "/share/{share_token}/data/shelters?zoom=8", PUBLIC)],
}


def build_objects(users: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    from siaga.maps.services import create_share

    share = create_share("perm test", ["shelters", "points"], None, 24, users["coordinator"].id)
    return {"share_id": share.id, "share_token": share.token}
