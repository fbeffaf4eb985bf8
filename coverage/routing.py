"""Travel times: routing graphs per profile, access legs, nearest facility, matrices, service areas.

Travel runs from a settlement to a facility.  A point joins the road network at
its nearest node (KD-tree in the metric CRS) with a straight access leg at the
profile's off-road speed.  The nearest-facility search is one multi-source
Dijkstra on the *reversed* graph (so one-way streets are honoured in the right
direction): every facility gets a virtual node whose single edge carries its
access leg, and ``scipy.sparse.csgraph.dijkstra(min_only=True)`` labels every
node with the facility it reaches first.

Times are in seconds internally; unreachable is ``inf``, never 0 or NaN.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .config import Profile
from .errors import RoadNetworkError
from .network import RoadNetwork

__all__ = [
    "NearestResult",
    "RoutingGraph",
    "Snap",
    "TravelTimeMatrix",
    "build_routing_graph",
    "nearest_facility",
    "service_area",
    "snap_points",
    "travel_time_matrix",
]

log = logging.getLogger(__name__)

# scipy's csgraph reads a stored 0 as "no edge": zero-cost edges (a facility exactly on a
# node, duplicate vertices) get this many seconds instead - far below any tolerance.
ZERO_COST_S = 1e-9


@dataclass(frozen=True, eq=False)
class RoutingGraph:
    """A road network prepared for one profile.

    Attributes
    ----------
    profile
        The profile whose speeds built it.
    network
        The underlying road network (node coordinates are shared).
    forward
        CSR matrix, ``forward[a, b]`` = seconds from node ``a`` to ``b`` (minimum over parallel segments).
    reverse
        Its transpose, for searches towards facilities.
    usable
        Node mask: nodes touched by at least one segment this profile may use.
    """

    profile: Profile
    network: RoadNetwork
    forward: sp.csr_array
    reverse: sp.csr_array
    usable: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes (including those the profile cannot use)."""
        return self.network.n_nodes

    @functools.cached_property
    def kdtree(self) -> tuple[cKDTree, np.ndarray]:
        """KD-tree over the usable nodes, and the node index of each tree point (built once)."""
        idx = np.flatnonzero(self.usable)
        return cKDTree(np.column_stack([self.network.x[idx], self.network.y[idx]])), idx


def edge_speeds_kmh(network: RoadNetwork, profile: Profile) -> np.ndarray:
    """Speed of every segment for a profile; NaN where the profile may not use it."""
    classes = np.array(list(profile.speeds_kmh), dtype=str)
    speeds = np.array(list(profile.speeds_kmh.values()), dtype=float)
    order = np.argsort(classes)
    pos = np.searchsorted(classes[order], network.highway)
    pos = np.clip(pos, 0, max(len(classes) - 1, 0))
    known = classes[order][pos] == network.highway if len(classes) else np.zeros(network.n_edges, bool)
    kmh = np.where(known, speeds[order][pos], np.nan)
    if profile.use_maxspeed:
        tagged = np.isfinite(network.maxspeed_kmh) & known & (network.maxspeed_kmh > 0)
        kmh = np.where(tagged, network.maxspeed_kmh, kmh)
    return np.minimum(kmh, profile.max_kmh)


def build_routing_graph(network: RoadNetwork, profile: Profile) -> RoutingGraph:
    """Build the weighted CSR graph of a network for a profile.

    Parameters
    ----------
    network
        The road network.
    profile
        Speeds, one-way handling.

    Returns
    -------
    RoutingGraph

    Raises
    ------
    RoadNetworkError
        No segment of the network is usable by the profile.
    """
    kmh = edge_speeds_kmh(network, profile)
    ok = np.isfinite(kmh)
    if not ok.any():
        raise RoadNetworkError(
            f"no road in the network is usable by the '{profile.name}' profile "
            f"(classes found: {', '.join(sorted(set(network.highway.tolist()))[:12])})."
        )
    seconds = np.maximum(network.length_m[ok] / (kmh[ok] / 3.6), ZERO_COST_S)
    u, v = network.u[ok], network.v[ok]
    two_way = ~network.oneway[ok] | (not profile.honour_oneway)
    src = np.concatenate([u, v[two_way]])
    dst = np.concatenate([v, u[two_way]])
    w = np.concatenate([seconds, seconds[two_way]])
    forward = _min_csr(src, dst, w, network.n_nodes)
    reverse = forward.T.tocsr()
    reverse.sort_indices()
    usable = np.zeros(network.n_nodes, bool)
    usable[src] = True
    usable[dst] = True
    return RoutingGraph(profile=profile, network=network, forward=forward, reverse=reverse, usable=usable)


def _min_csr(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n: int) -> sp.csr_array:
    """CSR matrix keeping the minimum weight among parallel edges (scipy would sum them)."""
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    keep = first & (src != dst)  # self-loops never shorten a path
    m = sp.csr_array((w[keep], (src[keep], dst[keep])), shape=(n, n))
    m.sort_indices()
    return m


