"""Siting benchmark: our exact models against PySAL spopt, and the heuristic at scale.

Used by ``python -m bench --sections siting`` (bench/sec_siting.py).

Instances are seeded.  Demand points are clustered like settlements (around
``n/50`` centres, 1 % of the square's side apart); candidates are uniform in the
square; a candidate covers a demand point within the service radius (a stand-in
for the travel-time threshold: the models only see the sparse cover matrix),
chosen so that a point has 12 candidates on average; weights are integer
populations.  A last row reports the hard case of uniformly scattered demand,
where few points share a candidate set and the exact MILP has much more to do.  spopt gets the equivalent dense cost matrix
and solves with CBC through PuLP (its default); both are timed end to end
(model build + solve).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from coverage.siting._covering import solve_lscp, solve_mclp


def instance(n_demand: int, n_cand: int, *, seed: int, mean_cover: float = 12.0, clustered: bool = True):
    """Points in a unit square; radius chosen so a demand point has ``mean_cover`` candidates on average."""
    rng = np.random.default_rng(seed)
    if clustered:
        centres = rng.random((max(n_demand // 50, 5), 2))
        d = centres[rng.integers(0, len(centres), n_demand)] + rng.normal(0, 0.01, (n_demand, 2))
    else:
        d = rng.random((n_demand, 2))
    c = rng.random((n_cand, 2))
    radius = np.sqrt(mean_cover / (np.pi * n_cand))
    m = cKDTree(d).sparse_distance_matrix(cKDTree(c), radius, output_type="coo_matrix")
    cover = sp.csr_array((np.ones(m.nnz, bool), (m.row, m.col)), shape=(n_demand, n_cand))
    w = rng.integers(1, 500, n_demand).astype(float)
    return d, c, cover, w, radius


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def vs_spopt(n_demand: int, n_cand: int, p: int, seed: int) -> dict:
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import LSCP, MCLP

    d, c, cover, w, radius = instance(n_demand, n_cand, seed=seed)
    cost = cdist(d, c)
    solver = pulp.PULP_CBC_CMD(msg=False)
    t_ours_m, ours_m = timed(lambda: solve_mclp(cover, w, p))
    t_sp_m, sp_m = timed(lambda: MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p).solve(solver))
    sp_obj_m = float(pulp.value(sp_m.problem.objective))
    # LSCP: every coverable point (spopt needs a feasible instance: drop uncoverable rows for both).
    ok = np.diff(cover.indptr) > 0
    t_ours_l, ours_l = timed(lambda: solve_lscp(sp.csr_array(cover[np.flatnonzero(ok)])))
    t_sp_l, sp_l = timed(lambda: LSCP.from_cost_matrix(cost[ok], service_radius=radius).solve(solver))
    sp_obj_l = float(pulp.value(sp_l.problem.objective))
    return {
        "mclp": (t_ours_m, ours_m.objective, ours_m.proven_optimal, t_sp_m, sp_obj_m),
        "lscp": (t_ours_l, ours_l.objective, ours_l.proven_optimal, t_sp_l, sp_obj_l),
    }


def vs_spopt_split(n_demand: int, n_cand: int, p: int, seed: int, *, clustered: bool) -> dict:
    """MCLP: ours end to end; spopt's model building and CBC solving timed apart; objectives compared."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    d, c, cover, w, radius = instance(n_demand, n_cand, seed=seed, clustered=clustered)
    cost = cdist(d, c)
    t_ours, ours = timed(lambda: solve_mclp(cover, w, p))
    t_build, model = timed(lambda: MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p))
    t_solve, solved = timed(lambda: model.solve(pulp.PULP_CBC_CMD(msg=False)))
    return {
        "ours": (t_ours, ours.objective, ours.proven_optimal),
        "spopt": (t_build, t_solve, float(pulp.value(solved.problem.objective))),
    }
