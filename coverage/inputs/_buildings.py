"""Demand without a census: a population total spread over settlements by building footprints, or by area.

``buildings``
    The homes of an OpenStreetMap extract (``coverage/data/buildings.toml`` says which
    ``building=*`` values are homes and how many floors they have when the footprint does
    not say): each footprint's floor area (area x floors) goes to the settlement nearest its
    inside point (geodesic); a settlement's share of the total is its share of the floor
    area.  With totals per unit, each unit's total is spread over the homes and
    settlements inside it.
``area``
    Where there are no footprints: areal weighting (pysal ``tobler``'s ``area_interpolate``)
    from the totals' polygons (the region, or each unit) to each settlement's catchment,
    its Voronoi cell within the region.

Every value is flagged as estimated in ``pop_source``, with how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geodesy import PointIndex
from ..tables import FieldSpec, check_table, read_toml

__all__ = ["Homes", "read_homes", "spread_by_area", "spread_by_homes"]


@dataclass(frozen=True)
class HomeRules:
    """Which ``building=*`` values are homes, and their floors when untagged (``buildings.toml``)."""

    values: frozenset[str]
    floors: dict
    label: str

    def floors_of(self, value: str) -> float:
        return float(self.floors.get(value, self.floors["default"]))


def load_home_rules(path: Path | str | None = None) -> HomeRules:
    """The built-in ``buildings.toml`` (or a user's copy), checked."""
    data, _text, label = read_toml(path, default="buildings.toml")
    check_table(data, {"homes": FieldSpec((dict,)), "floors": FieldSpec((dict,))}, where=label)
    check_table(data["homes"], {"values": FieldSpec((list,))}, where=f"{label}, [homes]")
    return HomeRules(frozenset(map(str, data["homes"]["values"])), dict(data["floors"]), label)


@dataclass(frozen=True)
class Homes:
    """The home footprints of an extract: inside points (WGS84) and floor areas (m²)."""

    lon: np.ndarray
    lat: np.ndarray
    floor_m2: np.ndarray
    levels_ignored: int
    source: str

    def __len__(self) -> int:
        return len(self.floor_m2)


def read_homes(path: Path | str, crs: str, rules: HomeRules | None = None) -> Homes:
    """The footprints of homes in an OpenStreetMap file (closed ways and multipolygons tagged ``building``).

    ``crs`` is a metric CRS for the footprints' areas.
    """
    import osmium
    from pyproj import Transformer

    rules = rules or load_home_rules()
    wkb = osmium.geom.WKBFactory()
    polys, floors, ignored = [], [], 0
    for obj in (
        osmium.FileProcessor(str(path))
        .with_areas(osmium.filter.KeyFilter("building"))
        .with_filter(osmium.filter.KeyFilter("building"))
    ):
        if not obj.is_area() or obj.tags.get("building") not in rules.values:
            continue
        try:
            polys.append(shapely.from_wkb(wkb.create_multipolygon(obj)))
        except RuntimeError:
            continue  # osmium could not build a valid footprint
        levels, default = obj.tags.get("building:levels", ""), rules.floors_of(obj.tags.get("building"))
        number = _levels(levels)
        ignored += bool(levels) and number is None
        floors.append(number if number is not None else default)
    geoms = np.asarray(polys, dtype=object)
    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    area = shapely.area(shapely.transform(geoms, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))))
    inside = shapely.point_on_surface(geoms)
    return Homes(shapely.get_x(inside), shapely.get_y(inside), area * np.asarray(floors, float), ignored, Path(path).name)


def _levels(text: str) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if 0 < value < 200 else None


def spread_by_homes(homes: Homes, settlements: gpd.GeoDataFrame, totals: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series]:
    """Each total spread over the settlements inside its polygon by the floor area of the homes nearest each one.

    Returns the population and its ``pop_source`` per settlement (NaN where a settlement lies in no total's polygon).
    """
    population = pd.Series(np.nan, index=settlements.index)
    source = pd.Series("", index=settlements.index, dtype=object)
    s_lon, s_lat = settlements.geometry.x.to_numpy(), settlements.geometry.y.to_numpy()
    for _, t in totals.iterrows():
        s_in = np.flatnonzero(shapely.contains_xy(t.geometry, s_lon, s_lat))
        h_in = np.flatnonzero(shapely.contains_xy(t.geometry, homes.lon, homes.lat))
        if len(s_in) == 0 or len(h_in) == 0:
            continue
        nearest, _ = PointIndex(s_lon[s_in], s_lat[s_in]).nearest(homes.lon[h_in], homes.lat[h_in])
        floor = np.bincount(nearest, weights=homes.floor_m2[h_in], minlength=len(s_in))
        counts = np.bincount(nearest, minlength=len(s_in))
        share = floor / floor.sum()
        population.iloc[s_in] = t["population"] * share
        source.iloc[s_in] = [
            f"estimated: {t['population']:,.0f} people ({t['source']}) spread by the floor area of homes: "
            f"{n} of the {len(h_in)} buildings of {homes.source} are nearest this place ({p:.1%}; buildings.toml)"
            for n, p in zip(counts, share, strict=True)
        ]
    return population, source


def spread_by_area(settlements: gpd.GeoDataFrame, totals: gpd.GeoDataFrame, boundary, crs: str) -> tuple[pd.Series, pd.Series]:
    """Each total spread over the settlements' catchments (Voronoi cells within the boundary) by area (tobler).

    Settlements at the same place share their cell equally.
    """
    from tobler.area_weighted import area_interpolate

    xy = np.column_stack(_metric_xy(settlements, crs))
    places, where = np.unique(np.round(xy, 3), axis=0, return_inverse=True)
    clip = gpd.GeoSeries([boundary], crs="EPSG:4326").to_crs(crs).iloc[0]
    if len(places) == 1:
        cells = [clip]
    else:
        diagram = shapely.voronoi_polygons(shapely.MultiPoint(places), extend_to=clip.envelope, ordered=True)
        cells = [shapely.intersection(c, clip) for c in shapely.get_parts(diagram)]
    target = gpd.GeoDataFrame(geometry=cells, crs=crs)
    got = area_interpolate(totals[["population", "geometry"]].to_crs(crs), target, extensive_variables=["population"])
    per_place = got["population"].to_numpy()
    sharing = np.bincount(where.ravel(), minlength=len(places))
    population = pd.Series(per_place[where.ravel()] / sharing[where.ravel()], index=settlements.index)
    total = float(totals["population"].sum())
    origin = ", ".join(sorted(set(totals["source"])))
    source = population.map(
        lambda p: (
            f"estimated: {p / total if total else 0.0:.1%} of {total:,.0f} people ({origin}), by the area of "
            "the place's catchment (its Voronoi cell in the region; tobler area_interpolate)"
        )
    )
    return population, source


def _metric_xy(points: gpd.GeoDataFrame, crs: str) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    return np.asarray(x), np.asarray(y)
