"""Reductions, heuristics and bounds shared by the covering models."""

from __future__ import annotations

import heapq
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, linprog

__all__ = [
    "covered_weight",
    "dominated_candidates",
    "greedy_cover",
    "greedy_mclp",
    "greedy_order",
    "lagrangian_bound",
    "lp_bound",
    "merge_identical_rows",
]


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
