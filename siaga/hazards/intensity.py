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
#: Hypocentre depth (km) assumed when a report gives none (or 0), for the impact table and the
#: event map alike.
DEFAULT_DEPTH_KM = 10.0


def quake_depth_km(depth_km: float | None) -> float:
    """The depth the intensity estimate uses: the report's, else ``DEFAULT_DEPTH_KM``."""
    return max(depth_km or DEFAULT_DEPTH_KM, 0.0)


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


def mmi_radius_km(magnitude: float, depth_km: float, level: float, max_km: float) -> float | None:
    """Epicentral distance (km) at which the Allen et al. 2012 estimate falls to ``level``.

    None when the epicentre itself stays below ``level``; ``max_km`` when the level reaches
    that far. The estimate decreases with distance, so a bisection finds it.
    """
    depth = max(depth_km, 0.0)

    def at(r: float) -> float:
        return allen_2012_mmi(magnitude, math.hypot(r, depth))

    if at(0.0) < level:
        return None
    if at(max_km) >= level:
        return max_km
    lo, hi = 0.0, max_km
    for _ in range(60):
        mid = (lo + hi) / 2
        if at(mid) >= level:
            lo = mid
        else:
            hi = mid
    return lo


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


# ---------------------------------------------------------------- vectorised (numpy)

#: WGS-84, as geopy's geodesic uses.
_A = 6378137.0
_F = 1 / 298.257223563
_B = (1 - _F) * _A
#: Mean Earth radius (km) for the haversine prefilter. The WGS-84 metric is
#: ds² = M² dφ² + N² cos²φ dλ², the sphere's R² (dφ² + cos²φ dλ²), with M between 6335.44 and
#: 6399.59 km and N between 6378.14 and 6399.59 km; so any path's length on the ellipsoid is
#: between 0.99442 and 1.00449 times its length on the sphere, and the geodesic distance lies
#: between those multiples of the haversine one (``siaga.registry.nearest.GEO_LO``/``GEO_HI``).
#: ``HAVERSINE_SLACK`` (0.6 %) covers both sides.
EARTH_RADIUS_KM = 6371.0088
HAVERSINE_SLACK = 0.006


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances (km) from one place to many, on a sphere: cheap, within 0.6 %."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dlat = p2 - p1
    dlon = np.radians(lons) - math.radians(lon)
    h = np.sin(dlat / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def geodesic_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Ellipsoidal (WGS-84) distances in km from one place to many: Vincenty's inverse formula.

    Agrees with ``geopy.distance.geodesic`` (Karney) to well under a metre for the distances a
    quake's impact spans; nearly antipodal pairs, where Vincenty may not converge, keep the
    last iterate (never the case within Indonesia).
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    if lats.size == 0:
        return np.zeros(0)
    u1 = math.atan((1 - _F) * math.tan(math.radians(lat)))
    sin_u1, cos_u1 = math.sin(u1), math.cos(u1)
    u2 = np.arctan((1 - _F) * np.tan(np.radians(lats)))
    sin_u2, cos_u2 = np.sin(u2), np.cos(u2)
    big_l = np.radians(lons - lon)
    lam = big_l.copy()
    sin_sigma = cos_sigma = sigma = cos2_alpha = cos_2sm = np.zeros_like(lam)
    for _ in range(200):
        sin_lam, cos_lam = np.sin(lam), np.cos(lam)
        sin_sigma = np.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = np.arctan2(sin_sigma, cos_sigma)
        safe = np.where(sin_sigma == 0, 1.0, sin_sigma)
        sin_alpha = np.where(sin_sigma == 0, 0.0, cos_u1 * cos_u2 * sin_lam / safe)
        cos2_alpha = 1 - sin_alpha**2
        safe_c = np.where(cos2_alpha == 0, 1.0, cos2_alpha)
        cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_sigma - 2 * sin_u1 * sin_u2 / safe_c)
        c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
        new = big_l + (1 - c) * _F * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        done = np.abs(new - lam) < 1e-12
        lam = new
        if done.all():
            break
    u_sq = cos2_alpha * (_A**2 - _B**2) / _B**2
    a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sigma = (
        b
        * sin_sigma
        * (
            cos_2sm
            + b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return np.asarray(_B * a * (sigma - d_sigma) / 1000.0)


def allen_2012_mmi_many(magnitude: float, hypocentral_km: np.ndarray) -> np.ndarray:
    """:func:`allen_2012_mmi` over an array of hypocentral distances."""
    r = np.maximum(np.asarray(hypocentral_km, dtype=float), 0.0)
    rm = -0.209 + 2.042 * math.exp(magnitude - 5.0)
    mmi = 2.085 + 1.428 * magnitude - 1.402 * np.log(np.sqrt(r * r + rm * rm))
    far = r > 50.0
    mmi = mmi + np.where(far, 0.078 * np.log(np.where(far, r, 50.0) / 50.0), 0.0)
    return np.clip(mmi, 1.0, 12.0)
