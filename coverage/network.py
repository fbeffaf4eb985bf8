"""The road network as arrays: nodes, directed segments, their classes and geometry.

:class:`RoadNetwork` is built once from the node and edge tables that
:func:`coverage.io.read_road_edges` returns (OSM XML or PBF), projected to the
region's metric CRS and clipped to the region plus a margin.  Routing graphs
for each profile are derived from it in :mod:`coverage.routing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

__all__ = ["RoadNetwork", "build_road_network", "parse_maxspeed"]

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)


def parse_maxspeed(values: pd.Series) -> np.ndarray:
    """Parse OSM ``maxspeed`` tags to km/h; NaN where absent or not numeric (``"RU:urban"``).

    Parameters
    ----------
    values
        Tag texts such as ``"80"``, ``"50 mph"``, ``"60;80"`` (first value used).

    Returns
    -------
    numpy.ndarray
        Float km/h.
    """
    out = np.full(len(values), np.nan)
    for i, text in enumerate(values.astype(str)):
        m = _NUMBER.match(text.split(";")[0])
        if m:
            out[i] = float(m.group(1)) * (1.609344 if (m.group(2) or "").lower() == "mph" else 1.0)
    return out


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Nodes and directed road segments in a metric CRS.

    Attributes
    ----------
    crs
        The metric CRS of ``x``/``y`` (a UTM zone picked for the region).
    osmid
        OSM node ids.
    lon, lat, x, y
        Node coordinates in WGS84 and in ``crs``.
    u, v
        Segment end nodes (positions in the node arrays), in the file's direction.
    length_m
        Segment length along its geometry.
    highway, name
        OSM tags (text arrays).
    maxspeed_kmh
        Parsed ``maxspeed`` (NaN where absent).
    oneway
        True where travel is allowed only from ``u`` to ``v``.
    schematic
        True where the way's ``source`` tag says it is schematic/estimated.
    geom_offsets, geom_lonlat
        Segment geometries: the vertices of segment ``i`` are
        ``geom_lonlat[geom_offsets[i]:geom_offsets[i + 1]]``.
    """

    crs: str
    osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    name: np.ndarray
    maxspeed_kmh: np.ndarray
    oneway: np.ndarray
    schematic: np.ndarray
    geom_offsets: np.ndarray
    geom_lonlat: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.osmid)

    @property
    def n_edges(self) -> int:
        """Number of segments."""
        return len(self.u)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every field as a plain array (for the on-disk cache)."""
        return {k: np.asarray(getattr(self, k)) for k in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> RoadNetwork:
        """Inverse of :meth:`to_arrays`."""
        fields = dict(arrays)
        fields["crs"] = str(fields["crs"])
        return cls(**fields)

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The segments as a GeoDataFrame in WGS84 (for maps and inspection)."""
        lines = shapely.linestrings(self.geom_lonlat, indices=np.repeat(np.arange(self.n_edges), np.diff(self.geom_offsets)))
        return gpd.GeoDataFrame(
            {
                "highway": self.highway,
                "name": self.name,
                "length_m": self.length_m,
                "oneway": self.oneway,
                "schematic": self.schematic,
            },
            geometry=lines,
            crs="EPSG:4326",
        )


def build_road_network(nodes: pd.DataFrame, edges: pd.DataFrame, *, crs: str, keep_within=None) -> RoadNetwork:
    """Turn node/edge tables into a :class:`RoadNetwork`.

    Parameters
    ----------
    nodes, edges
        As returned by :func:`coverage.io.read_road_edges`.
    crs
        Metric CRS to project to.
    keep_within
        Optional shapely polygon in ``crs``: segments with an end outside it are
        dropped (the region plus a margin).

    Returns
    -------
    RoadNetwork
    """
    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    edges = edges[edges["u"].isin(nodes.index) & edges["v"].isin(nodes.index) & (edges["highway"].astype(str) != "")]
    edges = edges.reset_index(drop=True)
    # OSM's oneway=-1: travel runs against the drawing direction; turn such segments round.
    backwards = edges["oneway"].astype(str) == "-1"
    if backwards.any():
        edges = edges.copy()
        edges.loc[backwards, ["u", "v"]] = edges.loc[backwards, ["v", "u"]].to_numpy()
        edges.loc[backwards, "oneway"] = "yes"
        edges.loc[backwards, "geometry"] = [g.reverse() if g is not None else None for g in edges.loc[backwards, "geometry"]]
    used = pd.Index(np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
    node_tab = nodes.loc[used]
    x, y = to_metric.transform(node_tab["lon"].to_numpy(), node_tab["lat"].to_numpy())
    u = used.get_indexer(edges["u"])
    v = used.get_indexer(edges["v"])
    if keep_within is not None:
        inside = shapely.contains_xy(keep_within, x, y)
        keep = inside[u] & inside[v]
        edges = edges[keep].reset_index(drop=True)
        used2 = pd.Index(np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
        node_tab = nodes.loc[used2]
        x, y = to_metric.transform(node_tab["lon"].to_numpy(), node_tab["lat"].to_numpy())
        u = used2.get_indexer(edges["u"])
        v = used2.get_indexer(edges["v"])
        used = used2
    lon = node_tab["lon"].to_numpy(dtype=float)
    lat = node_tab["lat"].to_numpy(dtype=float)
    # Geometry: the file's polyline where given, else the straight segment u-v.
    coords, counts = [], []
    for i, geom in enumerate(edges["geometry"]):
        if geom is None or (isinstance(geom, float) and np.isnan(geom)):
            pts = np.array([[lon[u[i]], lat[u[i]]], [lon[v[i]], lat[v[i]]]])
        else:
            pts = shapely.get_coordinates(geom)
        coords.append(pts)
        counts.append(len(pts))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    geom_lonlat = np.concatenate(coords) if coords else np.empty((0, 2))
    source = edges["source"].astype(str).str.lower()
    return RoadNetwork(
        crs=str(crs),
        osmid=np.asarray(used, dtype=np.int64),
        lon=lon,
        lat=lat,
        x=np.asarray(x, dtype=float),
        y=np.asarray(y, dtype=float),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length_m=edges["length_m"].to_numpy(dtype=float),
        highway=edges["highway"].astype(str).to_numpy(dtype=str),
        name=edges["name"].astype(str).to_numpy(dtype=str),
        maxspeed_kmh=parse_maxspeed(edges["maxspeed"]),
        oneway=edges["oneway"].astype(str).isin(["yes", "true", "1"]).to_numpy(),
        schematic=(source.str.contains("schematic") | source.str.contains("estimated")).to_numpy(),
        geom_offsets=offsets,
        geom_lonlat=geom_lonlat,
    )
