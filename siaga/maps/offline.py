"""Serve every asset a Folium map loads from ``static/vendor`` instead of a CDN.

Why: Folium (and each of its plugins) lists the JavaScript and CSS it needs as
``(name, url)`` pairs in ``default_js``/``default_css``, and those URLs point at public
CDNs (jsDelivr, cdnjs, code.jquery.com, bootstrapcdn). A Polres command post during a
disaster may have a local network but no internet; a map page that waits for a CDN then
shows nothing. So the files are shipped in ``static/vendor/`` (made from pinned npm
packages by ``./scripts/vendor_assets``, listed in ``static/vendor/README.md``) and
:func:`use_local_assets` rewrites every pair on a map and on all its children to them.

The rewrite is driven by one table, :data:`LOCAL_ASSETS`, keyed by Folium's asset *name*
(the first element of each pair), not by URL: a Folium upgrade that changes a version in
a URL keeps working, while one that adds an asset we do not ship raises
:class:`UnknownAsset` (and fails ``tests/maps/test_offline.py``) instead of silently
loading it from a CDN.

Pure: no Flask and no I/O. The caller says how a path under ``static/`` becomes a URL,
either with a function (``lambda p: url_for("static", filename=p)``) or a URL prefix
(``"/static"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Final, TypeVar

import folium
from branca.element import Element

__all__ = [
    "LOCAL_ASSETS",
    "StaticUrl",
    "UnknownAsset",
    "local_path",
    "localize_element",
    "use_local_assets",
]

#: How a path under ``static/`` becomes a URL: a function (Flask's ``url_for``) or a prefix.
StaticUrl = Callable[[str], str] | str

#: Folium's asset name -> the vendored file, as a path under ``static/``.
LOCAL_ASSETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # folium.Map
        "leaflet": "vendor/leaflet/leaflet.js",
        "leaflet_css": "vendor/leaflet/leaflet.css",
        "jquery": "vendor/jquery/jquery.min.js",
        "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
        "glyphicons_css": "vendor/bootstrap3-glyphicons/css/bootstrap3-glyphicons.min.css",
        "awesome_markers": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.js",
        "awesome_markers_css": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css",
        "awesome_markers_font_css": "vendor/fontawesome-free/css/all.min.css",
        "awesome_rotate_css": "vendor/folium/leaflet.awesome.rotate.css",
        # folium.plugins.MarkerCluster and FastMarkerCluster
        "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
        "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
        "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
        # folium.plugins.LocateControl
        "Control_locate_min_js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
        "Control_locate_min_css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
        # folium.plugins.Fullscreen
        "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
        "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
    }
)

_ASSET_ATTRS: Final = ("default_js", "default_css")

E = TypeVar("E", bound=Element)


class UnknownAsset(LookupError):
    """Folium asks for an asset that is not vendored (it would load from a CDN).

    ``names`` lists the unknown asset names; the message also says where each came from.
    """

    def __init__(self, found: Iterable[tuple[str, str]]) -> None:
        unique = sorted(set(found))
        self.names: list[str] = sorted({name for name, _where in unique})
        listed = "; ".join(f"{name!r} ({where})" if where else repr(name) for name, where in unique)
        super().__init__(
            f"Folium asset(s) not vendored: {listed}. Add the package to scripts/vendor_assets, "
            "run it, and map the name in siaga.maps.offline.LOCAL_ASSETS."
        )


def local_path(name: str) -> str:
    """The vendored file for a Folium asset name, as a path under ``static/``."""
    try:
        return LOCAL_ASSETS[name]
    except KeyError:
        raise UnknownAsset([(name, "")]) from None


def _url_maker(static_url: StaticUrl) -> Callable[[str], str]:
    if callable(static_url):
        return static_url
    prefix = static_url.rstrip("/")
    return lambda path: f"{prefix}/{path}"


def _walk(root: Element) -> Iterator[Element]:
    yield root
    for child in root._children.values():
        yield from _walk(child)


def _assets(element: Element) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    for attr in _ASSET_ATTRS:
        pairs = getattr(element, attr, None)
        if pairs:
            yield attr, list(pairs)


def _check(elements: Iterable[Element]) -> None:
    unknown = [
        (name, f"{url} on {type(element).__name__}")
        for element in elements
        for _attr, pairs in _assets(element)
        for name, url in pairs
        if name not in LOCAL_ASSETS
    ]
    if unknown:
        raise UnknownAsset(unknown)


def _rewrite(element: Element, url_for: Callable[[str], str]) -> None:
    for attr, pairs in _assets(element):
        # An instance attribute: the class-level list Folium shares between elements stays as it is.
        setattr(element, attr, [(name, url_for(LOCAL_ASSETS[name])) for name, _url in pairs])


def localize_element(element: E, static_url: StaticUrl) -> E:
    """Point one element's ``default_js``/``default_css`` (not its children's) at vendored files.

    For a plugin added to a map after :func:`use_local_assets` ran. Raises :class:`UnknownAsset`
    without changing anything if the element needs an asset that is not vendored.
    """
    _check([element])
    _rewrite(element, _url_maker(static_url))
    return element


def use_local_assets(m: folium.Map, static_url: StaticUrl) -> folium.Map:
    """Point the map's and every descendant's ``default_js``/``default_css`` at vendored files.

    Changes ``m`` in place and returns it. Elements added later need :func:`localize_element`
    (or another call of this function, which is idempotent). Raises :class:`UnknownAsset`,
    naming every unknown asset and leaving the map unchanged, if any is not vendored.
    """
    elements = list(_walk(m))
    _check(elements)
    url_for = _url_maker(static_url)
    for element in elements:
        _rewrite(element, url_for)
    return m
