"""A server-rendered SVG bar chart of needs coverage (no JavaScript, light on phones)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, BAR, GAP, LABEL_W, HEAD = 640, 18, 6, 220, 24
COLOURS = {"critical": "#b3261e", "low": "#b26a00", "ok": "#1e7d32", "none": "#9aa3ad"}


def coverage_bars(rows: Sequence[tuple[str, float | None, str]], title: str, profile: str) -> Markup:
    """One bar per row ``(label, ratio, band)``; the scale ends at 100 % (longer bars are capped).

    The needs profile the figures come from (e.g. "BNPB (Perka 7/2008)") is named in the
    chart's visible heading and in every bar's tooltip: a coverage figure means nothing
    without the standard it was measured against (issue 7).
    """
    if not rows:
        return Markup("")
    heading = f"{title} · {profile}"
    height = HEAD + len(rows) * (BAR + GAP) + 30
    span = WIDTH - LABEL_W - 60
    parts = [
        f'<svg class="chart coverage-chart" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' aria-label="{escape(heading)}" data-profile="{escape(profile)}">',
        f"<title>{escape(heading)}</title>",
        f'<text x="0" y="{HEAD - 8}" class="lbl chart-heading" font-weight="bold">{escape(heading)}</text>',
        f'<line x1="{LABEL_W + span}" y1="{HEAD}" x2="{LABEL_W + span}" y2="{height - 20}" class="cap"/>',
        f'<text x="{LABEL_W + span}" y="{height - 6}" class="lbl" text-anchor="middle">100 %</text>',
    ]
    for i, (label, ratio, band) in enumerate(rows):
        y = HEAD + i * (BAR + GAP) + 4
        w = 0.0 if ratio is None else min(ratio, 1.0) * span
        text = "—" if ratio is None else f"{round(ratio * 100)} %"
        parts.append(
            f"<g><title>{escape(label)}: {text} · {escape(profile)}</title>"
            f'<text x="{LABEL_W - 6}" y="{y + BAR - 5}" class="lbl" text-anchor="end">{escape(label[:34])}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{COLOURS.get(band, "#9aa3ad")}"/>'
            f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR - 5}" class="lbl">{text}</text></g>'
        )
    parts.append("</svg>")
    # Labels and the profile are escaped above; the rest is numbers and fixed colours.
    return Markup("".join(parts))  # noqa: S704
