"""OpenStreetMap files read with osmium: the road ways, and tagged nodes and areas."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import RoadNetworkError
from ..i18n import N_, Msg, Note
from .network import RawRoads

__all__ = ["OsmFeature", "read_osm_features", "read_osm_roads"]

log = logging.getLogger(__name__)


OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".xml", ".osm.xml")


def read_osm_roads(path: Path | str, *, tag_keys: tuple[str, ...], node_tag_keys: tuple[str, ...] = ()) -> RawRoads:
    """Read the roads (ways with a ``highway`` tag) of an OpenStreetMap file with osmium.

    One reader for every format libosmium knows: XML (``.osm``, ``.osm.bz2``,
    ``.osm.gz``) and PBF (``.osm.pbf``), so the same data gives the same network
    whatever its format.  Every vertex is a node; each pair of consecutive vertices
    whose locations are in the file is a segment (a way cut by the extract's edge
    keeps its inside pieces).  Negative ids (objects drawn in JOSM and not uploaded)
    read like positive ones; a vertex whose coordinates lie outside the globe is
    left out with a warning.

    Parameters
    ----------
    path
        The OSM file.
    tag_keys
        Tags to keep per way (the rules' keys; see :meth:`coverage.osm.OsmRules.tag_keys`).
    node_tag_keys
        Tags to keep on barrier nodes (nodes with a ``barrier`` tag) of the roads
        (:meth:`coverage.osm.OsmRules.node_tag_keys`); none read when empty.

    Returns
    -------
    RawRoads

    Raises
    ------
    RoadNetworkError
        The file is missing, of an unknown type, unreadable (garbage, truncated,
        empty), or holds no way with a ``highway`` tag.
    """
    path = Path(path)
    _check_osm_path(path, N_("road file"))
    ways = _collect_ways(path, tag_keys, node_tag_keys)
    if not ways.ids:
        raise RoadNetworkError(
            Msg(
                "{path}: no roads (no way with a 'highway' tag) in the file; check that the extract covers the region.", path=path
            )
        )
    ref, x, y = np.asarray(ways.refs, np.int64), np.asarray(ways.xs, np.int64), np.asarray(ways.ys, np.int64)
    _negative_id_locations(path, ref, x, y)
    valid = _valid_locations(path, x, y)
    vertex_way = np.repeat(np.arange(len(ways.ids), dtype=np.int64), np.asarray(ways.counts, np.int64))
    # A segment joins each vertex to the next one of the same way, when both have a valid location.
    k = np.flatnonzero((vertex_way[1:] == vertex_way[:-1]) & valid[1:] & valid[:-1]) + 1
    node_id, first, inverse = np.unique(ref[valid], return_index=True, return_inverse=True)
    position = np.full(len(ref), -1, np.int64)
    position[valid] = inverse
    return RawRoads(
        node_id=node_id,
        lon=x[valid][first] / 1e7,
        lat=y[valid][first] / 1e7,
        u=position[k - 1],
        v=position[k],
        way=vertex_way[k],
        way_id=np.asarray(ways.ids, np.int64),
        tags={key: _spread(len(ways.ids), ways.tag_ways[key], ways.tag_values[key]) for key in tag_keys},
        node_tags=_node_tags(node_id, ways.barriers, node_tag_keys),
    )


def _node_tags(node_id: np.ndarray, barriers: dict[int, dict], keys: tuple[str, ...]) -> dict[str, list[str]]:
    """Tag columns over the road nodes, from the barrier nodes' tags (``""`` elsewhere)."""
    if not barriers:
        return {}
    where = {int(n): k for k, n in enumerate(node_id.tolist())}
    out = {key: [""] * len(node_id) for key in keys}
    for osm_id, tags in barriers.items():
        k = where.get(osm_id)
        if k is None:
            continue  # a barrier on no road of the file
        for key, value in tags.items():
            out[key][k] = value
    return out


@dataclass
class _Ways:
    """What one pass over an extract collects of its road ways (flat lists: a province has millions of vertices)."""

    refs: list = field(default_factory=list)  # node id of every vertex
    xs: list = field(default_factory=list)  # osmium's fixed-point coordinates (1e-7 degree); undefined where absent
    ys: list = field(default_factory=list)
    counts: list = field(default_factory=list)  # vertices per way
    ids: list = field(default_factory=list)
    tag_ways: dict = field(default_factory=dict)  # per key: the ways that have it...
    tag_values: dict = field(default_factory=dict)  # ...and their values
    barriers: dict = field(default_factory=dict)  # barrier node id -> its tags of the node keys


def _collect_ways(path: Path, tag_keys: tuple[str, ...], node_tag_keys: tuple[str, ...] = ()) -> _Ways:
    """Every way with a ``highway`` tag: its vertices with their locations, the tags of ``tag_keys``; barrier nodes' tags."""
    import osmium

    ways = _Ways(tag_ways={k: [] for k in tag_keys}, tag_values={k: [] for k in tag_keys})
    refs, xs, ys, counts, ids = ways.refs, ways.xs, ways.ys, ways.counts, ways.ids
    wanted = set(tag_keys)
    try:
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway", "barrier") if node_tag_keys else osmium.filter.KeyFilter("highway"))
        )
        node_keys = set(node_tag_keys)
        for obj in fp:
            if not obj.is_way():
                if node_keys and "barrier" in obj.tags:
                    ways.barriers[obj.id] = {k: v for k, v in _tag_pairs(obj.tags) if k in node_keys}
                continue
            w = len(ids)
            ids.append(obj.id)
            for k, value in _tag_pairs(obj.tags):
                if k in wanted:
                    ways.tag_ways[k].append(w)
                    ways.tag_values[k].append(value)
            nodes = obj.nodes
            for nd in nodes:
                loc = nd.location
                refs.append(nd.ref)
                xs.append(loc.x)
                ys.append(loc.y)
            counts.append(len(nodes))
    except (RuntimeError, ValueError, OSError) as exc:
        raise _unreadable_osm(path, exc) from None
    return ways