@dataclass(frozen=True)
class Snap:
    """Where points join a routing graph.

    Attributes
    ----------
    node
        Nearest usable node (-1 where farther than the profile's ``max_snap_m``).
    distance_m
        Straight-line distance to that node.
    leg_s
        Access-leg time at the off-road speed (``inf`` where not joined).
    joined
        False where the point is too far from any road.
    """

    node: np.ndarray
    distance_m: np.ndarray
    leg_s: np.ndarray
    joined: np.ndarray


def snap_points(graph: RoutingGraph, xy: np.ndarray) -> Snap:
    """Join points (metric coordinates, shape ``(n, 2)``) to their nearest usable node."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    tree, idx = graph.kdtree
    if len(xy) == 0:
        empty = np.empty(0)
        return Snap(np.empty(0, np.int64), empty, empty, np.empty(0, bool))
    dist, pos = tree.query(xy)
    joined = dist <= graph.profile.max_snap_m
    node = np.where(joined, idx[pos], -1)
    leg = np.where(joined, np.maximum(dist / graph.profile.offroad_m_per_s, 0.0), np.inf)
    return Snap(node=node.astype(np.int64), distance_m=dist, leg_s=leg, joined=joined)


def _with_virtual_sources(reverse: sp.csr_array, nodes: np.ndarray, legs: np.ndarray) -> sp.csr_array:
    """Append one row per source: a virtual node whose only edge (in reverse) carries its leg."""
    n = reverse.shape[0]
    k = len(nodes)
    indptr = np.concatenate([reverse.indptr, reverse.indptr[-1] + np.arange(1, k + 1)])
    indices = np.concatenate([reverse.indices, nodes.astype(reverse.indices.dtype)])
    data = np.concatenate([reverse.data, np.maximum(legs, ZERO_COST_S)])
    return sp.csr_array((data, indices, indptr), shape=(n + k, n + k))


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
    origin_snap
        How the origins joined the network.
    """

    seconds: np.ndarray
    facility: np.ndarray
    via: np.ndarray
    origin_snap: Snap


