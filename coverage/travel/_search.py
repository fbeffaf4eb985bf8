"""Searches on a routing graph: nearest facility, travel-time matrices (bounded or not), service areas."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from ..geodesy import PointIndex, circle_polygons, distance_m
from ._graph import RoutingGraph, _with_virtual_sources, snap_points
from ._types import NearestResult, TravelTimeMatrix, direct_pairs, fastest_pairs

__all__ = ["nearest_facility", "nearest_facility_nodes", "service_area", "travel_time_matrix"]


def nearest_facility(
    graph: RoutingGraph, origins: np.ndarray, facilities: np.ndarray, *, cutoff_s: float | None = None
) -> NearestResult:
    """Travel time from every origin to its nearest facility, in one multi-source search.

    Parameters
    ----------
    graph
        Routing graph of the profile.
    origins, facilities
        Lon/lat, shape ``(n, 2)`` and ``(m, 2)``.
    cutoff_s
        Stop searching beyond this time; farther origins get ``inf``.

    Returns
    -------
    NearestResult
    """
    origins = np.asarray(origins, float).reshape(-1, 2)
    facilities = np.asarray(facilities, float).reshape(-1, 2)
    n_orig = len(origins)
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    seconds = np.full(n_orig, np.inf)
    facility = np.full(n_orig, -1, np.int64)
    via = np.full(n_orig, "", dtype="<U6")
    access, egress = np.full(n_orig, np.inf), np.full(n_orig, np.inf)
    o_snap = snap_points(graph, origins)
    if len(facilities) == 0 or n_orig == 0:
        return NearestResult(seconds, facility, via, o_snap.distance_m, access, egress)
    f_snap = snap_points(graph, facilities)
    joined = np.flatnonzero(f_snap.joined)
    if len(joined):
        node_times, node_fac = nearest_facility_nodes(graph, f_snap.node[joined], f_snap.leg_s[joined], limit=limit)
        ok = o_snap.joined
        t = np.full(n_orig, np.inf)
        t[ok] = o_snap.leg_s[ok] + node_times[o_snap.node[ok]]
        reach = np.isfinite(t) & (t <= limit)
        seconds[reach] = t[reach]
        facility[reach] = joined[node_fac[o_snap.node[reach]]]
        via[reach] = "road"
        access[reach] = o_snap.leg_s[reach]
        egress[reach] = f_snap.leg_s[facility[reach]]
    if graph.profile.direct_offroad:
        f, d = PointIndex(facilities[:, 0], facilities[:, 1]).nearest(origins[:, 0], origins[:, 1])
        t_direct = d / graph.profile.offroad_m_per_s
        better = (t_direct < seconds) & (t_direct <= limit)
        seconds[better] = t_direct[better]
        facility[better] = f[better]
        via[better] = "direct"
        access[better] = t_direct[better]
        egress[better] = 0.0
    return NearestResult(seconds, facility, via, o_snap.distance_m, access, egress)


def nearest_facility_nodes(
    graph: RoutingGraph, nodes: np.ndarray, legs_s: np.ndarray, *, limit: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Time from every node to its nearest source (a node plus a leg), and which source.

    Returns
    -------
    times : numpy.ndarray
        Seconds per node (``inf`` where unreachable within ``limit``).
    source : numpy.ndarray
        Position in ``nodes`` of the nearest source (-1 where unreachable).
    """
    n = graph.n_nodes
    aug = _with_virtual_sources(graph.reverse, np.asarray(nodes), np.asarray(legs_s, float))
    virtual = np.arange(n, n + len(nodes))
    dist, _pred, sources = dijkstra(aug, directed=True, indices=virtual, min_only=True, return_predecessors=True, limit=limit)
    dist = dist[:n]
    src = sources[:n]
    src = np.where(src >= n, src - n, -1)
    return dist, src


