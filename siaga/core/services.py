"""Health checks and heartbeats."""

from __future__ import annotations

import socket
from typing import Any

from flask import current_app
from sqlalchemy import select, text

from siaga.core.models import Heartbeat
from siaga.core.time import age_seconds
from siaga.db import utcnow
from siaga.extensions import db


def record_heartbeat(source: str) -> Heartbeat:
    hb = db.session.get(Heartbeat, source)
    if hb is None:
        hb = Heartbeat(source=source, worker_at=utcnow(), hostname=socket.gethostname(), count=0)
        db.session.add(hb)
    hb.worker_at = utcnow()
    hb.hostname = socket.gethostname()
    hb.count += 1
    db.session.flush()
    return hb


def check_database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:  # any driver error means "unreachable"
        db.session.rollback()
        return {"ok": False, "backend": db.engine.dialect.name, "error": type(exc).__name__}


def check_broker() -> dict[str, Any]:
    celery = current_app.extensions["celery"]
    url = celery.conf.broker_url or ""
    transport = url.split("://", 1)[0]
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as exc:  # kombu raises many types for "cannot connect"
        return {"ok": False, "transport": transport, "error": type(exc).__name__}


def check_worker() -> dict[str, Any]:
    """Beat schedules ``core.heartbeat``; a worker runs it. A fresh row proves both alive."""
    limit = 3 * current_app.config["SIAGA_HEARTBEAT_SECONDS"] + 30
    try:
        hb = db.session.scalar(select(Heartbeat).where(Heartbeat.source == "beat"))
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}
    if hb is None:
        return {"ok": False, "last_heartbeat": None, "max_age_s": limit}
    age = age_seconds(hb.worker_at) or 0.0
    return {
        "ok": age <= limit,
        "last_heartbeat": hb.worker_at.isoformat(),
        "age_s": round(age, 1),
        "hostname": hb.hostname,
        "max_age_s": limit,
    }
