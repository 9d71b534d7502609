"""Thin Celery tasks for messaging, on the ``messages`` queue."""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from flask import current_app

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


class _Handoff:
    """Hands deliveries to the broker from one daemon thread per process, so that a web
    request answers as soon as its transaction has committed.

    A request that created deliveries (an aid notice, a shelter-full notice) does not wait
    for the broker: not for the ≈ 3 ms a send costs, and not for seconds of connection
    retries when Redis is slow or away. Nothing is lost if the process dies first: the
    deliveries are committed rows in state ``queued``, and the messaging beat's sweep
    enqueues any it finds (the same guarantee as a failed :func:`enqueue`).
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Any, list[int]]] = queue.SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def submit(self, ids: Iterable[int]) -> None:
        batch = list(ids)
        if not batch:
            return
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (or a forked worker)
                self._queue = queue.SimpleQueue()
                self._pending = 0
                threading.Thread(target=self._run, name="siaga-enqueue", daemon=True).start()
                self._pid = os.getpid()
            self._pending += 1
            self._queue.put((app, batch))

    def _run(self) -> None:
        q = self._queue
        while True:
            app, batch = q.get()
            try:
                with app.app_context():
                    enqueue(batch)
            except Exception:  # enqueue logs broker errors itself; never let the thread die
                log.exception("handing deliveries %s to the broker failed; the sweep will send them", batch)
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait(self, timeout: float = 10.0) -> bool:
        """Until every submitted batch was handed over; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


_handoff = _Handoff()


def enqueue_soon(ids: Iterable[int]) -> None:
    """:func:`enqueue` from this process's hand-off thread; call only after the commit."""
    _handoff.submit(ids)


def wait_for_handoff(timeout: float = 10.0) -> bool:
    """Wait until :func:`enqueue_soon` has handed everything to the broker."""
    return _handoff.wait(timeout)
