"""The answer of a location model, and the solver's status in words."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..i18n import N_, Note

__all__ = ["SitingResult"]


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


HIGHS_STATUS = {
    0: N_("optimal (HiGHS)"),
    1: N_("time or iteration limit reached (HiGHS)"),
    2: N_("infeasible (HiGHS)"),
    3: N_("unbounded (HiGHS)"),
}


def _status(res) -> Note:
    """HiGHS's status in words (scipy's milp: 0 optimal, 1 limit reached, 2 infeasible, 3 unbounded, 4 other)."""
    return Note(HIGHS_STATUS.get(res.status, N_("solver failure (HiGHS)")))


def _no_answer(model: str, method: str, t0: float, uncoverable, notes, *, status: Note) -> SitingResult:
    """A result that is not a solution: no sites, NaN objective, never optimal."""
    nan = float("nan")
    return SitingResult(
        model, (), nan, nan, False, nan, method, time.perf_counter() - t0, tuple(uncoverable), tuple(notes), status
    )
