"""Which travel model a region's inputs call for: a registry, chosen here and nowhere else.

The choices, in order of precedence (the first that applies wins):

``fused``
    a land cover and roads: terrain and roads as one graph (:mod:`._terrain`);
``terrain``
    a land cover and no roads: the friction surface alone;
``road``
    roads: the road network, straight off-road legs at each end (:mod:`._road`);
``straight``
    nothing else: straight lines at the off-road speed (:mod:`._straight`).

A model is built once per region and profile and kept in the region's ``travel_cache``
(a region knows nothing of what is in it).  Adding a travel model is one module with its
class and one :class:`ModelChoice` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import CoverageError
from ..i18n import Msg
from ..inputs.config import Profile
from ._graph import RoutingGraph, build_routing_graph
from ._road import RoadTravel
from ._seam import TravelModel
from ._straight import StraightTravel

__all__ = ["MODELS", "ModelChoice", "model_for", "road_graph", "road_points"]


@dataclass(frozen=True)
class ModelChoice:
    """One travel model of the registry: when a region calls for it, and how it is built for a profile."""

    name: str
    applies: Callable[[object], bool]
    build: Callable[[object, Profile], TravelModel]


def _profile(region, profile: str | Profile) -> Profile:
    return region.profiles[profile] if isinstance(profile, str) else profile


def road_graph(region, profile: str | Profile) -> RoutingGraph:
    """The road network prepared for a profile (built once per region and profile).

    Raises
    ------
    CoverageError
        The region has no road network.
    """
    if region.network is None:
        raise CoverageError(Msg("this region has no road network (give --roads); travel is a straight-line estimate."))
    prof = _profile(region, profile)
    key = ("road-graph", prof.as_key())
    if key not in region.travel_cache:
        region.travel_cache[key] = build_routing_graph(region.network, prof, region.osm_rules)
    return region.travel_cache[key]


def _terrain(region, prof: Profile) -> TravelModel:
    from ._terrain import region_grid, terrain_travel

    grid = region_grid(region.boundary, region.crs, margin_km=region.terrain.margin_km, cell_m=region.terrain.cell_m)
    road = road_graph(region, prof) if region.network is not None else None
    return terrain_travel(grid, region.terrain, prof, road)


MODELS: tuple[ModelChoice, ...] = (
    ModelChoice("fused", lambda r: r.terrain is not None and r.network is not None, _terrain),
    ModelChoice("terrain", lambda r: r.terrain is not None, _terrain),
    ModelChoice("road", lambda r: r.network is not None, lambda r, p: RoadTravel(road_graph(r, p))),
    ModelChoice("straight", lambda r: True, lambda r, p: StraightTravel(p)),
)


def model_for(region, profile: str | Profile) -> TravelModel:
    """How a profile travels in a region: the first model of :data:`MODELS` its inputs call for."""
    prof = _profile(region, profile)
    choice = next(c for c in MODELS if c.applies(region))
    key = (choice.name, prof.as_key())
    if key not in region.travel_cache:
        region.travel_cache[key] = choice.build(region, prof)
    return region.travel_cache[key]


def road_points(region, *, inside: bool = True) -> gpd.GeoDataFrame:
    """The road network's nodes as points (``id`` ``node-<osm id>``, a ``name``), inside the region by default.

    Candidate sites on the roads come from here: nothing above the travel seam reads a
    network's arrays.

    Raises
    ------
    CoverageError
        The region has no road network.
    """
    net = region.network
    if net is None:
        raise CoverageError(Msg("this region has no road network (give --roads); travel is a straight-line estimate."))
    keep = shapely.contains_xy(region.boundary, net.lon, net.lat) if inside else np.ones(net.n_nodes, bool)
    osmid = net.osmid[keep]
    return gpd.GeoDataFrame(
        {"osm_id": osmid, "name": [f"road node {o}" for o in osmid]},
        geometry=gpd.points_from_xy(net.lon[keep], net.lat[keep]),
        crs="EPSG:4326",
        index=pd.Index([f"node-{o}" for o in osmid], name="id"),
    )
