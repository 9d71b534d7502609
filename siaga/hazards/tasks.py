"""Thin Celery tasks for BMKG polling, on the ``feeds`` queue.

No Celery-level retry: a failed poll is recorded in feed health and the next beat tick
(one interval later) is the retry; the HTTP layer already re-tries once with backoff.
"""

from __future__ import annotations

import logging

from celery import shared_task

from siaga.extensions import db
from siaga.hazards import polling

log = logging.getLogger(__name__)


@shared_task(name="hazards.poll_feed", soft_time_limit=50, time_limit=60, ignore_result=True)
def poll_feed(name: str) -> str:
    from siaga.messaging.tasks import enqueue

    try:
        result = polling.poll(name)
    except Exception as exc:
        # The poll overran its time limit (SoftTimeLimitExceeded), or a payload tripped a bug: keep nothing half done,
        # but show it in feed health (and notice coordinators when it keeps failing).
        log.exception("poll of %s failed", name)
        db.session.rollback()
        result = polling.record_failure(name, exc)
    db.session.commit()
    enqueue(result.message_ids)
    return result.status


@shared_task(name="hazards.check_feeds", soft_time_limit=30, time_limit=40, ignore_result=True)
def check_feeds() -> int:
    """Notice coordinators of feeds that failed or went silent (a stalled poller included)."""
    from siaga.messaging.tasks import enqueue

    message_ids = polling.check_feeds()
    db.session.commit()
    enqueue(message_ids)
    return len(message_ids)
