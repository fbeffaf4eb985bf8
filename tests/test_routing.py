"""Travel times against independent networkx computations and hand-checked cases."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import networkx as nx
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely

from coverage import io
from coverage.config import Profile, load_profiles
from coverage.network import build_road_network
from coverage.routing import (
    build_routing_graph,
    nearest_facility,
    service_area,
    snap_points,
    travel_time_matrix,
)

PROFILES = load_profiles()


# --- an independent reference: networkx on the same segments -----------------------


def reference_times(net, profile, origins_xy, facilities_xy):
    """Multi-source Dijkstra in networkx, with access legs found by brute force."""
    g = nx.DiGraph()
    for i in range(net.n_edges):
        hw = str(net.highway[i])
        if hw not in profile.speeds_kmh:
            continue
        kmh = profile.speeds_kmh[hw]
        if profile.use_maxspeed and np.isfinite(net.maxspeed_kmh[i]) and net.maxspeed_kmh[i] > 0:
            kmh = net.maxspeed_kmh[i]
        kmh = min(kmh, profile.max_kmh)
        t = net.length_m[i] / (kmh / 3.6)
        pairs = [(net.u[i], net.v[i])]
        if not (net.oneway[i] and profile.honour_oneway):
            pairs.append((net.v[i], net.u[i]))
        for a, b in pairs:
            if a != b and (not g.has_edge(a, b) or g[a][b]["w"] > t):
                g.add_edge(int(a), int(b), w=t)
    nodes = np.array(sorted(g.nodes))
    xy = np.column_stack([net.x[nodes], net.y[nodes]])
    v = profile.offroad_kmh / 3.6

    def nearest(p):
        d = np.hypot(*(xy - p).T)
        k = int(np.argmin(d))
        return int(nodes[k]), d[k]

    rev = g.reverse(copy=True)
    for j, p in enumerate(facilities_xy):
        node, d = nearest(p)
        if d <= profile.max_snap_m:
            rev.add_edge(("F", j), node, w=d / v)
    sources = [n for n in rev.nodes if isinstance(n, tuple)]
    dist = nx.multi_source_dijkstra_path_length(rev, sources, weight="w") if sources else {}
    out = np.full(len(origins_xy), np.inf)
    for i, p in enumerate(origins_xy):
        node, d = nearest(p)
        if d <= profile.max_snap_m and node in dist:
            out[i] = d / v + dist[node]
        if profile.direct_offroad:
            out[i] = min(out[i], np.hypot(*(facilities_xy - p).T).min() / v)
    return out


def random_points(net, n, rng, spread_m=800.0):
    k = rng.integers(0, net.n_nodes, n)
    return np.column_stack([net.x[k], net.y[k]]) + rng.normal(0, spread_m, (n, 2))


@pytest.fixture(scope="module")
def helsinki():
    nodes, edges = io.read_road_edges(pyrosm.get_data("helsinki_pbf"))
    return build_road_network(nodes, edges, crs="EPSG:32635")


@pytest.fixture(scope="module")
def rural_finland():
    nodes, edges = io.read_road_edges(pyrosm.get_data("test_pbf"))
    return build_road_network(nodes, edges, crs="EPSG:32635")


@pytest.mark.parametrize("profile", ["drive", "walk"])
def test_bundled_zone_equals_networkx(tengger, profile):
    graph = tengger.routing_graph(profile)
    medical = tengger.facilities[tengger.facilities["facility_type"].isin(["health_centre", "village_clinic", "hospital"])]
    o, f = tengger.xy(tengger.settlements), tengger.xy(medical)
    got = nearest_facility(graph, o, f).seconds
    want = reference_times(tengger.network, graph.profile, o, f)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("profile", ["drive", "walk"])
@pytest.mark.parametrize("network", ["helsinki", "rural_finland"])
def test_real_osm_equals_networkx(request, network, profile, direct):
    net = request.getfixturevalue(network)
    # Without direct cross-country trips the street network alone decides every time.
    prof = dataclasses.replace(PROFILES[profile], direct_offroad=direct)
    rng = np.random.default_rng(7)
    o = random_points(net, 300, rng)
    f = random_points(net, 12, rng)
    got = nearest_facility(build_routing_graph(net, prof), o, f)
    want = reference_times(net, prof, o, f)
    np.testing.assert_allclose(got.seconds, want, rtol=0, atol=1e-6)
    if not direct:
        assert (got.via[np.isfinite(got.seconds)] == "road").all() and np.isfinite(got.seconds).sum() > 100


def tiny_network(oneway_ab: bool):
    """Hand-made: A-B-C in line (1 km each), B-D 1 km, and E-F far away (disconnected).

    ``A->B`` may be one-way.  Coordinates near 105 E, 38 N; lengths given explicitly.
    """
    lon0, lat0 = 105.0, 38.0
    dlon = 1000 / (111_320 * np.cos(np.radians(lat0)))
    nodes = pd.DataFrame(
        {
            "lon": [lon0, lon0 + dlon, lon0 + 2 * dlon, lon0 + dlon, lon0 + 0.5, lon0 + 0.5 + dlon],
            "lat": [lat0, lat0, lat0, lat0 + 0.009, lat0, lat0],
        },
        index=[1, 2, 3, 4, 5, 6],
    )
    edges = pd.DataFrame(
        {
            "u": [1, 2, 2, 5],
            "v": [2, 3, 4, 6],
            "length_m": [1000.0, 1000.0, 1000.0, 1000.0],
            "highway": ["secondary", "secondary", "track", "secondary"],
            "maxspeed": ["", "", "", ""],
            "oneway": ["yes" if oneway_ab else "", "", "", ""],
            "name": "",
            "source": "",
            "geometry": None,
        }
    )
    return build_road_network(nodes, edges, crs="EPSG:32648")


def test_hand_checked_one_way_and_disconnected():
    prof = Profile(
        name="test",
        description="",
        speeds_kmh=MappingProxyType({"secondary": 60.0, "track": 30.0}),
        use_maxspeed=False,
        max_kmh=100.0,
        honour_oneway=True,
        offroad_kmh=6.0,
        max_snap_m=500.0,
        direct_offroad=False,
    )
    net = tiny_network(oneway_ab=True)
    g = build_routing_graph(net, prof)
    xy = np.column_stack([net.x, net.y])
    # Facility exactly at A; origins at C, D and E (disconnected), and at A itself.
    res = nearest_facility(g, xy[[2, 3, 4, 0]], xy[[0]])
    # From C to A runs C->B->A, against the one-way A->B: impossible.  D->B->A likewise.
    assert np.isinf(res.seconds[:3]).all() and (res.facility[:3] == -1).all() and (res.via[:3] == "").all()
    assert res.seconds[3] == pytest.approx(0.0, abs=1e-6)
    # Facility at C instead: A->B->C = 2 km at 60 km/h = 120 s; D->B (track, 30 km/h) = 120 s, + B->C 60 s.
    res = nearest_facility(g, xy[[0, 3, 4]], xy[[2]])
    np.testing.assert_allclose(res.seconds[:2], [120.0, 180.0], atol=1e-6)
    assert np.isinf(res.seconds[2])  # E is in another component: unreachable, never 0 or NaN
    # Two-way: C can now reach A in 120 s.
    g2 = build_routing_graph(tiny_network(oneway_ab=False), prof)
    assert nearest_facility(g2, xy[[2]], xy[[0]]).seconds[0] == pytest.approx(120.0)
    # Access legs: an origin 300 m north of A at 6 km/h adds 180 s; beyond 500 m it is not joined.
    p = xy[[0]] + [[0.0, 300.0]]
    assert nearest_facility(g, p, xy[[2]]).seconds[0] == pytest.approx(180.0 + 120.0)
    far = xy[[0]] + [[0.0, 600.0]]
    snap = snap_points(g, far)
    assert not snap.joined[0] and np.isinf(nearest_facility(g, far, xy[[2]]).seconds[0])


def test_cutoff_makes_far_origins_unreachable(tengger):
    graph = tengger.routing_graph("drive")
    medical = tengger.facilities[tengger.facilities["facility_type"] == "health_centre"]
    o, f = tengger.xy(tengger.settlements), tengger.xy(medical)
    full = nearest_facility(graph, o, f).seconds
    cut = nearest_facility(graph, o, f, cutoff_s=1800).seconds
    np.testing.assert_array_equal(cut, np.where(full <= 1800, full, np.inf))


def test_nearest_facility_names_the_right_facility(tengger):
    graph = tengger.routing_graph("drive")
    med = tengger.facilities[tengger.facilities["facility_type"].isin(["health_centre", "village_clinic"])]
    o, f = tengger.xy(tengger.settlements), tengger.xy(med)
    res = nearest_facility(graph, o, f)
    # The named facility alone gives the same time: it really is the one reached.
    for i in np.flatnonzero(np.isfinite(res.seconds)):
        alone = nearest_facility(graph, o[[i]], f[[res.facility[i]]]).seconds[0]
        assert alone == pytest.approx(res.seconds[i], abs=1e-6)


@pytest.mark.parametrize("profile", ["drive", "walk"])
def test_matrix_equals_pairwise_networkx(tengger, profile):
    graph = tengger.routing_graph(profile)
    o = tengger.xy(tengger.settlements)
    d = tengger.xy(tengger.facilities.iloc[::4])
    cutoff = 3600.0 if profile == "drive" else 900.0
    m = travel_time_matrix(graph, o, d, cutoff_s=cutoff, chunk_bytes=8 * graph.n_nodes * 3)  # force several chunks
    dense = np.full(m.shape, np.inf)
    dense[m.origin, m.destination] = m.seconds
    want = np.column_stack([reference_times(tengger.network, graph.profile, o, d[[j]]) for j in range(len(d))])
    want[want > cutoff] = np.inf
    np.testing.assert_allclose(dense, want, rtol=0, atol=1e-6)
    assert np.all(m.seconds <= cutoff)


def test_service_area_contains_every_origin_within_the_time(tengger):
    graph = tengger.routing_graph("drive")
    med = tengger.facilities[tengger.facilities["facility_type"].isin(["health_centre", "village_clinic"])]
    o, f = tengger.xy(tengger.settlements), tengger.xy(med)
    t = nearest_facility(graph, o, f).seconds
    area = service_area(graph, f, 1800.0)
    inside = shapely.contains_xy(area, o[:, 0], o[:, 1])
    assert inside[t <= 0.95 * 1800].all()
    assert (t > 1800).any() and area.area > 0
    # More time never shrinks the area.
    assert service_area(graph, f, 3600.0).contains(area.buffer(-1))
