"""Conversion between WGS84 and GCJ-02 (the offset datum of Chinese web maps).

Coordinates copied from Amap, Tencent or Baidu's GCJ-02 layer are shifted by
300-600 m against GPS/OpenStreetMap (WGS84).  The forward transform is the
published GCJ-02 polynomial; the inverse has no closed form and is computed by
fixed-point iteration to well under a centimetre.  Points outside China's
bounding box (72.004-137.8347 E, 0.8293-55.8271 N, the box of the published
algorithm) are left unchanged, as every implementation of it does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["gcj02_to_wgs84", "out_of_china", "wgs84_to_gcj02"]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 transform.
_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    x = lon - 105.0
    y = lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the box in which GCJ-02 applies (there the datums coincide)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Shift WGS84 longitudes/latitudes to GCJ-02.

    Parameters
    ----------
    lon, lat
        Degrees, scalars or arrays of the same shape.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _delta(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + d_lon), np.where(outside, lat, lat + d_lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tolerance_deg: float = 1e-9, max_iter: int = 30) -> tuple[NDArray, NDArray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.
    tolerance_deg
        Stop when the forward transform of the estimate is this close to the
        input (1e-9 degrees is about 0.1 mm).
    max_iter
        Upper bound on iterations (it converges in 3-5 in practice).

    Returns
    -------
    tuple of ndarray
        WGS84 longitude and latitude.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if np.all(np.abs(e_lon) < tolerance_deg) and np.all(np.abs(e_lat) < tolerance_deg):
            break
    outside = out_of_china(g_lon, g_lat)
    return np.where(outside, g_lon, w_lon), np.where(outside, g_lat, w_lat)
