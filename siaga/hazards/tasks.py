"""Thin Celery tasks for BMKG polling, on the ``feeds`` queue."""

from __future__ import annotations

from celery import shared_task

from siaga.extensions import db
from siaga.hazards import polling


@shared_task(
    name="hazards.poll_feed",
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
)
def poll_feed(name: str) -> str:
    from siaga.messaging.tasks import enqueue

    result = polling.poll(name)
    db.session.commit()
    enqueue(result.message_ids)
    return result.status
