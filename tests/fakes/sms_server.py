"""A local fake of a Zenziva-style SMS gateway, for tests.

Speaks the gateway protocol: ``POST <path>`` (any path; tests use ``/api/sendsms/``)
with form fields ``userkey``, ``passkey``, ``nohp`` and ``pesan``. Answers JSON
``{"messageId": "...", "to": "628...", "status": "1", "text": "Success"}``, or with
``"status": "0"`` and a reason in ``text`` (e.g. ``"Userkey atau Passkey salah"``).

    with FakeSms(userkey="u", passkey="p") as sms:
        sms.fail_next(1, text="Saldo tidak cukup")   # status 0, transient
        sms.rate_limit_next(1, retry_after=20)       # HTTP 429 + Retry-After
        sms.server_error_next(1)                     # HTTP 503
        sms.messages  # [{"nohp": "...", "pesan": "..."}]
        sms.url       # base_url + "/api/sendsms/", what SMS_URL should be
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
class FakeSms(LocalHttpServer):
    """The fake gateway."""

    userkey: str = "zz-user-KEY-1"
    passkey: str = "zz-pass-SECRET-2"
    messages: list[dict[str, str]] = field(default_factory=list)
    requests: int = 0
    _failures: list[str] = field(default_factory=list)
    _rate_limits: list[int] = field(default_factory=list)
    _server_errors: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def fail_next(self, n: int, text: str = "Saldo tidak cukup") -> None:
        """Answer the next ``n`` sends with ``status "0"`` and ``text``."""
        with self._lock:
            self._failures.extend([text] * n)

    def rate_limit_next(self, n: int, retry_after: int = 20) -> None:
        """Answer the next ``n`` sends with HTTP 429 and ``Retry-After``."""
        with self._lock:
            self._rate_limits.extend([retry_after] * n)

    def server_error_next(self, n: int, status: int = 503) -> None:
        """Answer the next ``n`` sends with HTTP ``status``."""
        with self._lock:
            self._server_errors.extend([status] * n)

    @property
    def url(self) -> str:
        """The send endpoint (``SMS_URL``)."""
        return f"{self.base_url}/api/sendsms/"

    def handle(self, raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The (status, JSON, extra headers) answer to one request."""
        with self._lock:
            self.requests += 1
            if self._rate_limits:
                wait = self._rate_limits.pop(0)
                return 429, {"status": "0", "text": "Too many requests"}, {"Retry-After": str(wait)}
            if self._server_errors:
                return self._server_errors.pop(0), {"status": "0", "text": "Service unavailable"}, {}
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            if form.get("userkey") != self.userkey or form.get("passkey") != self.passkey:
                return 200, {"status": "0", "text": "Userkey atau Passkey salah"}, {}
            number = form.get("nohp", "")
            if not number.isdigit():
                return 200, {"status": "0", "to": number, "text": "Nomor tujuan tidak valid"}, {}
            if not form.get("pesan"):
                return 200, {"status": "0", "to": number, "text": "Pesan kosong"}, {}
            if self._failures:
                return 200, {"status": "0", "to": number, "text": self._failures.pop(0)}, {}
            self.messages.append({"nohp": number, "pesan": form["pesan"]})
            return (
                200,
                {"messageId": str(5000 + len(self.messages)), "to": number, "status": "1", "text": "Success"},
                {},
            )


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSms

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer, headers = self.owner.handle(raw)
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


FakeSms.handler_base = _Handler
