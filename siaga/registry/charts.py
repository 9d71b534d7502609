"""A small server-rendered SVG chart of occupancy over time (no JavaScript, light on phones)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from siaga.core.time import format_local
from siaga.registry.models import OccupancyEvent

WIDTH, HEIGHT, PAD = 600, 140, 24


def occupancy_sparkline(events: Sequence[OccupancyEvent], capacity: int) -> Markup:
    """Step chart of ``occupants_after`` against time, with the capacity line; oldest first."""
    if not events:
        return Markup("")
    times = [e.at.timestamp() for e in events]
    values = [e.occupants_after for e in events]
    t0, t1 = times[0], max(times[-1], times[0] + 1)
    vmax = max([*values, capacity, 1])

    def x(t: float) -> float:
        return PAD + (t - t0) / (t1 - t0) * (WIDTH - 2 * PAD)

    def y(v: float) -> float:
        return HEIGHT - PAD - v / vmax * (HEIGHT - 2 * PAD)

    pts: list[str] = []
    prev = 0
    for t, v in zip(times, values, strict=True):
        pts.append(f"{x(t):.1f},{y(prev):.1f}")
        pts.append(f"{x(t):.1f},{y(v):.1f}")
        prev = v
    pts.append(f"{WIDTH - PAD:.1f},{y(prev):.1f}")
    cap_y = y(capacity)
    first, last = escape(format_local(events[0].at)), escape(format_local(events[-1].at))
    # Every interpolated text is escaped above; the rest is numbers.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="occupancy chart">'
        f'<line x1="{PAD}" y1="{cap_y:.1f}" x2="{WIDTH - PAD}" y2="{cap_y:.1f}" class="cap"/>'
        f'<text x="{PAD}" y="{cap_y - 4:.1f}" class="lbl">{capacity}</text>'
        f'<polyline points="{" ".join(pts)}" class="line"/>'
        f'<text x="{PAD}" y="{HEIGHT - 6}" class="lbl">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" class="lbl" text-anchor="end">{last}</text>'
        f"</svg>"
    )
