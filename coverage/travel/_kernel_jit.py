"""The compiled functions of :mod:`._kernel` (numba, cached on disk).

Import this module only through :func:`._kernel.kernel`, which loads numba first (numba
must not see this package while it looks for coverage.py). The functions are at module
level so that numba can cache them (it cannot cache closures).
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