def travel_time_matrix(
    graph: RoutingGraph,
    origins: np.ndarray,
    destinations: np.ndarray,
    *,
    cutoff_s: float,
    chunk_bytes: int = 256 << 20,
    bounded: bool = False,
    engine: str = "auto",
) -> TravelTimeMatrix:
    """Travel times from origins to destinations, keeping only pairs within ``cutoff_s``.

    Dijkstra runs on the reversed graph from the destinations: by default the compiled
    bounded search (:mod:`._kernel`); with scipy, a chunk at a time so that its dense rows
    stay within ``chunk_bytes``, and with ``bounded`` each chunk of nearby destinations
    searching only the nodes within ``cutoff_s`` x the top speed of one of them.

    Parameters
    ----------
    graph
        Routing graph.
    origins, destinations
        Lon/lat, shape ``(n, 2)``.
    cutoff_s
        Largest time kept.
    chunk_bytes
        Memory for one chunk of dense distance rows.
    bounded
        Search each chunk's reachable subgraph only (False: the whole graph; scipy only).
    engine
        ``auto`` (the compiled bounded search of :mod:`._kernel` when numba loads, else
        scipy), ``numba`` or ``scipy`` (the reference: the same pairs and seconds).

    Returns
    -------
    TravelTimeMatrix
    """
    o_ll = np.asarray(origins, float).reshape(-1, 2)
    d_ll = np.asarray(destinations, float).reshape(-1, 2)
    o_snap = snap_points(graph, o_ll)
    d_snap = snap_points(graph, d_ll)
    parts: list[tuple] = []  # (origins, destinations, seconds, access, egress) of candidate pairs
    o_ok = np.flatnonzero(o_snap.joined)
    d_ok = np.flatnonzero(d_snap.joined & (d_snap.leg_s <= cutoff_s))
    d_ok = d_ok[_spatial_order(d_ll[d_ok])]
    compiled = _kernel_pairs(graph, o_snap, d_snap, o_ok, d_ok, cutoff_s) if engine in ("auto", "numba") else None
    if compiled is None and engine == "numba":
        raise RuntimeError("numba is not available for the compiled search")
    if compiled is not None:
        parts.append(compiled)
    else:
        chunks, bounded = _chunks(graph, d_ll[d_ok], cutoff_s, chunk_bytes, bounded)
        parts += [_chunk_pairs(graph, o_snap, d_snap, o_ok, d_ok[part], cutoff_s, bounded) for part in chunks]
    if graph.profile.direct_offroad and len(o_ll) and len(d_ll):
        q, p, t = direct_pairs(o_ll, d_ll, cutoff_s, graph.profile.offroad_m_per_s)
        parts.append((q, p, t, t, np.zeros(len(t))))
    rows, cols, vals, access, egress = (list(x) for x in zip(*parts, strict=True)) if parts else ([], [], [], [], [])
    return fastest_pairs(rows, cols, vals, (len(o_ll), len(d_ll)), cutoff_s, legs=(access, egress))


def _kernel_pairs(graph: RoutingGraph, o_snap, d_snap, o_ok: np.ndarray, d_ok: np.ndarray, cutoff_s: float):
    """The road pairs within the cutoff by the compiled bounded search (None: numba not available).

    Each destination's search stops at the cutoff less its own leg; the seconds are summed
    in the scipy path's order (network, then the origin's leg, then the destination's).
    """
    from ._kernel import bounded_pairs

    found = bounded_pairs(graph.reverse, d_snap.node[d_ok], cutoff_s - d_snap.leg_s[d_ok], o_snap.node[o_ok])
    if found is None:
        return None
    s, o, network = found
    origin, dest = o_ok[o], d_ok[s]
    t = network + o_snap.leg_s[origin] + d_snap.leg_s[dest]
    keep = t <= cutoff_s
    origin, dest, t = origin[keep], dest[keep], t[keep]
    return origin, dest, t, o_snap.leg_s[origin], d_snap.leg_s[dest]


