"""Cross-cutting Celery tasks."""

from __future__ import annotations

from celery import shared_task

from siaga.core.services import record_heartbeat
from siaga.extensions import db


@shared_task(name="core.heartbeat", soft_time_limit=20, time_limit=30, ignore_result=True)
def heartbeat(source: str = "beat") -> int:
    hb = record_heartbeat(source)
    db.session.commit()
    return hb.count
