"""Rasters read with rasterio: population cells, and any band reprojected onto a grid; vector geometries in a CRS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputValidationError, NoCrsError, Problem
from ..i18n import Msg, Note
from ._layers import read_layer

__all__ = ["RasterCells", "read_population_raster", "read_raster_on_grid", "read_vector_geometries"]


@dataclass(frozen=True)
class RasterCells:
    """The populated cells of a population raster: centres in WGS84 lon/lat and values.

    ``row``/``col`` are the cells' positions in the raster (for ids); ``source`` names the file.
    """

    lon: np.ndarray
    lat: np.ndarray
    value: np.ndarray
    row: np.ndarray
    col: np.ndarray
    source: str


def read_population_raster(path: Path | str) -> RasterCells:
    """Read a population GeoTIFF (WorldPop, GHS-POP...) with rasterio: every cell with people.

    No-data cells, NaN and cells of 0 people are dropped; cell centres are transformed
    to WGS84 lon/lat from the raster's CRS (geographic or projected).

    Raises
    ------
    InputValidationError
        The file is missing, unreadable, has no CRS, or holds negative counts.
    """
    import rasterio
    from pyproj import Transformer

    path = Path(path)
    label = path.name
    if not path.is_file():
        raise InputValidationError(
            [Problem(label, "", "", Msg("population raster not found (or is a folder); give a GeoTIFF file."))]
        )
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioError as exc:
        raise InputValidationError([Problem(label, "", "", Msg("cannot be read as a raster ({reason}).", reason=exc))]) from None
    if crs is None:
        raise NoCrsError(
            [
                Problem(
                    label,
                    "",
                    "",
                    Msg("the raster has no coordinate reference system; assign one (gdal_edit.py -a_srs EPSG:4326)."),
                )
            ]
        )
    values = np.ma.filled(band.astype(float), np.nan)
    negative = np.argwhere(values < 0)
    if len(negative):
        r, c = negative[0]
        raise InputValidationError(
            [
                Problem(
                    label,
                    f"cell (row {r}, column {c})",
                    "",
                    Msg("{n} cell(s) hold negative people; a population raster counts people per cell.", n=len(negative)),
                )
            ]
        )
    rows, cols = np.nonzero(np.isfinite(values) & (values > 0))
    if len(rows) == 0:
        return RasterCells(np.empty(0), np.empty(0), np.empty(0), rows, cols, label)
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    xs, ys = np.asarray(xs, float).reshape(-1), np.asarray(ys, float).reshape(-1)
    if not crs.is_geographic or crs.to_epsg() != 4326:
        xs, ys = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    return RasterCells(np.asarray(xs), np.asarray(ys), values[rows, cols], rows, cols, label)


def read_raster_on_grid(path: Path | str, *, crs: str, transform, shape: tuple[int, int], categorical: bool) -> np.ndarray:
    """Band 1 of a GeoTIFF reprojected onto a grid (nearest for classes, bilinear for heights).

    Cells the raster does not cover, or its no-data, are NaN.

    Raises
    ------
    InputValidationError
        The file is missing, unreadable or has no CRS.
    """
    import rasterio
    from rasterio.warp import Resampling, reproject

    path = Path(path)
    label = path.name
    if not path.is_file():
        raise InputValidationError([Problem(label, "", "", Msg("raster not found (or is a folder); give a GeoTIFF file."))])
    out = np.full(shape, np.nan, dtype="float64")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise NoCrsError(
                    [
                        Problem(
                            label,
                            "",
                            "",
                            Msg("the raster has no coordinate reference system; assign one (gdal_edit.py -a_srs ...)."),
                        )
                    ]
                )
            reproject(
                source=rasterio.band(src, 1),
                destination=out,
                src_nodata=src.nodata,
                dst_transform=transform,
                dst_crs=crs,
                dst_nodata=np.nan,
                resampling=Resampling.nearest if categorical else Resampling.bilinear,
            )
    except rasterio.errors.RasterioError as exc:
        raise InputValidationError([Problem(label, "", "", Msg("cannot be read as a raster ({reason}).", reason=exc))]) from None
    return out


#: The geometry types a barrier file may hold, and a crossings file.
LINES_AND_AREAS = ("LineString", "MultiLineString", "LinearRing", "Polygon", "MultiPolygon")
POINTS = ("Point", "MultiPoint")


def read_vector_geometries(path: Path | str, *, crs: str, allowed: tuple[str, ...] | None = None) -> list:
    """The geometries of a vector file (any CRS it declares), in ``crs``.

    Raises
    ------
    InputValidationError
        Rows whose geometry is not of an ``allowed`` type (a barrier file of points would be
        burnt in as single blocked cells: refused, naming the rows).
    """
    gdf = read_layer(path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if allowed is not None:
        wrong = gdf[~gdf.geometry.geom_type.isin(allowed)]
        if len(wrong):
            kinds = Note("lines or areas") if allowed == LINES_AND_AREAS else Note("points")
            message = "a {geometry} here: this file takes {kinds} only."
            raise InputValidationError(
                [
                    Problem(str(path), row, "geometry", Msg(message, geometry=geom, kinds=kinds))
                    for row, geom in zip(wrong["row"].head(20), wrong.geometry.geom_type.head(20), strict=True)
                ]
            )
    return list(gdf.to_crs(crs).geometry) if len(gdf) else []
