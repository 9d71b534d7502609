"""Celery bound to the Flask app (Flask's documented ``celery_init_app`` pattern).

Every task runs inside an app context and records itself as the actor ``task`` for the
audit log. Queues: ``feeds`` (BMKG polling), ``messages`` (dispatch), ``default``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.signals import beat_init
from flask import Flask
from kombu import Queue

from siaga.core.context import Actor, acting_as

#: Periodic work; each domain adds its entries in :func:`beat_schedule`.
TASK_ROUTES = {
    "hazards.*": {"queue": "feeds"},
    "messaging.*": {"queue": "messages"},
}


def beat_schedule(app: Flask) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "core-heartbeat": {
            "task": "core.heartbeat",
            "schedule": timedelta(seconds=app.config["SIAGA_HEARTBEAT_SECONDS"]),
            "kwargs": {"source": "beat"},
        },
        "messaging-sweep": {
            "task": "messaging.sweep",
            "schedule": timedelta(seconds=app.config["SIAGA_SWEEP_SECONDS"]),
        },
        "messaging-escalate": {"task": "messaging.escalate", "schedule": timedelta(seconds=60)},
    }
    if app.config["SIAGA_POLL_FEEDS"]:
        from siaga.hazards.polling import beat_entries

        schedule.update(beat_entries(app))
    return schedule


def send_initial_polls(sender: Any = None, **_kwargs: Any) -> list[str]:
    """When beat starts, poll every BMKG feed once at once instead of one interval later.

    Beat runs an interval entry first when the interval has passed since it started: without
    this, a restart at 3 a.m. would leave the 5-minute feeds (earthquake lists, weather
    warnings) unpolled, and shown as never fetched, for five minutes. Returns the feeds sent.
    """
    celery_app = sender.app
    sent = []
    for entry in celery_app.conf.beat_schedule.values():
        if entry.get("task") == "hazards.poll_feed":
            celery_app.send_task(entry["task"], args=entry.get("args", []), **entry.get("options", {}))
            sent.extend(entry.get("args", []))
    return sent


beat_init.connect(send_initial_polls, weak=False, dispatch_uid="siaga-initial-polls")


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context(), acting_as(Actor(user_id=None, label=f"task:{self.name}", via="task")):
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.task_queues = (Queue("default"), Queue("feeds"), Queue("messages"))
    celery_app.conf.task_routes = TASK_ROUTES
    celery_app.conf.beat_schedule = beat_schedule(app)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    # Import task modules so the worker registers them (they define shared_task's).
    import siaga.core.tasks
    import siaga.hazards.tasks
    import siaga.messaging.tasks  # noqa: F401

    return celery_app
