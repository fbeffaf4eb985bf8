"""Capacity-limited coverage: who is served, who is reached but beyond a facility's capacity, who is not reached.

Pure: numpy only.  AccessMod's "geographic coverage analysis" grows each facility's
catchment outward in travel time and takes the people it meets until its capacity is
used; the people taken are gone for the next facility.  Here the same on the
origin-destination table (a settlement is a point, so it is taken whole or in part):

1. Facilities are processed one at a time, in the order given (AccessMod lets the user
   choose the field; the default here is the largest capacity first, ties by position).
2. A facility takes the settlements within the limit in increasing travel time (ties by
   position), as much of each as is left, until its capacity (in people) is used.
3. What is left of a settlement within the limit of some facility is "reached but over
   capacity"; a settlement within the limit of none is "not reached".

So ``served + over_capacity + not_reached = demand`` at every settlement, and what a
facility takes never exceeds its capacity (tested, with a brute force on small cases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CapacityCoverage", "capacity_limited"]


@dataclass(frozen=True)
class CapacityCoverage:
    """Per origin: people served, reached but over capacity, not reached; per facility: people taken."""

    served: np.ndarray
    over_capacity: np.ndarray
    not_reached: np.ndarray
    taken: np.ndarray
    order: np.ndarray


def capacity_limited(
    origin: np.ndarray,
    destination: np.ndarray,
    minutes: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    *,
    limit: float,
    order: np.ndarray | None = None,
) -> CapacityCoverage:
    """Share each facility's capacity out to the nearest demand first (see the module doc).

    Parameters
    ----------
    origin, destination, minutes
        The pairs (positions) and their travel times.
    demand
        People at each origin.
    capacity
        People each facility can serve.
    limit
        Minutes: a facility takes no one beyond it.
    order
        Facility positions in the order they take people (default: largest capacity first).
    """
    demand = np.asarray(demand, float)
    capacity = np.asarray(capacity, float)
    o, d, t = np.asarray(origin), np.asarray(destination), np.asarray(minutes, float)
    inside = t <= limit
    o, d, t = o[inside], d[inside], t[inside]
    if order is None:
        order = np.lexsort((np.arange(len(capacity)), -capacity))
    left = demand.copy()
    taken = np.zeros(len(capacity))
    by_facility = np.lexsort((o, t, d))  # grouped by facility, nearest first, ties by origin
    starts = np.searchsorted(d[by_facility], np.arange(len(capacity) + 1))
    for j in order:
        room = capacity[j]
        for k in by_facility[starts[j] : starts[j + 1]]:
            if room <= 0:
                break
            i = o[k]
            take = min(left[i], room)
            left[i] -= take
            room -= take
        taken[j] = capacity[j] - room
    reached = np.zeros(len(demand), bool)
    reached[o] = True
    served = demand - left
    over = np.where(reached, left, 0.0)
    return CapacityCoverage(served, over, np.where(reached, 0.0, left), taken, np.asarray(order))
