"""Server-side permissions for every route, fail-closed.

Each view declares who may call it with :func:`roles_required` or :func:`public`.
A before-request hook enforces it; a view that declares nothing answers 403 to
everyone, so a forgotten decorator can never open a route. ``tests/test_permissions.py``
walks every registered route for every role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from siaga.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])

ALL_ROLES = frozenset(Role)
OPERATIONS = frozenset({Role.ADMIN, Role.COORDINATOR})
READERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PARTNER})


def roles_required(*roles: Role | frozenset[Role]) -> Callable[[F], F]:
    """Allow only logged-in users with one of ``roles``."""
    allowed: set[Role] = set()
    for r in roles:
        allowed |= set(r) if isinstance(r, frozenset) else {r}

    def deco(fn: F) -> F:
        fn._siaga_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return fn

    return deco


def public(fn: F) -> F:
    """Allow everyone, logged in or not."""
    fn._siaga_public = True  # type: ignore[attr-defined]
    return fn


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _deny_anonymous() -> Response:
    if is_api_request():
        resp = jsonify(error="authentication required", message="Login or send Authorization: Bearer <token>")
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = 'Bearer realm="siaga"'
        return resp
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def _forbidden() -> Response:
    from flask import render_template
    from flask_babel import gettext as _

    if is_api_request():
        resp = jsonify(error="forbidden", message="your role does not allow this")
        resp.status_code = 403
        return resp
    return Response(
        render_template("errors/error.html", code=403, message=_("Your role does not allow this page.")), 403
    )


def check_access() -> Response | None:
    """The before-request hook."""
    endpoint = request.endpoint
    if endpoint is None:  # 404 / 405: let Flask answer
        return None
    if endpoint == "static":
        return None
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    if getattr(view, "_siaga_public", False):
        return None
    if not current_user.is_authenticated:
        return _deny_anonymous()
    allowed: frozenset[Role] | None = getattr(view, "_siaga_roles", None)
    if not allowed or current_user.role not in allowed:
        return _forbidden()
    return None


def init_auth(app: Flask) -> None:
    app.before_request(check_access)
