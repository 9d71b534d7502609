"""Fixtures shared by the hazard tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

import pytest

from tests.fakes.bmkg import FakeBmkg


@dataclass
class FaultyBmkg(FakeBmkg):
    """:class:`FakeBmkg` with two more behaviours, for the fault tests.

    ``fail_first[path]``: faults answered to the next requests of ``path``, one per request,
    before it is served as usual: an HTTP status (empty body), or ``"drop"`` (the connection is
    closed without an answer). ``last_modified[path]``: ``path`` is served with this
    ``Last-Modified`` and no ``ETag``; a request whose ``If-Modified-Since`` matches gets 304.
    """

    fail_first: dict[str, list[int | str]] = field(default_factory=dict)
    last_modified: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> Self:
        super().__enter__()
        assert self._httpd is not None
        fake = self
        base: Any = self._httpd.RequestHandlerClass

        class Handler(base):  # type: ignore[misc,valid-type]
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                faults = fake.fail_first.get(path)
                if faults:
                    fake.requests.append((path, dict(self.headers.items())))
                    fault = faults.pop(0)
                    if fault == "drop":
                        self.close_connection = True  # no status line: the client sees a reset
                        return
                    self.send_response(int(fault))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = fake.files.get(path)
                stamp = fake.last_modified.get(path)
                if stamp is None or body is None or path in fake.errors or path in fake.delays:
                    super().do_GET()
                    return
                fake.requests.append((path, dict(self.headers.items())))
                if self.headers.get("If-Modified-Since") == stamp:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Last-Modified", stamp)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd.RequestHandlerClass = Handler
        return self


@pytest.fixture
def bmkg(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyBmkg]:
    """A local server speaking BMKG's feeds, with the app's three base URLs pointed at it."""
    with FaultyBmkg() as fake:
        monkeypatch.setitem(app.config, "SIAGA_BMKG_TEWS_URL", fake.tews_url)
        monkeypatch.setitem(app.config, "SIAGA_INATEWS_URL", fake.inatews_url)
        monkeypatch.setitem(app.config, "SIAGA_NOWCAST_URL", fake.nowcast_url)
        yield fake
