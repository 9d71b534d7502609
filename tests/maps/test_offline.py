"""The map never needs a CDN: every asset Folium asks for is served from static/vendor."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest
from folium.plugins import Fullscreen, LocateControl

from siaga.maps.builder import LayerSpec, MapSettings, build_map
from siaga.maps.offline import LOCAL_ASSETS, UnknownAsset, use_local_assets

STATIC = Path(__file__).resolve().parents[2] / "static"


def _page() -> str:
    settings = MapSettings(
        center=(-2.97, 104.74),
        zoom=10,
        tile_url="https://tile.example/{z}/{x}/{y}.png",
        tile_attribution="OSM",
        layers=[LayerSpec(id="shelters", label="Posko", url="/map/data/shelters", kind="shelters")],
    )
    return build_map(settings, lambda path: f"/static/{path}").get_root().render()


def test_no_cdn_in_the_page():
    html = _page()
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs, "the page loads no assets at all?"
    assert all(s.startswith("/static/vendor/") for s in srcs), srcs
    assert "cdn" not in html.lower() or "cdn" not in " ".join(srcs).lower()


def test_every_vendored_file_exists_and_css_urls_resolve():
    for path in LOCAL_ASSETS.values():
        assert (STATIC / path).is_file(), path
    for css in (STATIC / "vendor").rglob("*.css"):
        for ref in re.findall(r"url\(([^)]+)\)", css.read_text()):
            ref = ref.strip("'\"")
            if ref.startswith(("data:", "#")):
                continue
            assert (css.parent / ref).resolve().is_file(), f"{css.name}: {ref}"


def test_unknown_asset_raises_instead_of_loading_a_cdn():
    m = folium.Map()
    with pytest.raises(UnknownAsset, match="jquery"):
        use_local_assets(m, "/static")


def test_plugins_are_rewritten_too():
    m = folium.Map(tiles=None)
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    LocateControl().add_to(m)
    Fullscreen().add_to(m)
    html = use_local_assets(m, "/static").get_root().render()
    assert "cdnjs" not in html and "jsdelivr" not in html
    assert "/static/vendor/leaflet.locatecontrol/L.Control.Locate.min.js" in html
