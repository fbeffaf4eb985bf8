"""Location models on a coverage / travel-time matrix: MCLP, LSCP, p-median, p-center.

The models work on plain arrays (demand weights, a sparse demand x candidate
matrix); :func:`site_for_standards` is the thin adapter from a region and its
standards.  Exact solutions use ``scipy.optimize.milp`` (HiGHS) with the
constraint matrices built directly as sparse arrays.  Before solving, demand
points with identical candidate sets are merged and dominated candidates
dropped.  Large instances use a lazy greedy with swap moves, bounded by the LP
relaxation; every answer states whether it is proven optimal, and its gap.
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .i18n import N_, Note

__all__ = [
    "SitingResult",
    "budget_curve",
    "greedy_mclp",
    "solve_lscp",
    "solve_mclp",
    "solve_pcenter",
    "solve_pmedian",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitingResult:
    """An answer of a location model.

    Attributes
    ----------
    model
        ``"mclp"``, ``"lscp"``, ``"pmedian"`` or ``"pcenter"``.
    sites
        Chosen candidate positions (in build order where the model gives one).
    objective
        The model's objective (covered weight; number of sites; weighted or worst time).
    bound
        Best proven bound on the objective (equal to it when optimal).
    proven_optimal
        True when the solver proved optimality.
    gap
        Relative gap between objective and bound (0 when optimal).
    method
        How it was solved: ``milp`` (HiGHS), ``greedy-swap`` (lazy greedy with swaps),
        ``greedy``, ``greedy-set-cover``, ``bisection-set-cover`` (p-center), ``trivial``.
    seconds
        Solve time.
    uncoverable
        Demand positions no candidate can serve within the threshold (LSCP/MCLP).
    notes
        Remarks for the user (:class:`~coverage.i18n.Note`, written in the chosen language).
    status
        The solver's own word on the answer (HiGHS's status, or how a heuristic or
        bisection ended), as a Note; ``proven_optimal`` is True only when every solve
        behind the answer reported optimality.
    solver_message
        HiGHS's own message, verbatim (English), where a MILP ran.
    """

    model: str
    sites: tuple[int, ...]
    objective: float
    bound: float
    proven_optimal: bool
    gap: float
    method: str
    seconds: float
    uncoverable: tuple[int, ...] = ()
    notes: tuple[Note, ...] = field(default=())
    status: Note = field(default_factory=lambda: Note(""))
    solver_message: str = ""

    @property
    def solved(self) -> bool:
        """False when there is no answer at all (infeasible, or the solver failed without one)."""
        return bool(self.sites) or (np.isfinite(self.objective) and self.objective == 0)


# --- reductions ------------------------------------------------------------------------------


def merge_identical_rows(cover: sp.csr_array, weights: np.ndarray) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Merge demand rows with the same candidate set, summing their weights.

    Returns
    -------
    merged : csr_array
        One row per distinct non-empty candidate set.
    weights : ndarray
        Summed weights.
    group : ndarray
        For each original row, its merged row (-1 for rows with no candidate).
    """
    cover = sp.csr_array(cover, dtype=bool)
    cover.sort_indices()
    n = cover.shape[0]
    keys = [cover.indices[cover.indptr[i] : cover.indptr[i + 1]].tobytes() for i in range(n)]
    group = np.full(n, -1, np.int64)
    index: dict[bytes, int] = {}
    reps = []
    for i, key in enumerate(keys):
        if not key:
            continue
        g = index.get(key)
        if g is None:
            g = index[key] = len(reps)
            reps.append(i)
        group[i] = g
    w = np.zeros(len(reps))
    ok = group >= 0
    np.add.at(w, group[ok], weights[ok])
    merged = cover[np.asarray(reps, dtype=np.int64)] if reps else sp.csr_array((0, cover.shape[1]), dtype=bool)
    return sp.csr_array(merged), w, group


def dominated_candidates(cover: sp.csr_array, *, max_candidates: int = 5000) -> np.ndarray:
    """Mask of candidates whose demand set is contained in another's (ties keep the lower index).

    For covering models such a candidate is never needed: any solution using it
    can use its dominator instead without loss.  Skipped (nothing dropped) above
    ``max_candidates`` because the pairwise overlap matrix grows quadratically.
    """
    m = cover.shape[1]
    if m > max_candidates or m == 0:
        return np.zeros(m, bool)
    a = sp.csc_array(cover, dtype=np.int32)
    size = np.asarray(a.sum(axis=0)).ravel()
    overlap = (a.T @ a).tocoo()
    sub = (overlap.data == size[overlap.row]) & (overlap.row != overlap.col)
    j, k = overlap.row[sub], overlap.col[sub]
    # j is dominated by k if k covers strictly more, or the same set and k comes first.
    dom = (size[k] > size[j]) | ((size[k] == size[j]) & (k < j))
    out = np.zeros(m, bool)
    out[j[dom]] = True
    out[size == 0] = True
    return out