def _chunks(graph: RoutingGraph, d_ll: np.ndarray, cutoff_s: float, chunk_bytes: int, bounded: bool) -> tuple[list, bool]:
    """Destinations (in spatial order) in chunks whose dense rows fit ``chunk_bytes``; nearby ones together when bounded."""
    per_chunk = max(1, int(chunk_bytes // (8 * max(graph.n_nodes, 1))))
    chunks = _nearby_chunks(d_ll, cutoff_s * graph.top_speed_m_per_s / 4, min(per_chunk, 16)) if bounded else []
    if not bounded or len(chunks) > len(d_ll) / 2:
        # Destinations too scattered to share a subgraph: cutting one per destination costs more than it saves.
        return [np.arange(s0, min(s0 + per_chunk, len(d_ll))) for s0 in range(0, len(d_ll), per_chunk)], False
    return chunks, True


def _chunk_pairs(graph: RoutingGraph, o_snap, d_snap, o_ok: np.ndarray, chunk: np.ndarray, cutoff_s: float, bounded: bool):
    """The road pairs within the cutoff from every joined origin to a chunk of destinations, with their legs."""
    sources = d_snap.node[chunk]
    nodes = _reachable_nodes(graph, sources, cutoff_s) if bounded else None
    sub, local = (graph.reverse, None) if nodes is None else (_subgraph(graph.reverse, nodes), nodes)
    idx = sources if local is None else np.searchsorted(local, sources)
    dist = dijkstra(sub, directed=True, indices=idx, limit=cutoff_s)
    if local is None:
        o_pos, o_in = o_snap.node[o_ok], np.ones(len(o_ok), bool)
    else:
        o_pos = np.searchsorted(local, o_snap.node[o_ok])
        o_in = (o_pos < len(local)) & (local[np.minimum(o_pos, len(local) - 1)] == o_snap.node[o_ok])
    keep = np.flatnonzero(o_in)
    t = dist[:, o_pos[keep]] + o_snap.leg_s[o_ok[keep]][None, :] + d_snap.leg_s[chunk][:, None]
    di, oi = np.nonzero(t <= cutoff_s)
    origin = o_ok[keep[oi]]
    return origin, chunk[di], t[di, oi], o_snap.leg_s[origin], d_snap.leg_s[chunk[di]]


def _nearby_chunks(lonlat: np.ndarray, spread_m: float, size: int) -> list[np.ndarray]:
    """Consecutive runs of points (already in spatial order) within ``spread_m`` of the run's first, at most ``size``."""
    chunks, start = [], 0
    while start < len(lonlat):
        end = min(start + size, len(lonlat))
        d = distance_m(np.full(end - start, lonlat[start, 0]), np.full(end - start, lonlat[start, 1]), *lonlat[start:end].T)
        far = np.flatnonzero(d > spread_m)
        stop = start + (int(far[0]) if len(far) else end - start)
        stop = max(stop, start + 1)
        chunks.append(np.arange(start, stop))
        start = stop
    return chunks


def _spatial_order(lonlat: np.ndarray) -> np.ndarray:
    """An order that keeps nearby points together (Z-order of a 1,024 x 1,024 grid over their box)."""
    if len(lonlat) < 2:
        return np.arange(len(lonlat))
    lo, hi = lonlat.min(axis=0), lonlat.max(axis=0)
    q = ((lonlat - lo) / np.maximum(hi - lo, 1e-12) * 1023).astype(np.int64)
    key = np.zeros(len(lonlat), np.int64)
    for bit in range(10):
        key |= ((q[:, 0] >> bit) & 1) << (2 * bit) | ((q[:, 1] >> bit) & 1) << (2 * bit + 1)
    return np.argsort(key, kind="stable")


def _subgraph(csr: sp.csr_array, nodes: np.ndarray) -> sp.csr_array:
    """The CSR matrix restricted to sorted ``nodes``: their rows, then the columns among them (no O(n) work)."""
    starts, ends = csr.indptr[nodes], csr.indptr[nodes + 1]
    counts = ends - starts
    take = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
    col = csr.indices[take]
    pos = np.minimum(np.searchsorted(nodes, col), len(nodes) - 1)
    keep = nodes[pos] == col
    per_row = np.add.reduceat(keep, np.concatenate([[0], np.cumsum(counts)[:-1]])) if len(keep) else np.zeros(0, int)
    per_row = np.where(counts > 0, per_row, 0)
    indptr = np.concatenate([[0], np.cumsum(per_row)])
    return sp.csr_array((csr.data[take][keep], pos[keep], indptr), shape=(len(nodes), len(nodes)))


def _reachable_nodes(graph: RoutingGraph, sources: np.ndarray, cutoff_s: float) -> np.ndarray | None:
    """Sorted nodes that may reach a source within ``cutoff_s``; None when that is most of the graph.

    Every node in the grid cells of a latitude/longitude box holding the geodesic discs of
    radius ``cutoff_s`` x top speed around the sources (a provable superset); None also when
    the box crosses the antimeridian.
    """
    net = graph.network
    keys, nodes, (lon0, lat0, cell, ncol) = graph.buckets
    lon, lat = net.lon[sources], net.lat[sources]
    radius = cutoff_s * graph.top_speed_m_per_s
    dlat = radius / 110_000.0 + 1e-9  # a degree of latitude is >= 110.57 km everywhere
    top = min(89.999, float(np.abs(lat).max()) + dlat)
    dlon = radius / (111_320.0 * np.cos(np.radians(top))) + 1e-9  # the widest degree of longitude in the box
    west, east = float(lon.min()) - dlon, float(lon.max()) + dlon
    if west < -180.0 or east > 180.0:
        return None
    r0, r1 = int(np.floor((lat.min() - dlat - lat0) / cell)), int(np.floor((lat.max() + dlat - lat0) / cell))
    c0, c1 = max(int(np.floor((west - lon0) / cell)), 0), min(int(np.floor((east - lon0) / cell)), ncol - 1)
    rows = np.arange(max(r0, 0), max(r1 + 1, 0))
    lo = np.searchsorted(keys, rows * ncol + c0, side="left")
    hi = np.searchsorted(keys, rows * ncol + c1, side="right")
    total = int((hi - lo).sum())
    if total > 0.5 * graph.n_nodes:
        return None
    hit = np.concatenate([nodes[a:b] for a, b in zip(lo, hi, strict=True)] + [sources.astype(nodes.dtype)])
    hit = np.sort(hit)  # sorted and deduplicated (np.unique is far slower on large int arrays in numpy 2)
    return hit[np.concatenate([[True], hit[1:] != hit[:-1]])]


def service_area(graph: RoutingGraph, facilities: np.ndarray, seconds: float, *, n_vertices: int = 16) -> shapely.Geometry:
    """The area from which a facility is reachable within ``seconds`` (lon/lat polygons).

    It is the union of (a) every usable road segment whose both ends are reached,
    widened by the remaining off-road reach of its slower end, (b) a geodesic
    circle around every reached node of radius *remaining time x off-road speed*
    (the off-road fringe), and (c) with ``direct_offroad``, a circle around each
    facility.  Every segment the profile may travel counts, in either direction
    of storage (one-way segments included).

    Parameters
    ----------
    graph
        Routing graph.
    facilities
        Lon/lat of the facilities.
    seconds
        Time budget.
    n_vertices
        Vertices of each circle.

    Returns
    -------
    shapely.Geometry
        A (multi)polygon in WGS84; empty if nothing is reachable.
    """
    facilities = np.asarray(facilities, float).reshape(-1, 2)
    if len(facilities) == 0:
        return shapely.Polygon()
    v_off = graph.profile.offroad_m_per_s
    net = graph.network
    parts = []
    f_snap = snap_points(graph, facilities)
    ok = f_snap.joined & (f_snap.leg_s <= seconds)
    if ok.any():
        t, _ = nearest_facility_nodes(graph, f_snap.node[ok], f_snap.leg_s[ok], limit=seconds)
        reached = np.flatnonzero(np.isfinite(t) & (t <= seconds))
        radius = (seconds - t[reached]) * v_off
        parts.append(circle_polygons(net.lon[reached], net.lat[reached], radius, n_vertices=n_vertices))
        fw = graph.forward.tocoo()
        both = np.isfinite(t[fw.row]) & np.isfinite(t[fw.col]) & (t[fw.row] <= seconds) & (t[fw.col] <= seconds)
        a, b = fw.row[both], fw.col[both]
        # One shape per undirected pair, whichever direction the segment is stored in.
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        _, first = np.unique(lo.astype(np.int64) * net.n_nodes + hi, return_index=True)
        a, b = lo[first], hi[first]
        r_edge = np.maximum(np.minimum(seconds - t[a], seconds - t[b]) * v_off, 1.0)
        ca = circle_polygons(net.lon[a], net.lat[a], r_edge, n_vertices=n_vertices)
        cb = circle_polygons(net.lon[b], net.lat[b], r_edge, n_vertices=n_vertices)
        parts.append(shapely.convex_hull(shapely.union(ca, cb)) if len(a) else np.empty(0, object))
    if graph.profile.direct_offroad:
        parts.append(circle_polygons(facilities[:, 0], facilities[:, 1], seconds * v_off, n_vertices=n_vertices * 4))
    geoms = np.concatenate([np.atleast_1d(p) for p in parts]) if parts else np.empty(0, object)
    if len(geoms) == 0:
        return shapely.Polygon()
    return shapely.union_all(geoms)
