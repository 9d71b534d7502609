"""Automatic auditing of operational records.

Any model with ``__audited__ = True`` gets one :class:`AuditEvent` per create, update and
delete, written in the same transaction by a session ``after_flush`` listener, so no
service can forget it and a rolled-back change leaves no audit row. The actor and the
channel (web, api, cli, task) come from :mod:`siaga.core.context`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from siaga.audit.models import AuditEvent
from siaga.core.context import current_actor
from siaga.db import utcnow

#: Never written to the audit log, whatever the model says.
ALWAYS_EXCLUDED = frozenset({"password_hash", "token_hash", "secret", "updated_at", "created_at"})


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return str(value)


def _columns(obj: Any) -> list[str]:
    excluded = ALWAYS_EXCLUDED | getattr(obj, "__audit_exclude__", frozenset())
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in excluded]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {k: _jsonable(getattr(obj, k)) for k in _columns(obj)}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if hist.has_changes():
            before[key] = _jsonable(hist.deleted[0]) if hist.deleted else None
            after[key] = _jsonable(hist.added[0]) if hist.added else None
    return before, after


def _entity_id(obj: Any) -> str:
    ident = inspect(obj).identity
    if ident:
        return ",".join(str(i) for i in ident)
    return str(getattr(obj, "id", "?"))


def _after_flush(session: Session, _ctx: Any) -> None:
    rows: list[dict[str, Any]] = []
    actor = current_actor()
    now = utcnow()

    def row(obj: Any, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        rows.append(
            {
                "at": now,
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "via": actor.via,
                "action": action,
                "entity_type": obj.__tablename__,
                "entity_id": _entity_id(obj),
                "before": before,
                "after": after,
            }
        )

    for obj in session.new:
        if getattr(obj, "__audited__", False):
            row(obj, "create", None, _snapshot(obj))
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after or before:
                row(obj, "update", before, after)
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            row(obj, "delete", _snapshot(obj), None)
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def install_audit_listener(session_factory: Any) -> None:
    """Attach the listener to the Flask-SQLAlchemy session class (once)."""
    from sqlalchemy import event

    if not event.contains(session_factory, "after_flush", _after_flush):
        event.listen(session_factory, "after_flush", _after_flush)


def query_events(
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    via: str | None = None,
    action: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEvent]:
    from siaga.extensions import db

    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditEvent.actor_label.ilike(f"%{actor}%"))
    if via:
        stmt = stmt.where(AuditEvent.via == via)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt.limit(limit).offset(offset)))
