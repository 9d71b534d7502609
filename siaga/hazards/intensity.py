"""Intensity at distance and point-in-polygon, as the hazard services need them.

Allen, Wald & Worden (2012) intensity prediction equation (DOMAIN.md): with hypocentral
distance R (km) and magnitude M, R_M = −0.209 + 2.042·e^(M−5) and
MMI = 2.085 + 1.428·M − 1.402·ln(√(R² + R_M²)), plus 0.078·ln(R/50) when R > 50 km.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from geopy.distance import geodesic

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def allen_2012_mmi(magnitude: float, hypocentral_km: float) -> float:
    r = max(hypocentral_km, 0.0)
    rm = -0.209 + 2.042 * math.exp(magnitude - 5.0)
    mmi = 2.085 + 1.428 * magnitude - 1.402 * math.log(math.sqrt(r * r + rm * rm))
    if r > 50.0:
        mmi += 0.078 * math.log(r / 50.0)
    return max(1.0, min(12.0, mmi))


def intensity_at(
    magnitude: float, depth_km: float, lat: float, lon: float, at_lat: float, at_lon: float
) -> tuple[float, float]:
    """(MMI, epicentral distance in km) at a place, from a quake's magnitude, depth and epicentre."""
    epicentral = geodesic((lat, lon), (at_lat, at_lon)).km
    hypocentral = math.hypot(epicentral, max(depth_km, 0.0))
    return allen_2012_mmi(magnitude, hypocentral), epicentral


def roman(mmi: float) -> str:
    """MMI as a Roman numeral, rounded to the nearest whole degree (I…XII)."""
    return ROMAN[min(max(round(mmi), 1), 12) - 1]


def points_inside(
    points: Sequence[tuple[float, float]], rings: Sequence[Sequence[Sequence[float]]]
) -> list[bool]:
    """For (lat, lon) points: inside any of the polygons given as rings of [lat, lon]? Vectorised."""
    if not points or not rings:
        return [False] * len(points)
    polys = []
    for ring in rings:
        if len(ring) >= 3:
            poly = shapely.Polygon([(float(p[1]), float(p[0])) for p in ring])
            polys.append(shapely.make_valid(poly))
    if not polys:
        return [False] * len(points)
    area = shapely.union_all(polys)
    shapely.prepare(area)
    xs = np.array([p[1] for p in points], dtype=float)
    ys = np.array([p[0] for p in points], dtype=float)
    return [bool(v) for v in shapely.intersects_xy(area, xs, ys)]
