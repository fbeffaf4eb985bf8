"""Travel times: routing graphs per profile, access legs, nearest facility, matrices, service areas.

Travel runs from a settlement to a facility.  A point joins the road network at
its nearest usable node (by geodesic distance, :mod:`coverage.geodesy`) with a
straight access leg at the profile's off-road speed.  Which segments a profile
may travel, in which direction and how fast is decided by OSM's tags through the
rules of :mod:`coverage.osm`.  The nearest-facility search is one multi-source
Dijkstra on the *reversed* graph (so one-way streets are honoured in the right
direction): every facility gets a virtual node whose single edge carries its
access leg, and ``scipy.sparse.csgraph.dijkstra(min_only=True)`` labels every
node with the facility it reaches first.

Times are in seconds internally; unreachable is ``inf``, never 0 or NaN.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from .config import Profile
from .errors import RoadNetworkError
from .geodesy import PointIndex, circle_polygons, distance_m
from .i18n import Msg
from .network import RoadNetwork
from .osm import BACKWARD, BOTH, FORWARD, OsmRules, load_osm_rules, way_access, way_direction, way_kept, way_speeds_kmh

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
    rules
        The OSM rules that decided access, direction and speeds.
    """

    profile: Profile
    network: RoadNetwork
    forward: sp.csr_array
    reverse: sp.csr_array
    usable: np.ndarray
    rules: OsmRules | None = None
    snaps: dict = field(default_factory=dict, init=False, repr=False)  # recent snap_points answers (see there)

    @property
    def n_nodes(self) -> int:
        """Number of nodes (including those the profile cannot use)."""
        return self.network.n_nodes

    @functools.cached_property
    def index(self) -> tuple[PointIndex, np.ndarray]:
        """Geodesic nearest-point index over the usable nodes, and the node of each index point (built once)."""
        idx = np.flatnonzero(self.usable)
        return PointIndex(self.network.lon[idx], self.network.lat[idx]), idx

    @functools.cached_property
    def buckets(self) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, int]]:
        """Usable nodes sorted by a 0.05-degree grid cell (keys, node ids, (lon0, lat0, cell, columns)), for box searches."""
        idx = np.flatnonzero(self.usable)
        lon, lat = self.network.lon[idx], self.network.lat[idx]
        cell = 0.05
        lon0, lat0 = float(lon.min()) if len(idx) else 0.0, float(lat.min()) if len(idx) else 0.0
        ncol = int((float(lon.max()) - lon0) // cell) + 1 if len(idx) else 1
        key = ((lat - lat0) // cell).astype(np.int64) * ncol + ((lon - lon0) // cell).astype(np.int64)
        order = np.argsort(key, kind="stable")
        return key[order], idx[order], (lon0, lat0, cell, ncol)

    @functools.cached_property
    def top_speed_m_per_s(self) -> float:
        """The fastest any segment or cross-country leg is travelled (for provable search radii)."""
        net = self.network
        fw = self.forward.tocoo()
        # Every stored weight is length / speed: the top speed is the largest length / time ratio.
        speeds = [self.profile.offroad_m_per_s]
        if fw.nnz:
            lengths = _pair_lengths(net, fw.row, fw.col)
            speeds.append(float(np.max(lengths / fw.data)))
        return max(speeds)


def _pair_lengths(net: RoadNetwork, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Straight geodesic length between node pairs (a lower bound of any segment joining them)."""
    return distance_m(net.lon[a], net.lat[a], net.lon[b], net.lat[b])


def segment_speeds_kmh(network: RoadNetwork, profile: Profile, rules: OsmRules) -> tuple[np.ndarray, np.ndarray]:
    """Speed of every segment for a profile, forward and backward; NaN where the profile may not travel.

    A segment is not travelled where its way is no road at all (excluded or unknown
    highway value, an area), its class is not in the profile, its access tags close
    it for the profile's mode, or its oneway tags forbid the direction.
    """
    fwd, bwd = way_speeds_kmh(network, rules, profile)
    ok = way_kept(network, rules) & way_access(network, rules, profile.mode)
    direction = way_direction(network, rules, profile.mode)
    fwd = np.where(ok & np.isin(direction, [BOTH, FORWARD]), fwd, np.nan)
    bwd = np.where(ok & np.isin(direction, [BOTH, BACKWARD]), bwd, np.nan)
    return fwd[network.way], bwd[network.way]


def build_routing_graph(network: RoadNetwork, profile: Profile, rules: OsmRules | None = None) -> RoutingGraph:
    """Build the weighted CSR graph of a network for a profile.

    Parameters
    ----------
    network
        The road network.
    profile
        Speeds by road class, travel mode.
    rules
        OSM tagging rules (default: the built-in ``osm_rules.toml``).

    Returns
    -------
    RoutingGraph

    Raises
    ------
    RoadNetworkError
        No segment of the network is usable by the profile.
    """
    rules = rules if rules is not None else load_osm_rules()
    if profile.mode not in rules.modes:
        raise RoadNetworkError(
            Msg(
                "profile '{profile}': mode '{mode}' is not in the OSM rules ({rules}); use one of {modes}.",
                profile=profile.name,
                mode=profile.mode,
                rules=rules.source,
                modes=", ".join(rules.modes),
            )
        )
    kmh_f, kmh_b = segment_speeds_kmh(network, profile, rules)
    ok_f, ok_b = np.isfinite(kmh_f) & (kmh_f > 0), np.isfinite(kmh_b) & (kmh_b > 0)
    if not (ok_f.any() or ok_b.any()):
        classes = ", ".join(sorted(set(network.tags["highway"].values.tolist()) - {""})[:12])
        raise RoadNetworkError(
            Msg(
                "no road in the network is usable by the '{profile}' profile (classes found: {classes}).",
                profile=profile.name,
                classes=classes,
            )
        )
    length = network.length_m
    src = np.concatenate([network.u[ok_f], network.v[ok_b]])
    dst = np.concatenate([network.v[ok_f], network.u[ok_b]])
    w = np.concatenate([length[ok_f] / (kmh_f[ok_f] / 3.6), length[ok_b] / (kmh_b[ok_b] / 3.6)])
    forward = _min_csr(src, dst, np.maximum(w, ZERO_COST_S), network.n_nodes)
    reverse = forward.T.tocsr()
    reverse.sort_indices()
    usable = np.zeros(network.n_nodes, bool)
    usable[src] = True
    usable[dst] = True
    return RoutingGraph(profile=profile, network=network, forward=forward, reverse=reverse, usable=usable, rules=rules)


def _min_csr(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n: int) -> sp.csr_array:
    """CSR matrix keeping the minimum weight among parallel edges (scipy would sum them)."""
    keep = src != dst  # self-loops never shorten a path
    src, dst, w = src[keep], dst[keep], w[keep]
    # Sort by (src, dst) with a combined integer key, then take the minimum of each run:
    # one argsort of int64 instead of a three-key lexsort (a province has millions of segments).
    key = src.astype(np.int64) * n + dst
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    wmin = np.minimum.reduceat(w, starts) if len(w) else w
    k = key[starts]
    m = sp.csr_array((wmin, (k // n, k % n)), shape=(n, n))
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
        Geodesic distance to that node (to the nearest usable node even when not joined).
    leg_s
        Access-leg time at the off-road speed (``inf`` where not joined).
    joined
        False where the point is too far from any road.
    """

    node: np.ndarray
    distance_m: np.ndarray
    leg_s: np.ndarray
    joined: np.ndarray


def snap_points(graph: RoutingGraph, lonlat: np.ndarray) -> Snap:
    """Join points (lon/lat, shape ``(n, 2)``) to their nearest usable node, by geodesic distance.

    The graph keeps its last few answers (read-only arrays): every standard of a run
    snaps the same settlements to the same profile's roads once.
    """
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    key = lonlat.tobytes()
    if key in graph.snaps:
        return graph.snaps[key]
    index, idx = graph.index
    if len(lonlat) == 0 or len(index) == 0:
        n = len(lonlat)
        snap = Snap(np.full(n, -1, np.int64), np.full(n, np.inf), np.full(n, np.inf), np.zeros(n, bool))
    else:
        pos, dist = index.nearest(lonlat[:, 0], lonlat[:, 1])
        joined = dist <= graph.profile.max_snap_m
        node = np.where(joined, idx[pos], -1)
        leg = np.where(joined, dist / graph.profile.offroad_m_per_s, np.inf)
        snap = Snap(node=node.astype(np.int64), distance_m=dist, leg_s=leg, joined=joined)
    for array in (snap.node, snap.distance_m, snap.leg_s, snap.joined):
        array.setflags(write=False)
    if len(graph.snaps) >= 8:
        graph.snaps.pop(next(iter(graph.snaps)))
    graph.snaps[key] = snap
    return snap


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
    access_s, egress_s
        The off-road legs of the trip: origin to its road node, and the facility's
        road node to the facility (the whole trip for ``direct``; 0 / ``inf`` where
        there is no trip).
    """

    seconds: np.ndarray
    facility: np.ndarray
    via: np.ndarray
    origin_snap: Snap
    access_s: np.ndarray
    egress_s: np.ndarray


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
        return NearestResult(seconds, facility, via, o_snap, access, egress)
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
    return NearestResult(seconds, facility, via, o_snap, access, egress)


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


def fastest_pairs(rows: list, cols: list, vals: list, shape: tuple[int, int], cutoff_s: float) -> TravelTimeMatrix:
    """Merge candidate (origin, destination, seconds) pairs keeping the fastest of each, in a stable order."""
    if rows:
        r, c, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    else:
        r = c = np.empty(0, np.int64)
        val = np.empty(0)
    order = np.lexsort((val, c, r))
    r, c, val = r[order], c[order], val[order]
    first = np.ones(len(r), bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return TravelTimeMatrix(origin=r[first], destination=c[first], seconds=val[first], shape=shape, cutoff_s=float(cutoff_s))


def direct_pairs(origins: np.ndarray, destinations: np.ndarray, cutoff_s: float, speed_m_per_s: float):
    """Straight cross-country pairs within the cutoff: (origin positions, destination positions, seconds)."""
    q, p, d = PointIndex(destinations[:, 0], destinations[:, 1]).within(origins[:, 0], origins[:, 1], cutoff_s * speed_m_per_s)
    return q, p, d / speed_m_per_s


def travel_time_matrix(
    graph: RoutingGraph,
    origins: np.ndarray,
    destinations: np.ndarray,
    *,
    cutoff_s: float,
    chunk_bytes: int = 256 << 20,
    bounded: bool = False,
) -> TravelTimeMatrix:
    """Travel times from origins to destinations, keeping only pairs within ``cutoff_s``.

    Dijkstra runs on the reversed graph from the destinations, a chunk at a time so
    that the dense rows scipy returns stay within ``chunk_bytes``.  With ``bounded``,
    each chunk of nearby destinations searches only the subgraph of nodes within
    ``cutoff_s`` x the graph's top speed of one of them (a provable bound: nothing
    farther can be reached in time); the answers are the full search's.  It is off by
    default: on the benchmark's province graph the reach of a 30-minute drive, not
    scipy's dense rows, dominates, and cutting the subgraph cost more than it saved
    (bench/RESULTS.md).

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
        Search each chunk's reachable subgraph only (False: the whole graph).

    Returns
    -------
    TravelTimeMatrix
    """
    o_ll = np.asarray(origins, float).reshape(-1, 2)
    d_ll = np.asarray(destinations, float).reshape(-1, 2)
    o_snap = snap_points(graph, o_ll)
    d_snap = snap_points(graph, d_ll)
    rows, cols, vals = [], [], []
    o_ok = np.flatnonzero(o_snap.joined)
    d_ok = np.flatnonzero(d_snap.joined & (d_snap.leg_s <= cutoff_s))
    d_ok = d_ok[_spatial_order(d_ll[d_ok])]
    per_chunk = max(1, int(chunk_bytes // (8 * max(graph.n_nodes, 1))))
    chunks = _nearby_chunks(d_ll[d_ok], cutoff_s * graph.top_speed_m_per_s / 4, min(per_chunk, 16)) if bounded else []
    if not bounded or len(chunks) > len(d_ok) / 2:
        # Destinations too scattered to share a subgraph: cutting one per destination costs more than it saves.
        bounded = False
        chunks = [np.arange(s0, min(s0 + per_chunk, len(d_ok))) for s0 in range(0, len(d_ok), per_chunk)]
    for part in chunks:
        chunk = d_ok[part]
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
        rows.append(o_ok[keep[oi]])
        cols.append(chunk[di])
        vals.append(t[di, oi])
    if graph.profile.direct_offroad and len(o_ll) and len(d_ll):
        q, p, t = direct_pairs(o_ll, d_ll, cutoff_s, graph.profile.offroad_m_per_s)
        rows.append(q)
        cols.append(p)
        vals.append(t)
    return fastest_pairs(rows, cols, vals, (len(o_ll), len(d_ll)), cutoff_s)


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
