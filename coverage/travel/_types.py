"""What travel models answer: nearest facilities and sparse travel-time matrices (owned by the travel seam)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..geodesy import PointIndex

__all__ = ["NearestResult", "TravelTimeMatrix", "direct_pairs", "fastest_pairs"]

# scipy's csgraph reads a stored 0 as "no edge": zero-cost edges (a facility exactly on a
# node, duplicate vertices) get this many seconds instead - far below any tolerance.
ZERO_COST_S = 1e-9


@dataclass(frozen=True)
class NearestResult:
    """Nearest facility for each origin.

    Attributes
    ----------
    seconds
        Travel time (``inf`` where unreachable or beyond the cutoff).
    facility
        Position of the nearest facility in the facility array (-1 where none).
    via
        ``"road"``, ``"direct"`` (straight across country) or ``""`` (unreachable).
    snap_m
        Distance from each origin to where it joins the model's network (its nearest
        road node; 0 where the model has no network to join).
    access_s, egress_s
        The off-road legs of the trip: origin to its road node, and the facility's
        road node to the facility (the whole trip for ``direct``; 0 / ``inf`` where
        there is no trip).
    stranded
        Why an origin cannot set out at all, where the model knows (terrain):
        ``"no_landcover"`` (the land cover does not reach it, or is no-data there),
        ``"impassable"`` (water, a barrier, too steep), ``""`` otherwise; None for
        models where every origin can set out.
    """

    seconds: np.ndarray
    facility: np.ndarray
    via: np.ndarray
    snap_m: np.ndarray
    access_s: np.ndarray
    egress_s: np.ndarray
    stranded: np.ndarray | None = None


@dataclass(frozen=True)
class TravelTimeMatrix:
    """Sparse origin x destination travel times: only the pairs within the cutoff.

    Attributes
    ----------
    origin, destination
        Positions in the origin and destination arrays.
    seconds
        Travel time of each pair.
    shape
        ``(n_origins, n_destinations)``.
    cutoff_s
        The cutoff used.
    access_s, egress_s
        The off-road legs of each pair's trip (origin to the network, network to the
        destination; the whole trip and 0 for a straight one), or None where the model
        does not separate them.
    """

    origin: np.ndarray
    destination: np.ndarray
    seconds: np.ndarray
    shape: tuple[int, int]
    cutoff_s: float
    access_s: np.ndarray | None = None
    egress_s: np.ndarray | None = None

    def to_sparse(self) -> sp.csr_array:
        """As a CSR matrix (a pair at exactly 0 s is stored as :data:`ZERO_COST_S`)."""
        return sp.csr_array((np.maximum(self.seconds, ZERO_COST_S), (self.origin, self.destination)), shape=self.shape)


def fastest_pairs(
    rows: list, cols: list, vals: list, shape: tuple[int, int], cutoff_s: float, *, legs: tuple[list, list] | None = None
) -> TravelTimeMatrix:
    """Merge candidate (origin, destination, seconds) pairs keeping the fastest of each, in a stable order.

    ``legs``: the access and egress seconds of every candidate pair (lists parallel to ``rows``).
    """
    if rows:
        r, c, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    else:
        r = c = np.empty(0, np.int64)
        val = np.empty(0)
    order = np.lexsort((val, c, r))
    r, c, val = r[order], c[order], val[order]
    first = np.ones(len(r), bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    access = egress = None
    if legs is not None:
        access, egress = (np.concatenate(part)[order][first] if rows else np.empty(0) for part in legs)
    return TravelTimeMatrix(
        origin=r[first],
        destination=c[first],
        seconds=val[first],
        shape=shape,
        cutoff_s=float(cutoff_s),
        access_s=access,
        egress_s=egress,
    )


def direct_pairs(origins: np.ndarray, destinations: np.ndarray, cutoff_s: float, speed_m_per_s: float):
    """Straight cross-country pairs within the cutoff: (origin positions, destination positions, seconds)."""
    q, p, d = PointIndex(destinations[:, 0], destinations[:, 1]).within(origins[:, 0], origins[:, 1], cutoff_s * speed_m_per_s)
    return q, p, d / speed_m_per_s
