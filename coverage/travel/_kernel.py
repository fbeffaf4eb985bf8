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
        numba = _numba()
    except ImportError:
        return None
    return _compile(numba)


def _compile(numba):
    njit = numba.njit(cache=True, nogil=True)

    @njit
    def push(heap_k, heap_n, size, key, node):
        i = size
        heap_k[i], heap_n[i] = key, node
        while i > 0:
            parent = (i - 1) >> 1
            if heap_k[parent] <= heap_k[i]:
                break
            heap_k[parent], heap_k[i] = heap_k[i], heap_k[parent]
            heap_n[parent], heap_n[i] = heap_n[i], heap_n[parent]
            i = parent
        return size + 1

    @njit
    def pop(heap_k, heap_n, size):
        key, node = heap_k[0], heap_n[0]
        size -= 1
        heap_k[0], heap_n[0] = heap_k[size], heap_n[size]
        i = 0
        while True:
            left, small = 2 * i + 1, i
            if left < size and heap_k[left] < heap_k[small]:
                small = left
            if left + 1 < size and heap_k[left + 1] < heap_k[small]:
                small = left + 1
            if small == i:
                break
            heap_k[small], heap_k[i] = heap_k[i], heap_k[small]
            heap_n[small], heap_n[i] = heap_n[i], heap_n[small]
            i = small
        return key, node, size

    @njit
    def search(indptr, indices, data, source, limit, dist, touched, heap_k, heap_n):
        """Bounded Dijkstra from one source; returns how many nodes it reached (listed in ``touched``)."""
        n_touched = 0
        dist[source] = 0.0
        touched[0] = source
        n_touched = 1
        size = push(heap_k, heap_n, 0, 0.0, source)
        while size > 0:
            key, u, size = pop(heap_k, heap_n, size)
            if key > dist[u]:
                continue
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = key + data[e]
                if nd <= limit and nd < dist[v]:
                    if dist[v] == np.inf:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    size = push(heap_k, heap_n, size, nd, v)
        return n_touched

    @njit
    def pairs(indptr, indices, data, sources, limits, org_ptr, org_idx):
        """For each source, every origin on a node it reaches within its limit: (source, origin, seconds)."""
        n = len(indptr) - 1
        dist = np.full(n, np.inf)
        touched = np.empty(n, np.int64)
        heap_k = np.empty(len(indices) + 1, np.float64)
        heap_n = np.empty(len(indices) + 1, np.int64)
        cap = 1024
        out_s = np.empty(cap, np.int64)
        out_o = np.empty(cap, np.int64)
        out_t = np.empty(cap, np.float64)
        m = 0
        for i in range(len(sources)):
            if limits[i] < 0:
                continue
            reached = search(indptr, indices, data, sources[i], limits[i], dist, touched, heap_k, heap_n)
            for k in range(reached):
                v = touched[k]
                for j in range(org_ptr[v], org_ptr[v + 1]):
                    if m == cap:  # grow the output (doubling)
                        cap *= 2
                        grown_s = np.empty(cap, np.int64)
                        grown_o = np.empty(cap, np.int64)
                        grown_t = np.empty(cap, np.float64)
                        grown_s[:m], grown_o[:m], grown_t[:m] = out_s[:m], out_o[:m], out_t[:m]
                        out_s, out_o, out_t = grown_s, grown_o, grown_t
                    out_s[m], out_o[m], out_t[m] = i, org_idx[j], dist[v]
                    m += 1
            for k in range(reached):
                dist[touched[k]] = np.inf
        return out_s[:m], out_o[:m], out_t[:m]

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
