"""A local server that speaks BMKG's feeds: the real payloads under the real paths.

Paths: ``/DataMKG/TEWS/{autogempa,gempaterkini,gempadirasakan}.{json,xml}``,
``/inatews/datagempa.json``, ``/alerts/nowcast/id`` (RSS) and the CAP files the RSS links
(rewritten to this server). ETag and Last-Modified are sent and honoured (304). A path's
payload can be swapped, an error status forced or the answer delayed (a hung server); every
request is logged with headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

DATA = Path(__file__).resolve().parent.parent / "data" / "bmkg"


@dataclass
class FakeBmkg:
    files: dict[str, bytes] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    #: seconds to wait before answering a path
    delays: dict[str, float] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_port}"

    @property
    def tews_url(self) -> str:
        return self.base_url + "/DataMKG/TEWS/"

    @property
    def inatews_url(self) -> str:
        return self.base_url + "/inatews/"

    @property
    def nowcast_url(self) -> str:
        return self.base_url + "/alerts/nowcast/id"

    def serve(self, path: str, body: bytes | str) -> None:
        self.files[path] = body.encode() if isinstance(body, str) else body

    def serve_fixture(self, path: str, fixture: str) -> None:
        self.serve(path, (DATA / fixture).read_bytes())

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.requests.append((path, dict(self.headers.items())))
                if path in fake.delays:
                    time.sleep(fake.delays[path])
                if path in fake.errors:
                    self.send_response(fake.errors[path])
                    self.end_headers()
                    return
                body = fake.files.get(path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header(
                    "Content-Type", "application/json" if path.endswith(".json") else "application/xml"
                )
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", formatdate(usegmt=True))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # the client may have given up waiting (a timeout test): nothing to answer then
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    def serve_nowcast(self) -> None:
        """The real RSS index with its CAP links pointed at this server, and the CAP files we have."""
        rss = (DATA / "nowcast-rss-id.xml").read_text()
        rss = rss.replace("https://www.bmkg.go.id/alerts/nowcast/id/", self.base_url + "/alerts/nowcast/id/")
        self.serve("/alerts/nowcast/id", rss)
        self.serve_fixture("/alerts/nowcast/id/CGT20260924002_alert.xml", "cap-alert-CGT20260924002-id.xml")
