"""Permission table entries for registry import/export (merged by tests/test_permissions.py)."""

from __future__ import annotations

OK, DENY = "ok", "deny"
OPS = {"admin": OK, "coordinator": OK, "partner": DENY, "field": DENY}
READERS = {"admin": OK, "coordinator": OK, "partner": OK, "field": DENY}
PUBLIC = {"anon": OK, "admin": OK, "coordinator": OK, "partner": OK, "field": OK}

ROUTES = {
    "api_docs.openapi": [("GET", "/api/v1/openapi.json", PUBLIC)],
    "registry_io.import_page": [("GET", "/registry/import", OPS), ("POST", "/registry/import", OPS)],
    "registry_io.export": [
        ("GET", "/registry/export/shelters.csv", READERS),
        ("GET", "/registry/export/points.geojson", READERS),
    ],
}
