"""A small Folium map around one place, for detail pages (offline assets, escaped tooltip)."""

from __future__ import annotations

import html

import folium
from flask import url_for
from markupsafe import Markup

from siaga.maps.builder import page_parts


def small_map_html(lat: float, lon: float, name: str, tile_url: str | None = None) -> Markup:
    from flask import current_app

    m = folium.Map(location=[lat, lon], zoom_start=15, tiles=None, control_scale=True)
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    folium.TileLayer(
        tiles=tile_url or current_app.config["SIAGA_TILE_URL"],
        attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    ).add_to(m)
    # Folium writes tooltip text into the page as HTML: escape what users typed.
    folium.CircleMarker([lat, lon], radius=9, color="#b3261e", fill=True, tooltip=html.escape(name)).add_to(m)
    from siaga.maps.offline import use_local_assets

    use_local_assets(m, lambda path: url_for("static", filename=path))
    parts = page_parts(m)
    # The parts are Folium's own markup with user text escaped above.
    return Markup(parts["header"] + parts["html"] + "<script>" + parts["script"] + "</script>")  # noqa: S704
