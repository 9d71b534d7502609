"""Serve every asset a Folium map loads from ``static/vendor`` instead of a CDN.

Folium (and each plugin) lists its JavaScript and CSS as ``(name, url)`` pairs pointing at
public CDNs. On a Polres network during a disaster there may be no internet, so
:func:`use_local_assets` rewrites every pair on the map and on all its children to a file
we ship (``./scripts/vendor_assets`` fetches them from npm with pinned versions). An asset
this table does not know raises :class:`UnknownAsset`, so a Folium upgrade that adds one
fails the tests instead of silently loading a CDN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

#: Folium's asset name → path under static/.
LOCAL_ASSETS: dict[str, str] = {
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "Control_locate_min_js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
    "Control_locate_min_css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
    "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
}


class UnknownAsset(LookupError):
    """Folium wants an asset that is not vendored."""


def _elements(root: Any) -> Iterator[Any]:
    yield root
    for child in getattr(root, "_children", {}).values():
        yield from _elements(child)


def _rewrite(pairs: list[tuple[str, str]], url_for: Callable[[str], str]) -> list[tuple[str, str]]:
    out = []
    for name, _url in pairs:
        if name not in LOCAL_ASSETS:
            raise UnknownAsset(f"Folium asset {name!r} is not vendored; add it to scripts/vendor_assets")
        out.append((name, url_for(LOCAL_ASSETS[name])))
    return out


def use_local_assets(m: Any, static_url: Callable[[str], str] | str) -> Any:
    """Point the map's and every child's ``default_js``/``default_css`` at local files."""
    url_for: Callable[[str], str] = (
        static_url if callable(static_url) else (lambda path: f"{str(static_url).rstrip('/')}/{path}")
    )
    for element in _elements(m):
        for attr in ("default_js", "default_css"):
            pairs = getattr(element, attr, None)
            if pairs:
                setattr(element, attr, _rewrite(list(pairs), url_for))
    return m
