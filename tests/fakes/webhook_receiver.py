"""A local webhook receiver that checks Siaga's signature, as a partner system would.

It verifies ``X-Siaga-Signature`` with its *own* HMAC code (not Siaga's
``verify_signature``), so a test proves interoperability rather than agreement
of one implementation with itself. Valid deliveries get ``status`` (200 by
default); a bad signature or a timestamp outside ``tolerance_s`` gets 401.

    with WebhookReceiver(secret="s3cret") as hook:
        hook.respond_next(1, status=503, headers={"Retry-After": "12"})
        ... WebhookChannel("s3cret").send(hook.url, message) ...
        hook.messages   # [Received(path, headers, body, verified, reason), ...]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.http_base import LocalHttpServer


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    reason: str

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class WebhookReceiver(LocalHttpServer):
    """The fake receiver; ``url`` is where to deliver."""

    secret: str = "webhook-TEST-secret-xyz"
    tolerance_s: float = 300.0
    messages: list[Received] = field(default_factory=list)
    _responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def respond_next(self, n: int, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``n`` *valid* deliveries with ``status`` (and ``headers``)."""
        with self._lock:
            self._responses.extend([(status, dict(headers or {}))] * n)

    @property
    def url(self) -> str:
        """A delivery URL on this receiver."""
        return f"{self.base_url}/hooks/siaga"

    @property
    def verified(self) -> list[Received]:
        """Only the deliveries whose signature checked out."""
        return [m for m in self.messages if m.verified]

    def check(self, headers: dict[str, str], body: bytes) -> tuple[bool, str]:
        """(verified, reason) for a delivery, independently of Siaga's code."""
        lowered = {k.lower(): v for k, v in headers.items()}
        timestamp = lowered.get("x-siaga-timestamp", "")
        signature = lowered.get("x-siaga-signature", "")
        if not timestamp.isdigit():
            return False, "missing or malformed timestamp"
        if abs(time.time() - int(timestamp)) > self.tolerance_s:
            return False, "stale timestamp"
        mac = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(f"sha256={mac.hexdigest()}", signature):
            return False, "bad signature"
        return True, "ok"

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        verified, reason = self.check(headers, body)
        with self._lock:
            self.messages.append(Received(path, headers, body, verified, reason))
            if not verified:
                return 401, {}
            if self._responses:
                return self._responses.pop(0)
            return 200, {"X-Request-Id": f"rcv-{len(self.messages)}"}


class _Handler(BaseHTTPRequestHandler):
    owner: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers = self.owner.handle(self.path, dict(self.headers.items()), body)
        answer = b'{"received": true}' if status < 300 else b'{"error": "rejected"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


WebhookReceiver.handler_base = _Handler
