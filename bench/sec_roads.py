"""Roads: the OSM reader against osmnx, nearest-facility searches, bounded cutoff searches."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import Section, timed
from bench.synthetic import grid_network, grid_osm_xml


def reader(quick: bool) -> Section:
    import osmnx as ox

    from coverage.inputs._osmfile import read_osm_roads
    from coverage.inputs.network import build_road_network
    from coverage.inputs.osm_rules import load_osm_rules

    side = 100 if quick else 316
    sec = Section(
        "OSM reader (issue 11)",
        "python -m bench --sections reader",
        f"Synthetic OSM XML (`bench/synthetic.py`, seeded): a {side} x {side} jittered grid, 35 % of edges deleted, written "
        "twice: each segment its own way (the reader's worst case: all per-way cost), and streets (each run of segments "
        "along a grid line one way, about four nodes per way, as streets are mapped). Ours: `coverage.io.read_osm_roads` "
        "(osmium) + `build_road_network`; reference: `osmnx.graph_from_xml` (simplify=False, retain_all=True), the same "
        "file, in the same run.",
    )
    keys = load_osm_rules().tag_keys()
    ratios = {}
    for streets, label in ((False, "one segment per way"), (True, "streets as ways")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "grid.osm"
            path.write_text(grid_osm_xml(side, seed=3, streets=streets), encoding="utf-8")
            t_ours, net = timed(lambda path=path: build_road_network(read_osm_roads(path, tag_keys=keys)), 3)
            t_ox, g = timed(lambda path=path: ox.graph_from_xml(path, simplify=False, retain_all=True), 1)
        assert net.n_nodes == g.number_of_nodes(), (net.n_nodes, g.number_of_nodes())
        n_ways = len(net.way_id)
        sec.row(
            f"{label}: {net.n_nodes:,} nodes, {net.n_edges:,} segments, {n_ways:,} ways: ours (median of 3) / osmnx",
            f"{t_ours:.2f} s / {t_ox:.2f} s = {t_ox / t_ours:.1f}x",
        )
        ratios[label] = t_ox / t_ours
    for label, ratio in ratios.items():
        sec.goal(f">= 5x faster than osmnx on ~100k nodes ({label})", ratio >= 5, f"{ratio:.1f}x")
    return sec


def nearest(quick: bool) -> Section:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from coverage.inputs.config import load_profiles
    from coverage.travel._graph import build_routing_graph
    from coverage.travel._search import nearest_facility_nodes

    side = 300 if quick else 1000
    sec = Section(
        "Nearest facility (issue 11)",
        "python -m bench --sections nearest",
        "Synthetic road-like graph (jittered grid, 35 % edges deleted, 5 % one-way), 500 facilities. Engine: "
        "`nearest_facility_nodes` (virtual sources on the reversed CSR, one `dijkstra(min_only=True)`); references: bare "
        "scipy on the same arrays, networkx `multi_source_dijkstra_path_length`; results checked equal to 1e-6 s.",
    )
    net = grid_network(side, seed=1)
    graph = build_routing_graph(net, load_profiles()["drive"])
    fac = np.random.default_rng(2).choice(np.flatnonzero(graph.usable), 500, replace=False)
    t_engine, (times, _src) = timed(lambda: nearest_facility_nodes(graph, fac, np.zeros(500)), 5)
    t_bare, bare = timed(lambda: dijkstra(graph.reverse, directed=True, indices=fac, min_only=True), 5)
    assert np.allclose(np.where(np.isfinite(times), times, -1), np.where(np.isfinite(bare), bare, -1), atol=1e-6)
    g = nx.DiGraph()
    coo = graph.reverse.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    t_nx, nx_dist = timed(lambda: nx.multi_source_dijkstra_path_length(g, set(fac.tolist())), 1)
    keys = np.fromiter(nx_dist.keys(), dtype=np.int64)
    assert np.allclose(times[keys], np.fromiter(nx_dist.values(), dtype=float), atol=1e-6)
    sec.row(f"{graph.n_nodes:,} nodes, 500 facilities: engine (median of 5)", f"{t_engine:.3f} s")
    sec.row("bare scipy `dijkstra(min_only=True)` (median of 5)", f"{t_bare:.3f} s")
    sec.row("networkx `multi_source_dijkstra_path_length`", f"{t_nx:.2f} s")
    sec.goal(">= 15x faster than networkx", t_nx / t_engine >= 15, f"{t_nx / t_engine:.1f}x")
    sec.goal("within 1.2x of bare scipy", t_engine / t_bare <= 1.2, f"{t_engine / t_bare:.2f}x")
    return sec


def bounded(quick: bool) -> Section:
    from coverage.inputs.config import load_profiles
    from coverage.travel._graph import build_routing_graph
    from coverage.travel._search import travel_time_matrix

    side = 300 if quick else 1000
    sec = Section(
        "Searches whose cost follows their reach (issue 17)",
        "python -m bench --sections bounded",
        "`travel_time_matrix` with a 30-minute cutoff (driving) on a synthetic province graph, for one county's siting "
        "question: 200 candidate sites and 5,000 settlements around the graph's centre (normal, sd 9 km and 17 km). "
        "Bounded: each chunk of nearby candidates searches only the nodes within cutoff x top speed (a provable box); "
        "full: the whole graph; county: the full search on the 100,000-node county graph cut around them. The answers "
        "are checked equal to 1e-6 s.",
    )
    net = grid_network(side, seed=4)
    graph = build_routing_graph(net, load_profiles()["drive"])
    rng = np.random.default_rng(1)
    centre = np.array([net.lon.mean(), net.lat.mean()])
    dests = centre + rng.normal(0, 0.08, (200, 2))
    origins = centre + rng.normal(0, 0.15, (5000, 2))
    graph.buckets, graph.top_speed_m_per_s  # noqa: B018 - built once, as a region's graph is
    t_full, full = timed(lambda: travel_time_matrix(graph, origins, dests, cutoff_s=1800.0, bounded=False, engine="scipy"), 3)
    t_b, part = timed(lambda: travel_time_matrix(graph, origins, dests, cutoff_s=1800.0, bounded=True, engine="scipy"), 3)
    assert np.array_equal(full.origin, part.origin) and np.array_equal(full.destination, part.destination)
    assert np.allclose(full.seconds, part.seconds, atol=1e-6)
    county_side = round(side * 0.316)
    county = grid_network(
        county_side, seed=4, origin=(500_000.0 + (side - county_side) * 100.0, 4_000_000.0 + (side - county_side) * 100.0)
    )
    cg = build_routing_graph(county, load_profiles()["drive"])
    t_c, _ = timed(lambda: travel_time_matrix(cg, origins, dests, cutoff_s=1800.0, bounded=False, engine="scipy"), 3)
    sec.row(
        f"{graph.n_nodes:,} nodes, 200 x 5,000, 30 min: full search (median of 3)",
        f"{t_full:.2f} s ({len(full.seconds):,} pairs)",
    )
    sec.row("bounded search (median of 3)", f"{t_b:.2f} s (same pairs)")
    sec.row(f"for scale: full search on a {cg.n_nodes:,}-node county graph, same points", f"{t_c:.2f} s")
    sec.goal(">= 3x faster bounded than full on a 1M-node graph at 30 minutes", t_full / t_b >= 3, f"{t_full / t_b:.1f}x")
    return sec


def kernel(quick: bool) -> Section:
    """The compiled bounded search (numba) against scipy's full search, in the same run."""
    from coverage.inputs.config import load_profiles
    from coverage.travel._graph import build_routing_graph
    from coverage.travel._kernel import kernel as load_kernel
    from coverage.travel._search import travel_time_matrix

    side = 300 if quick else 1000
    sec = Section(
        "A search kernel whose cost follows what it reaches (issue 27)",
        "python -m bench --sections kernel",
        "`travel_time_matrix(engine=...)` on the synthetic province graph of the section above: `numba` (one distance "
        "array kept across sources, a touched list reset after each search, a binary heap on arrays; compiled once and "
        "cached on disk) against `scipy` (`dijkstra(limit=...)` on the whole graph). The pairs and seconds are checked "
        "equal bit for bit. Then the large matrix of the issue: 2,000 candidates x 50,000 settlements at 60 minutes.",
    )
    t0 = time.perf_counter()
    load_kernel()
    sec.row("numba loaded and the kernel compiled or read from its cache", f"{time.perf_counter() - t0:.2f} s")
    net = grid_network(side, seed=4)
    graph = build_routing_graph(net, load_profiles()["drive"])
    rng = np.random.default_rng(1)
    centre = np.array([net.lon.mean(), net.lat.mean()])
    dests = centre + rng.normal(0, 0.08, (200, 2))
    origins = centre + rng.normal(0, 0.15, (5000, 2))
    travel_time_matrix(graph, origins[:10], dests[:2], cutoff_s=60.0, engine="numba")  # warm: JIT outside the timing
    t_scipy, ref = timed(lambda: travel_time_matrix(graph, origins, dests, cutoff_s=1800.0, engine="scipy"), 3)
    t_numba, got = timed(lambda: travel_time_matrix(graph, origins, dests, cutoff_s=1800.0, engine="numba"), 3)
    same = (
        np.array_equal(ref.origin, got.origin)
        and np.array_equal(ref.destination, got.destination)
        and np.array_equal(ref.seconds, got.seconds)
    )
    sec.row(f"{graph.n_nodes:,} nodes, 200 x 5,000, 30 min: scipy full search (median of 3)", f"{t_scipy:.2f} s")
    sec.row("numba bounded search (median of 3)", f"{t_numba:.2f} s ({len(got.seconds):,} pairs, equal: {same})")
    sec.goal(
        ">= 5x the full scipy search (200 x 5,000, 30 min, 1M nodes)",
        t_scipy / t_numba >= 5 and same,
        f"{t_scipy / t_numba:.1f}x",
    )
    n_c, n_s = (200, 5000) if quick else (2000, 50000)
    cands = centre + rng.normal(0, 0.15, (n_c, 2))
    setts = centre + rng.normal(0, 0.25, (n_s, 2))
    t_big, big = timed(lambda: travel_time_matrix(graph, setts, cands, cutoff_s=3600.0, engine="numba"))
    sec.row(f"{n_c:,} candidates x {n_s:,} settlements, 60 min", f"{t_big:.1f} s ({len(big.seconds):,} pairs)")
    if not quick:
        sec.goal("2,000 x 50,000 at 60 minutes under 10 s on 2 cores", t_big < 10.0, f"{t_big:.1f} s")
    sec.notes.append(
        "The sources are split into one run per core and searched in GIL-free threads. At 60 minutes on this graph a "
        "search reaches a large share of the province and the pairs (tens of millions) dominate: the cost follows the "
        "reach, and the reach is large."
    )
    return sec
