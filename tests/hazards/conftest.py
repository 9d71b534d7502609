"""Fixtures shared by the hazard tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.bmkg import FakeBmkg


@pytest.fixture
def bmkg(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBmkg]:
    """A local server speaking BMKG's feeds, with the app's three base URLs pointed at it."""
    with FakeBmkg() as fake:
        monkeypatch.setitem(app.config, "SIAGA_BMKG_TEWS_URL", fake.tews_url)
        monkeypatch.setitem(app.config, "SIAGA_INATEWS_URL", fake.inatews_url)
        monkeypatch.setitem(app.config, "SIAGA_NOWCAST_URL", fake.nowcast_url)
        yield fake
