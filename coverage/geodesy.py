"""Distances on the WGS84 ellipsoid, and nearest-neighbour search that stays right across a province.

A single map projection cannot keep distances within 0.1 % over a region 1,500 km
wide (UTM of the centroid is off by 1.2 % at 12 degrees from its meridian).  So
every distance the tool uses - snap distances, access legs, direct trips, road
segment lengths, service-area circles - is geodesic (:class:`pyproj.Geod`, WGS84).
Neighbour *search* runs on unit vectors of the sphere (a KD-tree over 3-D points),
where the straight chord grows with the great-circle angle, so the nearest points
by chord are the nearest on the sphere; the few closest candidates are then ranked
by their exact ellipsoidal distance.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod
from scipy.spatial import cKDTree

__all__ = [
    "GEOD",
    "PointIndex",
    "circle_polygons",
    "distance_m",
    "path_length_m",
    "unit_vectors",
]

GEOD = Geod(ellps="WGS84")
# Radius bounds of the WGS84 ellipsoid: a geodesic of length d subtends at most d / B_MIN radians.
_B_MIN = 6_335_439.0  # meridional radius of curvature at the equator (the smallest radius of curvature)
# Candidates ranked by exact distance after the chord search: the sphere-ellipsoid difference in
# *ranking* needs points within ~0.5 % of each other; four is ample and cheap.
_K_RANK = 4


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape ``(n, 3)``, for chord-distance neighbour search."""
    lam, phi = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    c = np.cos(phi)
    return np.column_stack([c * np.cos(lam), c * np.sin(lam), np.sin(phi)])


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres between point pairs (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(*(np.asarray(a, float) for a in (lon1, lat1, lon2, lat2)))
    if lon1.size == 0:
        return np.zeros(lon1.shape)
    _, _, d = GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())
    return np.asarray(d, float).reshape(lon1.shape)


def path_length_m(lon: np.ndarray, lat: np.ndarray) -> float:
    """Geodesic length of a polyline."""
    return float(distance_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()) if len(lon) > 1 else 0.0


def chord_for(distance: float) -> float:
    """A chord on the unit sphere at least as long as the chord of any geodesic of ``distance`` metres."""
    angle = min(np.pi, distance / _B_MIN * 1.0001)
    return float(2.0 * np.sin(angle / 2.0)) + 1e-12


class PointIndex:
    """Nearest points by geodesic distance, and all points within a geodesic radius.

    Parameters
    ----------
    lon, lat
        The indexed points (degrees).
    """

    def __init__(self, lon: np.ndarray, lat: np.ndarray):
        self.lon = np.asarray(lon, float)
        self.lat = np.asarray(lat, float)
        self.tree = cKDTree(unit_vectors(self.lon, self.lat)) if len(self.lon) else None

    def __len__(self) -> int:
        return len(self.lon)

    def nearest(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position of each query point's nearest indexed point, and the geodesic distance to it.

        Ties in distance go to the lower position, as :func:`numpy.argmin` would.
        """
        lon, lat = np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel()
        n = len(lon)
        if n == 0 or self.tree is None:
            return np.full(n, -1, np.int64), np.full(n, np.inf)
        k = min(_K_RANK, len(self.lon))
        _, pos = self.tree.query(unit_vectors(lon, lat), k=k)
        pos = pos.reshape(n, k)
        d = distance_m(lon[:, None], lat[:, None], self.lon[pos], self.lat[pos])
        # Rank by exact distance, then by position (deterministic ties).
        order = np.lexsort((pos, d), axis=1)[:, 0]
        rows = np.arange(n)
        return pos[rows, order].astype(np.int64), d[rows, order]

    def within(self, lon: np.ndarray, lat: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (query, indexed) pair within ``radius_m`` metres, with its geodesic distance.

        Returns
        -------
        query, point : numpy.ndarray
            Positions of the pairs, sorted by query then point.
        distance : numpy.ndarray
            Geodesic metres.
        """
        lon, lat = np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel()
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        if len(lon) == 0 or self.tree is None:
            return empty
        hits = cKDTree(unit_vectors(lon, lat)).query_ball_tree(self.tree, chord_for(radius_m))
        counts = np.fromiter((len(h) for h in hits), np.int64, len(hits))
        if counts.sum() == 0:
            return empty
        q = np.repeat(np.arange(len(lon)), counts)
        p = np.fromiter((j for h in hits for j in h), np.int64, int(counts.sum()))
        d = distance_m(lon[q], lat[q], self.lon[p], self.lat[p])
        keep = d <= radius_m
        q, p, d = q[keep], p[keep], d[keep]
        order = np.lexsort((p, q))
        return q[order], p[order], d[order]


def circle_polygons(lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray, *, n_vertices: int = 16) -> np.ndarray:
    """Geodesic circles as lon/lat polygons (one per centre; radius 0 gives an empty polygon).

    Returns
    -------
    numpy.ndarray
        Shapely polygons.
    """
    import shapely

    lon, lat = np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel()
    radius = np.broadcast_to(np.asarray(radius_m, float), lon.shape)
    out = np.array([shapely.Polygon()] * len(lon), dtype=object)
    ok = radius > 0
    if not ok.any():
        return out
    az = np.linspace(0.0, 360.0, n_vertices, endpoint=False)
    lo = np.repeat(lon[ok], n_vertices)
    la = np.repeat(lat[ok], n_vertices)
    r = np.repeat(radius[ok], n_vertices)
    x, y, _ = GEOD.fwd(lo, la, np.tile(az, int(ok.sum())), r)
    ring = np.stack([np.asarray(x), np.asarray(y)], axis=1).reshape(-1, n_vertices, 2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    out[ok] = shapely.polygons(ring)
    return out
