"""Small geometry shared by the inputs: a region's metric CRS, and the outline of points without a boundary."""

from __future__ import annotations

import geopandas as gpd
import shapely

__all__ = ["hull_boundary", "utm_crs"]


def utm_crs(boundary: shapely.Geometry) -> str:
    """The UTM zone of a geometry's centroid, as an EPSG code (a local metric CRS)."""
    c = boundary.centroid
    zone = int((c.x + 180) // 6) + 1
    return f"EPSG:{32600 + zone if c.y >= 0 else 32700 + zone}"


def hull_boundary(frames: list[gpd.GeoDataFrame]) -> shapely.Geometry:
    """Without a boundary file: the convex hull of the points plus 5 km (an estimate, flagged as such)."""
    pts = [g for f in frames for g in f.geometry if g is not None and not g.is_empty and g.geom_type == "Point"]
    hull = shapely.convex_hull(shapely.MultiPoint(pts)) if pts else shapely.Polygon()
    if hull.is_empty:
        return hull
    crs = utm_crs(hull.buffer(0.01))
    return gpd.GeoSeries([hull], crs="EPSG:4326").to_crs(crs).buffer(5000).to_crs("EPSG:4326").iloc[0]
