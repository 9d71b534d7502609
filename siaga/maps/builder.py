"""Folium map pages: a light frame (tiles, controls) with the data layers fetched by the browser.

Pure: plain settings in, a ``folium.Map`` out. All assets are rewritten to ``static/vendor``
(:mod:`siaga.maps.offline`), so the page works on a network without internet; the tiles'
URL is configurable and, when tiles are unreachable, the data layers still draw.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import MacroElement
from folium.plugins import Fullscreen, LocateControl
from jinja2 import Template


@dataclass(frozen=True)
class LayerSpec:
    id: str
    label: str
    url: str
    kind: str
    visible: bool = True


@dataclass(frozen=True)
class MapSettings:
    center: tuple[float, float]
    zoom: int
    tile_url: str
    tile_attribution: str
    layers: list[LayerSpec]
    labels: dict[str, str] = field(default_factory=dict)
    detail_urls: dict[str, str] = field(default_factory=dict)
    edit_urls: dict[str, str] = field(default_factory=dict)
    nearest_url: str | None = None
    locale: str = "id-ID"
    time_zone: str = "Asia/Jakarta"
    link_target: str = "_self"


def safe_json(value: Any) -> str:
    """JSON that cannot close a <script> element or open a comment."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class SiagaLayers(MacroElement):
    """Starts static/js/siaga-map.js on the Folium map with the layer configuration."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        window.siagaMap = SiagaMap.init({{ this._parent.get_name() }}, {{ this.config_json }});
        {% endmacro %}"""
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "SiagaLayers"
        self.config_json = safe_json(config)


def build_map(settings: MapSettings, static_url: Callable[[str], str] | str) -> folium.Map:
    m = folium.Map(
        location=list(settings.center),
        zoom_start=settings.zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    # Only Leaflet itself is needed; folium's default Bootstrap/jQuery/icon fonts are not used.
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    tiles = folium.TileLayer(
        tiles=settings.tile_url,
        attr=settings.tile_attribution,
        name="OpenStreetMap",
        max_zoom=19,
        control=False,
    )
    tiles.add_to(m)
    # No icon font is shipped: the button draws its icon with CSS (.siaga-locate in app.css).
    LocateControl(auto_start=False, flyTo=True, keepCurrentZoomLevel=True, icon="siaga-locate").add_to(m)
    Fullscreen(position="topleft").add_to(m)
    config = {
        "layers": [
            {
                "id": layer.id,
                "label": layer.label,
                "url": layer.url,
                "kind": layer.kind,
                "visible": layer.visible,
            }
            for layer in settings.layers
        ],
        "labels": settings.labels,
        "detailUrls": settings.detail_urls,
        "editUrls": settings.edit_urls,
        "nearestUrl": settings.nearest_url,
        "tileName": tiles.get_name(),
        "tileLabel": "OpenStreetMap",
        "locale": settings.locale,
        "timeZone": settings.time_zone,
        "linkTarget": settings.link_target,
    }
    SiagaLayers(config).add_to(m)
    from siaga.maps.offline import use_local_assets

    use_local_assets(m, static_url)
    return m


def page_parts(m: folium.Map) -> dict[str, str]:
    """The header (assets), body (map div) and script of a Folium map, for our own layout."""
    root: Any = m.get_root()  # a branca Figure (typed as Element)
    root.render()
    return {
        "header": root.header.render(),
        "html": root.html.render(),
        "script": root.script.render(),
        "map_id": m.get_name(),
    }
