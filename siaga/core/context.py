"""Who is acting and through what channel, for the audit log.

Views, API, CLI commands and Celery tasks each set this once at their boundary;
the audit listener reads it when the session flushes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    via: str  #: web, api, cli, task, system


SYSTEM = Actor(user_id=None, label="system", via="system")
_current: ContextVar[Actor | None] = ContextVar("siaga_actor", default=None)


def current_actor() -> Actor:
    """The actor set by the request, command or task; for a web request, the logged-in user."""
    actor = _current.get()
    if actor is not None:
        return actor
    from flask import g, has_request_context, request

    if has_request_context():
        via = "api" if request.path.startswith("/api/") else "web"
        # Read the user Flask-Login already loaded; never trigger loading from here
        # (the token loader itself flushes, which would re-enter this function).
        user = g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            return Actor(user_id=user.id, label=user.email, via=via)
        return Actor(user_id=None, label="anonymous", via=via)
    return SYSTEM


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
