"""The seam between travel and everything else: travel models and the travel-time table.

A travel model answers three questions for one profile - the nearest facility
of each origin, a sparse origin x destination matrix within a cutoff (for
siting), and the area within reach (for maps) - whatever it is built on: the road
network (:class:`RoadTravel`), straight lines when there are no roads
(:class:`StraightTravel`), or a terrain friction surface fused with the roads
(:mod:`coverage.terrain`).  Assessment, maps, siting, scenarios and reports read
only :func:`travel_table` and the models' methods; they never learn which model
produced a time, except through :meth:`TravelModel.label`, which every output shows.

The travel-time table has one row per origin (on the origins' index):

``facility``
    id of the nearest eligible facility (``""`` where none is reachable);
``minutes``
    door-to-door travel time (``inf`` = unreachable, never 0 or NaN);
``via``
    ``road`` (on the network), ``direct`` (straight across country), ``terrain``
    (across a friction surface and roads) or ``""``;
``snap_m``
    distance from the origin to where it joins the network (0 where the model has none);
``access_min``, ``network_min``, ``egress_min``
    the legs: origin to the network, on the network, network to the facility;
``reachable``, ``model``
    a flag, and the model's short name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .config import Profile
from .routing import (
    NearestResult,
    RoutingGraph,
    Snap,
    TravelTimeMatrix,
    direct_pairs,
    fastest_pairs,
    nearest_facility,
    service_area,
    travel_time_matrix,
)

__all__ = [
    "RoadTravel",
    "StraightTravel",
    "TravelModel",
    "eligible_facilities",
    "lonlat",
    "travel_table",
]


class TravelModel(Protocol):
    """What every way of travelling provides (road network, straight line, terrain + roads)."""

    kind: str
    profile: Profile

    def label(self, lang: str = "en") -> str:
        """How the times were made, for every output ("road network", "straight-line estimate", ...)."""

    def nearest(self, origins: np.ndarray, facilities: np.ndarray, *, cutoff_s: float | None = None) -> NearestResult:
        """Nearest facility of every origin (lon/lat arrays)."""

    def matrix(self, origins: np.ndarray, destinations: np.ndarray, *, cutoff_s: float) -> TravelTimeMatrix:
        """Every origin x destination pair within ``cutoff_s``."""

    def service_area(self, facilities: np.ndarray, seconds: float) -> shapely.Geometry:
        """Where a facility is reachable from within ``seconds`` (WGS84)."""


def lonlat(points: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """Lon/lat of a point layer (any CRS), shape ``(n, 2)``."""
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geom.crs is not None and not geom.crs.equals("EPSG:4326"):
        geom = geom.to_crs("EPSG:4326")
    return np.column_stack([geom.x.to_numpy(float), geom.y.to_numpy(float)]) if len(geom) else np.empty((0, 2))


def eligible_facilities(facilities: pd.DataFrame, facility_types, *, count_outside_region: bool) -> pd.DataFrame:
    """The facilities that count for a standard: of its types, inside the region unless outside ones count.

    A row with ``quantity`` 0 stands for no facility (closed, or only planned): it counts
    neither for presence (which sums quantities) nor here.  The one place this is decided
    (assessment, maps, siting and scenarios call it).
    """
    f = facilities
    keep = f["facility_type"].isin(list(facility_types)) & (f["in_region"] | bool(count_outside_region))
    if "quantity" in f:
        keep &= f["quantity"].fillna(1.0) > 0
    return f[keep]


def travel_table(model: TravelModel, origins: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """The travel-time table: nearest facility of each origin, with the legs of the trip (see the module doc)."""
    res = model.nearest(lonlat(origins), lonlat(facilities))
    ids = facilities.index.to_numpy().astype(object)
    found = res.facility >= 0
    facility = np.full(len(origins), "", dtype=object)
    facility[found] = ids[res.facility[found]]
    total = res.seconds / 60.0
    access = np.where(found, res.access_s / 60.0, np.inf)
    egress = np.where(found, res.egress_s / 60.0, np.inf)
    network = np.full(len(origins), np.inf)
    network[found] = np.maximum(total[found] - access[found] - egress[found], 0.0)
    return pd.DataFrame(
        {
            "facility": facility,
            "minutes": total,
            "via": res.via.astype(object),
            "snap_m": res.origin_snap.distance_m,
            "access_min": access,
            "network_min": network,
            "egress_min": egress,
            "reachable": np.isfinite(res.seconds),
            "model": model.kind,
        },
        index=origins.index,
    )


@dataclass(frozen=True, eq=False)
class RoadTravel:
    """Travel on the road network, with straight off-road legs at each end (see :mod:`coverage.routing`)."""

    graph: RoutingGraph
    kind: str = "road"

    @property
    def profile(self) -> Profile:
        """The profile of the routing graph."""
        return self.graph.profile

    def label(self, lang: str = "en") -> str:
        """E.g. ``road network (drive)``."""
        from .i18n import translate

        return translate("road network ({profile})", lang).format(profile=translate(self.profile.name, lang))

    def nearest(self, origins, facilities, *, cutoff_s=None) -> NearestResult:
        """See :func:`coverage.routing.nearest_facility`."""
        return nearest_facility(self.graph, origins, facilities, cutoff_s=cutoff_s)

    def matrix(self, origins, destinations, *, cutoff_s) -> TravelTimeMatrix:
        """See :func:`coverage.routing.travel_time_matrix`."""
        return travel_time_matrix(self.graph, origins, destinations, cutoff_s=cutoff_s)

    def service_area(self, facilities, seconds) -> shapely.Geometry:
        """See :func:`coverage.routing.service_area`."""
        return service_area(self.graph, facilities, seconds)


@dataclass(frozen=True, eq=False)
class StraightTravel:
    """A first answer without roads: straight-line distance x a detour factor, at the profile's off-road speed.

    The detour factor (network distance over straight distance) stands for the
    roads that are not known; see ``detour_factor`` in ``profiles.toml``.
    """

    profile: Profile
    kind: str = "straight"

    @property
    def speed_m_per_s(self) -> float:
        """Effective speed along the straight line (off-road speed / detour factor)."""
        return self.profile.offroad_m_per_s / self.profile.detour_factor

    def label(self, lang: str = "en") -> str:
        """E.g. ``straight-line estimate, no road network``."""
        from .i18n import translate

        return translate("straight-line estimate, no road network (x{detour:g} detour, {kmh:g} km/h)", lang).format(
            detour=self.profile.detour_factor, kmh=self.profile.offroad_kmh
        )

    def nearest(self, origins, facilities, *, cutoff_s=None) -> NearestResult:
        """Nearest facility along straight lines."""
        from .geodesy import PointIndex

        origins = np.asarray(origins, float).reshape(-1, 2)
        facilities = np.asarray(facilities, float).reshape(-1, 2)
        n = len(origins)
        snap = Snap(np.full(n, -1, np.int64), np.zeros(n), np.zeros(n), np.zeros(n, bool))
        if len(facilities) == 0 or n == 0:
            inf = np.full(n, np.inf)
            return NearestResult(inf, np.full(n, -1, np.int64), np.full(n, "", "<U8"), snap, inf.copy(), inf.copy())
        f, d = PointIndex(facilities[:, 0], facilities[:, 1]).nearest(origins[:, 0], origins[:, 1])
        t = d / self.speed_m_per_s
        if cutoff_s is not None:
            t = np.where(t <= cutoff_s, t, np.inf)
        reach = np.isfinite(t)
        return NearestResult(
            t,
            np.where(reach, f, -1),
            np.where(reach, "direct", "").astype("<U8"),
            snap,
            np.where(reach, t, np.inf),
            np.where(reach, 0.0, np.inf),
        )

    def matrix(self, origins, destinations, *, cutoff_s) -> TravelTimeMatrix:
        """Every pair within ``cutoff_s`` along straight lines."""
        o = np.asarray(origins, float).reshape(-1, 2)
        d = np.asarray(destinations, float).reshape(-1, 2)
        q, p, t = direct_pairs(o, d, cutoff_s, self.speed_m_per_s) if len(o) and len(d) else ([], [], [])
        pairs = [np.asarray(q, np.int64)], [np.asarray(p, np.int64)], [np.asarray(t, float)]
        return fastest_pairs(*pairs, (len(o), len(d)), cutoff_s)

    def service_area(self, facilities, seconds) -> shapely.Geometry:
        """Circles of radius ``seconds`` x the effective speed."""
        from .geodesy import circle_polygons

        f = np.asarray(facilities, float).reshape(-1, 2)
        if len(f) == 0:
            return shapely.Polygon()
        return shapely.union_all(circle_polygons(f[:, 0], f[:, 1], seconds * self.speed_m_per_s, n_vertices=64))
