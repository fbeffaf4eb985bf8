"""Median and centre models: p-median and p-center on a sparse travel-time matrix."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from ..i18n import Note
from ._covering import solve_lscp
from ._reduce import lp_bound
from ._result import SitingResult, _no_answer, _status

__all__ = ["best_times", "greedy_pmedian", "pmedian_value", "solve_pcenter", "solve_pmedian"]


def _assignment(times: sp.coo_array, current: np.ndarray, penalty: float):
    """Pairs (row, candidate, time) plus each row's fallback (existing facility or penalty)."""
    t = sp.coo_array(times)
    fallback = np.where(np.isfinite(current), np.minimum(current, penalty), penalty)
    keep = t.data < fallback[t.row]  # a candidate slower than what the row already has never helps
    return t.row[keep], t.col[keep], t.data[keep], fallback


def solve_pmedian(
    times: sp.coo_array,
    weights: np.ndarray,
    k: int,
    *,
    current: np.ndarray | None = None,
    penalty: float | None = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """p-median: choose ``k`` sites minimising the weighted travel time to the nearest facility.

    Parameters
    ----------
    times
        Sparse demand x candidate times (pairs beyond the matrix cutoff are absent).
    weights
        Demand weights.
    k
        Number of new sites.
    current
        Each row's time to the nearest existing facility (``inf`` if none).
    penalty
        Time charged to a row with neither an existing facility nor a candidate in the
        matrix (default: the largest time in the matrix x 2).
    """
    t0 = time.perf_counter()
    n, m = times.shape
    w = np.asarray(weights, float)
    current = np.full(n, np.inf) if current is None else np.asarray(current, float)
    penalty = float(penalty if penalty is not None else (sp.coo_array(times).data.max() * 2 if times.nnz else 1.0))
    c, cons, integrality = _pmedian_milp(times, w, k, current, penalty)
    res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(0, 1), options={"time_limit": time_limit_s})
    if res.x is None:
        if res.status == 2:
            return _no_answer("pmedian", "milp", t0, (), (), status=_status(res))
        return _greedy_pmedian_answer(times, w, k, current, penalty, (c, cons), res, t0)
    sites = tuple(int(j) for j in np.flatnonzero(res.x[:m] > 0.5))
    value = pmedian_value(times, w, sites, current=current, penalty=penalty)
    optimal = res.status == 0
    dual = getattr(res, "mip_dual_bound", None)
    bound = value if optimal else float(dual if dual is not None and np.isfinite(dual) else 0.0)
    return SitingResult(
        "pmedian",
        sites,
        value,
        bound,
        optimal,
        0.0 if optimal else (value - bound) / max(value, 1e-12),
        "milp",
        time.perf_counter() - t0,
        status=_status(res),
        solver_message=res.message,
    )


def _greedy_pmedian_answer(times, w, k: int, current, penalty: float, lp, res, t0: float) -> SitingResult:
    """HiGHS stopped without a solution: the greedy answer, bound by the LP relaxation."""
    sites = greedy_pmedian(times, w, k, current=current, penalty=penalty)
    value = pmedian_value(times, w, sites, current=current, penalty=penalty)
    bound = max(lp_bound(*lp), 0.0)
    return SitingResult(
        "pmedian",
        sites,
        value,
        bound,
        False,
        (value - bound) / max(value, 1e-12),
        "greedy",
        time.perf_counter() - t0,
        notes=(Note("HiGHS stopped without a solution; greedy answer, bound from the LP relaxation"),),
        status=Note("no solution within the time limit; heuristic answer"),
        solver_message=res.message,
    )


def _pmedian_milp(times, w: np.ndarray, k: int, current: np.ndarray, penalty: float):
    """The p-median MILP on the useful pairs: objective, constraints, integrality."""
    n, m = times.shape
    r, cidx, d, fb = _assignment(times, current, penalty)
    p = len(r)
    # Variables: x (m sites), z (p pairs), f (n fallbacks); minimise sum w (d z + fb f).
    c = np.concatenate([np.zeros(m), w[r] * d, w * fb])
    assign = sp.hstack(
        [sp.csr_array((n, m)), sp.csr_array((np.ones(p), (r, np.arange(p))), shape=(n, p)), sp.eye_array(n, format="csr")],
        format="csr",
    )
    link = sp.hstack(
        [sp.csr_array((-np.ones(p), (np.arange(p), cidx)), shape=(p, m)), sp.eye_array(p, format="csr"), sp.csr_array((p, n))],
        format="csr",
    )
    count = sp.csr_array(np.concatenate([np.ones(m), np.zeros(p + n)])[None, :])
    cons = [LinearConstraint(assign, 1, 1), LinearConstraint(link, -np.inf, 0), LinearConstraint(count, k, k)]
    return c, cons, np.concatenate([np.ones(m), np.zeros(p + n)])


def greedy_pmedian(times, weights: np.ndarray, k: int, *, current: np.ndarray, penalty: float) -> tuple[int, ...]:
    """Add, k times, the site that lowers the weighted time the most (a feasible answer when the MILP has none)."""
    t = sp.coo_array(times)
    best = best_times(times, (), current, penalty)
    chosen: list[int] = []
    for _ in range(min(k, t.shape[1])):
        gain = np.zeros(t.shape[1])
        np.add.at(gain, t.col, weights[t.row] * np.maximum(best[t.row] - t.data, 0.0))
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        if gain[j] < 0:
            break
        chosen.append(j)
        best = best_times(times, chosen, current, penalty)
    return tuple(sorted(chosen))


