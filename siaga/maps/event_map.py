"""The map on a hazard event's page: epicentre and MMI rings, or the warning polygons,
with the places the event reaches. Built with Folium, assets served from ``static/vendor``.

Every text that came from outside (place names typed by people, BMKG's titles) is escaped
before Folium writes it into the page as HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import folium
from flask import current_app, url_for
from markupsafe import Markup

from siaga.hazards.intensity import allen_2012_mmi, mmi_radius_km, quake_depth_km, roman
from siaga.hazards.models import HazardKind
from siaga.maps.builder import page_parts
from siaga.maps.offline import use_local_assets

if TYPE_CHECKING:
    from siaga.hazards.models import EventImpact, HazardEvent

#: Colours per MMI degree (USGS ShakeMap palette, IV and up) and per tsunami warning level.
MMI_COLOURS = {
    4: "#80ffff",
    5: "#7aff93",
    6: "#ffff00",
    7: "#ffc800",
    8: "#ff9100",
    9: "#ff0000",
    10: "#c80000",
}
LEVEL_COLOURS = {"AWAS": "#b71c1c", "SIAGA": "#e65100", "WASPADA": "#f9a825"}
#: Rings are drawn out to this distance at most (km); beyond, the estimate means little.
MAX_RING_KM = 1500.0
CREDIT = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> · Sumber: BMKG'


def mmi_colour(mmi: float) -> str:
    degree = min(max(round(mmi), 4), 10)
    return MMI_COLOURS[degree]


def _impact_colour(impact: EventImpact) -> str:
    if impact.mmi is not None:
        return mmi_colour(impact.mmi)
    return LEVEL_COLOURS.get((impact.level or "").upper(), "#ef6c00")


def event_map_html(
    ev: HazardEvent, impacts: Sequence[EventImpact], threshold: float, tile_url: str | None = None
) -> Markup | None:
    """The Folium map for an event page, or None when there is nothing to place on a map."""
    bounds: list[tuple[float, float]] = []
    m = folium.Map(location=[-2.5, 110.0], zoom_start=5, tiles=None, control_scale=True, prefer_canvas=True)
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    folium.TileLayer(tiles=tile_url or current_app.config["SIAGA_TILE_URL"], attr=CREDIT).add_to(m)
    title = html.escape(ev.title)
    is_quake = ev.kind == HazardKind.EARTHQUAKE
    if is_quake and ev.magnitude is not None and ev.lat is not None and ev.lon is not None:
        depth = quake_depth_km(ev.depth_km)  # the same depth as the impact table
        top = allen_2012_mmi(ev.magnitude, depth)
        for level in range(math.ceil(threshold), math.floor(top) + 1):
            radius = mmi_radius_km(ev.magnitude, depth, level, MAX_RING_KM)
            if radius is None or radius < 0.5:
                continue
            folium.Circle(
                [ev.lat, ev.lon],
                radius=radius * 1000,
                color=mmi_colour(level),
                weight=2,
                fill=False,
                tooltip=f"MMI {roman(level)} ({radius:.0f} km)",
                class_name="mmi-ring",
            ).add_to(m)
            if level == math.ceil(threshold):  # the outer ring frames the map
                dlat = radius / 111.2
                dlon = radius / (111.2 * max(math.cos(math.radians(ev.lat)), 0.1))
                bounds += [(ev.lat - dlat, ev.lon - dlon), (ev.lat + dlat, ev.lon + dlon)]
    for area in ev.polygons or []:
        for ring in area:
            coords = [(float(lat), float(lon)) for lat, lon in ring]
            if len(coords) >= 3:
                folium.Polygon(
                    coords, color="#ef6c00", weight=2, fill=True, fill_opacity=0.15, tooltip=title
                ).add_to(m)
                bounds += coords
    for impact in impacts:
        if impact.target_type == "district":
            continue  # districts are listed below the map; their centroids would only clutter it
        value = f"MMI {impact.mmi:.1f}" if impact.mmi is not None else (impact.level or "")
        folium.CircleMarker(
            [impact.lat, impact.lon],
            radius=6,
            color="#263238",
            weight=1,
            fill=True,
            fill_color=_impact_colour(impact),
            fill_opacity=0.9,
            tooltip=html.escape(f"{impact.name} · {value}"),
        ).add_to(m)
        bounds.append((impact.lat, impact.lon))
    if ev.lat is not None and ev.lon is not None:
        folium.CircleMarker(
            [ev.lat, ev.lon],
            radius=10,
            color="#b71c1c",
            weight=3,
            fill=True,
            fill_color="#ffffff",
            fill_opacity=1,
            tooltip=title,
        ).add_to(m)
        bounds.append((ev.lat, ev.lon))
    if not bounds:
        return None
    south, north = min(b[0] for b in bounds), max(b[0] for b in bounds)
    west, east = min(b[1] for b in bounds), max(b[1] for b in bounds)
    pad = 0.1 if (north - south) < 0.05 and (east - west) < 0.05 else 0.0  # one place: zoom to its area
    m.fit_bounds([[south - pad, west - pad], [north + pad, east + pad]], padding=(20, 20))
    use_local_assets(m, lambda path: url_for("static", filename=path))
    parts = page_parts(m)
    # Folium's own markup; every outside text was escaped above.
    return Markup(parts["header"] + parts["html"] + "<script>" + parts["script"] + "</script>")  # noqa: S704