_UNDEFINED = 2**31 - 1  # osmium's undefined coordinate: the node is not in the file


def _negative_id_locations(path: Path, ref: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Fill in the locations of nodes with negative ids (files edited in JOSM and not uploaded).

    osmium's location index keeps positive ids only; the few files with negative ids
    are small, so a second pass reads their nodes directly.
    """
    missing = (ref < 0) & (x == _UNDEFINED)
    if not missing.any():
        return
    import osmium

    wanted = set(np.unique(ref[missing]).tolist())
    found: dict[int, tuple[int, int]] = {}
    try:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.id < 0 and node.id in wanted:
                found[node.id] = (node.location.x, node.location.y)
    except (RuntimeError, ValueError, OSError) as exc:
        raise _unreadable_osm(path, exc) from None
    for i in np.flatnonzero(missing):
        x[i], y[i] = found.get(int(ref[i]), (_UNDEFINED, _UNDEFINED))


def _valid_locations(path: Path, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Vertices with a usable location; the others are counted and reported (their segments are left out)."""
    absent = x == _UNDEFINED
    valid = ~absent & (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)
    if absent.any():
        log.info("%s: %d way vertices lie outside the extract; their segments are left out.", path, int(absent.sum()))
    if (~valid & ~absent).any():
        log.warning(
            N_("%s: %d way vertices have coordinates outside -180..180 / -90..90 degrees; their segments are left out."),
            path,
            int((~valid & ~absent).sum()),
        )
    return valid


def _tag_pairs(tags) -> list[tuple[str, str]]:
    """An OSM object's tags as (key, value) pairs, in exactly ``len(tags)`` steps.

    osmium's tag iterator ends by raising StopIteration from C++, which costs more
    than reading the tags themselves (it halved the reader's time to avoid it).
    """
    it = iter(tags)
    return [next(it) for _ in range(len(tags))]


def _unreadable_osm(path: Path, exc: Exception) -> RoadNetworkError:
    return RoadNetworkError(
        Msg(
            "{path}: cannot be read as OpenStreetMap data ({reason}); the file may be truncated or not an OSM extract.",
            path=path,
            reason=exc,
        )
    )


def _spread(n: int, where: list[int], values: list[str]) -> np.ndarray:
    """``n`` texts, ``""`` except ``values`` at positions ``where``."""
    out = np.full(n, "", dtype=object)
    out[np.asarray(where, np.int64)] = values
    return out


@dataclass(frozen=True)
class OsmFeature:
    """One tagged OpenStreetMap object: a node, or an area (closed way or multipolygon).

    ``osm_id`` is ``n123`` for a node, ``w123`` / ``r123`` for an area built from a
    way / relation; ``lon``/``lat`` is the node, or a point inside the area (its
    representative point); ``polygon`` is the area's geometry (None for nodes).
    """

    osm_id: str
    lon: float
    lat: float
    tags: dict
    polygon: object = None


def _check_osm_path(path: Path, what: str = N_("OpenStreetMap file")) -> None:
    """Refuse a missing path, a folder, or a file that is not OSM data by its name."""
    if not path.exists():
        raise RoadNetworkError(Msg("{path}: {what} not found.", path=path, what=Note(what)))
    if path.is_dir():
        raise RoadNetworkError(Msg("{path}: is a folder; give an OpenStreetMap file (.osm, .osm.pbf, .osm.bz2).", path=path))
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise RoadNetworkError(
            Msg("{path}: unknown file type; give OpenStreetMap XML (.osm, .osm.bz2) or PBF (.osm.pbf).", path=path)
        )


def read_osm_features(path: Path | str, *, keys: tuple[str, ...]) -> list[OsmFeature]:
    """The nodes and areas of an OpenStreetMap file that carry any of ``keys``.

    Areas are assembled by osmium (closed ways and multipolygon/boundary relations
    whose member ways are all in the file; a relation cut by the extract's edge is
    left out, as osmium cannot close it).

    Parameters
    ----------
    path
        The OSM file (XML, PBF, bz2).
    keys
        Tag keys of interest (e.g. ``amenity``, ``place``, ``boundary``).

    Returns
    -------
    list of OsmFeature
        In file order: nodes, then areas.

    Raises
    ------
    RoadNetworkError
        The file is missing, of an unknown type or unreadable.
    """
    import osmium
    import shapely

    path = Path(path)
    _check_osm_path(path)
    wkb = osmium.geom.WKBFactory()
    out: list[OsmFeature] = []
    try:
        fp = (
            osmium.FileProcessor(str(path)).with_areas(osmium.filter.KeyFilter(*keys)).with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in fp:
            if obj.is_node() and obj.location.valid():
                out.append(OsmFeature(f"n{obj.id}", obj.location.lon, obj.location.lat, dict(_tag_pairs(obj.tags))))
            elif obj.is_area():
                try:
                    poly = shapely.from_wkb(wkb.create_multipolygon(obj))
                except RuntimeError:
                    continue  # osmium could not build a valid polygon (broken ring)
                if poly.is_empty:
                    continue
                pt = poly.representative_point()
                kind = "w" if obj.from_way() else "r"
                out.append(OsmFeature(f"{kind}{obj.orig_id()}", pt.x, pt.y, dict(_tag_pairs(obj.tags)), poly))
    except (RuntimeError, ValueError, OSError) as exc:
        raise _unreadable_osm(path, exc) from None
    return out
