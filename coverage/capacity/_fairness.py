"""Fairness: how unequally travel times or supply are shared among people.

Pure: numpy only.  Every measure is weighted (by population, or elderly...): a settlement
of 500 people counts 500 times.  Definitions:

- **Gini**: ``sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mean)``, the mean weighted by ``w``
  (pysal ``inequality.gini.Gini`` with unit weights).  0: all equal; towards 1: one has all.
- **Lorenz curve**: the cumulative share of people against the cumulative share of the
  quantity, people sorted by the quantity ascending (from (0, 0) to (1, 1)).
- **Palma ratio**: the share of the quantity held by the top 10 % of people over the share
  held by the bottom 40 % (read off the Lorenz curve, linear between its points; ipea
  ``accessibility``'s ``palma_ratio``).  For travel times the "top" are the farthest.
- **Theil T**: ``sum_i (w_i / W) (x_i / mean) ln(x_i / mean)`` (pysal ``inequality.theil.Theil``
  with unit weights; a zero contributes 0).
- **Concentration index**: ``2 cov_w(x, r) / mean``, ``r`` each person's fractional rank by a
  second variable (O'Donnell et al. 2008, the weighted "convenient covariance" form):
  negative when the quantity concentrates among the low-ranked.

Values must be finite and not negative (an unreachable settlement has no travel time to
rank: it is left out of time measures, and the caller counts it); weights not negative.
"""

from __future__ import annotations

import numpy as np

__all__ = ["concentration_index", "gini", "lorenz", "palma", "theil"]


def _clean(values, weights) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, float)
    if x.shape != w.shape:
        raise ValueError("values and weights differ in length")
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("values must be finite and not negative")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and not negative")
    keep = w > 0
    return x[keep], w[keep]


def gini(values, weights=None) -> float:
    """The weighted Gini coefficient (0 when everyone has the same; NaN for no one or a zero total)."""
    x, w = _clean(values, weights)
    total = w.sum()
    mean = (w * x).sum() / total if total > 0 else 0.0
    if total <= 0 or mean <= 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    # sum_i sum_j w_i w_j |x_i - x_j| = 2 sum_i w_i x_i (W_below_i - W_above_i), sorted ascending
    below = np.cumsum(w) - w
    above = total - below - w
    return float((w * x * (below - above)).sum() / (total * total * mean))


def lorenz(values, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve: cumulative share of people, cumulative share of the quantity (from 0, 0)."""
    x, w = _clean(values, weights)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    people = np.concatenate([[0.0], np.cumsum(w)])
    amount = np.concatenate([[0.0], np.cumsum(w * x)])
    return people / people[-1], amount / amount[-1] if amount[-1] > 0 else amount


def palma(values, weights=None) -> float:
    """The share held by the top 10 % of people over that held by the bottom 40 % (NaN when the bottom holds nothing)."""
    p, q = lorenz(values, weights)
    bottom = float(np.interp(0.4, p, q))
    top = 1.0 - float(np.interp(0.9, p, q))
    return top / bottom if bottom > 0 else float("nan")


def theil(values, weights=None) -> float:
    """Theil's T index, weighted (0 when everyone has the same)."""
    x, w = _clean(values, weights)
    total = w.sum()
    mean = (w * x).sum() / total
    if mean <= 0:
        return float("nan")
    s = x / mean
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(s), 0.0)
    return float((w * terms).sum() / total)


def concentration_index(values, rank_by, weights=None) -> float:
    """The concentration index of ``values`` ranked by ``rank_by`` (ties share their mean rank)."""
    by = np.asarray(rank_by, float)
    positive = np.ones(len(by), bool) if weights is None else np.asarray(weights, float) > 0
    x, w = _clean(values, weights)
    by = by[positive]
    total = w.sum()
    mean = (w * x).sum() / total
    if mean <= 0:
        return float("nan")
    order = np.argsort(by, kind="stable")
    cum = np.cumsum(w[order])
    rank_sorted = (cum - 0.5 * w[order]) / total  # fractional rank: the middle of each one's share
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    for value in np.unique(by):  # ties share their people-weighted mean rank
        tie = by == value
        if tie.sum() > 1:
            rank[tie] = (w[tie] * rank[tie]).sum() / w[tie].sum()
    cov = (w * (x - mean) * (rank - 0.5)).sum() / total
    return float(2.0 * cov / mean)
