"""On a phone (390 px wide) no page scrolls sideways as a whole: wide tables scroll inside
themselves, so the header, menu and buttons stay on screen. Real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import browser_login

PHONE = {"width": 390, "height": 844}
PAGES = [
    "/dashboard",
    "/shelters",
    "/points",
    "/hazards",
    "/feeds",
    "/aid",
    "/aid/items",
    "/aid/requests",
    "/audit",
]


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_no_page_scrolls_sideways_on_a_phone(phone, live_server, committed_users):
    browser_login(phone, live_server, committed_users["coordinator"]["email"])
    wide = {}
    for path in PAGES:
        response = phone.goto(live_server + path)
        assert response is not None and response.status == 200, path
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    assert wide == {}
    # the tables are still whole: they scroll inside their own box
    phone.goto(live_server + "/feeds")
    table = phone.locator("table.table").first
    assert table.evaluate("t => t.scrollWidth > t.clientWidth && getComputedStyle(t).overflowX === 'auto'")
