"""The road network as arrays: nodes, directed segments between them, and the tags of their ways.

Every OSM vertex of a road is a node and every pair of consecutive vertices a
segment, so snapping is fine-grained and no segment needs a geometry of its own.
Segment lengths are geodesic (WGS84).  Tags are kept per way, as categories
(:class:`TagColumn`): a province's millions of ways share a few hundred distinct
values per tag.  Travel modes read them through :mod:`coverage.osm`; routing
graphs per profile are derived in :mod:`coverage.routing`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geodesy import distance_m
from ..provenance import estimated_flags

__all__ = ["RawRoads", "RoadNetwork", "TagColumn", "build_road_network", "network_from_tables"]


@dataclass(frozen=True)
class TagColumn:
    """One tag over all ways: the distinct values (``values[0] == ""``, absent) and each way's code."""

    values: np.ndarray
    codes: np.ndarray

    @classmethod
    def from_strings(cls, strings) -> TagColumn:
        """Categorise a sequence of texts (None and NaN count as absent)."""
        # Hash the texts (pd.factorize; None and NaN get code -1), then number the few distinct
        # values in sorted order: the same codes as np.unique, without sorting every way's text.
        codes, uniques = pd.factorize(np.asarray(strings, dtype=object), sort=False)
        texts = np.array(["", *(str(u) for u in uniques)], dtype=str)
        values, rank = np.unique(texts, return_inverse=True)
        return cls(values=values, codes=rank[codes + 1].astype(np.int32))

    def strings(self) -> np.ndarray:
        """The value of every way."""
        return self.values[self.codes]

    def take(self, ways: np.ndarray) -> TagColumn:
        """The column restricted to some ways (values keep their codes)."""
        return TagColumn(self.values, self.codes[ways])


