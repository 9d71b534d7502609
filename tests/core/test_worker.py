"""A real Celery worker and beat (separate processes) against the test broker and database.

Beat schedules ``core.heartbeat``; the worker runs it and writes the heartbeat row;
/healthz then reports the worker alive. No eager mode anywhere.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete

from siaga.core.models import Heartbeat
from tests.celery_procs import celery_env, start_celery, stop

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_env(backend_urls, tmp_path):
    return celery_env(backend_urls, tmp_path, SIAGA_HEARTBEAT_SECONDS="1")


def test_worker_and_beat_processes_report_in_healthz(app, worker_env, tmp_path):
    from siaga.extensions import db

    with app.app_context():
        db.session.execute(delete(Heartbeat))
        db.session.commit()
    client = app.test_client()
    assert client.get("/healthz").get_json()["worker"]["ok"] is False

    log = open(tmp_path / "celery.log", "w")  # noqa: SIM115 - closed below
    worker = start_celery(
        ["worker", "-Q", "default,feeds,messages", "-c", "1", "--loglevel", "INFO"], worker_env, log
    )
    beat = start_celery(
        ["beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")], worker_env, log
    )
    try:
        deadline = time.monotonic() + 60
        body = {}
        while time.monotonic() < deadline:
            body = client.get("/healthz").get_json()
            if body["worker"]["ok"]:
                break
            assert worker.poll() is None and beat.poll() is None, (tmp_path / "celery.log").read_text()
            time.sleep(0.5)
        assert body["worker"]["ok"], (tmp_path / "celery.log").read_text()
        assert body["database"]["ok"] and body["broker"]["ok"]
        assert body["version"]
    finally:
        stop(worker)
        stop(beat)
        log.close()
        with app.app_context():
            db.session.execute(delete(Heartbeat))
            db.session.commit()


def test_healthz_reports_unreachable_broker(app, db_session, monkeypatch):
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery.conf, "broker_url", "redis://127.0.0.1:1/0")
    body = app.test_client().get("/healthz")
    assert body.status_code == 503
    data = body.get_json()
    assert data["broker"]["ok"] is False and data["status"] == "down"
