"""The aid API's OpenAPI fragment: it covers every aid route and, merged into the registry's
document, is valid OpenAPI 3.0 (the merge itself is two lines in siaga/registry/openapi.py)."""

from __future__ import annotations

import warnings

import pytest

from siaga.aid.openapi import aid_paths, aid_schemas
from siaga.registry.openapi import openapi_document, openapi_path

pytestmark = pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")


def _merged():
    doc = openapi_document()
    doc["paths"].update(aid_paths())
    doc["components"]["schemas"].update(aid_schemas())
    return doc


def test_every_aid_route_is_documented(app):
    routes = {
        (m.lower(), openapi_path(r.rule))
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/aid/")
        for m in (r.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {(m, p) for p, item in aid_paths().items() for m in item}
    assert routes == documented


def test_merged_document_is_valid_openapi():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

    OPENAPI_30_VALIDATOR.validate(_merged())
    assert "ReceiptIn" in aid_schemas() and "DistributionIn" in aid_schemas()
