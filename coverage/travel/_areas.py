"""Service areas as polygons: where a facility is reachable within a time, by the model's own rules.

Construction (the same for every travel model): a grid over the area (cells of ``cell_m``,
in the region's UTM zone; only the cells within the farthest reach of some facility are
asked, the rest are beyond every band), each cell's centre asked of the model exactly as a
settlement is - :meth:`TravelModel.nearest`, so its off-road leg to the network, the
network, the egress to the facility and a straight trip across country when faster are
the model's, and for terrain the friction surface - then the cells whose centre is within
the time are joined into polygons (rasterio's ``shapes``) and brought back to WGS84.

So a polygon agrees with the travel-time table: a settlement the table puts within the
time lies inside its polygon, and one beyond lies outside, except within one cell of the
polygon's edge (the grid's resolution: a cell is in or out by its centre).  Bands (the
standard's limit, half and twice it) are nested polygons from the same grid.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.geometry
from pyproj import Transformer

from ._seam import TravelModel

__all__ = ["ServiceAreas", "service_areas"]

#: The grid's cells: the area's longer side over this many cells, within the bounds below (metres).
CELLS_ACROSS = 500
MIN_CELL_M, MAX_CELL_M = 25.0, 2000.0


@dataclass(frozen=True)
class ServiceAreas:
    """Polygons within each band of minutes (WGS84), the grid they were drawn on, and the minutes at every cell."""

    bands_min: tuple[float, ...]
    polygons: tuple[shapely.Geometry, ...]
    cell_m: float
    crs: str
    transform: object
    minutes: np.ndarray


#: At most this many cells in a grid (memory and time: one nearest-facility search over them).
MAX_CELLS = 4_000_000


def _grid(bounds_lonlat, crs: str, cell_m: float | None, detail_m: float = np.inf):
    """The grid over the bounds (in ``crs``): its transform, its shape and its cell size.

    The cell is the longer side over :data:`CELLS_ACROSS`, finer where ``detail_m`` asks (a
    fifth of the smallest band's off-road reach), never more than :data:`MAX_CELLS` cells.
    """
    from rasterio.transform import from_origin

    to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    west, south, east, north = bounds_lonlat
    xs, ys = to_m.transform([west, east, west, east], [south, south, north, north])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    coarse = min(max(x1 - x0, y1 - y0) / CELLS_ACROSS, detail_m)
    floor = np.sqrt(max(x1 - x0, 1.0) * max(y1 - y0, 1.0) / MAX_CELLS)
    size = cell_m or float(np.clip(max(coarse, floor), MIN_CELL_M, MAX_CELL_M))
    width, height = int(np.ceil((x1 - x0) / size)) + 1, int(np.ceil((y1 - y0) / size)) + 1
    return from_origin(x0, y1, size, size), (height, width), size


def _cells_in_reach(transform, shape, size: float, facilities: np.ndarray, crs: str, reach_m: float) -> np.ndarray:
    """The flat indices of the cells within ``reach_m`` (a square around each facility): the only ones worth asking."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(facilities[:, 0], facilities[:, 1])
    col = ((np.asarray(x) - transform.c) / size).astype(int)
    row = ((transform.f - np.asarray(y)) / size).astype(int)
    k = int(np.ceil(reach_m / size)) + 1
    height, width = shape
    picked = np.zeros(shape, bool)
    for r, c in zip(row, col, strict=True):
        picked[max(r - k, 0) : min(r + k + 1, height), max(c - k, 0) : min(c + k + 1, width)] = True
    return np.flatnonzero(picked)


def _centres(transform, shape, flat: np.ndarray, crs: str) -> np.ndarray:
    """Lon/lat of the centres of the cells ``flat``."""
    rows, cols = np.divmod(flat, shape[1])
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.column_stack([lon, lat])


def _reach_m(model, minutes: float) -> float:
    """The farthest one can go in ``minutes`` with the model's profile (its fastest speed, on roads or off them)."""
    p = model.profile
    fastest = max([p.offroad_kmh, *p.speeds_kmh.values(), p.max_kmh if p.use_maxspeed else 0.0])
    return minutes * 60.0 * fastest / 3.6


def _within_reach(bounds, facilities: np.ndarray, minutes: float, model) -> tuple[float, float, float, float]:
    """The bounds cut to the facilities' box grown by the farthest one can go in ``minutes`` (the grid need not cover more)."""
    if not len(facilities):
        return bounds
    reach_deg = _reach_m(model, minutes) / 111_000.0  # degrees of latitude: an upper bound in longitude as well
    lat = float(np.abs(facilities[:, 1]).max())
    pad_x = reach_deg / max(np.cos(np.radians(min(lat, 85.0))), 0.05)
    west = max(bounds[0], facilities[:, 0].min() - pad_x)
    east = min(bounds[2], facilities[:, 0].max() + pad_x)
    south = max(bounds[1], facilities[:, 1].min() - reach_deg)
    north = min(bounds[3], facilities[:, 1].max() + reach_deg)
    return (west, south, east, north) if west < east and south < north else bounds


@contextlib.contextmanager
def _quiet():
    """The travel models' loggers silenced for a while."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict) if name.startswith("coverage.travel")]
    before = [lg.disabled for lg in loggers]
    try:
        for lg in loggers:
            lg.disabled = True
        yield
    finally:
        for lg, was in zip(loggers, before, strict=True):
            lg.disabled = was


def service_areas(
    model: TravelModel,
    facilities: np.ndarray,
    bands_min,
    *,
    bounds: tuple[float, float, float, float],
    crs: str,
    cell_m: float | None = None,
) -> ServiceAreas:
    """Where the nearest of ``facilities`` is reachable within each band of minutes (see the module doc).

    Parameters
    ----------
    model
        Any travel model.
    facilities
        Lon/lat of the eligible facilities.
    bands_min
        Times, in minutes (e.g. the standard's limit, half and twice it).
    bounds
        The area to cover (west, south, east, north; WGS84).
    crs
        A metric CRS for the grid (the region's UTM zone).
    cell_m
        The grid's cell size (default: the longer side over 500 cells, finer for short bands,
        25 m to 2 km, at most 4 million cells).
    """
    from rasterio.features import shapes

    bands = tuple(sorted(float(b) for b in bands_min))
    facilities = np.asarray(facilities, float).reshape(-1, 2)
    bounds = _within_reach(bounds, facilities, max(bands), model)
    detail_m = bands[0] * 60.0 * model.profile.offroad_m_per_s / 5.0
    transform, shape, size = _grid(bounds, crs, cell_m, detail_m)
    seconds = np.full(shape[0] * shape[1], np.inf)
    if len(facilities):
        cells = _cells_in_reach(transform, shape, size, facilities, crs, _reach_m(model, max(bands)))
        with _quiet():  # the grid's cells are not the user's places: no warnings about them
            found = model.nearest(_centres(transform, shape, cells, crs), facilities, cutoff_s=max(bands) * 60.0).seconds
        seconds[cells] = found
    minutes = (seconds / 60.0).reshape(shape)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    polygons = []
    for band in bands:
        mask = np.isfinite(minutes) & (minutes <= band)
        parts = [shapely.geometry.shape(g) for g, _v in shapes(mask.astype("uint8"), mask=mask, transform=transform)]
        merged = shapely.union_all(parts) if parts else shapely.Polygon()
        # A vertex at every cell corner: the edges bands share are transformed point for point, so they nest.
        merged = shapely.segmentize(merged, size * 1.0001)
        polygons.append(shapely.transform(merged, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1]))))
    return ServiceAreas(bands, tuple(polygons), size, crs, transform, minutes)
