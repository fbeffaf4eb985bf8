"""Supply within reach: the two-step floating catchment family on an origin-destination table.

Pure: numpy only.  Every function takes the long table of pairs the travel seam
gives (:func:`coverage.travel.travel_pairs`: origin position, destination position,
minutes), the demand at each origin and the supply at each destination, and returns the
supply within reach per unit of demand at every origin.

Definitions (minutes ``t``, the catchment ``t <= limit``, a decay weight ``w(t)``):

- **2SFCA** (Luo & Wang 2003): ``R_j = S_j / sum_i D_i w_ij``; ``A_i = sum_j R_j w_ij``,
  ``w = 1`` in the catchment.
- **E2SFCA** (Luo & Qi 2009): the same with a decaying ``w``: stepped (the weight of the
  first step whose upper bound the time does not exceed; pysal ``access.weights.step_fn``)
  or Gaussian ``exp(-t^2 / (2 sigma^2))`` (pysal ``access.weights.gaussian``), both zero
  beyond the limit.
- **3SFCA** (Wan, Zou & Sternberg 2012): a selection weight ``G_ij = w_ij / sum_k w_ik``
  over the facilities origin ``i`` reaches; demand is shared out by ``G``:
  ``R_j = S_j / sum_i D_i G_ij w_ij``; ``A_i = sum_j R_j G_ij w_ij``.

A facility no demand reaches has no ratio (it serves nobody: it adds nothing); an origin
that reaches nothing has ``A = 0``.  ``sum_i D_i A_i = sum_j S_j`` over the facilities with
demand in reach (2SFCA and 3SFCA; the supply is shared out, none is made): tested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Decay", "floating_catchment"]

METHODS = ("2sfca", "e2sfca", "3sfca")


@dataclass(frozen=True)
class Decay:
    """How a weight falls with minutes inside the catchment.

    ``kind``: ``none`` (1 inside the limit), ``step`` (``steps``: (upper minutes, weight)
    pairs, ascending) or ``gaussian`` (``sigma`` minutes).
    """

    kind: str = "none"
    steps: tuple[tuple[float, float], ...] = ()
    sigma: float = 0.0

    def weights(self, minutes: np.ndarray, limit: float) -> np.ndarray:
        """The weight of each time (zero beyond ``limit``)."""
        t = np.asarray(minutes, float)
        inside = t <= limit
        if self.kind == "none":
            w = np.ones_like(t)
        elif self.kind == "step":
            uppers = np.array([u for u, _w in self.steps], float)
            values = np.array([v for _u, v in self.steps] + [0.0], float)
            w = values[np.searchsorted(uppers, t, side="left")]
        elif self.kind == "gaussian":
            w = np.exp(-t * t / (2.0 * self.sigma**2))
        else:
            raise ValueError(f"unknown decay {self.kind!r}")
        return np.where(inside, w, 0.0)


def _weighted_pairs(origin, destination, minutes, limit: float, decay: Decay):
    """The pairs inside the catchment and their weights (None: all 1, the plain 2SFCA, the fastest)."""
    o, d = np.asarray(origin), np.asarray(destination)
    if decay.kind == "none":
        keep, w = np.asarray(minutes) <= limit, None
    else:
        w = decay.weights(minutes, limit)
        keep = w > 0
        w = w[keep]
    return (o, d, w) if keep.all() else (o[keep], d[keep], w)


def floating_catchment(
    origin: np.ndarray,
    destination: np.ndarray,
    minutes: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    *,
    limit: float,
    method: str = "2sfca",
    decay: Decay | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Supply within reach per unit of demand at every origin, and each facility's ratio.

    Parameters
    ----------
    origin, destination
        Positions (0..n-1, 0..m-1) of each pair's origin and destination.
    minutes
        Each pair's travel time.
    demand
        Demand at each origin (length n; people, elderly...).
    supply
        Supply at each destination (length m; beds, doctors...).
    limit
        The catchment, in minutes.
    method
        ``2sfca``, ``e2sfca`` (2SFCA with ``decay``) or ``3sfca``.
    decay
        The weight's fall with time (``none`` for plain 2SFCA).

    Returns
    -------
    access, ratio
        ``A_i`` (supply per unit of demand reachable from each origin) and ``R_j`` (each
        facility's supply over the demand it serves; NaN where no demand reaches it).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    demand = np.asarray(demand, float)
    supply = np.asarray(supply, float)
    n, m = len(demand), len(supply)
    o, d, w = _weighted_pairs(origin, destination, minutes, limit, Decay() if method == "2sfca" or decay is None else decay)
    if method == "3sfca":
        w = np.ones(len(o)) if w is None else w
        totals = np.bincount(o, weights=w, minlength=n)
        w = w * (w / totals[o])  # G_ij w_ij
    # Sums over pairs by position (bincount: no sorting, no matrix built).
    served = np.bincount(d, weights=demand[o] if w is None else w * demand[o], minlength=m)  # sum_i D_i w_ij
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(served > 0, supply / served, np.nan)
    share = np.nan_to_num(ratio, nan=0.0)[d]
    access = np.bincount(o, weights=share if w is None else w * share, minlength=n)
    return access, ratio