# --- MCLP --------------------------------------------------------------------------------------


def covered_weight(cover: sp.csr_array, weights: np.ndarray, sites) -> float:
    """Weight of demand rows covered by at least one of ``sites``."""
    if len(sites) == 0:
        return 0.0
    hit = np.asarray(sp.csc_array(cover)[:, list(sites)].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


def greedy_mclp(
    cover: sp.csr_array, weights: np.ndarray, k: int, *, swap_rounds: int = 2, time_limit_s: float = 30.0
) -> tuple[list[int], float]:
    """Lazy greedy, then swap (interchange) moves until no swap improves or time runs out.

    Returns
    -------
    sites : list of int
        In the order greedy picked them (then improved in place by swaps).
    value : float
        Covered weight.
    """
    t0 = time.perf_counter()
    cover = sp.csr_array(cover, dtype=bool)
    csc = sp.csc_array(cover)
    n, m = cover.shape
    col = [csc.indices[csc.indptr[j] : csc.indptr[j + 1]] for j in range(m)]
    count = np.zeros(n, np.int32)  # how many chosen sites cover each row
    heap = [(-float(weights[c].sum()), j) for j, c in enumerate(col)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < k:
        _bound, j = heapq.heappop(heap)
        gain = float(weights[col[j]][count[col[j]] == 0].sum())
        if heap and gain < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-gain, j))  # stale bound: re-queue with the true gain
            continue
        if gain <= 0 and chosen:
            break
        chosen.append(j)
        count[col[j]] += 1
    value = float(weights[count > 0].sum())
    # Swap moves: replace a chosen site by an unchosen one when it gains.
    for _ in range(swap_rounds):
        improved = False
        for pos in range(len(chosen)):
            if time.perf_counter() - t0 > time_limit_s:
                break
            j = chosen[pos]
            count[col[j]] -= 1
            base = float(weights[count > 0].sum())
            uncovered = count == 0
            # Gain of every candidate against the current uncovered rows, at once.
            gains = np.asarray(csc.T @ (weights * uncovered)).ravel()
            gains[chosen] = -1.0
            best = int(np.argmax(gains))
            if base + gains[best] > value + 1e-9:
                chosen[pos] = best
                count[col[best]] += 1
                value = base + float(gains[best])
                improved = True
            else:
                count[col[j]] += 1
        if not improved:
            break
    return chosen, value


