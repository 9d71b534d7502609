"""Navigation by role: only links the user may open (the server checks again)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str


#: In display order. Items whose endpoint is not registered (yet) are skipped.
NAV = [
    NavItem("core.dashboard", _l("Dashboard")),
    NavItem("maps.map_page", _l("Map")),
    NavItem("registry.shelter_list", _l("Shelters")),
    NavItem("registry.point_list", _l("Evacuation points")),
    NavItem("registry_io.import_page", _l("Import and export")),
    NavItem("hazards.event_list", _l("Hazards")),
    NavItem("messaging.inbox", _l("Inbox")),
    NavItem("messaging.message_list", _l("Messages")),
    NavItem("aid.field_home", _l("Field tasks")),
    NavItem("aid.dashboard", _l("Aid")),
    NavItem("audit.event_list", _l("Audit log")),
    NavItem("accounts.user_list", _l("Users")),
    NavItem("accounts.tokens", _l("API tokens")),
]


def nav_for_current_user() -> list[dict[str, str]]:
    if not current_user or not current_user.is_authenticated:
        return []
    items = []
    for item in NAV:
        view = current_app.view_functions.get(item.endpoint)
        if view is None:
            continue
        roles: frozenset[str] = getattr(view, "_siaga_roles", frozenset())
        if current_user.role in roles:
            items.append({"url": url_for(item.endpoint), "label": str(item.label), "endpoint": item.endpoint})
    return items
