"""A local fake of a Fonnte-style WhatsApp gateway, for tests.

Speaks the gateway protocol: ``POST /send`` with header ``Authorization: <token>``
and form fields ``target`` (one or more numbers, comma-separated), ``message`` and
``countryCode``. Answers HTTP 200 with
``{"detail": "success! message in queue", "id": [...], "process": "pending",
"status": true, "target": [...]}`` or ``{"status": false, "reason": "..."}``.

    with FakeWhatsApp(token="tok") as wa:
        wa.fail_next(1, reason="disconnected device")   # status false, transient
        wa.rate_limit_next(1, retry_after=30)           # HTTP 429 + Retry-After
        wa.server_error_next(1)                         # HTTP 500
        wa.invalid_targets.add("628111111111")          # status false "invalid target"
        wa.messages  # [{"target": "...", "message": "...", "countryCode": "62"}]
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http_base import LocalHttpServer


@dataclass
class FakeWhatsApp(LocalHttpServer):
    """The fake gateway; ``base_url`` is what ``WHATSAPP_URL`` should be."""

    token: str = "fonnte-TEST-token-123"
    messages: list[dict[str, str]] = field(default_factory=list)
    invalid_targets: set[str] = field(default_factory=set)
    requests: int = 0
    _failures: list[str] = field(default_factory=list)
    _rate_limits: list[int] = field(default_factory=list)
    _server_errors: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def fail_next(self, n: int, reason: str = "disconnected device") -> None:
        """Answer the next ``n`` sends with ``{"status": false, "reason": reason}``."""
        with self._lock:
            self._failures.extend([reason] * n)

    def rate_limit_next(self, n: int, retry_after: int = 30) -> None:
        """Answer the next ``n`` sends with HTTP 429 and ``Retry-After``."""
        with self._lock:
            self._rate_limits.extend([retry_after] * n)

    def server_error_next(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` sends with HTTP ``status``."""
        with self._lock:
            self._server_errors.extend([status] * n)

    def handle(
        self, path: str, authorization: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The (status, JSON, extra headers) answer to one request."""
        with self._lock:
            self.requests += 1
            if path.split("?")[0].rstrip("/") != "/send":
                return 404, {"status": False, "reason": "not found"}, {}
            if authorization != self.token:
                return 200, {"status": False, "reason": "invalid token"}, {}
            if self._rate_limits:
                wait = self._rate_limits.pop(0)
                return 429, {"status": False, "reason": "rate limit"}, {"Retry-After": str(wait)}
            if self._server_errors:
                return self._server_errors.pop(0), {"status": False, "reason": "server error"}, {}
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            targets = [t.strip() for t in form.get("target", "").split(",") if t.strip()]
            if not targets:
                return 200, {"status": False, "reason": "target empty"}, {}
            if not form.get("message"):
                return 200, {"status": False, "reason": "message empty"}, {}
            if self._failures:
                return 200, {"status": False, "reason": self._failures.pop(0)}, {}
            if any(t in self.invalid_targets for t in targets):
                return 200, {"status": False, "reason": "invalid target"}, {}
            ids = []
            for target in targets:
                self.messages.append(
                    {"target": target, "message": form["message"], "countryCode": form.get("countryCode", "")}
                )
                ids.append(str(90000000 + len(self.messages)))
            return (
                200,
                {
                    "detail": "success! message in queue",
                    "id": ids,
                    "process": "pending",
                    "status": True,
                    "target": targets,
                },
                {},
            )


class _Handler(BaseHTTPRequestHandler):
    owner: FakeWhatsApp

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer, headers = self.owner.handle(self.path, self.headers.get("Authorization"), raw)
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


FakeWhatsApp.handler_base = _Handler
