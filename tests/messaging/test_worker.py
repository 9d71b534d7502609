"""Messaging with real Celery worker and beat processes against the configured broker
(SQLite by default, Redis on CI), and a crash test: the worker is killed with SIGKILL while
the gateway call is in flight; the delivery is recovered and sent, never lost."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import delete

from siaga.extensions import db
from siaga.messaging.models import Contact, Delivery, DeliveryStatus, Message
from tests.celery_procs import celery_env, start_celery, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


class Gateway:
    """A Fonnte-style gateway that can hold the first request until released."""

    def __init__(self, hold_first: bool) -> None:
        self.token = "fonnte-crash-token"
        self.hold_first = hold_first
        self.release = threading.Event()
        self.first_seen = threading.Event()
        self.received: list[str] = []
        self.answered: list[str] = []
        self.lock = threading.Lock()
        gw = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                with gw.lock:
                    gw.received.append(form.get("target", ""))
                    first = len(gw.received) == 1
                if first and gw.hold_first:
                    gw.first_seen.set()
                    gw.release.wait(60)
                    return  # never answered: the worker that asked is dead
                payload = json.dumps(
                    {"status": True, "id": [len(gw.received)], "process": "pending"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                with gw.lock:
                    gw.answered.append(form.get("target", ""))

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def committed_message(app):
    tag = uuid.uuid4().hex[:6]
    from siaga.messaging import services

    with app.app_context():
        c = Contact(
            name=f"Worker test {tag}",
            phone="6281200000" + str(int(tag, 16) % 1000).zfill(3),
            channel_order=["whatsapp"],
        )
        db.session.add(c)
        db.session.flush()
        msg = services.create_message(
            kind="broadcast",
            facts={"subject": "Uji pekerja", "text": f"Pesan {tag}"},
            recipients=[c],
            requires_ack=False,
        )
        db.session.commit()
        ids = {"contact": c.id, "message": msg.id, "delivery": msg.deliveries[0].id, "phone": c.phone}
    yield ids
    with app.app_context():
        db.session.execute(delete(Delivery).where(Delivery.message_id == ids["message"]))
        db.session.execute(delete(Message).where(Message.id == ids["message"]))
        db.session.execute(delete(Contact).where(Contact.id == ids["contact"]))
        db.session.commit()


def _env(backend_urls, tmp_path, gateway):
    return celery_env(
        backend_urls,
        tmp_path,
        SIAGA_WHATSAPP_URL=gateway.url,
        SIAGA_WHATSAPP_TOKEN=gateway.token,
        SIAGA_SWEEP_SECONDS="1",
        SIAGA_SENDING_TIMEOUT_SECONDS="3",
        SIAGA_HEARTBEAT_SECONDS="30",
    )


def _status(app, delivery_id):
    with app.app_context():
        d = db.session.get(Delivery, delivery_id)
        return d.status, d.attempts


def _wait(predicate, timeout=60.0, what=""):
    wait_for(predicate, what, timeout)


def test_real_worker_sends_once(app, backend_urls, tmp_path, committed_message):
    from siaga.messaging.tasks import enqueue

    gw = Gateway(hold_first=False)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed in finally
    worker = start_celery(
        ["worker", "-Q", "messages,default", "-c", "1", "--loglevel", "INFO"],
        _env(backend_urls, tmp_path, gw),
        log,
    )
    try:
        with app.app_context():
            enqueue(
                [committed_message["delivery"], committed_message["delivery"]]
            )  # enqueued twice on purpose
        _wait(lambda: _status(app, committed_message["delivery"])[0] == DeliveryStatus.SENT, what="sent")
        time.sleep(2)  # give the duplicate task time to run
        assert gw.answered == [committed_message["phone"]], (tmp_path / "worker.log").read_text()
        assert _status(app, committed_message["delivery"]) == (DeliveryStatus.SENT, 1)
    finally:
        stop(worker)
        log.close()
        gw.close()


def test_worker_killed_mid_send_recovers_and_sends(app, backend_urls, tmp_path, committed_message):
    from siaga.messaging.tasks import enqueue

    gw = Gateway(hold_first=True)
    env = _env(backend_urls, tmp_path, gw)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed in finally
    worker = start_celery(["worker", "-Q", "messages,default", "-c", "1", "--loglevel", "INFO"], env, log)
    second = beat = None
    try:
        with app.app_context():
            enqueue([committed_message["delivery"]])
        assert gw.first_seen.wait(60), (tmp_path / "worker.log").read_text()
        assert _status(app, committed_message["delivery"])[0] == DeliveryStatus.SENDING
        stop(worker, signal.SIGKILL)  # the worker dies with the gateway call in flight
        gw.release.set()
        second = start_celery(["worker", "-Q", "messages,default", "-c", "1", "--loglevel", "INFO"], env, log)
        beat = start_celery(["beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")], env, log)
        _wait(
            lambda: _status(app, committed_message["delivery"])[0] == DeliveryStatus.SENT,
            timeout=90,
            what="recovery",
        )
        _status_now, attempts = _status(app, committed_message["delivery"])
        assert attempts == 2
        assert gw.answered == [committed_message["phone"]]  # exactly one send completed
    finally:
        for p in (worker, second, beat):
            if p is not None:
                stop(p)
        log.close()
        gw.close()
