"""The seam between travel and everything else: travel models and the travel-time table.

A travel model answers three questions for one profile - the nearest facility
of each origin, a sparse origin x destination matrix within a cutoff (for
siting), and the area within reach (for maps) - whatever it is built on: the road
network, straight lines when there are no roads, or a terrain friction surface fused
with the roads.  Which one a region gets is decided in one place
(:func:`coverage.travel.model_for`).  Assessment, maps, siting, scenarios and reports
read only :func:`travel_table`, :func:`travel_pairs` and the models' methods; they never
learn which model produced a time, except through :meth:`TravelModel.label`, which every
output shows.  A model with a continuous surface (terrain) is also a :class:`SurfaceModel`.

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
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..inputs.config import Profile
from ._types import NearestResult, TravelTimeMatrix

__all__ = ["SurfaceModel", "TravelModel", "TravelSurface", "eligible_facilities", "lonlat", "travel_pairs", "travel_table"]


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


@dataclass(frozen=True)
class TravelSurface:
    """Seconds to the nearest facility on a raster: ``seconds[row, col]`` (``inf`` beyond reach), its CRS and transform."""

    seconds: np.ndarray
    transform: object
    crs: str

    @property
    def minutes(self) -> np.ndarray:
        """Minutes, NaN beyond reach."""
        return np.where(np.isfinite(self.seconds), self.seconds / 60.0, np.nan)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the surface's CRS."""
        h, w = self.seconds.shape
        t = self.transform
        return t.c, t.f + t.e * h, t.c + t.a * w, t.f


@runtime_checkable
class SurfaceModel(Protocol):
    """A travel model with a continuous travel-time surface (terrain): maps draw it, GeoTIFFs hold it."""

    def raster(self, facilities: np.ndarray, *, cutoff_s: float | None = None) -> TravelSurface:
        """Seconds from every cell to its nearest facility."""


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
            "snap_m": res.snap_m,
            "access_min": access,
            "network_min": network,
            "egress_min": egress,
            "reachable": np.isfinite(res.seconds),
            "stranded": np.full(len(origins), "", dtype=object) if res.stranded is None else res.stranded.astype(object),
            "model": model.kind,
        },
        index=origins.index,
    )


def travel_pairs(
    model: TravelModel, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *, cutoff_min: float
) -> pd.DataFrame:
    """The long origin-destination table: every pair within ``cutoff_min``, fastest first per origin and destination.

    Columns: ``origin`` and ``destination`` (the layers' index labels), ``minutes``, the legs
    ``access_min``, ``network_min``, ``egress_min`` (NaN where the model does not separate
    them), and ``model``.  Rows are ordered by origin, then destination (their positions).
    """
    mat = model.matrix(lonlat(origins), lonlat(destinations), cutoff_s=cutoff_min * 60.0)
    minutes = mat.seconds / 60.0
    nan = np.full(len(minutes), np.nan)
    access = nan if mat.access_s is None else mat.access_s / 60.0
    egress = nan if mat.egress_s is None else mat.egress_s / 60.0
    return pd.DataFrame(
        {
            "origin": origins.index.to_numpy()[mat.origin],
            "destination": destinations.index.to_numpy()[mat.destination],
            "minutes": minutes,
            "access_min": access,
            "network_min": np.maximum(minutes - access - egress, 0.0),
            "egress_min": egress,
            "model": model.kind,
        }
    )
