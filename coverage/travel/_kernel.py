"""A compiled bounded search: Dijkstra whose cost follows the nodes it reaches (numba).

scipy's ``dijkstra(limit=...)`` starts every source by filling a distance row of the whole
graph (O(N) per source, and an N-wide dense row to return), so a 30-minute search on a
province graph costs as much as a search of the whole province. Here one distance array
is kept across sources: a search writes only the nodes it reaches, lists them, and resets
only those (a touched list), with a binary heap on arrays (lazy deletion). Pairs are
emitted straight from the reached nodes to the origins snapped there, so nothing N-wide
is ever returned. scipy stays the reference in the tests (same pairs, same seconds).

numba is loaded only when a matrix is asked for (``import coverage`` and ``check`` never
import it) and its compiled code is cached on disk (``cache=True``), so only the first run
on a machine pays for the compilation.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np

__all__ = ["bounded_pairs", "kernel"]

#: Below this many sources per core, one thread does all (threads cost more than they save).
MIN_SOURCES_PER_THREAD = 32


@functools.cache
def _numba():
    """numba, imported with our package hidden from it.

    numba's code-coverage support runs ``import coverage`` to find coverage.py; it would
    find this package (same import name) and fail on ``coverage.types``. Hiding the name
    for the duration of the import makes numba see "no coverage.py", which is the truth.
    """
    ours = sys.modules.get("coverage")
    sys.modules["coverage"] = None  # ``import coverage`` raises ImportError while numba loads
    try:
        import numba
    finally:
        sys.modules["coverage"] = ours
    return numba


@functools.cache
def kernel():
    """The compiled search (None when numba cannot be loaded: callers fall back to scipy)."""
    try:
        _numba()
    except ImportError:
        return None
    from ._kernel_jit import pairs

    return pairs


def bounded_pairs(graph_csr, sources: np.ndarray, limits: np.ndarray, origin_nodes: np.ndarray):
    """Every (source position, origin position, seconds) with the origin's node within the source's limit.

    Parameters
    ----------
    graph_csr
        A scipy CSR array (the reversed graph, searched from the destinations).
    sources
        Node of each source.
    limits
        Seconds each source's search may reach (negative: skip the source).
    origin_nodes
        Node of each origin.

    Returns None when numba is not available (the caller uses scipy).

    The sources are split into one run of consecutive sources per core, searched in
    threads (the compiled code releases the GIL), and the results joined in source order:
    the same output as one thread, byte for byte.
    """
    run = kernel()
    if run is None:
        return None
    order = np.argsort(origin_nodes, kind="stable")
    org_ptr = np.searchsorted(origin_nodes[order], np.arange(graph_csr.shape[0] + 1)).astype(np.int64)
    graph = (graph_csr.indptr.astype(np.int64), graph_csr.indices.astype(np.int64), graph_csr.data.astype(np.float64))
    sources, limits = np.asarray(sources, np.int64), np.asarray(limits, np.float64)
    threads = min(os.cpu_count() or 1, max(1, len(sources) // MIN_SOURCES_PER_THREAD))
    bounds = np.linspace(0, len(sources), threads + 1).astype(int)

    def part(k: int):
        lo, hi = bounds[k], bounds[k + 1]
        s, o, t = run(*graph, sources[lo:hi], limits[lo:hi], org_ptr, order.astype(np.int64))
        return s + lo, o, t

    if threads == 1:
        return part(0)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        found = list(pool.map(part, range(threads)))
    return tuple(np.concatenate(cols) for cols in zip(*found, strict=True))
