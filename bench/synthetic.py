"""Seeded synthetic road-like networks and regions for the benchmarks.

A road-like graph: a square grid of ``side x side`` nodes 100-300 m apart with
jittered positions, from which a share of the grid edges is deleted at random
(default 35 %, giving an average degree of about 2.6, like sparse rural
road networks), with random lengths of 1-1.6x the straight distance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage.network import RoadNetwork


def grid_network(
    side: int,
    *,
    seed: int = 0,
    delete: float = 0.35,
    spacing_m: float = 200.0,
    crs: str = "EPSG:32648",
    origin=(500_000.0, 4_000_000.0),
) -> RoadNetwork:
    """A jittered grid with deleted edges, as a :class:`RoadNetwork` (no OSM file involved)."""
    rng = np.random.default_rng(seed)
    n = side * side
    ii, jj = np.divmod(np.arange(n), side)
    x = origin[0] + jj * spacing_m + rng.uniform(-0.3, 0.3, n) * spacing_m
    y = origin[1] + ii * spacing_m + rng.uniform(-0.3, 0.3, n) * spacing_m
    right = np.flatnonzero(jj < side - 1)
    up = np.flatnonzero(ii < side - 1)
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + side])
    keep = rng.random(len(u)) >= delete
    u, v = u[keep], v[keep]
    straight = np.hypot(x[u] - x[v], y[u] - y[v])
    length = straight * rng.uniform(1.0, 1.6, len(u))
    classes = np.array(["secondary", "tertiary", "unclassified", "track", "residential"])
    highway = classes[rng.integers(0, len(classes), len(u))]
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    offsets = np.arange(0, 2 * len(u) + 1, 2, dtype=np.int64)
    geom = np.empty((2 * len(u), 2))
    geom[0::2] = np.column_stack([lon[u], lat[u]])
    geom[1::2] = np.column_stack([lon[v], lat[v]])
    return RoadNetwork(
        crs=crs,
        osmid=np.arange(n, dtype=np.int64),
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        x=x,
        y=y,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length_m=length,
        highway=highway,
        name=np.full(len(u), "", dtype=str),
        maxspeed_kmh=np.full(len(u), np.nan),
        oneway=rng.random(len(u)) < 0.05,
        schematic=np.ones(len(u), bool),
        geom_offsets=offsets,
        geom_lonlat=geom,
    )


def grid_osm_xml(side: int, *, seed: int = 0, delete: float = 0.35) -> str:
    """The same kind of grid as OSM XML text (for timing the osmnx reading path)."""
    net = grid_network(side, seed=seed, delete=delete)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="bench/synthetic.py">']
    lines += [
        f'<node id="{i + 1}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>'
        for i, (lo, la) in enumerate(zip(net.lon, net.lat, strict=True))
    ]
    for k in range(net.n_edges):
        lines.append(
            f'<way id="{k + 1}" version="1"><nd ref="{net.u[k] + 1}"/><nd ref="{net.v[k] + 1}"/>'
            f'<tag k="highway" v="{net.highway[k]}"/></way>'
        )
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def random_node_points(net: RoadNetwork, n: int, *, seed: int, spread_m: float = 300.0) -> np.ndarray:
    """Points scattered around random nodes (metric)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, net.n_nodes, n)
    return np.column_stack([net.x[k], net.y[k]]) + rng.normal(0, spread_m, (n, 2))


def as_frame(xy: np.ndarray) -> pd.DataFrame:
    """Metric points as a frame with x/y columns."""
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