def lagrangian_bound(cover: sp.csr_array, weights: np.ndarray, k: int, *, lower: float, iterations: int = 400) -> float:
    """Upper bound on MCLP's covered weight by Lagrangian relaxation of the linking rows.

    Relaxing ``y_i <= sum_j a_ij x_j`` with multipliers ``lam >= 0`` gives
    ``L(lam) = sum_i max(0, w_i - lam_i) + (sum of the k largest column scores a^T lam)``,
    an upper bound for every ``lam``; subgradient steps (Polyak's rule towards the
    heuristic's value ``lower``) drive it towards the LP bound, at a cost of two
    sparse products per step instead of an LP solve.
    """
    a = sp.csr_array(cover, dtype=float)
    at = a.T.tocsr()
    lam = 0.5 * weights
    best = np.inf
    theta, stall = 2.0, 0
    for _ in range(iterations):
        score = at @ lam
        top = np.argpartition(-score, k - 1)[:k] if k < len(score) else np.arange(len(score))
        value = float(np.maximum(weights - lam, 0).sum() + score[top].sum())
        if value < best - 1e-9 * max(1.0, value):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2, 0
        if best - lower <= 1e-9 * max(1.0, best) or theta < 1e-4:
            break
        x = np.zeros(a.shape[1])
        x[top] = 1.0
        grad = a @ x - (weights > lam)
        norm = float(grad @ grad)
        if norm == 0:
            break
        lam = np.maximum(lam - theta * (value - lower) / norm * grad, 0.0)
    return best


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
    n, m = cover.shape
    uncoverable = tuple(np.flatnonzero(np.diff(cover.indptr) == 0).tolist())
    if k <= 0 or m == 0:
        return SitingResult(
            "mclp", (), 0.0, 0.0, True, 0.0, "trivial", time.perf_counter() - t0, uncoverable, status=Note("no site asked")
        )
    merged, w, _group = merge_identical_rows(cover, weights)
    keep_rows = w > 0
    merged, w = merged[np.flatnonzero(keep_rows)], w[keep_rows]
    dominated = dominated_candidates(merged)
    cols = np.flatnonzero(~dominated)
    reduced = sp.csr_array(sp.csc_array(merged)[:, cols])
    greedy_sites, greedy_value = greedy_mclp(reduced, w, k)
    total = float(w.sum())
    notes = [
        Note(
            "reduced {n} demand rows to {sets} distinct candidate sets; {dominated} of {m} candidates dominated",
            {"n": n, "sets": merged.shape[0], "dominated": int(dominated.sum()), "m": m},
        )
    ]
    if len(greedy_sites) < k:
        notes.append(Note("only {n} sites add coverage; more than that buys nothing", {"n": len(greedy_sites)}))
    if greedy_value >= total - 1e-9 or len(greedy_sites) < k:
        # Everything coverable is covered: the heuristic is optimal.
        sites = tuple(int(cols[j]) for j in greedy_sites)
        return SitingResult(
            "mclp",
            sites,
            greedy_value,
            greedy_value,
            True,
            0.0,
            "greedy",
            time.perf_counter() - t0,
            uncoverable,
            tuple(notes),
            status=Note("optimal: every coverable demand point is covered"),
        )
    use_exact = exact if exact is not None else len(cols) <= exact_max_candidates
    c, link, count, integ = _mclp_arrays(reduced, w, k)
    nr, mr = reduced.shape
    if use_exact:
        # The heuristic's value is a proven lower bound: cutting the search below it prunes
        # HiGHS's branch and bound as an incumbent would (scipy's milp takes no start point).
        cutoff = sp.csr_array(np.concatenate([np.zeros(mr), w])[None, :])
        cons = [
            LinearConstraint(link, -np.inf, 0.0),
            LinearConstraint(count, k, k),
            LinearConstraint(cutoff, greedy_value - 1e-6 * max(1.0, greedy_value), np.inf),
        ]
        res = milp(
            c,
            constraints=cons,
            integrality=integ,
            bounds=Bounds(0, 1),
            options={"time_limit": time_limit_s, "disp": False, "mip_rel_gap": 0},
        )
        if res.x is not None:
            x = res.x[:mr] > 0.5
            chosen = [j for j in greedy_order(reduced, w, np.flatnonzero(x))]
            value = covered_weight(reduced, w, chosen)
            bound = -float(res.mip_dual_bound) if getattr(res, "mip_dual_bound", None) is not None else value
            optimal = res.status == 0
            if optimal:
                bound = value
            sites = tuple(int(cols[j]) for j in chosen)
            gap = 0.0 if optimal else max(0.0, (bound - value) / max(bound, 1e-12))
            return SitingResult(
                "mclp",
                sites,
                value,
                bound,
                optimal,
                gap,
                "milp",
                time.perf_counter() - t0,
                uncoverable,
                tuple(notes),
                _status(res),
                res.message,
            )
        notes.append(Note("the exact solve stopped without a solution; heuristic answer given"))
        stopped = HIGHS_STATUS.get(res.status, "solver failure (HiGHS)")
    # Heuristic with a bound: the LP relaxation (interior point, much faster than dual simplex
    # here) while it is small, the Lagrangian relaxation beyond that.
    if reduced.nnz <= lp_max_nonzeros:
        lp = linprog(c, A_ub=link, b_ub=np.zeros(nr), A_eq=count, b_eq=[k], bounds=(0, 1), method="highs-ipm")
        bound = -float(lp.fun) if lp.status == 0 else total
        notes.append(Note("bound: LP relaxation"))
    else:
        bound = lagrangian_bound(reduced, w, k, lower=greedy_value)
        notes.append(Note("bound: Lagrangian relaxation (subgradient), no tighter than the LP relaxation"))
    bound = max(bound, greedy_value)
    sites = tuple(int(cols[j]) for j in greedy_sites)
    gap = max(0.0, (bound - greedy_value) / max(bound, 1e-12))
    optimal = gap <= 1e-9
    if optimal:
        status = Note("optimal: the heuristic meets the bound")
    elif use_exact:
        status = Note("{stopped}; heuristic answer within {gap} of the bound", {"stopped": stopped, "gap": f"{gap:.2%}"})
    else:
        status = Note("heuristic, within {gap} of the bound", {"gap": f"{gap:.2%}"})
    return SitingResult(
        "mclp",
        sites,
        greedy_value,
        bound,
        optimal,
        gap,
        "greedy-swap",
        time.perf_counter() - t0,
        uncoverable,
        tuple(notes),
        status,
    )


