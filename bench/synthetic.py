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
from coverage.inputs.network import RoadNetwork, network_from_tables


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


def grid_osm_xml(side: int, *, seed: int = 0, delete: float = 0.35, streets: bool = False) -> str:
    """The same kind of grid as OSM XML text (for timing the readers).

    Each kept grid edge is a way of two nodes; with ``streets``, each run of kept
    edges along a grid line is one way (one class, one ``oneway``), as streets are
    mapped: about four nodes per way instead of two.
    """
    net = grid_network(side, seed=seed, delete=delete)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="bench/synthetic.py">']
    lines += [
        f'<node id="{o + 1}" version="1" lat="{la:.7f}" lon="{lo:.7f}"/>'
        for o, lo, la in zip(net.osmid, net.lon, net.lat, strict=True)
    ]
    if streets:
        ways = _street_runs(net.osmid[net.u], net.osmid[net.v], side)
        rng = np.random.default_rng(seed + 1)
        highway = np.array(["secondary", "tertiary", "unclassified", "track", "residential"])[rng.integers(0, 5, len(ways))]
        oneway = np.where(rng.random(len(ways)) < 0.05, "yes", "")
    else:
        ways = [[a, b] for a, b in zip(net.osmid[net.u].tolist(), net.osmid[net.v].tolist(), strict=True)]
        highway, oneway = net.highway, net.segment_tag("oneway")
    for k, nodes in enumerate(ways):
        one = f'<tag k="oneway" v="{oneway[k]}"/>' if oneway[k] else ""
        refs = "".join(f'<nd ref="{n + 1}"/>' for n in nodes)
        lines.append(f'<way id="{k + 1}" version="1">{refs}<tag k="highway" v="{highway[k]}"/>{one}</way>')
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def _street_runs(u: np.ndarray, v: np.ndarray, side: int) -> list[list[int]]:
    """Runs of consecutive grid edges along the same row or column, as node lists."""
    runs = []
    for step in (1, side):  # along rows, then along columns
        pick = np.flatnonzero(v - u == step)
        key = u[pick] if step == 1 else (u[pick] % side) * side + u[pick] // side  # along the line
        order = pick[np.argsort(key, kind="stable")]
        a, b = u[order].tolist(), v[order].tolist()
        for k in range(len(a)):
            if k and a[k] == b[k - 1]:  # continues the previous edge of the same line
                runs[-1].append(b[k])
            else:
                runs.append([a[k], b[k]])
    return runs


def random_node_points(net: RoadNetwork, n: int, *, seed: int, spread_m: float = 300.0) -> np.ndarray:
    """Lon/lat points scattered around random nodes."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, net.n_nodes, n)
    dlat = rng.normal(0, spread_m, n) / 110_540
    dlon = rng.normal(0, spread_m, n) / (111_320 * np.cos(np.radians(net.lat[k])))
    return np.column_stack([net.lon[k] + dlon, net.lat[k] + dlat])
