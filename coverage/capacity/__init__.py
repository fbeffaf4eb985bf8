"""Capacity and fairness: supply within reach (the floating catchment family), capacity-limited coverage, inequality.

The core imports numpy only; it works on the long origin-destination table of
the travel seam (:func:`coverage.travel.travel_pairs`) by positions.
"""

from __future__ import annotations

from ._fairness import concentration_index, gini, lorenz, palma, theil
from ._fca import METHODS, Decay, floating_catchment
from ._limited import CapacityCoverage, capacity_limited

__all__ = [
    "METHODS",
    "CapacityCoverage",
    "Decay",
    "capacity_limited",
    "concentration_index",
    "floating_catchment",
    "gini",
    "lorenz",
    "palma",
    "theil",
]
