"""Capacity and fairness: 2SFCA on a large origin-destination table, against pysal ``access`` in the same run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.common import Section, timed
from coverage.capacity import capacity_limited, floating_catchment, gini


def _pairs(n: int, m: int, side_km: float, limit_min: float, seed: int = 0):
    """Settlements and facilities scattered over a square; straight-line minutes at 30 km/h, pairs within the limit."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    s, f = rng.uniform(0, side_km, (n, 2)), rng.uniform(0, side_km, (m, 2))
    reach_km = limit_min / 60.0 * 30.0
    sparse = cKDTree(s).sparse_distance_matrix(cKDTree(f), reach_km, output_type="coo_matrix")
    minutes = sparse.data / 30.0 * 60.0
    demand, supply = rng.integers(10, 3000, n).astype(float), rng.integers(1, 50, m).astype(float)
    return sparse.row.astype(np.int64), sparse.col.astype(np.int64), minutes, demand, supply


def _pysal_2sfca(o, d, t, demand, supply, limit):
    from access import Access

    acc = Access(
        demand_df=pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(len(supply)), "doc": supply}),
        supply_index="geoid",
        supply_value="doc",
        cost_df=pd.DataFrame({"origin": o, "dest": d, "cost": t}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    return acc.two_stage_fca(name="x", max_cost=limit)["x_doc"].reindex(np.arange(len(demand))).fillna(0.0).to_numpy()


def capacity(quick: bool) -> Section:
    n, m = (10_000, 1_000) if quick else (100_000, 10_000)
    side = 100.0 if quick else 316.0  # one facility per 10 km2 either way
    limit = 20.0
    sec = Section(
        "Capacity and fairness (issue 25)",
        "python -m bench --sections capacity",
        f"{n:,} settlements and {m:,} facilities scattered over {side:.0f} km x {side:.0f} km, straight-line minutes at "
        f"30 km/h, every pair within {limit:g} minutes (the origin-destination table the travel seam gives). "
        "`coverage.capacity.floating_catchment` (2SFCA, numpy bincount over the pairs) against pysal `access` `two_stage_fca` "
        "(pandas merges) on the same table, and capacity-limited coverage and the weighted Gini on the result.",
    )
    o, d, t, demand, supply = _pairs(n, m, side, limit)
    sec.row("pairs within the catchment", f"{len(t):,}")
    ours_s, (access, _ratio) = timed(lambda: floating_catchment(o, d, t, demand, supply, limit=limit), repeats=3)
    sec.row("2SFCA, this tool", f"{ours_s:.2f} s")
    ref_s, want = timed(lambda: _pysal_2sfca(o, d, t, demand, supply, limit))
    sec.row("2SFCA, pysal access", f"{ref_s:.2f} s")
    worst = float(np.max(np.abs(access - want) / np.maximum(np.abs(want), 1e-300)))
    sec.row("largest relative difference", f"{worst:.1e}")
    split_s, _ = timed(lambda: capacity_limited(o, d, t, demand, supply * 60.0, limit=limit))
    sec.row("capacity-limited coverage", f"{split_s:.2f} s")
    gini_s, g = timed(lambda: gini(access, demand))
    sec.row("weighted Gini of the result", f"{g:.4f} in {gini_s * 1000:.0f} ms")
    if not quick:
        sec.goal("2SFCA on 100,000 x 10,000 under 10 s", ours_s < 10.0, f"{ours_s:.2f} s")
        sec.goal(">= 10x pysal access on the same table", ref_s / ours_s >= 10.0, f"{ref_s / ours_s:.0f}x")
    sec.goal("equal to pysal (1e-9 relative)", worst <= 1e-9, f"{worst:.1e}")
    return sec
