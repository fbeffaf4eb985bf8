"""Routing graphs: a road network prepared for one profile (CSR arrays), and where points join it."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import RoadNetworkError
from ..geodesy import PointIndex, distance_m
from ..i18n import Msg
from ..inputs.config import Profile
from ..inputs.network import RoadNetwork
from ..inputs.osm_rules import (
    BACKWARD,
    BOTH,
    FORWARD,
    OsmRules,
    load_osm_rules,
    node_closed,
    way_access,
    way_direction,
    way_kept,
    way_speeds_kmh,
)
from ._types import ZERO_COST_S

__all__ = ["RoutingGraph", "Snap", "build_routing_graph", "segment_speeds_kmh", "snap_points"]

log = logging.getLogger(__name__)


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
    closed = node_closed(network.node_tags, rules, profile.mode)
    if closed.any():  # a barrier closed to the mode cuts the ways through it
        through = closed[network.u] | closed[network.v]
        ok_f, ok_b = ok_f & ~through, ok_b & ~through
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
