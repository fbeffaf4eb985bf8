"""Whole runs: many regions as tasks on a process pool or a Dask cluster."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "BatchOptions": ".batch",
    "RegionTask": ".batch",
    "find_regions": ".batch",
    "rollup": ".batch",
    "run_batch": ".batch",
    "run_region": ".batch",
    "split_units": ".batch",
    "task_key": ".batch",
    "write_batch_outputs": ".batch",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
