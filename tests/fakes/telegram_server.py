"""A local fake of the Telegram Bot API ``sendMessage`` method, for tests.

Speaks the real protocol: ``POST /bot<token>/sendMessage`` with a JSON or
form-encoded body (``chat_id``, ``text``), answering ``{"ok": true, "result":
{"message_id": N, ...}}`` or ``{"ok": false, "error_code": N, "description": ...,
"parameters": {...}}`` as Telegram does.

    with FakeTelegram(token="123:ABC") as tg:
        tg.rate_limit_next(2, retry_after=7)      # next 2 calls: 429 retry_after=7
        tg.chat_not_found("-100999")               # 400 "Bad Request: chat not found"
        tg.server_error_next(1, status=502)        # next call: 502
        ... TelegramChannel("123:ABC", api_url=tg.base_url) ...
        tg.messages  # [{"chat_id": "...", "text": "...", "content_type": "..."}]
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
class FakeTelegram(LocalHttpServer):
    """The fake server; ``base_url`` is what ``TELEGRAM_API_URL`` should be."""

    token: str = "123456:TEST-token_abc"
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    _rate_limited: list[int] = field(default_factory=list)  # retry_after per pending 429
    _server_errors: list[int] = field(default_factory=list)  # status per pending 5xx
    _missing_chats: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- behaviour knobs -------------------------------------------------------------
    def rate_limit_next(self, n: int, retry_after: int = 5) -> None:
        """Answer the next ``n`` calls with 429 and ``parameters.retry_after``."""
        with self._lock:
            self._rate_limited.extend([retry_after] * n)

    def server_error_next(self, n: int, status: int = 502) -> None:
        """Answer the next ``n`` calls with HTTP ``status``."""
        with self._lock:
            self._server_errors.extend([status] * n)

    def chat_not_found(self, chat_id: str | int) -> None:
        """Answer 400 "Bad Request: chat not found" for this chat id."""
        with self._lock:
            self._missing_chats.add(str(chat_id))

    # -- lifecycle -------------------------------------------------------------------
    # -- protocol --------------------------------------------------------------------
    def handle(self, path: str, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        """The (status, JSON) answer to one request."""
        with self._lock:
            self.requests += 1
            prefix = f"/bot{self.token}/"
            if not path.startswith("/bot"):
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if not path.startswith(prefix):
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            method = path[len(prefix) :].split("?")[0]
            if method.lower() != "sendmessage":
                return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            params = _parse_body(content_type, raw)
            if params is None:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid body"}
            chat_id, text = params.get("chat_id"), params.get("text")
            if chat_id in (None, ""):
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
            if not text:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message text is empty",
                }
            if len(str(text).encode("utf-16-le")) // 2 > 4096:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: message is too long",
                }
            if self._rate_limited:
                wait = self._rate_limited.pop(0)
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                }
            if self._server_errors:
                status = self._server_errors.pop(0)
                return status, {"ok": False, "error_code": status, "description": "Bad Gateway"}
            if str(chat_id) in self._missing_chats:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
            self.messages.append({"chat_id": str(chat_id), "text": text, "content_type": content_type})
            message_id = len(self.messages)
            return 200, {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Siaga"},
                    "chat": {"id": _maybe_int(chat_id), "type": "private"},
                    "date": 1700000000 + message_id,
                    "text": text,
                },
            }


def _maybe_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any] | None:
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(raw.decode("utf-8"))
            return data if isinstance(data, dict) else None
        if kind in ("application/x-www-form-urlencoded", ""):
            return {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
    except (UnicodeDecodeError, ValueError):
        return None
    return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeTelegram

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, answer = self.owner.handle(self.path, self.headers.get("Content-Type", ""), raw)
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


FakeTelegram.handler_base = _Handler
