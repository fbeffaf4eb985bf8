"""Who must be served, when the data has no census: the four ways to give demand, and a refusal without one.

1. a **population table** (CSV or Excel) joined to the settlements by code or by name
   (:mod:`._poptable`);
2. **building footprints**: a total (``--population-total N`` for the region, or
   ``--population-units FILE``, polygons with a ``population``) spread over the settlements
   by the floor area of the homes nearest each one, or by area (:mod:`._buildings`);
3. a **population raster** (WorldPop, GHS-POP: :mod:`.population`);
4. **counting settlements**: every settlement counts as one (``--demand settlements``), and
   every output says "settlements, not people".

Every value made here says how in ``pop_source`` (``estimated: ...``, ``counted: ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputValidationError, Problem
from ..i18n import Msg

__all__ = ["COUNTED", "DemandOptions", "counts_settlements", "no_demand_refusal"]

#: The ``pop_source`` of a settlement that counts as one (``--demand settlements``).
COUNTED = "counted: each settlement counts as one (--demand settlements), settlements, not people"


@dataclass(frozen=True)
class DemandOptions:
    """How demand is given (at most one source; none keeps the data's own populations).

    Attributes
    ----------
    raster
        A population GeoTIFF.
    table
        A population table (CSV or Excel).
    total
        People in the whole region, spread by ``spread``.
    units
        Polygons with a ``population`` column (per township, say), each spread by ``spread``.
    spread
        ``buildings`` (by the floor area of homes; by area where a polygon holds none) or ``area``.
    mode
        ``people`` (the default), ``cells`` (one demand point per raster cell) or
        ``settlements`` (each counts as one).
    """

    raster: Path | None = None
    table: Path | None = None
    total: float | None = None
    units: Path | None = None
    spread: str = "buildings"
    mode: str = "people"

    @property
    def given(self) -> bool:
        """True when a source of demand was given."""
        return any(v is not None for v in (self.raster, self.table, self.total, self.units)) or self.mode == "settlements"


def counts_settlements(settlements: pd.DataFrame) -> bool:
    """True when the settlements count as one each (demand is settlements, not people)."""
    source = settlements.get("pop_source")
    return source is not None and len(source) > 0 and bool(source.astype(str).str.startswith("counted:").all())


def no_demand_refusal(extract: Path, missing: int, total: int, out_dir: Path, given: str = "") -> InputValidationError:
    """The refusal of a region with no population for some settlements: the four ways to give demand, with commands."""
    message = Msg(
        "{n} of {total} settlements have no population (no population tag in the extract). Give demand one of four ways, "
        "adding it to `{cmd}`: (1) a population table (CSV or Excel, by code or name): --population-table FILE.xlsx; "
        "(2) building footprints spreading a total: --population-total N, or --population-units FILE; "
        "(3) a population raster: --population FILE.tif; (4) count settlements, not people: --demand settlements.",
        n=missing,
        total=total,
        cmd=f"coverage-plan init {out_dir} {given or f'--osm {extract}'}",
    )
    return InputValidationError([Problem(str(extract), "", "population", message)])


_NOT_PEOPLE = "population '{value}' is not a number of people."


def totals(options: DemandOptions, boundary) -> gpd.GeoDataFrame:
    """The polygons whose people are spread: the region with ``total``, or each unit of ``units``."""
    if options.total is not None:
        return gpd.GeoDataFrame(
            {"population": [float(options.total)], "source": ["--population-total"]}, geometry=[boundary], crs="EPSG:4326"
        )
    from ._layers import read_layer

    layer = read_layer(options.units)
    if "population" not in layer:
        raise InputValidationError(
            [Problem(str(options.units), "", "population", Msg("no 'population' column; each polygon needs its people."))]
        )
    people = pd.to_numeric(layer["population"], errors="coerce")
    bad = np.flatnonzero((people.isna() | (people < 0)).to_numpy())
    if len(bad):
        raise InputValidationError(
            [
                Problem(
                    str(options.units),
                    layer["row"].iloc[i],
                    "population",
                    Msg("population '{value}' is not a number of people.", value=layer["population"].iloc[i]),
                )
                for i in bad[:20]
            ]
        )
    polys = layer.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    names = layer.get("code", layer.get("name", pd.Series(range(len(layer)), index=layer.index))).astype(str)
    return gpd.GeoDataFrame(
        {
            "population": people[polys].astype(float).to_numpy(),
            "source": [f"{Path(options.units).name}: {n}" for n in names[polys]],
        },
        geometry=layer.geometry[polys].to_numpy(),
        crs="EPSG:4326",
    )


def spread_totals(options: DemandOptions, settlements: gpd.GeoDataFrame, extract: Path, boundary, crs: str):
    """Population and ``pop_source`` per settlement from the totals, by homes (area where a polygon has none), or by area."""
    from ._buildings import read_homes, spread_by_area, spread_by_homes

    polygons = totals(options, boundary)
    notes: list = []
    if options.spread == "buildings":
        homes = read_homes(extract, crs)
        population, source = spread_by_homes(homes, settlements, polygons)
        message = "{n} home footprints read from {file} ({ignored} building:levels tags not a number, ignored; buildings.toml)."
        notes.append(Msg(message, n=len(homes), file=Path(extract).name, ignored=homes.levels_ignored))
        todo = population.isna() & _inside_any(settlements, polygons)
        if todo.any():  # polygons without homes: by area
            rest = polygons[[not _homes_in(p, homes) for p in polygons.geometry]]
            if len(rest):
                zone = shapely.union_all(rest.geometry.to_numpy())
                by_area, area_source = spread_by_area(settlements[todo], rest, zone, crs)
                population, source = population.fillna(by_area), source.where(~todo, area_source.reindex(source.index))
                message = "{n} of the {total} polygons hold no home footprint: their people are spread by area."
                notes.append(Msg(message, n=len(rest), total=len(polygons)))
        return population, source, notes
    population, source = spread_by_area(settlements, polygons, shapely.union_all(polygons.geometry.to_numpy()), crs)
    return population, source, notes


def _inside_any(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> pd.Series:
    zone = shapely.union_all(polygons.geometry.to_numpy())
    return pd.Series(shapely.contains_xy(zone, points.geometry.x.to_numpy(), points.geometry.y.to_numpy()), index=points.index)


def _homes_in(polygon, homes) -> bool:
    return bool(len(homes)) and bool(shapely.contains_xy(polygon, homes.lon, homes.lat).any())
