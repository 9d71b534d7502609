"""Permission table entries for messaging (merged by tests/test_permissions.py)."""

from __future__ import annotations

from typing import Any

OK, DENY = "ok", "deny"
EVERYONE = {"admin": OK, "coordinator": OK, "partner": OK, "field": OK}
OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": DENY}
PUBLIC = {"anon": OK, **EVERYONE}

ROUTES = {
    "messaging.inbox": [("GET", "/inbox", EVERYONE)],
    # someone else's delivery answers 404 to the others: allowed route, no data
    "messaging.inbox_read": [("POST", "/inbox/{delivery_id}/read", EVERYONE)],
    "messaging.inbox_ack": [("POST", "/inbox/{delivery_id}/ack", EVERYONE)],
    "messaging.ack": [("GET", "/ack/{ack_token}", PUBLIC), ("POST", "/ack/{ack_token}", PUBLIC)],
    "messaging.message_list": [("GET", "/messages", OPS)],
    "messaging.message_board": [("GET", "/messages/{message_id}", OPS)],
    "messaging.compose": [("GET", "/messages/new", OPS)],
    "messaging.recipients": [("GET", "/recipients", OPS)],
}


def build_objects(users: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    from siaga.messaging import services

    msg = services.create_message(
        kind="broadcast",
        facts={"subject": "perm", "text": "perm"},
        recipients=[services.contact_for_user(users["coordinator"])],
    )
    assert msg is not None
    delivery = msg.deliveries[0]
    return {"delivery_id": delivery.id, "message_id": msg.id, "ack_token": services.ack_token(delivery.id)}
