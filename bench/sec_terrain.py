"""Terrain: the nearest-facility travel surface on large grids, the siting matrix, against references."""

from __future__ import annotations

import numpy as np

from bench.common import Section, run_child, timed

SURFACE = """
import sys, time, numpy as np
side, n_fac, engine = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(1)
speed = rng.uniform(0.3, 1.5, (side, side))
src = rng.choice(side * side, n_fac, replace=False)
t0 = time.perf_counter()
if engine == "mcp":
    from skimage.graph import MCP_Geometric
    cum, _ = MCP_Geometric(1.0 / speed, fully_connected=True).find_costs([divmod(int(s), side) for s in src])
    out = cum.ravel()
else:
    from scipy.sparse.csgraph import dijkstra
    from coverage.travel._terrain import grid_graph
    g = grid_graph(speed, 1.0)
    out = dijkstra(g, indices=src, min_only=True)
print("SECONDS", time.perf_counter() - t0, "CHECKSUM", float(np.nansum(np.where(np.isfinite(out), out, 0))))
"""


def _surface(side: int, n_fac: int, engine: str) -> tuple[float, float, float]:
    _wall, rss, out = run_child(SURFACE, str(side), str(n_fac), engine)
    parts = out.split()
    return float(parts[1]), rss, float(parts[3])


def _networkx_check(side: int) -> tuple[float, float, float]:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from coverage.travel._terrain import grid_graph

    rng = np.random.default_rng(2)
    speed = rng.uniform(0.3, 1.5, (side, side))
    src = rng.choice(side * side, 20, replace=False)
    g = grid_graph(speed, 100.0)
    t_ours, ours = timed(lambda: dijkstra(g, indices=src, min_only=True), 3)
    coo = g.tocoo()
    step = np.isfinite(coo.data)  # the steps, not the empty slots
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(coo.row[step].tolist(), coo.col[step].tolist(), coo.data[step].tolist(), strict=True))
    t_nx, ref = timed(lambda: nx.multi_source_dijkstra_path_length(G, set(src.tolist())), 1)
    keys = np.fromiter(ref.keys(), np.int64)
    assert np.allclose(ours[keys], np.fromiter(ref.values(), float), rtol=1e-12)
    return t_ours, t_nx, float(len(keys))


def _matrix(side: int, n_cand: int, n_orig: int) -> tuple[float, int]:
    from coverage.inputs.config import load_profiles
    from coverage.inputs.landcover import LandCoverTable
    from coverage.travel._terrain import Grid, TerrainTravel, fused_graph

    rng = np.random.default_rng(3)
    speed = rng.uniform(0.8, 1.2, (side, side))  # walking about 3.6 km/h
    grid = Grid("EPSG:32648", 500_000.0, 4_300_000.0, 100.0, side, side)
    model = TerrainTravel(load_profiles()["walk"], grid, speed, fused_graph(grid, speed, None), LandCoverTable((), "bench", True))
    from pyproj import Transformer

    tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)

    def points(n):
        x = grid.x0 + rng.uniform(0, side * 100.0, n)
        y = grid.y0 - rng.uniform(0, side * 100.0, n)
        return np.column_stack(tr.transform(x, y))

    cands, origins = points(n_cand), points(n_orig)
    t, mat = timed(lambda: model.matrix(origins, cands, cutoff_s=7200.0), 1)
    return t, len(mat.seconds)


def terrain(quick: bool) -> Section:
    big = 1000 if quick else 5000
    mid = 500 if quick else 2000
    sec = Section(
        "Terrain travel surfaces (issue 16)",
        "python -m bench --sections terrain",
        "Random speeds on a square grid (seeded), 500 facilities, each engine in a fresh interpreter (its peak memory): "
        "ours = `coverage.terrain.grid_graph` (8 neighbours, mean pace, no corner cutting) + scipy `dijkstra(min_only=True)`, "
        "the formulation that fuses roads; reference = scikit-image `MCP_Geometric` (raster only, cannot seed road nodes). "
        "On a grid without barriers both compute the same times (the checksums are compared).",
    )
    t_ours, rss_ours, sum_ours = _surface(mid, 500, "ours")
    t_mcp, rss_mcp, sum_mcp = _surface(mid, 500, "mcp")
    assert abs(sum_ours - sum_mcp) <= 1e-6 * abs(sum_mcp), (sum_ours, sum_mcp)
    cells = mid * mid / 1e6
    sec.row(f"surface {mid:,} x {mid:,} ({cells:g} M cells), 500 facilities: ours", f"{t_ours:.1f} s, peak {rss_ours:,.0f} MiB")
    sec.row("same: scikit-image `MCP_Geometric`", f"{t_mcp:.1f} s, peak {rss_mcp:,.0f} MiB (same checksum)")
    big_cells = big * big / 1e6
    need = rss_ours / cells * big_cells
    t_big, rss_big, _ = _surface(big, 500, "mcp")
    sec.row(
        f"surface {big:,} x {big:,} ({big_cells:g} M cells): scikit-image `MCP_Geometric`",
        f"{t_big:.1f} s, peak {rss_big:,.0f} MiB",
    )
    if need < 12_000:
        t_ob, rss_ob, _ = _surface(big, 500, "ours")
        sec.row("same, ours", f"{t_ob:.1f} s, peak {rss_ob:,.0f} MiB")
    else:
        t_ob, rss_ob = float("inf"), need
        sec.row(
            "same, ours",
            f"not run: about {need:,.0f} MiB by the {mid:,} x {mid:,} measurement ({rss_ours / cells:,.0f} MiB per M cells)",
        )
    sec.goal(
        f"{big_cells:g} M-cell surface < 30 s and < 4 GiB",
        min(t_ob if rss_ob < 4096 else float("inf"), t_big if rss_big < 4096 else float("inf")) < 30,
        f"ours {t_ob:.1f} s / {rss_ob:,.0f} MiB; MCP {t_big:.1f} s / {rss_big:,.0f} MiB",
    )
    t_o, t_nx, n = _networkx_check(120 if quick else 300)
    sec.row(
        f"same graph, 20 sources, {n:,.0f} cells: ours vs networkx",
        f"{t_o:.3f} s vs {t_nx:.2f} s ({t_nx / t_o:.0f}x), equal to 1e-12",
    )
    n_cand = 200 if quick else 1000
    t_m, pairs = _matrix(mid, n_cand, 5000)
    sec.row(
        f"siting matrix: {n_cand:,} candidates x 5,000 origins on {mid:,} x {mid:,} (100 m cells), 2-hour walk cutoff",
        f"{t_m:.1f} s, {pairs:,} pairs",
    )
    return sec