HIGHS_STATUS = {
    0: N_("optimal (HiGHS)"),
    1: N_("time or iteration limit reached (HiGHS)"),
    2: N_("infeasible (HiGHS)"),
    3: N_("unbounded (HiGHS)"),
}


def _status(res) -> Note:
    """HiGHS's status in words (scipy's milp: 0 optimal, 1 limit reached, 2 infeasible, 3 unbounded, 4 other)."""
    return Note(HIGHS_STATUS.get(res.status, N_("solver failure (HiGHS)")))


def greedy_order(cover: sp.csr_array, weights: np.ndarray, sites) -> list[int]:
    """Order a set of sites by marginal gain (which to build first)."""
    sites = [int(s) for s in sites]
    csc = sp.csc_array(cover, dtype=bool)
    covered = np.zeros(cover.shape[0], bool)
    order = []
    while sites:
        gains = [
            float(
                weights[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]][
                    ~covered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]]
                ].sum()
            )
            for j in sites
        ]
        best = int(np.argmax(gains))
        j = sites.pop(best)
        order.append(j)
        covered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return order


# --- LSCP ------------------------------------------------------------------------------------------


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
    if required_share >= 1.0:
        c = np.ones(mr)
        cons = [LinearConstraint(reduced, 1.0, np.inf)]
        integ = np.ones(mr)
        target = float(w.sum())
    else:
        c = np.concatenate([np.ones(mr), np.zeros(nr)])
        link = sp.hstack([-reduced, sp.eye_array(nr, format="csr")], format="csr")
        share = sp.csr_array(np.concatenate([np.zeros(mr), w])[None, :])
        cons = [LinearConstraint(link, -np.inf, 0), LinearConstraint(share, need - 1e-9, np.inf)]
        integ = np.concatenate([np.ones(mr), np.zeros(nr)])
        target = need
    res = milp(c, constraints=cons, integrality=integ, bounds=Bounds(0, 1), options={"time_limit": time_limit_s})
    if res.x is None:
        if res.status == 2:
            return _no_answer("lscp", "milp", t0, uncoverable, notes, status=_status(res))
        chosen = greedy_cover(reduced.astype(bool), w, target)
        bound = float(np.ceil(lp_bound(c, cons) - 1e-9))
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
    x = res.x[:mr] > 0.5
    chosen = greedy_order(reduced.astype(bool), w, np.flatnonzero(x))
    value = float(len(chosen))
    optimal = res.status == 0
    dual = getattr(res, "mip_dual_bound", None)
    bound = value if optimal else float(np.ceil((dual if dual is not None and np.isfinite(dual) else 0.0) - 1e-9))
    return SitingResult(
        "lscp",
        tuple(int(cols[j]) for j in chosen),
        value,
        bound,
        optimal,
        0.0 if optimal else (value - bound) / max(value, 1),
        "milp",
        time.perf_counter() - t0,
        uncoverable,
        tuple(notes),
        status=_status(res),
        solver_message=res.message,
    )


