"""Independent references for travel times: plain Python rules per way, networkx, brute-force snapping.

Nothing here calls the package's routing code. The OSM rules are re-implemented
way by way from the documented rule tables (the same data, read as data), so a
mistake in the vectorised rules of ``coverage.osm`` shows up as a disagreement.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import networkx as nx
import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
RULES = tomllib.loads(resources.files("coverage").joinpath("data", "osm_rules.toml").read_text(encoding="utf-8"))


def _maxspeed(text: str) -> float | None:
    """Lowest of ';'-separated values: numbers (km/h or mph), codes, 'walk'; None if no number."""
    found = []
    for part in (text or "").split(";"):
        part = part.strip()
        number = part.lower().replace("km/h", "").replace("kmh", "").replace("kph", "").strip()
        if number.endswith("mph"):
            try:
                found.append(float(number[:-3]) * 1.609344)
            except ValueError:
                pass
            continue
        try:
            if float(number) > 0:
                found.append(float(number))
            continue
        except ValueError:
            pass
        if part in RULES["maxspeed"]["codes"]:
            found.append(RULES["maxspeed"]["codes"][part])
        elif part == "walk":
            found.append(RULES["maxspeed"]["walk_kmh"])
    return min(found) if found else None


def way_speeds(tags: dict, profile) -> tuple[float | None, float | None]:
    """(forward km/h or None, backward km/h or None) of one way for a profile, by the documented rules."""
    hw = tags.get("highway", "")
    if hw not in RULES["highway"]["known"] or hw in RULES["highway"]["excluded"]:
        return None, None
    if tags.get("area", "") in RULES["area"]["excluded_values"]:
        return None, None
    if hw not in profile.speeds_kmh:
        return None, None
    mode = RULES["mode"][profile.mode]
    access = RULES["access"]
    for key in reversed(mode["access"]):
        parts = tags.get(key, "").split(";")  # a list: open if any part opens, closed if none opens and one closes
        if any(p.strip() in access["open"] for p in parts):
            break
        if any(p.strip() in access["closed"] for p in parts):
            return None, None
    else:  # no tag decided: a motorroad is closed to the modes the rules list
        motorroad = RULES.get("motorroad", {})
        if tags.get("motorroad", "") in motorroad.get("values", []) and profile.mode in motorroad.get("closes", []):
            return None, None
    one = RULES["oneway"]
    direction = None
    for key in reversed(mode["oneway"]):
        value = tags.get(key, "")
        if value in one["forward"]:
            direction = "forward"
        elif value in one["backward"]:
            direction = "backward"
        elif value in one["two_way"]:
            direction = "both"
        elif value in one["closed"]:
            return None, None
        if direction:
            break
    if direction is None:
        implied = (mode["junction_oneway"] and tags.get("junction", "") in one["junction_implies_forward"]) or (
            hw in mode["implied_oneway_highways"]
        )
        direction = "forward" if implied else "both"
    kmh = profile.speeds_kmh[hw]
    if hw == "track" and tags.get("tracktype", "") in mode["tracktype_kmh"]:
        kmh = mode["tracktype_kmh"][tags["tracktype"]]
    fwd = bwd = kmh
    if profile.use_maxspeed:
        general = _maxspeed(tags.get("maxspeed", ""))
        f = _maxspeed(tags.get("maxspeed:forward", "")) or general
        b = _maxspeed(tags.get("maxspeed:backward", "")) or general
        fwd, bwd = f or fwd, b or bwd
    cap = mode["surface_max_kmh"].get(tags.get("surface", ""), np.inf)
    fwd, bwd = min(fwd, cap, profile.max_kmh), min(bwd, cap, profile.max_kmh)
    return (fwd if direction in ("forward", "both") else None), (bwd if direction in ("backward", "both") else None)


def barrier_closed(tags: dict, mode: str) -> bool:
    """Whether a node with these tags stops a mode: its own access ladder first, else its barrier's default."""
    barrier = tags.get("barrier", "")
    if not barrier:
        return False
    access = RULES["access"]
    for key in reversed(RULES["mode"][mode]["access"]):
        parts = [p.strip() for p in tags.get(key, "").split(";")]
        if any(p in access["open"] for p in parts):
            return False
        if any(p in access["closed"] for p in parts):
            return True
    return mode in RULES.get("barrier", {}).get("closes", {}).get(barrier, [])


def network_graph(net, profile) -> nx.DiGraph:
    """networkx graph of a RoadNetwork's segments, weights by :func:`way_speeds` on each way's tags."""
    way_tags = [{k: str(col.values[col.codes[w]]) for k, col in net.tags.items()} for w in range(net.n_ways)]
    node_tags = net.node_tags
    stops = (
        {
            n
            for n in range(net.n_nodes)
            if barrier_closed({k: str(col.values[col.codes[n]]) for k, col in node_tags.items()}, profile.mode)
        }
        if "barrier" in node_tags
        else set()
    )
    g = nx.DiGraph()
    for i in range(net.n_edges):
        f, b = way_speeds(way_tags[net.way[i]], profile)
        if net.u[i] in stops or net.v[i] in stops:  # a barrier closed to the mode cuts the way there
            f = b = None
        for (a, c), kmh in (((net.u[i], net.v[i]), f), ((net.v[i], net.u[i]), b)):
            if kmh is None:
                continue
            g.add_nodes_from([int(a), int(c)])  # a node on a usable self-loop is still a road node
            if a == c:
                continue
            t = max(net.length_m[i] / (kmh / 3.6), 1e-9)
            if not g.has_edge(int(a), int(c)) or g[int(a)][int(c)]["w"] > t:
                g.add_edge(int(a), int(c), w=t)
    return g


def nearest_node(lon, lat, p) -> tuple[int, float]:
    """Brute force: position and geodesic distance of the nearest of (lon, lat) to point p (lowest position on ties)."""
    _, _, d = GEOD.inv(np.full(len(lon), p[0]), np.full(len(lon), p[1]), lon, lat)
    k = int(np.argmin(d))
    return k, float(d[k])


def reference_times(net, profile, origins, facilities) -> np.ndarray:
    """Nearest-facility seconds per origin: networkx multi-source Dijkstra, legs and direct trips by brute force."""
    g = network_graph(net, profile)
    nodes = np.array(sorted(g.nodes)) if g.number_of_nodes() else np.empty(0, int)
    v = profile.offroad_kmh / 3.6
    rev = g.reverse(copy=True)
    lon, lat = net.lon[nodes], net.lat[nodes]
    for j, p in enumerate(facilities):
        if len(nodes) == 0:
            break
        k, d = nearest_node(lon, lat, p)
        if d <= profile.max_snap_m:
            rev.add_edge(("F", j), int(nodes[k]), w=max(d / v, 1e-9))
    sources = [x for x in rev.nodes if isinstance(x, tuple)]
    dist = nx.multi_source_dijkstra_path_length(rev, sources, weight="w") if sources else {}
    out = np.full(len(origins), np.inf)
    for i, p in enumerate(origins):
        if len(nodes):
            k, d = nearest_node(lon, lat, p)
            if d <= profile.max_snap_m and int(nodes[k]) in dist:
                out[i] = d / v + dist[int(nodes[k])]
        if profile.direct_offroad and len(facilities):
            _, _, dd = GEOD.inv(
                np.full(len(facilities), p[0]), np.full(len(facilities), p[1]), facilities[:, 0], facilities[:, 1]
            )
            out[i] = min(out[i], dd.min() / v)
    return out