def nearest_facility(
    graph: RoutingGraph, origins_xy: np.ndarray, facilities_xy: np.ndarray, *, cutoff_s: float | None = None
) -> NearestResult:
    """Travel time from every origin to its nearest facility, in one multi-source search.

    Parameters
    ----------
    graph
        Routing graph of the profile.
    origins_xy, facilities_xy
        Metric coordinates, shape ``(n, 2)`` and ``(m, 2)``.
    cutoff_s
        Stop searching beyond this time; farther origins get ``inf``.

    Returns
    -------
    NearestResult
    """
    origins_xy = np.asarray(origins_xy, float).reshape(-1, 2)
    facilities_xy = np.asarray(facilities_xy, float).reshape(-1, 2)
    n_orig = len(origins_xy)
    limit = np.inf if cutoff_s is None else float(cutoff_s)
    seconds = np.full(n_orig, np.inf)
    facility = np.full(n_orig, -1, np.int64)
    via = np.full(n_orig, "", dtype="<U6")
    o_snap = snap_points(graph, origins_xy)
    if len(facilities_xy) == 0 or n_orig == 0:
        return NearestResult(seconds, facility, via, o_snap)
    f_snap = snap_points(graph, facilities_xy)
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
    if graph.profile.direct_offroad:
        d, f = cKDTree(facilities_xy).query(origins_xy)
        t_direct = d / graph.profile.offroad_m_per_s
        better = (t_direct < seconds) & (t_direct <= limit)
        seconds[better] = t_direct[better]
        facility[better] = f[better]
        via[better] = "direct"
    return NearestResult(seconds, facility, via, o_snap)


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
    """

    origin: np.ndarray
    destination: np.ndarray
    seconds: np.ndarray
    shape: tuple[int, int]
    cutoff_s: float

    def to_sparse(self) -> sp.csr_array:
        """As a CSR matrix (a pair at exactly 0 s is stored as :data:`ZERO_COST_S`)."""
        return sp.csr_array((np.maximum(self.seconds, ZERO_COST_S), (self.origin, self.destination)), shape=self.shape)


def travel_time_matrix(
    graph: RoutingGraph, origins_xy: np.ndarray, destinations_xy: np.ndarray, *, cutoff_s: float, chunk_bytes: int = 256 << 20
) -> TravelTimeMatrix:
    """Travel times from origins to destinations, keeping only pairs within ``cutoff_s``.

    Dijkstra runs on the reversed graph from the destinations, a chunk at a time
    so that the dense rows scipy returns stay within ``chunk_bytes``.

    Parameters
    ----------
    graph
        Routing graph.
    origins_xy, destinations_xy
        Metric coordinates.
    cutoff_s
        Largest time kept.
    chunk_bytes
        Memory for one chunk of dense distance rows.

    Returns
    -------
    TravelTimeMatrix
    """
    o_xy = np.asarray(origins_xy, float).reshape(-1, 2)
    d_xy = np.asarray(destinations_xy, float).reshape(-1, 2)
    o_snap = snap_points(graph, o_xy)
    d_snap = snap_points(graph, d_xy)
    rows, cols, vals = [], [], []
    o_ok = np.flatnonzero(o_snap.joined)
    o_nodes = o_snap.node[o_ok]
    o_legs = o_snap.leg_s[o_ok]
    d_ok = np.flatnonzero(d_snap.joined & (d_snap.leg_s <= cutoff_s))
    per_chunk = max(1, int(chunk_bytes // (8 * max(graph.n_nodes, 1))))
    for start in range(0, len(d_ok), per_chunk):
        chunk = d_ok[start : start + per_chunk]
        dist = dijkstra(graph.reverse, directed=True, indices=d_snap.node[chunk], limit=cutoff_s)
        t = dist[:, o_nodes] + o_legs[None, :] + d_snap.leg_s[chunk][:, None]
        di, oi = np.nonzero(t <= cutoff_s)
        rows.append(o_ok[oi])
        cols.append(chunk[di])
        vals.append(t[di, oi])
    if graph.profile.direct_offroad and len(o_xy) and len(d_xy):
        radius = cutoff_s * graph.profile.offroad_m_per_s
        direct = cKDTree(o_xy).sparse_distance_matrix(cKDTree(d_xy), radius, output_type="coo_matrix")
        rows.append(direct.row.astype(np.int64))
        cols.append(direct.col.astype(np.int64))
        vals.append(direct.data / graph.profile.offroad_m_per_s)
        # sparse_distance_matrix omits pairs at distance 0: add coincident points explicitly.
        same = cKDTree(o_xy).query_ball_tree(cKDTree(d_xy), 1e-9)
        zr = np.array([i for i, js in enumerate(same) for _ in js], dtype=np.int64)
        zc = np.array([j for js in same for j in js], dtype=np.int64)
        rows.append(zr)
        cols.append(zc)
        vals.append(np.zeros(len(zr)))
    if rows:
        r = np.concatenate(rows)
        c = np.concatenate(cols)
        val = np.concatenate(vals)
    else:
        r = c = np.empty(0, np.int64)
        val = np.empty(0)
    # Keep the fastest of road and direct for each pair, in a stable order.
    order = np.lexsort((val, c, r))
    r, c, val = r[order], c[order], val[order]
    first = np.ones(len(r), bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return TravelTimeMatrix(
        origin=r[first], destination=c[first], seconds=val[first], shape=(len(o_xy), len(d_xy)), cutoff_s=float(cutoff_s)
    )


def service_area(graph: RoutingGraph, facilities_xy: np.ndarray, seconds: float, *, quad_segs: int = 4) -> shapely.Geometry:
    """The area from which a facility is reachable within ``seconds`` (metric CRS).

    It is the union of (a) every road segment whose both ends are reached,
    buffered by the remaining off-road reach of its slower end, (b) a disc around
    every reached node of radius *remaining time x off-road speed* (the off-road
    fringe), and (c) with ``direct_offroad``, a disc around each facility.

    Parameters
    ----------
    graph
        Routing graph.
    facilities_xy
        Metric coordinates of the facilities.
    seconds
        Time budget.
    quad_segs
        Circle resolution (segments per quarter circle).

    Returns
    -------
    shapely.Geometry
        A (multi)polygon in the graph's metric CRS; empty if nothing is reachable.
    """
    facilities_xy = np.asarray(facilities_xy, float).reshape(-1, 2)
    if len(facilities_xy) == 0:
        return shapely.Polygon()
    v_off = graph.profile.offroad_m_per_s
    parts = []
    f_snap = snap_points(graph, facilities_xy)
    ok = f_snap.joined & (f_snap.leg_s <= seconds)
    if ok.any():
        t, _ = nearest_facility_nodes(graph, f_snap.node[ok], f_snap.leg_s[ok], limit=seconds)
        reached = np.flatnonzero(np.isfinite(t) & (t <= seconds))
        net = graph.network
        radius = (seconds - t[reached]) * v_off
        parts.append(shapely.buffer(shapely.points(net.x[reached], net.y[reached]), radius, quad_segs=quad_segs))
        fw = graph.forward.tocoo()
        both = np.isfinite(t[fw.row]) & np.isfinite(t[fw.col]) & (t[fw.row] <= seconds) & (t[fw.col] <= seconds)
        a, b = fw.row[both], fw.col[both]
        keep = a < b  # one buffer per undirected pair is enough
        a, b = a[keep], b[keep]
        lines = shapely.linestrings(
            np.stack([np.column_stack([net.x[a], net.y[a]]), np.column_stack([net.x[b], net.y[b]])], axis=1)
        )
        r_edge = np.maximum(np.minimum(seconds - t[a], seconds - t[b]) * v_off, 1.0)
        parts.append(shapely.buffer(lines, r_edge, quad_segs=quad_segs))
    if graph.profile.direct_offroad:
        parts.append(shapely.buffer(shapely.points(facilities_xy), seconds * v_off, quad_segs=quad_segs * 4))
    geoms = np.concatenate([np.atleast_1d(p) for p in parts]) if parts else np.empty(0, object)
    if len(geoms) == 0:
        return shapely.Polygon()
    return shapely.union_all(geoms)
