"""Routing benchmark: ratios measured in one run, medians of repeats.

Usage (from the repository root, in the project's environment)::

    python -m bench.bench_routing            # all sections, prints a Markdown table
    python -m bench.bench_routing --quick    # smaller sizes, to check the script works

Each section runs in its own subprocess so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def section_nearest(side: int, n_fac: int, repeats: int) -> dict:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from bench.synthetic import grid_network
    from coverage.config import load_profiles
    from coverage.routing import build_routing_graph, nearest_facility_nodes

    net = grid_network(side, seed=1)
    graph = build_routing_graph(net, load_profiles()["drive"])
    rng = np.random.default_rng(2)
    fac = rng.choice(np.flatnonzero(graph.usable), n_fac, replace=False)
    legs = np.zeros(n_fac)
    t_engine, (times, _src) = timed(lambda: nearest_facility_nodes(graph, fac, legs), repeats)
    t_bare, bare = timed(lambda: dijkstra(graph.reverse, directed=True, indices=fac, min_only=True), repeats)
    assert np.allclose(np.where(np.isfinite(times), times, -1), np.where(np.isfinite(bare), bare, -1), atol=1e-6)
    # networkx on the same arrays (graph construction not timed).
    g = nx.DiGraph()
    coo = graph.reverse.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    g.add_nodes_from(range(graph.n_nodes))
    nx_repeats = max(1, repeats // 2)
    t_nx, nx_dist = timed(lambda: nx.multi_source_dijkstra_path_length(g, set(fac.tolist())), nx_repeats)
    keys = np.fromiter(nx_dist.keys(), dtype=np.int64)
    vals = np.fromiter(nx_dist.values(), dtype=float)
    assert np.allclose(times[keys], vals, atol=1e-6)
    return {
        "nodes": graph.n_nodes,
        "edges": int(net.n_edges),
        "avg_degree": 2 * net.n_edges / net.n_nodes,
        "facilities": n_fac,
        "engine_s": t_engine,
        "bare_scipy_s": t_bare,
        "networkx_s": t_nx,
        "repeats": repeats,
        "nx_repeats": nx_repeats,
    }


def section_build(side: int, repeats: int) -> dict:
    from bench.synthetic import grid_osm_xml
    from coverage import io
    from coverage.config import load_profiles
    from coverage.network import RoadNetwork, build_road_network
    from coverage.routing import build_routing_graph

    prof = load_profiles()["drive"]
    with tempfile.TemporaryDirectory() as tmp:
        osm = Path(tmp) / "grid.osm"
        osm.write_text(grid_osm_xml(side, seed=3), encoding="utf-8")

        def cold():
            nodes, edges = io.read_road_edges(osm)
            net = build_road_network(nodes, edges, crs="EPSG:32648")
            return net, build_routing_graph(net, prof)

        t_cold, (net, _) = timed(cold, repeats)
        key = io.file_digest(osm, extra="bench")
        io.save_cached_arrays(tmp, key, net.to_arrays())

        def warm():
            net2 = RoadNetwork.from_arrays(io.load_cached_arrays(tmp, key))
            return build_routing_graph(net2, prof)

        t_warm, _ = timed(warm, repeats)
    return {
        "nodes": net.n_nodes,
        "edges": int(net.n_edges),
        "cold_build_s": t_cold,
        "cached_reload_s": t_warm,
        "repeats": repeats,
    }


def section_matrix(side: int, n_cand: int, n_orig: int, repeats: int) -> dict:
    from bench.synthetic import grid_network, random_node_points
    from coverage.config import load_profiles
    from coverage.routing import build_routing_graph, travel_time_matrix

    net = grid_network(side, seed=4)
    graph = build_routing_graph(net, load_profiles()["drive"])
    cand = random_node_points(net, n_cand, seed=5)
    orig = random_node_points(net, n_orig, seed=6)
    t, m = timed(lambda: travel_time_matrix(graph, orig, cand, cutoff_s=7200.0), repeats)
    return {
        "nodes": graph.n_nodes,
        "candidates": n_cand,
        "origins": n_orig,
        "pairs_kept": len(m.seconds),
        "matrix_s": t,
        "repeats": repeats,
    }


SECTIONS = {"nearest": section_nearest, "build": section_build, "matrix": section_matrix}


def run_section(name: str, kwargs: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_routing", "--section", name, "--kwargs", json.dumps(kwargs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--section")
    p.add_argument("--kwargs", default="{}")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    if a.section:
        res = SECTIONS[a.section](**json.loads(a.kwargs))
        res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return
    big = not a.quick
    nearest = run_section("nearest", {"side": 1000 if big else 200, "n_fac": 500, "repeats": 5 if big else 3})
    build = run_section("build", {"side": 316 if big else 60, "repeats": 3})
    matrix = run_section("matrix", {"side": 316 if big else 60, "n_cand": 1000 if big else 50, "n_orig": 5000, "repeats": 1})
    print("| measure | value |\n|---|---|")
    print(
        f"| nearest facility, {nearest['nodes']:,} nodes (avg degree {nearest['avg_degree']:.2f}), "
        f"{nearest['facilities']} facilities: engine | {nearest['engine_s']:.3f} s (median of {nearest['repeats']}) |"
    )
    print(f"| same: bare `scipy.sparse.csgraph.dijkstra(min_only=True)` | {nearest['bare_scipy_s']:.3f} s |")
    nx_s, nx_rep = nearest["networkx_s"], nearest["nx_repeats"]
    print(f"| same: networkx `multi_source_dijkstra_path_length` | {nx_s:.3f} s (median of {nx_rep}) |")
    print(f"| **speed-up over networkx** | **{nearest['networkx_s'] / nearest['engine_s']:.1f}x** |")
    print(f"| **engine / bare scipy** | **{nearest['engine_s'] / nearest['bare_scipy_s']:.3f}** |")
    print(f"| build routing arrays from OSM XML via osmnx, {build['nodes']:,} nodes | {build['cold_build_s']:.2f} s |")
    print(
        f"| same, reloaded from the on-disk cache | {build['cached_reload_s']:.3f} s "
        f"({build['cold_build_s'] / build['cached_reload_s']:.0f}x faster) |"
    )
    print(
        f"| sparse matrix {matrix['candidates']:,} candidates x {matrix['origins']:,} origins on {matrix['nodes']:,} nodes, "
        f"2-hour cutoff | {matrix['matrix_s']:.2f} s, peak RSS {matrix['peak_rss_mib']:.0f} MiB, "
        f"{matrix['pairs_kept']:,} pairs kept |"
    )


if __name__ == "__main__":
    main()