@dataclass(frozen=True)
class RawRoads:
    """What an OSM reader returns: road vertices, segments between consecutive ones, their ways' tags."""

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way: np.ndarray
    way_id: np.ndarray
    tags: dict[str, list[str]]
    node_tags: dict[str, list[str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """Nodes and road segments (in the drawing direction of their way), in WGS84.

    Attributes
    ----------
    osmid, lon, lat
        Node ids and coordinates.
    u, v
        Segment end nodes (positions in the node arrays), in the way's drawing direction.
    length_m
        Geodesic segment length.
    way
        The way of each segment (position in ``way_id`` and the tag columns).
    way_id
        OSM way ids.
    tags
        Tag columns over the ways (``highway`` always; others as read).
    node_tags
        Tag columns over the nodes: the barrier nodes' ``barrier`` and access tags (empty
        when the reader read none).
    """

    osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    way: np.ndarray
    way_id: np.ndarray
    tags: MappingProxyType
    node_tags: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.osmid)

    @property
    def n_edges(self) -> int:
        """Number of segments."""
        return len(self.u)

    @property
    def n_ways(self) -> int:
        """Number of ways."""
        return len(self.way_id)

    def segment_tag(self, key: str) -> np.ndarray:
        """The value of a tag on every segment (its way's value; ``""`` where absent)."""
        col = self.tags.get(key)
        if col is None:
            return np.full(self.n_edges, "", dtype=str)
        return col.values[col.codes[self.way]]

    @property
    def highway(self) -> np.ndarray:
        """Road class of every segment."""
        return self.segment_tag("highway")

    @property
    def name(self) -> np.ndarray:
        """Name of every segment (``name``, else ``ref``)."""
        name, ref = self.segment_tag("name"), self.segment_tag("ref")
        return np.where(name != "", name, ref)

    @property
    def schematic(self) -> np.ndarray:
        """True where the way's ``source`` tag says it is schematic or estimated."""
        col = self.tags.get("source")
        if col is None:
            return np.zeros(self.n_edges, bool)
        return estimated_flags(col.values)[col.codes[self.way]]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every field as plain arrays (for the on-disk cache)."""
        out = {k: np.asarray(getattr(self, k)) for k in ("osmid", "lon", "lat", "u", "v", "length_m", "way", "way_id")}
        for key, col in self.tags.items():
            out[f"tag:{key}:values"] = col.values
            out[f"tag:{key}:codes"] = col.codes
        for key, col in self.node_tags.items():
            out[f"ntag:{key}:values"] = col.values
            out[f"ntag:{key}:codes"] = col.codes
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> RoadNetwork:
        """Inverse of :meth:`to_arrays`."""
        tags, node_tags = {}, {}
        for name in arrays:
            for prefix, into in (("tag:", tags), ("ntag:", node_tags)):
                if name.startswith(prefix) and name.endswith(":values"):
                    key = name[len(prefix) : -7]
                    into[key] = TagColumn(np.asarray(arrays[name]).astype(str), np.asarray(arrays[f"{prefix}{key}:codes"]))
        fields = {k: arrays[k] for k in ("osmid", "lon", "lat", "u", "v", "length_m", "way", "way_id")}
        return cls(**fields, tags=MappingProxyType(tags), node_tags=MappingProxyType(node_tags))

    def without_segments(self, drop: np.ndarray) -> RoadNetwork:
        """A copy with some segments removed (nodes are kept, so positions stay valid)."""
        keep = ~np.asarray(drop, bool)
        return dataclasses.replace(self, u=self.u[keep], v=self.v[keep], length_m=self.length_m[keep], way=self.way[keep])

    def with_tag(self, key: str, ways: np.ndarray, value: str) -> RoadNetwork:
        """A copy where some ways carry ``key=value`` (e.g. a scenario's upgraded road)."""
        strings = self.tags[key].strings() if key in self.tags else np.full(self.n_ways, "", dtype=object)
        strings = strings.astype(object)
        strings[np.asarray(ways)] = value
        tags = dict(self.tags)
        tags[key] = TagColumn.from_strings(strings)
        return dataclasses.replace(self, tags=MappingProxyType(tags))

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The segments as a GeoDataFrame in WGS84 (for maps and inspection)."""
        coords = np.stack(
            [np.column_stack([self.lon[self.u], self.lat[self.u]]), np.column_stack([self.lon[self.v], self.lat[self.v]])],
            axis=1,
        )
        return gpd.GeoDataFrame(
            {
                "way_id": self.way_id[self.way],
                "highway": self.highway,
                "name": self.name,
                "length_m": self.length_m,
                "schematic": self.schematic,
            },
            geometry=shapely.linestrings(coords) if self.n_edges else [],
            crs="EPSG:4326",
        )


def build_road_network(raw: RawRoads, *, keep_within: shapely.Geometry | None = None) -> RoadNetwork:
    """Turn what a reader returned into a :class:`RoadNetwork`.

    Parameters
    ----------
    raw
        Vertices, segments and way tags.
    keep_within
        Optional lon/lat polygon: segments with an end outside it are dropped (the
        region plus a margin), and so are nodes no kept segment touches.

    Returns
    -------
    RoadNetwork
    """
    u, v, way = np.asarray(raw.u, np.int64), np.asarray(raw.v, np.int64), np.asarray(raw.way, np.int64)
    lon, lat = np.asarray(raw.lon, float), np.asarray(raw.lat, float)
    if keep_within is not None and len(u):
        inside = shapely.contains_xy(keep_within, lon, lat)
        keep = inside[u] & inside[v]
        u, v, way = u[keep], v[keep], way[keep]
    used = np.unique(np.concatenate([u, v])) if len(u) else np.empty(0, np.int64)
    pos = np.full(len(lon), -1, np.int64)
    pos[used] = np.arange(len(used))
    ways_used = np.unique(way) if len(way) else np.empty(0, np.int64)
    way_pos = np.full(len(raw.way_id), -1, np.int64)
    way_pos[ways_used] = np.arange(len(ways_used))
    tags = {key: TagColumn.from_strings(np.asarray(values, dtype=object)[ways_used]) for key, values in raw.tags.items()}
    node_tags = {key: TagColumn.from_strings(np.asarray(values, dtype=object)[used]) for key, values in raw.node_tags.items()}
    return RoadNetwork(
        osmid=np.asarray(raw.node_id, np.int64)[used],
        lon=lon[used],
        lat=lat[used],
        u=pos[u],
        v=pos[v],
        length_m=distance_m(lon[u], lat[u], lon[v], lat[v]),
        way=way_pos[way].astype(np.int32),
        way_id=np.asarray(raw.way_id, np.int64)[ways_used],
        tags=MappingProxyType(tags),
        node_tags=MappingProxyType(node_tags),
    )


def network_from_tables(nodes: pd.DataFrame, edges: pd.DataFrame) -> RoadNetwork:
    """A network from plain tables: each edge row is a way of one segment (tests, benchmarks, synthetic regions).

    Parameters
    ----------
    nodes
        Index: node ids; columns ``lon``, ``lat``.
    edges
        ``u``, ``v`` (node ids); optional ``length_m`` (default geodesic); any other
        column is an OSM tag (``highway`` required; ``""`` means absent).
    """
    ids = nodes.index.to_numpy()
    order = np.argsort(ids)
    u = order[np.searchsorted(ids, edges["u"].to_numpy(), sorter=order)]
    v = order[np.searchsorted(ids, edges["v"].to_numpy(), sorter=order)]
    tag_cols = [c for c in edges.columns if c not in ("u", "v", "length_m", "geometry")]
    raw = RawRoads(
        node_id=ids.astype(np.int64),
        lon=nodes["lon"].to_numpy(float),
        lat=nodes["lat"].to_numpy(float),
        u=u,
        v=v,
        way=np.arange(len(edges)),
        way_id=np.arange(1, len(edges) + 1),
        tags={c: edges[c].tolist() for c in tag_cols},
    )
    net = build_road_network(raw)
    if "length_m" in edges:
        # Rows in their original order: build_road_network keeps segments in order when nothing is clipped.
        net = dataclasses.replace(net, length_m=edges["length_m"].to_numpy(float))
    return net
