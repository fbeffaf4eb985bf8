"""Covering models: maximal covering (MCLP), set cover (LSCP) and the budget curve."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..i18n import Note
from ._reduce import (
    covered_weight,
    dominated_candidates,
    greedy_cover,
    greedy_mclp,
    greedy_order,
    lagrangian_bound,
    lp_bound,
    merge_identical_rows,
)
from ._result import HIGHS_STATUS, SitingResult, _no_answer, _status

__all__ = ["budget_curve", "solve_lscp", "solve_mclp"]

log = logging.getLogger(__name__)


def _mclp_arrays(cover: sp.csr_array, weights: np.ndarray, k: int):
    n, m = cover.shape
    # Variables: x_0..x_{m-1} (sites, binary), y_0..y_{n-1} (row covered, continuous in [0, 1]).
    c = np.concatenate([np.zeros(m), -weights])
    link = sp.hstack([-sp.csr_array(cover, dtype=float), sp.eye_array(n, format="csr")], format="csr")
    count = sp.csr_array(np.concatenate([np.ones(m), np.zeros(n)])[None, :])
    integrality = np.concatenate([np.ones(m), np.zeros(n)])
    return c, link, count, integrality


def solve_mclp(
    cover: sp.csr_array,
    weights: np.ndarray,
    k: int,
    *,
    exact: bool | None = None,
    time_limit_s: float = 60.0,
    exact_max_candidates: int = 5000,
    lp_max_nonzeros: int = 200_000,
) -> SitingResult:
    """Maximal covering: choose ``k`` candidates to maximise the covered demand weight.

    Parameters
    ----------
    cover
        Boolean demand x candidate matrix: row ``i`` is covered by column ``j``.
        Rows already covered by existing facilities should be left out (or weight 0).
    weights
        Demand weight per row (population).
    k
        Number of new sites.
    exact
        Force the exact MILP (True) or the heuristic (False); default: exact up to
        ``exact_max_candidates`` candidates after reduction.
    time_limit_s
        Solver time limit; an unfinished solve reports its gap.
    exact_max_candidates
        Above this many candidates (after reduction) the heuristic answers by default.
    lp_max_nonzeros
        Above this many cover entries the heuristic's bound is Lagrangian, not the LP.

    Returns
    -------
    SitingResult
        ``objective`` = covered weight; ``sites`` in greedy build order where possible.
    """
    t0 = time.perf_counter()
    weights = np.asarray(weights, float)
    cover = sp.csr_array(cover, dtype=bool)
    uncoverable = tuple(np.flatnonzero(np.diff(cover.indptr) == 0).tolist())
    if k <= 0 or cover.shape[1] == 0:
        return SitingResult(
            "mclp", (), 0.0, 0.0, True, 0.0, "trivial", time.perf_counter() - t0, uncoverable, status=Note("no site asked")
        )
    p = _reduced_mclp(cover, weights, k)
    done = SitingResult("mclp", (), 0.0, 0.0, True, 0.0, "", 0.0, uncoverable, tuple(p.notes))
    if p.greedy_value >= float(p.w.sum()) - 1e-9 or len(p.greedy_sites) < k:
        # Everything coverable is covered: the heuristic is optimal.
        sites = tuple(int(p.cols[j]) for j in p.greedy_sites)
        status = Note("optimal: every coverable demand point is covered")
        return _answer(done, t0, sites, p.greedy_value, p.greedy_value, True, "greedy", status)
    use_exact = exact if exact is not None else len(p.cols) <= exact_max_candidates
    stopped = ""
    if use_exact:
        answer, stopped = _exact_mclp(p, k, time_limit_s, done, t0)
        if answer is not None:
            return answer
    return _heuristic_mclp(p, k, done, t0, use_exact=use_exact, stopped=stopped, lp_max_nonzeros=lp_max_nonzeros)


@dataclass
class _Reduced:
    """An MCLP after its reductions: merged demand rows, the undominated candidates, the greedy answer on them."""

    reduced: sp.csr_array
    w: np.ndarray
    cols: np.ndarray
    greedy_sites: list
    greedy_value: float
    notes: list


def _reduced_mclp(cover: sp.csr_array, weights: np.ndarray, k: int) -> _Reduced:
    """Identical demand rows merged, rows of no weight dropped, dominated candidates dropped; the greedy answer."""
    n, m = cover.shape
    merged, w, _group = merge_identical_rows(cover, weights)
    keep_rows = w > 0
    merged, w = merged[np.flatnonzero(keep_rows)], w[keep_rows]
    dominated = dominated_candidates(merged)
    cols = np.flatnonzero(~dominated)
    reduced = sp.csr_array(sp.csc_array(merged)[:, cols])
    greedy_sites, greedy_value = greedy_mclp(reduced, w, k)
    notes = [
        Note(
            "reduced {n} demand rows to {sets} distinct candidate sets; {dominated} of {m} candidates dominated",
            {"n": n, "sets": merged.shape[0], "dominated": int(dominated.sum()), "m": m},
        )
    ]
    if len(greedy_sites) < k:
        notes.append(Note("only {n} sites add coverage; more than that buys nothing", {"n": len(greedy_sites)}))
    return _Reduced(reduced, w, cols, greedy_sites, greedy_value, notes)


def _answer(base: SitingResult, t0: float, sites, value, bound, optimal, method, status, message="") -> SitingResult:
    """``base`` (model, uncoverable rows, notes) with an answer."""
    gap = 0.0 if optimal else max(0.0, (bound - value) / max(bound, 1e-12))
    return dataclasses.replace(
        base,
        sites=tuple(sites),
        objective=value,
        bound=bound,
        proven_optimal=optimal,
        gap=gap,
        method=method,
        seconds=time.perf_counter() - t0,
        status=status,
        solver_message=message,
    )


def _exact_mclp(p: _Reduced, k: int, time_limit_s: float, base: SitingResult, t0: float) -> tuple[SitingResult | None, str]:
    """HiGHS on the reduced MCLP; (None, why) when it stops without a solution."""
    c, link, count, integ = _mclp_arrays(p.reduced, p.w, k)
    mr = p.reduced.shape[1]
    # The heuristic's value is a proven lower bound: cutting the search below it prunes
    # HiGHS's branch and bound as an incumbent would (scipy's milp takes no start point).
    cutoff = sp.csr_array(np.concatenate([np.zeros(mr), p.w])[None, :])
    cons = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(count, k, k),
        LinearConstraint(cutoff, p.greedy_value - 1e-6 * max(1.0, p.greedy_value), np.inf),
    ]
    res = milp(
        c,
        constraints=cons,
        integrality=integ,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s, "disp": False, "mip_rel_gap": 0},
    )
    if res.x is None:
        p.notes.append(Note("the exact solve stopped without a solution; heuristic answer given"))
        return None, HIGHS_STATUS.get(res.status, "solver failure (HiGHS)")
    chosen = greedy_order(p.reduced, p.w, np.flatnonzero(res.x[:mr] > 0.5))
    value = covered_weight(p.reduced, p.w, chosen)
    optimal = res.status == 0
    bound = value if optimal else (-float(res.mip_dual_bound) if getattr(res, "mip_dual_bound", None) is not None else value)
    base = dataclasses.replace(base, notes=tuple(p.notes))
    sites = tuple(int(p.cols[j]) for j in chosen)
    return _answer(base, t0, sites, value, bound, optimal, "milp", _status(res), res.message), ""


def _heuristic_mclp(p: _Reduced, k: int, base: SitingResult, t0: float, *, use_exact: bool, stopped: str, lp_max_nonzeros: int):
    """The greedy answer with a bound: the LP relaxation while it is small, the Lagrangian relaxation beyond."""
    nr = p.reduced.shape[0]
    if p.reduced.nnz <= lp_max_nonzeros:
        # Interior point: much faster than dual simplex here.
        c, link, count, _integ = _mclp_arrays(p.reduced, p.w, k)
        lp = linprog(c, A_ub=link, b_ub=np.zeros(nr), A_eq=count, b_eq=[k], bounds=(0, 1), method="highs-ipm")
        bound = -float(lp.fun) if lp.status == 0 else float(p.w.sum())
        p.notes.append(Note("bound: LP relaxation"))
    else:
        bound = lagrangian_bound(p.reduced, p.w, k, lower=p.greedy_value)
        p.notes.append(Note("bound: Lagrangian relaxation (subgradient), no tighter than the LP relaxation"))
    bound = max(bound, p.greedy_value)
    gap = max(0.0, (bound - p.greedy_value) / max(bound, 1e-12))
    optimal = gap <= 1e-9
    if optimal:
        status = Note("optimal: the heuristic meets the bound")
    elif use_exact:
        status = Note("{stopped}; heuristic answer within {gap} of the bound", {"stopped": stopped, "gap": f"{gap:.2%}"})
    else:
        status = Note("heuristic, within {gap} of the bound", {"gap": f"{gap:.2%}"})
    base = dataclasses.replace(base, notes=tuple(p.notes))
    sites = tuple(int(p.cols[j]) for j in p.greedy_sites)
    return _answer(base, t0, sites, p.greedy_value, bound, optimal, "greedy-swap", status)


def solve_lscp(
    cover: sp.csr_array, weights: np.ndarray | None = None, *, required_share: float = 1.0, time_limit_s: float = 60.0
) -> SitingResult:
    """Set cover: the fewest sites so that every coverable row (or ``required_share`` of the weight) is covered.

    Rows no candidate covers are reported in ``uncoverable``.  With ``required_share``
    1 they are left out (every other row is covered); below 1 the share is of the
    total weight *including* them, so an unreachable share is reported as infeasible.
    When HiGHS stops without a solution (time limit), a greedy cover answers, with the
    LP bound and the gap; it is never presented as optimal.
    """
    t0 = time.perf_counter()
    cover = sp.csr_array(cover, dtype=bool)
    n = cover.shape[0]
    weights = np.ones(n) if weights is None else np.asarray(weights, float)
    empty = np.diff(cover.indptr) == 0
    uncoverable = tuple(np.flatnonzero(empty).tolist())
    notes = []
    if uncoverable:
        notes.append(
            Note("{n} demand point(s) cannot be reached within the threshold from any candidate", {"n": len(uncoverable)})
        )
    need = required_share * float(weights.sum())
    if required_share < 1.0 and float(weights[~empty].sum()) + 1e-9 < need:
        notes.append(
            Note(
                "infeasible: only {can} of the required {need} can be covered by any candidate",
                {"can": f"{weights[~empty].sum():g}", "need": f"{need:g}"},
            )
        )
        return _no_answer(
            "lscp", "infeasible", t0, uncoverable, notes, status=Note("infeasible: the required share cannot be reached")
        )
    merged, w, _ = merge_identical_rows(cover, weights)
    dominated = dominated_candidates(merged)
    cols = np.flatnonzero(~dominated)
    reduced = sp.csr_array(sp.csc_array(merged)[:, cols], dtype=float)
    nr, mr = reduced.shape
    if nr == 0:
        return SitingResult(
            "lscp", (), 0.0, 0.0, True, 0.0, "trivial", time.perf_counter() - t0, uncoverable, status=Note("nothing to cover")
        )
    c, cons, integ, target = _lscp_milp(reduced, w, required_share, need)
    res = milp(c, constraints=cons, integrality=integ, bounds=Bounds(0, 1), options={"time_limit": time_limit_s})
    if res.x is None:
        if res.status == 2:
            return _no_answer("lscp", "milp", t0, uncoverable, notes, status=_status(res))
        return _greedy_lscp(reduced, w, cols, target, (c, cons), res, t0, uncoverable, notes)
    chosen = greedy_order(reduced.astype(bool), w, np.flatnonzero(res.x[:mr] > 0.5))
    value = float(len(chosen))
    optimal = res.status == 0
    dual = getattr(res, "mip_dual_bound", None)
    bound = value if optimal else float(np.ceil((dual if dual is not None and np.isfinite(dual) else 0.0) - 1e-9))
    base = SitingResult("lscp", (), 0.0, 0.0, False, 0.0, "", 0.0, uncoverable, tuple(notes))
    sites = tuple(int(cols[j]) for j in chosen)
    answer = _answer(base, t0, sites, value, bound, optimal, "milp", _status(res), res.message)
    return answer if optimal else dataclasses.replace(answer, gap=(value - bound) / max(value, 1))


def _lscp_milp(reduced: sp.csr_array, w: np.ndarray, required_share: float, need: float):
    """The set-cover MILP: every row covered, or (below a share of 1) the covered weight at least ``need``."""
    nr, mr = reduced.shape
    if required_share >= 1.0:
        return np.ones(mr), [LinearConstraint(reduced, 1.0, np.inf)], np.ones(mr), float(w.sum())
    c = np.concatenate([np.ones(mr), np.zeros(nr)])
    link = sp.hstack([-reduced, sp.eye_array(nr, format="csr")], format="csr")
    share = sp.csr_array(np.concatenate([np.zeros(mr), w])[None, :])
    cons = [LinearConstraint(link, -np.inf, 0), LinearConstraint(share, need - 1e-9, np.inf)]
    return c, cons, np.concatenate([np.ones(mr), np.zeros(nr)]), need


def _greedy_lscp(reduced, w, cols, target: float, lp, res, t0: float, uncoverable, notes: list) -> SitingResult:
    """HiGHS stopped without a solution: a greedy cover, with the LP bound and the gap (never called optimal)."""
    chosen = greedy_cover(reduced.astype(bool), w, target)
    bound = float(np.ceil(lp_bound(*lp) - 1e-9))
    value = float(len(chosen))
    notes.append(Note("HiGHS stopped without a solution; greedy set cover given, bound from the LP relaxation"))
    return SitingResult(
        "lscp",
        tuple(int(cols[j]) for j in chosen),
        value,
        bound,
        False,
        (value - bound) / max(value, 1),
        "greedy-set-cover",
        time.perf_counter() - t0,
        uncoverable,
        tuple(notes),
        status=Note("no solution within the time limit; heuristic answer"),
        solver_message=res.message,
    )


def budget_curve(
    cover: sp.csr_array,
    weights: np.ndarray,
    max_k: int,
    *,
    base_weight: float = 0.0,
    total_weight: float | None = None,
    solve=None,
) -> list[dict]:
    """Coverage for 0..max_k new sites: the optimum for each k, and a nested build order (k = 0: today, the baseline).

    The optimal sets for different k need not nest; the build order (each step
    adds the best site given the ones before) is what a phased programme builds.

    Parameters
    ----------
    solve
        ``solve(k) -> SitingResult``: how each k is solved (default :func:`solve_mclp`).
        Pass the same function that produced a recommendation, so the curve and the
        recommendation agree at the same k.
    """
    solve = solve or (lambda k: solve_mclp(cover, weights, k))
    rows = []
    total = float(total_weight if total_weight is not None else base_weight + np.sum(weights))
    order, _ = greedy_mclp(cover, weights, max_k, swap_rounds=0)
    share = base_weight / total if total else np.nan
    rows.append(
        {
            "k": 0,
            "optimal_covered": base_weight,
            "optimal_share": share,
            "optimal_sites": [],
            "sites_adding_coverage": 0,
            "proven_optimal": True,
            "build_order_site": -1,
            "build_order_covered": base_weight,
            "build_order_share": share,
        }
    )
    for k in range(1, max_k + 1):
        res = solve(k)
        nested = covered_weight(cover, weights, order[:k])
        rows.append(
            {
                "k": k,
                "optimal_covered": base_weight + res.objective,
                "optimal_share": (base_weight + res.objective) / total if total else np.nan,
                "optimal_sites": res.sites,
                "sites_adding_coverage": len(res.sites),
                "proven_optimal": res.proven_optimal,
                "build_order_site": int(order[k - 1]) if k - 1 < len(order) else -1,
                "build_order_covered": base_weight + nested,
                "build_order_share": (base_weight + nested) / total if total else np.nan,
            }
        )
    return rows
