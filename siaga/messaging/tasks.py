"""Thin Celery tasks for messaging, on the ``messages`` queue."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import shared_task

from siaga.extensions import db
from siaga.messaging import services

log = logging.getLogger(__name__)


@shared_task(
    name="messaging.send_delivery", acks_late=True, soft_time_limit=60, time_limit=90, ignore_result=True
)
def send_delivery(delivery_id: int) -> str:
    outcome = services.process(delivery_id)
    db.session.commit()
    if outcome.status == "retry":
        send_delivery.apply_async(args=[delivery_id], countdown=outcome.retry_in)
    enqueue(outcome.follow_up_ids)
    return outcome.status


@shared_task(name="messaging.sweep", soft_time_limit=50, time_limit=60, ignore_result=True)
def sweep() -> int:
    ids = services.sweep()
    db.session.commit()
    enqueue(ids)
    return len(ids)


@shared_task(name="messaging.escalate", soft_time_limit=50, time_limit=60, ignore_result=True)
def escalate() -> int:
    ids = services.escalate()
    db.session.commit()
    enqueue(ids)
    return len(ids)


def enqueue(ids: Iterable[int]) -> None:
    """Enqueue sends; call only after the commit that created the deliveries.

    A broker hiccup loses nothing: the rows stay ``queued`` and the beat ``sweep`` re-enqueues them.
    """
    for delivery_id in ids:
        try:
            send_delivery.apply_async(args=[delivery_id])
        except Exception as exc:  # kombu raises many types when the broker is away
            log.warning(
                "could not enqueue delivery %s (%s); the sweep will retry", delivery_id, type(exc).__name__
            )
