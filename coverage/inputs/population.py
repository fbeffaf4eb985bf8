"""Population rasters as demand: cells summed onto settlements, or cells as demand points.

Two documented choices (``coverage-plan init --population FILE.tif --demand ...``):

``settlements``
    Each populated cell's people go to the settlement nearest to the cell's centre
    (geodesic distance): a settlement's population is the sum of the cells closer to it
    than to any other settlement (its Voronoi cell on the ellipsoid).  Cells farther
    than ``max_km`` from every settlement are left out and counted.
``cells``
    One demand point per populated cell, at its centre, with the cell's people; its
    class is the class of the nearest settlement (or the first class when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geodesy import PointIndex
from ._rasters import RasterCells

__all__ = ["CellAssignment", "cells_as_settlements", "population_from_cells"]


@dataclass(frozen=True)
class CellAssignment:
    """People per settlement from a raster, and what was left out."""

    population: pd.Series
    cells: pd.Series
    people_left_out: float
    cells_left_out: int


def population_from_cells(cells: RasterCells, settlements: gpd.GeoDataFrame, *, max_km: float = 50.0) -> CellAssignment:
    """Sum each populated cell onto its nearest settlement.

    Parameters
    ----------
    cells
        The raster's populated cells.
    settlements
        Point layer (WGS84); its index is kept.
    max_km
        Cells farther than this from every settlement are not assigned.

    Returns
    -------
    CellAssignment
        ``population`` and ``cells`` (count) on the settlements' index.
    """
    index = PointIndex(settlements.geometry.x.to_numpy(), settlements.geometry.y.to_numpy())
    pos, dist = index.nearest(cells.lon, cells.lat)
    keep = dist <= max_km * 1000.0
    n = len(settlements)
    people = np.bincount(pos[keep], weights=cells.value[keep], minlength=n)
    count = np.bincount(pos[keep], minlength=n)
    return CellAssignment(
        population=pd.Series(people, index=settlements.index, name="population"),
        cells=pd.Series(count, index=settlements.index, name="cells"),
        people_left_out=float(cells.value[~keep].sum()),
        cells_left_out=int((~keep).sum()),
    )


def cells_as_settlements(cells: RasterCells, places: gpd.GeoDataFrame | None, *, default_class: str) -> gpd.GeoDataFrame:
    """One demand point per populated cell, with the class of the nearest place.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (``cell-ROW-COL``), ``name_en`` (empty), ``class``, ``population``,
        ``pop_source``, ``coord_source``; WGS84 points at the cell centres.
    """
    if places is not None and len(places):
        index = PointIndex(places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
        pos, _ = index.nearest(cells.lon, cells.lat)
        klass = places["class"].to_numpy()[pos]
        class_source = "class of the nearest OpenStreetMap place"
    else:
        klass = np.full(len(cells.value), default_class, dtype=object)
        class_source = f"no place node: class '{default_class}' for every cell"
    return gpd.GeoDataFrame(
        {
            "id": [f"cell-{r}-{c}" for r, c in zip(cells.row, cells.col, strict=True)],
            "name_en": "",
            "class": klass,
            "population": cells.value,
            "pop_source": f"raster {cells.source}: the cell's people",
            "coord_source": f"raster {cells.source}: cell centre; {class_source}",
        },
        geometry=gpd.points_from_xy(cells.lon, cells.lat),
        crs="EPSG:4326",
    )
