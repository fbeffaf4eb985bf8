"""Location models on a coverage or travel-time matrix (a pure solver core), and siting on a region (:mod:`.planning`)."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "SitingPlan": ".planning",
    "SitingResult": "._result",
    "access_standards": ".planning",
    "best_times": "._median",
    "budget_curve": "._covering",
    "candidate_sites": ".planning",
    "covered_weight": "._reduce",
    "dominated_candidates": "._reduce",
    "greedy_cover": "._reduce",
    "greedy_mclp": "._reduce",
    "greedy_order": "._reduce",
    "greedy_pmedian": "._median",
    "lagrangian_bound": "._reduce",
    "lp_bound": "._reduce",
    "merge_identical_rows": "._reduce",
    "nearest_equivalent_sites": ".planning",
    "pmedian_value": "._median",
    "proposed_facilities": ".planning",
    "site_for_standards": ".planning",
    "solve_lscp": "._covering",
    "solve_mclp": "._covering",
    "solve_pcenter": "._median",
    "solve_pmedian": "._median",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
