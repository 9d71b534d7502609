"""Every registered route × every role (and anonymous) gets its designed answer.

A new route without an entry here fails ``test_every_route_is_in_the_table``.
``ok`` means allowed: any answer but 401/403/5xx and no redirect to the login page.
``deny`` means 403. Anonymous: 302 to /login for pages, 401 for the API, or ``ok`` for public routes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login, rollback_session

OK, DENY = "ok", "deny"
ADMIN_ONLY = {"admin": OK, "coordinator": DENY, "partner": DENY, "field": DENY}
OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": DENY}
READERS = {"admin": OK, "coordinator": OK, "partner": OK, "field": DENY}
EVERYONE = {"admin": OK, "coordinator": OK, "partner": OK, "field": OK}
FIELD_OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": OK}
PUBLIC = {"anon": OK, **EVERYONE}

#: endpoint -> list of (method, path template, expectations per role; "anon" defaults to login/401)
ROUTES: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "static": [("GET", "/static/css/app.css", PUBLIC)],
    "core.index": [("GET", "/", PUBLIC)],
    "core.dashboard": [("GET", "/dashboard", EVERYONE)],
    "core.set_language": [("POST", "/lang/en", PUBLIC)],
    "core.healthz": [("GET", "/healthz", PUBLIC)],
    "accounts.login": [("GET", "/login", PUBLIC)],
    "accounts.logout": [("POST", "/logout", EVERYONE)],
    "accounts.tokens": [("GET", "/account/tokens", EVERYONE)],
    "accounts.revoke_token": [("POST", "/account/tokens/{own_token_id}/revoke", EVERYONE)],
    "accounts.user_list": [("GET", "/admin/users", ADMIN_ONLY)],
    "audit.event_list": [("GET", "/audit", OPS)],
    # registry pages
    "registry.shelter_list": [("GET", "/shelters", EVERYONE)],
    "registry.shelter_new": [("GET", "/shelters/new", READERS)],
    "registry.shelter_detail": [
        ("GET", "/shelters/{shelter_id}", EVERYONE),  # assigned to the field user
        ("GET", "/shelters/{other_shelter_id}", READERS),  # not assigned: field gets 403
    ],
    "registry.shelter_edit": [
        ("GET", "/shelters/{shelter_id}/edit", OPS),  # owned by the Polres: partner may not edit
        ("GET", "/shelters/{partner_shelter_id}/edit", READERS),  # the partner's own organisation
    ],
    "registry.shelter_occupancy": [
        ("POST", "/shelters/{shelter_id}/occupancy", FIELD_OPS),
        ("POST", "/shelters/{partner_shelter_id}/occupancy", READERS),
    ],
    "registry.shelter_assign": [("POST", "/shelters/{shelter_id}/assign", OPS)],
    "registry.point_list": [("GET", "/points", EVERYONE)],
    "registry.point_new": [("GET", "/points/new", READERS)],
    "registry.point_detail": [("GET", "/points/{point_id}", EVERYONE)],
    "registry.point_edit": [
        ("GET", "/points/{point_id}/edit", OPS),
        ("GET", "/points/{partner_point_id}/edit", READERS),
    ],
    "registry.nearest": [("GET", "/nearest?lat=-2.97&lon=104.77", EVERYONE)],
    # registry API
    "registry_api.shelters": [("GET", "/api/v1/shelters", EVERYONE)],
    "registry_api.create_shelter": [("POST", "/api/v1/shelters", READERS)],
    "registry_api.shelter": [
        ("GET", "/api/v1/shelters/{shelter_id}", EVERYONE),
        ("GET", "/api/v1/shelters/{other_shelter_id}", READERS),
    ],
    "registry_api.update_shelter": [
        ("PATCH", "/api/v1/shelters/{shelter_id}", OPS),
        ("PATCH", "/api/v1/shelters/{partner_shelter_id}", READERS),
    ],
    "registry_api.post_occupancy": [
        ("POST", "/api/v1/shelters/{shelter_id}/occupancy", FIELD_OPS),
        ("POST", "/api/v1/shelters/{other_shelter_id}/occupancy", OPS),
        ("POST", "/api/v1/shelters/{partner_shelter_id}/occupancy", READERS),
    ],
    "registry_api.occupancy_history": [("GET", "/api/v1/shelters/{shelter_id}/occupancy", EVERYONE)],
    "registry_api.nearest": [("GET", "/api/v1/shelters/nearest?lat=-2.97&lon=104.77", EVERYONE)],
    "registry_api.points": [("GET", "/api/v1/evacuation-points", EVERYONE)],
    "registry_api.create_point": [("POST", "/api/v1/evacuation-points", READERS)],
    "registry_api.point": [("GET", "/api/v1/evacuation-points/{point_id}", EVERYONE)],
    "registry_api.update_point": [
        ("PATCH", "/api/v1/evacuation-points/{point_id}", OPS),
        ("PATCH", "/api/v1/evacuation-points/{partner_point_id}", READERS),
    ],
}


def _domain_tables() -> list[dict[str, list[tuple[str, str, dict[str, str]]]]]:
    """Each domain may keep its own table in ``tests/<domain>/routes.py`` as ``ROUTES``."""
    import importlib
    from pathlib import Path

    tables = []
    for path in sorted(Path(__file__).parent.glob("*/routes.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.routes")
        tables.append(module.ROUTES)
    return tables


def all_routes() -> dict[str, list[tuple[str, str, dict[str, str]]]]:
    merged = dict(ROUTES)
    for extra in _domain_tables():
        overlap = set(merged) & set(extra)
        assert not overlap, f"endpoints listed twice: {overlap}"
        merged.update(extra)
    return merged


def test_every_route_is_in_the_table(app):
    table = all_routes()
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(table))
    assert not missing, f"routes without a permission entry: {missing}"
    stale = sorted(set(table) - {rule.endpoint for rule in app.url_map.iter_rules()})
    assert not stale, f"table entries for routes that do not exist: {stale}"


def _cases() -> list[Any]:
    cases = []
    for endpoint, entries in all_routes().items():
        for method, path, expect in entries:
            for role in ("anon", "admin", "coordinator", "partner", "field"):
                cases.append(
                    pytest.param(endpoint, method, path, role, expect.get(role), id=f"{endpoint}-{role}")
                )
    return cases


@pytest.mark.parametrize(("endpoint", "method", "path", "role", "expected"), _cases())
def test_route_answers_as_designed(client, users, route_objects, endpoint, method, path, role, expected):
    if role != "anon":
        assert login(client, users[role].email).status_code == 302
    url = path.format(**route_objects(role))
    resp = client.open(url, method=method)
    resp.close()
    status = resp.status_code
    assert status < 500, f"{method} {url} as {role}: {status}"
    if role == "anon" and expected is None:
        if url.startswith("/api/"):
            assert status == 401, f"{method} {url} anonymous: {status}"
        else:
            assert status == 302 and "/login" in resp.headers["Location"], (
                f"{method} {url} anonymous: {status}"
            )
    elif expected == DENY:
        assert status == 403, f"{method} {url} as {role}: expected 403, got {status}"
    else:
        assert status not in (401, 403), f"{method} {url} as {role}: {status}"
        if status == 302:  # the access check's redirect to login always carries ?next=
            assert "next=" not in resp.headers["Location"], f"{method} {url} as {role} bounced to login"


def test_route_without_declared_roles_is_closed(app, backend_urls):
    """Fail-closed: a view that forgets its decorator answers 403 to every role."""
    from siaga import create_app

    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": backend_urls["db"], "WTF_CSRF_ENABLED": False}
    )

    @other.get("/__forgotten")
    def forgotten() -> str:
        return "secret"

    from siaga.accounts.services import create_user, get_or_create_organisation
    from tests.conftest import FreshContextClient

    other.test_client_class = FreshContextClient
    c = other.test_client()
    assert c.get("/__forgotten").status_code == 302
    with rollback_session(other) as session:
        org = get_or_create_organisation("Org X", "POLRES")
        create_user(email="fc@test.siaga", name="x", password="0123456789x", role="admin", organisation=org)
        session.commit()
        assert login(c, "fc@test.siaga", "0123456789x").status_code == 302
        resp = c.get("/__forgotten")
        assert resp.status_code == 403
        assert "secret" not in resp.get_data(as_text=True)
