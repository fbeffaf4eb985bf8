"""Seeded synthetic road-like networks and regions for the benchmarks.

A road-like graph: a square grid of ``side x side`` nodes 100-300 m apart with
jittered positions, from which a share of the grid edges is deleted at random
(default 35 %, giving an average degree of about 2.6, like sparse rural
road networks), with random lengths of 1-1.6x the straight distance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage.geodesy import distance_m
from coverage.network import RoadNetwork, network_from_tables


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
    from pyproj import Transformer

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
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    lon, lat = np.asarray(lon), np.asarray(lat)
    length = distance_m(lon[u], lat[u], lon[v], lat[v]) * rng.uniform(1.0, 1.6, len(u))
    classes = np.array(["secondary", "tertiary", "unclassified", "track", "residential"])
    nodes = pd.DataFrame({"lon": lon, "lat": lat}, index=np.arange(n))
    edges = pd.DataFrame(
        {
            "u": u,
            "v": v,
            "length_m": length,
            "highway": classes[rng.integers(0, len(classes), len(u))],
            "oneway": np.where(rng.random(len(u)) < 0.05, "yes", ""),
            "source": "synthetic",
        }
    )
    return network_from_tables(nodes, edges)


def grid_osm_xml(side: int, *, seed: int = 0, delete: float = 0.35) -> str:
    """The same kind of grid as OSM XML text (for timing the readers)."""
    net = grid_network(side, seed=seed, delete=delete)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="bench/synthetic.py">']
    lines += [
        f'<node id="{o + 1}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>'
        for o, lo, la in zip(net.osmid, net.lon, net.lat, strict=True)
    ]
    highway, oneway = net.highway, net.segment_tag("oneway")
    for k in range(net.n_edges):
        one = f'<tag k="oneway" v="{oneway[k]}"/>' if oneway[k] else ""
        lines.append(
            f'<way id="{k + 1}" version="1"><nd ref="{net.osmid[net.u[k]] + 1}"/><nd ref="{net.osmid[net.v[k]] + 1}"/>'
            f'<tag k="highway" v="{highway[k]}"/>{one}</way>'
        )
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def random_node_points(net: RoadNetwork, n: int, *, seed: int, spread_m: float = 300.0) -> np.ndarray:
    """Lon/lat points scattered around random nodes."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, net.n_nodes, n)
    dlat = rng.normal(0, spread_m, n) / 110_540
    dlon = rng.normal(0, spread_m, n) / (111_320 * np.cos(np.radians(net.lat[k])))
    return np.column_stack([net.lon[k] + dlon, net.lat[k] + dlat])