def best_times(times: sp.coo_array, sites, current: np.ndarray, penalty: float) -> np.ndarray:
    """Each row's time to the nearest of the existing facilities and ``sites``."""
    t = sp.coo_array(times)
    fb = np.where(np.isfinite(current), np.minimum(current, penalty), penalty)
    best = fb.copy()
    sel = np.isin(t.col, np.asarray(list(sites), dtype=np.int64))
    np.minimum.at(best, t.row[sel], t.data[sel])
    return best


def pmedian_value(times, weights, sites, *, current, penalty) -> float:
    """Weighted sum of each row's best time given ``sites``."""
    return float(np.dot(weights, best_times(times, sites, current, penalty)))


def solve_pcenter(
    times: sp.coo_array,
    k: int,
    *,
    current: np.ndarray | None = None,
    penalty: float | None = None,
    weights: np.ndarray | None = None,
    time_limit_s: float = 60.0,
) -> SitingResult:
    """p-center: choose ``k`` sites minimising the worst travel time to the nearest facility.

    Solved exactly by bisection over the candidate radii (every time in the matrix
    and every row's existing time): the answer is the smallest radius ``r`` whose
    set cover - rows not already within ``r`` of a facility, covered by candidates
    within ``r`` - needs at most ``k`` sites.  Each step is a small exact LSCP; this
    is much faster than the big-M p-center MILP.  Rows with zero weight are ignored.
    """
    t0 = time.perf_counter()
    t = sp.coo_array(times)
    n = t.shape[0]
    current = np.full(n, np.inf) if current is None else np.asarray(current, float)
    penalty = float(penalty if penalty is not None else (t.data.max() * 2 if t.nnz else 1.0))
    active = np.ones(n, bool) if weights is None else np.asarray(weights, float) > 0
    fallback = np.where(np.isfinite(current), np.minimum(current, penalty), penalty)
    radii = np.unique(np.concatenate([t.data[active[t.row]], fallback[active]]))

    within = _CoverWithin(t, active, fallback, k, time_limit_s)
    best = _bisect(radii, within)
    sites = tuple(sorted(best))
    # Fill up to k sites is pointless for the worst case; report what the optimum needs.
    value = float(best_times(times, sites, current, penalty)[active].max()) if active.any() else 0.0
    few = Note("{n} site(s) already achieve the best worst-case time; more do not lower it", {"n": len(sites)})
    notes = [] if len(sites) == k else [few]
    proven = within.proven
    if proven:
        status = Note(
            "optimal: bisection over {r} radii, {n} set covers, each proven optimal", {"r": len(radii), "n": within.solves}
        )
        bound = value
    else:
        status = Note("not proven: a set cover inside the bisection stopped at its time limit")
        notes.append(Note("a set-cover solve inside the bisection was not proven optimal; a smaller worst case may exist"))
        bound = float(radii[0]) if len(radii) else 0.0
    gap = 0.0 if proven else (value - bound) / max(value, 1e-12)
    return SitingResult(
        "pcenter",
        sites,
        value,
        bound,
        proven,
        gap,
        "bisection-set-cover",
        time.perf_counter() - t0,
        notes=tuple(notes),
        status=status,
    )


class _CoverWithin:
    """The sites of an exact set cover at a radius (None where more than ``k`` are needed); remembers if all were proven."""

    def __init__(self, t: sp.coo_array, active: np.ndarray, fallback: np.ndarray, k: int, time_limit_s: float):
        self.t, self.active, self.fallback, self.k, self.time_limit_s = t, active, fallback, k, time_limit_s
        self.proven, self.solves = True, 0

    def __call__(self, r: float) -> tuple[int, ...] | None:
        t, n, m = self.t, *self.t.shape
        need = self.active & (self.fallback > r)
        if not need.any():
            return ()
        sel = (t.data <= r) & need[t.row]
        rows_idx = np.flatnonzero(need)
        pos = np.full(n, -1)
        pos[rows_idx] = np.arange(len(rows_idx))
        cover = sp.csr_array((np.ones(int(sel.sum()), bool), (pos[t.row[sel]], t.col[sel])), shape=(len(rows_idx), m))
        if (np.diff(cover.indptr) == 0).any():
            return None
        res = solve_lscp(cover, time_limit_s=self.time_limit_s)
        self.solves += 1
        fits = res.solved and res.objective <= self.k
        if not res.proven_optimal and not fits:
            # An unproven cover larger than k (or none) says nothing about feasibility at r: the answer is not proven.
            self.proven = False
        return res.sites if fits else None


def _bisect(radii: np.ndarray, within: _CoverWithin) -> tuple[int, ...]:
    """The sites at the smallest radius whose cover fits (bisection over the sorted candidate radii)."""
    lo, hi = 0, len(radii) - 1
    best = within(radii[hi]) if len(radii) else ()
    if best is None:  # cannot happen: at the largest radius every row is within its fallback
        best = ()
    while lo < hi:
        mid = (lo + hi) // 2
        got = within(radii[mid])
        if got is None:
            lo = mid + 1
        else:
            hi, best = mid, got
    return best