def greedy_cover(cover: sp.csr_array, weights: np.ndarray, target: float) -> list[int]:
    """Greedy set cover: add the site covering the most uncovered weight until ``target`` weight is covered."""
    csc = sp.csc_array(cover, dtype=bool)
    covered = np.zeros(cover.shape[0], bool)
    chosen: list[int] = []
    while float(weights[covered].sum()) < target - 1e-9:
        gains = np.asarray(csc.T @ (weights * ~covered)).ravel()
        gains[chosen] = -1
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        chosen.append(j)
        covered[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = True
    return chosen


def lp_bound(c: np.ndarray, constraints: list[LinearConstraint]) -> float:
    """The LP relaxation's optimum of ``min c x`` under the constraints, with 0 <= x <= 1 (-inf if it fails)."""
    blocks, rhs = [], []
    for con in constraints:
        a = sp.csr_array(con.A)
        lb, ub = np.broadcast_to(con.lb, a.shape[0]), np.broadcast_to(con.ub, a.shape[0])
        if np.isfinite(ub).any():
            rows = np.flatnonzero(np.isfinite(ub))
            blocks.append(a[rows])
            rhs.append(ub[rows])
        if np.isfinite(lb).any():
            rows = np.flatnonzero(np.isfinite(lb))
            blocks.append(-a[rows])
            rhs.append(-lb[rows])
    res = linprog(c, A_ub=sp.vstack(blocks, format="csr"), b_ub=np.concatenate(rhs), bounds=(0, 1), method="highs")
    return float(res.fun) if res.status == 0 else -np.inf


def _no_answer(model: str, method: str, t0: float, uncoverable, notes, *, status: Note) -> SitingResult:
    """A result that is not a solution: no sites, NaN objective, never optimal."""
    nan = float("nan")
    return SitingResult(
        model, (), nan, nan, False, nan, method, time.perf_counter() - t0, tuple(uncoverable), tuple(notes), status
    )


# --- p-median and p-center ------------------------------------------------------------------------


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
    res = milp(
        c,
        constraints=cons,
        integrality=np.concatenate([np.ones(m), np.zeros(p + n)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        if res.status == 2:
            return _no_answer("pmedian", "milp", t0, (), (), status=_status(res))
        sites = greedy_pmedian(times, w, k, current=current, penalty=penalty)
        value = pmedian_value(times, w, sites, current=current, penalty=penalty)
        bound = max(lp_bound(c, cons), 0.0)
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
    n, m = t.shape
    current = np.full(n, np.inf) if current is None else np.asarray(current, float)
    penalty = float(penalty if penalty is not None else (t.data.max() * 2 if t.nnz else 1.0))
    active = np.ones(n, bool) if weights is None else np.asarray(weights, float) > 0
    fallback = np.where(np.isfinite(current), np.minimum(current, penalty), penalty)
    radii = np.unique(np.concatenate([t.data[active[t.row]], fallback[active]]))

    proven = True
    statuses: list[str] = []

    def sites_within(r: float) -> tuple[int, ...] | None:
        nonlocal proven
        need = active & (fallback > r)
        if not need.any():
            return ()
        sel = (t.data <= r) & need[t.row]
        rows_idx = np.flatnonzero(need)
        pos = np.full(n, -1)
        pos[rows_idx] = np.arange(len(rows_idx))
        cover = sp.csr_array((np.ones(int(sel.sum()), bool), (pos[t.row[sel]], t.col[sel])), shape=(len(rows_idx), m))
        if (np.diff(cover.indptr) == 0).any():
            return None
        res = solve_lscp(cover, time_limit_s=time_limit_s)
        statuses.append(res.status)
        if not res.proven_optimal and not (res.solved and res.objective <= k):
            # An unproven cover larger than k (or none) says nothing about feasibility at r: the answer is not proven.
            proven = False
        return res.sites if res.solved and res.objective <= k else None

    lo, hi = 0, len(radii) - 1
    best = sites_within(radii[hi]) if len(radii) else ()
    if best is None:  # cannot happen: at the largest radius every row is within its fallback
        best = ()
    while lo < hi:
        mid = (lo + hi) // 2
        got = sites_within(radii[mid])
        if got is None:
            lo = mid + 1
        else:
            hi, best = mid, got
    sites = tuple(sorted(best))
    # Fill up to k sites is pointless for the worst case; report what the optimum needs.
    value = float(best_times(times, sites, current, penalty)[active].max()) if active.any() else 0.0
    few = Note("{n} site(s) already achieve the best worst-case time; more do not lower it", {"n": len(sites)})
    notes = [] if len(sites) == k else [few]
    if proven:
        status = Note(
            "optimal: bisection over {r} radii, {n} set covers, each proven optimal", {"r": len(radii), "n": len(statuses)}
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


# --- budget curve -----------------------------------------------------------------------------------


def budget_curve(
    cover: sp.csr_array,
    weights: np.ndarray,
    max_k: int,
    *,
    base_weight: float = 0.0,
    total_weight: float | None = None,
    solve=None,
) -> list[dict]:
    """Coverage for 1..max_k new sites: the optimum for each k, and a nested build order.

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
