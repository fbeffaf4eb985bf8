"""Service areas of every standard that travels, as a table of polygons (``results.gpkg`` layer ``service_areas``).

One row per standard and band: half the standard's limit, the limit, twice it.  Drawn by
the travel seam's grid construction (:mod:`coverage.travel._areas`), so a polygon agrees
with the travel-time table to within one cell; the cell size is a column.  Computed once
per region, standard and facilities (kept in the region's travel cache), for the maps and
the GeoPackage alike.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..standards.assessment import Assessment
from ..standards.kinds import kind_of
from ..travel import service_areas

__all__ = ["BAND_FACTORS", "area_of", "service_area_table", "write_surfaces"]

#: The bands drawn, as fractions of the standard's limit.
BAND_FACTORS = (0.5, 1.0, 2.0)


def area_of(assessment: Assessment, std):
    """The :class:`~coverage.travel.ServiceAreas` of one standard (None for a kind that does not travel)."""
    reach = kind_of(std).reach
    if reach is None:
        return None
    region = assessment.region
    model, facilities, limit = reach(std, region)
    key = ("areas", model.kind, model.profile.name, np.asarray(facilities).round(7).tobytes(), float(limit))
    cache = region.travel_cache
    if key not in cache:
        west, south, east, north = region.boundary.bounds
        pad_x, pad_y = 0.05 * (east - west) + 0.01, 0.05 * (north - south) + 0.01
        bounds = (west - pad_x, south - pad_y, east + pad_x, north + pad_y)
        cache[key] = service_areas(model, facilities, [f * limit for f in BAND_FACTORS], bounds=bounds, crs=region.crs)
    return cache[key]


def service_area_table(assessment: Assessment, *, lang: str = "en") -> gpd.GeoDataFrame:
    """Every band of every standard that travels: standard, band_min, within_limit, cell_m, travel, model, geometry."""
    rows = []
    for r in assessment.results:
        areas = area_of(assessment, r.standard)
        if areas is None:
            continue
        kind = kind_of(r.standard)
        model = kind.reach(r.standard, assessment.region)[0]
        limit = max(areas.bands_min) / max(BAND_FACTORS)
        for band, polygon in zip(areas.bands_min, areas.polygons, strict=True):
            rows.append(
                {
                    "standard": r.standard.id,
                    "band_min": band,
                    "within_limit": bool(band <= limit + 1e-9),
                    "cell_m": round(areas.cell_m, 1),
                    "travel": kind.travel(r.standard, assessment.region, lang),
                    "model": model.kind,
                    "geometry": polygon,
                }
            )
    frame = pd.DataFrame(rows, columns=["standard", "band_min", "within_limit", "cell_m", "travel", "model", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def write_surfaces(assessment: Assessment, stage: Path) -> list[str]:
    """The travel-time surface of every standard that travels, as a GeoTIFF (minutes; ``travel_time_<standard>.tif``).

    The grid the service areas were drawn from, in the region's UTM zone: minutes to the
    nearest eligible facility at each cell's centre, no-data beyond twice the limit (the
    farthest band) or where nothing is reachable; none for a standard nothing is reachable
    for (no facility of its types).  Float32, deflate; the same input gives the same bytes.
    """
    import rasterio

    names = []
    for r in assessment.results:
        areas = area_of(assessment, r.standard)
        if areas is None:
            continue
        name = f"travel_time_{r.standard.id}.tif"
        minutes = np.where(np.isfinite(areas.minutes) & (areas.minutes <= max(areas.bands_min)), areas.minutes, np.nan)
        if not np.isfinite(minutes).any():  # no facility of its types, or none reachable: no surface to give
            continue
        profile = {
            "driver": "GTiff",
            "height": minutes.shape[0],
            "width": minutes.shape[1],
            "count": 1,
            "dtype": "float32",
            "crs": areas.crs,
            "transform": areas.transform,
            "nodata": float("nan"),
            "compress": "deflate",
        }
        tmp = stage / (name + ".part")
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(minutes.astype("float32"), 1)
            model = kind_of(r.standard).reach(r.standard, assessment.region)[0]
            dst.update_tags(standard=r.standard.id, units="minutes", model=model.kind)
            dst.set_band_description(1, f"minutes to the nearest facility ({r.standard.id})")
        tmp.replace(stage / name)
        names.append(name)
    return names
