"""Each OSM rule on a tiny hand-made OSM file, with the travel time worked out by hand.

Every case is one way of two nodes on the equator, from lon 0 to lon 0.01 (drawn
eastward), read through the real reader (osmium).  On the equator the geodesic
between two points of it runs along it: the way is exactly a x 0.01 degrees long,
with a = 6,378,137 m (WGS84), i.e. 1,113.1949 m.  The times are that length over
the speed the rule gives, forward (west to east) and backward.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path
from types import MappingProxyType
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

from coverage.errors import RoadNetworkError
from coverage.inputs._osmfile import read_osm_roads
from coverage.inputs._roads import report_exclusions
from coverage.inputs.config import Profile, load_profiles
from coverage.inputs.network import build_road_network
from coverage.inputs.osm_rules import load_osm_rules, parse_maxspeed
from coverage.travel._graph import build_routing_graph
from coverage.travel._search import nearest_facility

RULES = load_osm_rules()
LENGTH = 6_378_137.0 * math.radians(0.01)  # metres along the equator
DRIVE = dataclasses.replace(load_profiles()["drive"], direct_offroad=False)
WALK = dataclasses.replace(load_profiles()["walk"], direct_offroad=False)


def seconds(kmh: float) -> float:
    return LENGTH / (kmh / 3.6)


def osm_xml(ways: list[dict]) -> str:
    """One two-node way per entry, each on its own stretch of the equator (way k from lon 10k to 10k + 0.01)."""
    nodes, body = [], []
    for k, tags in enumerate(ways):
        a, b = 2 * k + 1, 2 * k + 2
        nodes.append(
            f'<node id="{a}" version="1" lat="0" lon="{10 * k}"/><node id="{b}" version="1" lat="0" lon="{10 * k + 0.01}"/>'
        )
        t = "".join(f"<tag k={quoteattr(key)} v={quoteattr(value)}/>" for key, value in tags.items())
        body.append(f'<way id="{k + 1}" version="1"><nd ref="{a}"/><nd ref="{b}"/>{t}</way>')
    return '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">' + "".join(nodes + body) + "</osm>"


ANCHOR = {"highway": "secondary"}  # a second way, so a graph exists even when the tested way is left out


def times(tmp_path, tags: dict, profile: Profile = DRIVE) -> tuple[float, float]:
    """(forward, backward) seconds along the tested way, through the real reader and routing."""
    path = tmp_path / "rule.osm"
    path.write_text(osm_xml([tags, ANCHOR]), encoding="utf-8")
    net = build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys()))
    g = build_routing_graph(net, profile, RULES)
    west, east = [[0.0, 0.0]], [[0.01, 0.0]]
    fwd = nearest_facility(g, west, east).seconds[0]
    bwd = nearest_facility(g, east, west).seconds[0]
    return fwd, bwd


def check(tmp_path, tags, want_fwd, want_bwd, profile=DRIVE):
    got = times(tmp_path, tags, profile)
    want = tuple(math.inf if w is None else seconds(w) for w in (want_fwd, want_bwd))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_length_is_the_equator_arc(tmp_path):
    path = tmp_path / "a.osm"
    path.write_text(osm_xml([{"highway": "secondary"}]), encoding="utf-8")
    net = build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys()))
    assert net.length_m[0] == pytest.approx(LENGTH, rel=1e-12)
    assert LENGTH == pytest.approx(1113.1949, abs=1e-4)


# --- oneway ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fwd", "bwd"),
    [
        ("yes", 60, None),
        ("true", 60, None),
        ("1", 60, None),
        ("-1", None, 60),
        ("reverse", None, 60),
        ("no", 60, 60),
        ("reversible", None, None),  # decision: not usable by car
        ("alternating", None, None),
        ("perhaps", 60, 60),  # not understood: no information, two-way
    ],
)
def test_oneway_values_when_driving(tmp_path, value, fwd, bwd):
    check(tmp_path, {"highway": "secondary", "oneway": value}, fwd, bwd)


@pytest.mark.parametrize("value", ["yes", "-1", "reversible"])
def test_walking_ignores_oneway(tmp_path, value):
    check(tmp_path, {"highway": "secondary", "oneway": value}, 3, 3, WALK)


def test_oneway_foot_binds_walkers_only(tmp_path):
    check(tmp_path, {"highway": "footway", "oneway:foot": "yes"}, 3, None, WALK)
    check(tmp_path, {"highway": "secondary", "oneway:foot": "-1"}, 60, 60)


@pytest.mark.parametrize("junction", ["roundabout", "circular"])
def test_roundabouts_are_one_way_unless_tagged_otherwise(tmp_path, junction):
    check(tmp_path, {"highway": "secondary", "junction": junction}, 60, None)
    check(tmp_path, {"highway": "secondary", "junction": junction, "oneway": "no"}, 60, 60)
    check(tmp_path, {"highway": "secondary", "junction": junction}, 3, 3, WALK)


def test_motorways_are_one_way_unless_tagged_otherwise(tmp_path):
    check(tmp_path, {"highway": "motorway"}, 100, None)
    check(tmp_path, {"highway": "motorway", "oneway": "no"}, 100, 100)


def test_most_specific_oneway_tag_wins(tmp_path):
    check(tmp_path, {"highway": "secondary", "oneway": "yes", "oneway:motorcar": "no"}, 60, 60)
    check(tmp_path, {"highway": "secondary", "oneway": "no", "oneway:vehicle": "-1"}, None, 60)


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "drive", "walk"),
    [
        ({"access": "no"}, False, False),
        ({"access": "private"}, False, False),
        ({"access": "destination"}, True, True),
        ({"access": "permissive"}, True, True),
        ({"access": "customers"}, True, True),
        ({"access": "delivery"}, False, False),
        ({"access": "no", "motorcar": "yes"}, True, False),
        ({"access": "no", "foot": "yes"}, False, True),
        ({"motor_vehicle": "private"}, False, True),
        ({"vehicle": "no"}, False, True),
        ({"vehicle": "no", "motor_vehicle": "yes"}, True, True),
        ({"foot": "no"}, True, False),
        ({"access": "agricultural"}, False, False),
        ({"access": "conditional @ (Mo-Fr)"}, True, True),  # not understood: ignored
        ({"access": "no", "motorcar": "conditional"}, False, False),  # an unknown value falls through to access=no
        # Value lists: open if any listed value opens, closed if none opens and one closes.
        ({"vehicle": "agricultural;forestry"}, False, True),
        ({"motor_vehicle": "agricultural; forestry"}, False, True),  # spaces around the separator
        ({"access": "no", "motorcar": "destination;delivery"}, True, False),  # one value opens
        ({"access": "yes", "motorcar": "forestry;conditional"}, False, True),  # the known value decides
        ({"foot": "private;permissive"}, True, True),
        ({"access": "no", "foot": "conditional;other"}, False, False),  # nothing known: the ladder goes on
        # motorroad=yes closes walking where no foot tag decides; motor vehicles keep it.
        ({"motorroad": "yes"}, True, False),
        ({"motorroad": "yes", "foot": "yes"}, True, True),
        ({"motorroad": "no"}, True, True),
        ({"motorroad": "yes", "access": "permissive"}, True, True),  # an explicit general tag decides for walkers too
    ],
)
def test_access_ladder(tmp_path, tags, drive, walk):
    base = {"highway": "tertiary", **tags}
    check(tmp_path, base, *((50, 50) if drive else (None, None)))
    check(tmp_path, base, *((3, 3) if walk else (None, None)), WALK)


def test_value_lists_are_understood_and_reported_when_a_part_is_not(tmp_path):
    from coverage.inputs.osm_rules import access_value, exclusion_report

    assert access_value("agricultural;forestry", RULES) is False
    assert access_value("no;yes", RULES) is True
    assert access_value("sometimes;never", RULES) is None
    path = tmp_path / "lists.osm"
    path.write_text(
        osm_xml([{"highway": "track", "vehicle": "agricultural;forestry"}, {"highway": "track", "vehicle": "forestry;maybe"}]),
        encoding="utf-8",
    )
    report = exclusion_report(build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys())), RULES)
    assert report["access"] == {"vehicle=forestry;maybe": 1}


def test_a_motorroad_rule_naming_no_mode_is_refused(tmp_path):
    from coverage.errors import CatalogueError
    from coverage.inputs.osm_rules import load_osm_rules

    text = (Path(__import__("coverage").__file__).parent / "data" / "osm_rules.toml").read_text(encoding="utf-8")
    bad = tmp_path / "rules.toml"
    bad.write_text(text.replace('closes = ["foot"]', 'closes = ["feet"]'), encoding="utf-8")
    with pytest.raises(CatalogueError, match="closes names no"):
        load_osm_rules(bad)


# --- barrier nodes -------------------------------------------------------------------------


def barrier_times(tmp_path, node_tags: dict, profile: Profile = DRIVE) -> float:
    """Seconds from end to end of a two-segment tertiary road whose middle node carries ``node_tags``."""
    t = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in node_tags.items())
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">'
        '<node id="1" version="1" lat="0" lon="0"/>'
        f'<node id="2" version="1" lat="0" lon="0.005">{t}</node>'
        '<node id="3" version="1" lat="0" lon="0.01"/>'
        '<node id="4" version="1" lat="1" lon="0"/><node id="5" version="1" lat="1" lon="0.01"/>'
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="tertiary"/></way>'
        '<way id="2" version="1"><nd ref="4"/><nd ref="5"/><tag k="highway" v="secondary"/></way></osm>'
    )
    path = tmp_path / "barrier.osm"
    path.write_text(xml, encoding="utf-8")
    net = build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys(), node_tag_keys=RULES.node_tag_keys()))
    g = build_routing_graph(net, profile, RULES)
    return nearest_facility(g, [[0.0, 0.0]], [[0.01, 0.0]]).seconds[0]


@pytest.mark.parametrize(
    ("tags", "drive", "walk"),
    [
        ({}, True, True),
        ({"barrier": "bollard"}, False, True),
        ({"barrier": "block"}, False, True),
        ({"barrier": "kissing_gate"}, False, True),
        ({"barrier": "gate"}, True, True),  # a gate is open unless its own tags close it
        ({"barrier": "lift_gate"}, True, True),
        ({"barrier": "gate", "access": "private"}, False, False),
        ({"barrier": "gate", "foot": "no"}, True, False),
        ({"barrier": "bollard", "motorcar": "yes"}, True, True),  # the node's own tag opens it
        ({"barrier": "fence"}, False, False),
        ({"barrier": "fence", "foot": "yes"}, False, True),
        ({"barrier": "kerb"}, True, True),  # not listed: closes nothing
        ({"barrier": "chain", "motor_vehicle": "agricultural;forestry"}, False, True),
        ({"access": "no"}, True, True),  # access on a plain node: the way's business, not the node's
    ],
)
def test_barrier_nodes_cut_the_way_for_the_modes_they_close(tmp_path, tags, drive, walk):
    # Hand-worked: 0.01 degree of the equator (1,113.19 m) at 50 km/h or 3 km/h; a cut way leaves no route.
    for profile, ok, kmh in ((DRIVE, drive, 50), (WALK, walk, 3)):
        got = barrier_times(tmp_path, tags, profile)
        assert got == (pytest.approx(seconds(kmh), rel=1e-12, abs=1e-8) if ok else math.inf), (tags, profile.name)


def test_barrier_nodes_are_counted_in_the_exclusion_report(tmp_path):
    from coverage.inputs.osm_rules import exclusion_report

    barrier_times(tmp_path, {"barrier": "fence"})
    net = build_road_network(
        read_osm_roads(tmp_path / "barrier.osm", tag_keys=RULES.tag_keys(), node_tag_keys=RULES.node_tag_keys())
    )
    assert exclusion_report(net, RULES)["barrier"] == {"barrier=fence (motorcar)": 1, "barrier=fence (foot)": 1}


# --- ways that are no road -------------------------------------------------------------------


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "construction"},
        {"highway": "proposed"},
        {"highway": "abandoned"},
        {"highway": "platform"},
        {"highway": "raceway"},
        {"highway": "bus_guideway"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "trail"},  # an unknown value
    ],
)
def test_excluded_and_unknown_ways_are_left_out(tmp_path, tags):
    check(
        tmp_path,
        tags,
        None,
        None,
        dataclasses.replace(WALK, speeds_kmh=MappingProxyType({**WALK.speeds_kmh, tags["highway"]: 3.0})),
    )


def test_left_out_ways_are_reported_once(tmp_path, caplog):
    path = tmp_path / "mixed.osm"
    path.write_text(
        osm_xml(
            [
                {"highway": "trail"},
                {"highway": "trail"},
                {"highway": "construction"},
                {"highway": "footway", "area": "yes"},
                {"highway": "secondary", "access": "maybe"},
                {"highway": "secondary", "maxspeed": "fast"},
                ANCHOR,
            ]
        ),
        encoding="utf-8",
    )
    net = build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys()))
    with caplog.at_level(logging.WARNING):
        lines = report_exclusions(path, net, RULES)
    assert len([r for r in caplog.records if str(path) in r.getMessage()]) == 1
    text = " ".join(lines)
    assert "2 ways with a highway value the OSM rules do not know (left out): `trail` 2" in text
    assert "1 ways that are no road for travel (construction, platforms...; left out): `construction` 1" in text
    assert "`area=yes` 1" in text and "`access=maybe` 1" in text and "`maxspeed=fast` 1" in text


def test_an_extract_with_only_excluded_ways_is_a_clear_error(tmp_path):
    path = tmp_path / "site.osm"
    path.write_text(osm_xml([{"highway": "construction"}]), encoding="utf-8")
    net = build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys()))
    with pytest.raises(RoadNetworkError, match="no road in the network is usable by the 'drive' profile"):
        build_routing_graph(net, DRIVE, RULES)


# --- speeds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maxspeed", "kmh"),
    [
        ("80", 80),
        ("50 mph", 50 * 1.609344),
        ("30 km/h", 30),
        ("none", 60),  # no number: the class speed
        ("signals", 60),
        ("CN:urban", 50),
        ("CN:rural", 70),
        ("60;80", 60),
        ("80;60", 60),
        ("walk", 6),
        ("RU:urban", 60),
        ("XX:nowhere", 60),  # unknown code: the class speed
        ("200", 100),  # capped at the profile's max_kmh
    ],
)
def test_maxspeed(tmp_path, maxspeed, kmh):
    check(tmp_path, {"highway": "secondary", "maxspeed": maxspeed}, kmh, kmh)


def test_directional_maxspeed(tmp_path):
    check(tmp_path, {"highway": "secondary", "maxspeed": "50", "maxspeed:forward": "70"}, 70, 50)
    check(tmp_path, {"highway": "secondary", "maxspeed:backward": "40"}, 60, 40)


def test_walking_ignores_maxspeed(tmp_path):
    check(tmp_path, {"highway": "secondary", "maxspeed": "80"}, 3, 3, WALK)


@pytest.mark.parametrize(
    ("grade", "kmh"), [("grade1", 40), ("grade2", 30), ("grade3", 25), ("grade4", 20), ("grade5", 15), ("", 25)]
)
def test_track_speed_by_tracktype(tmp_path, grade, kmh):
    tags = {"highway": "track", **({"tracktype": grade} if grade else {})}
    check(tmp_path, tags, kmh, kmh)


@pytest.mark.parametrize(
    ("surface", "highway", "kmh"),
    [
        ("sand", "track", 15),
        ("sand", "secondary", 15),
        ("gravel", "secondary", 45),
        ("gravel", "track", 25),
        ("asphalt", "secondary", 60),
        ("ground", "tertiary", 30),
    ],
)
def test_surface_caps_the_speed(tmp_path, surface, highway, kmh):
    check(tmp_path, {"highway": highway, "surface": surface}, kmh, kmh)


def test_surface_cap_applies_after_tracktype_and_maxspeed(tmp_path):
    check(tmp_path, {"highway": "track", "tracktype": "grade1", "surface": "sand"}, 15, 15)
    check(tmp_path, {"highway": "secondary", "maxspeed": "80", "surface": "gravel"}, 45, 45)


def test_parse_maxspeed_units():
    assert parse_maxspeed("", RULES) != parse_maxspeed("", RULES)  # NaN: absent
    assert parse_maxspeed("0", RULES) != parse_maxspeed("0", RULES)  # 0 is no limit to travel at
    assert parse_maxspeed("25 mph", RULES) == pytest.approx(40.2336)


def test_profile_mode_must_exist_in_the_rules(tmp_path):
    bad = dataclasses.replace(DRIVE, mode="hovercraft")
    with pytest.raises(RoadNetworkError, match="mode 'hovercraft' is not in the OSM rules"):
        times(tmp_path, {"highway": "secondary"}, bad)


# --- files as editors leave them ------------------------------------------------------------------


def _renumbered(text: str, sign: str) -> str:
    """The same file with every node and way id written with a sign (JOSM writes new objects as negative ids)."""
    return text.replace(' id="', f' id="{sign}').replace(' ref="', f' ref="{sign}')


def test_negative_ids_read_like_positive_ones(tmp_path):
    """A file edited in JOSM and not uploaded numbers new objects negatively: same roads, same times."""
    text = osm_xml([{"highway": "secondary", "oneway": "yes"}, {"highway": "track"}])
    nets = []
    for sign in ("", "-"):
        path = tmp_path / f"ids{sign}.osm"
        path.write_text(_renumbered(text, sign), encoding="utf-8")
        nets.append(build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys())))
    pos, neg = nets
    assert neg.n_edges == pos.n_edges == 2
    order = np.argsort(-neg.osmid)  # -1, -2, ... against 1, 2, ...
    np.testing.assert_array_equal(-neg.osmid[order], pos.osmid)
    np.testing.assert_array_equal(neg.lon[order], pos.lon)
    np.testing.assert_array_equal(neg.length_m, pos.length_m)
    g_pos, g_neg = (build_routing_graph(n, DRIVE, RULES) for n in (pos, neg))
    west, east = [[0.0, 0.0]], [[0.01, 0.0]]
    for a, b in ((west, east), (east, west)):
        assert nearest_facility(g_neg, a, b).seconds[0] == nearest_facility(g_pos, a, b).seconds[0]
    assert nearest_facility(g_neg, east, west).seconds[0] == math.inf  # still one way


def test_vertices_outside_the_globe_are_left_out_with_a_warning(tmp_path, caplog):
    """A node at latitude 95 cannot be placed: its segments go, the others stay, and the user is told."""
    text = osm_xml([{"highway": "secondary"}, {"highway": "track"}]).replace('lat="0" lon="10"', 'lat="95" lon="10"')
    path = tmp_path / "bad.osm"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        net = build_road_network(read_osm_roads(path, tag_keys=RULES.tag_keys()))
    assert net.n_edges == 1 and set(net.lat) == {0.0}
    assert any("outside -180..180 / -90..90" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
