"""``init --place NAME``: an extract downloaded through osmnx, for users with internet.

Nominatim gives the place's outline (``ox.geocode_to_gdf``); Overpass gives the roads
(``ox.graph_from_polygon``, every ``highway=*`` way, unsimplified, each way once) and the
objects the tag table and the demand need (``ox.features_from_polygon``), within the
outline plus a margin (facilities across the border serve the region too).  Both are
written into one OpenStreetMap XML file, so the rest of ``init`` reads it as it reads any
extract: the roads through osmnx's own writer (``ox.io.save_graph_xml``), the tagged
objects as nodes, closed ways and multipolygons.  osmnx caches its responses
(``<cache>/osmnx``), so a second run is offline.

Nothing here runs unless the user asks for a download; the tests replace osmnx's HTTP
layer with answers built from a bundled extract.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import shapely

from ..errors import InputValidationError, Problem
from ..i18n import Msg

__all__ = ["Download", "download_place"]

#: Roads and objects are fetched this far beyond the outline (referral across a border).
MARGIN_M = 10_000.0


@dataclass(frozen=True)
class Download:
    """What a download gave: the extract written, the place's outline and its name as Nominatim has it."""

    osm: Path
    outline: shapely.Geometry
    display_name: str


def _refuse(place: str, message) -> InputValidationError:
    return InputValidationError([Problem("--place", "", "", message)])


def download_place(place: str, out: Path, *, keys: tuple[str, ...], road_keys: tuple[str, ...], cache_dir: Path) -> Download:
    """Download the roads and tagged objects of a named place into ``out`` (OSM XML).

    Parameters
    ----------
    place
        A name Nominatim knows ("阿拉善左旗", "Kallio, Helsinki").
    out
        The OSM XML file to write.
    keys
        Tag keys of the objects to fetch (the tag table's, ``place``, ``building``...).
    road_keys
        Tag keys the road rules read (kept on every way).
    cache_dir
        osmnx's response cache goes in ``cache_dir / "osmnx"``.

    Raises
    ------
    InputValidationError
        Nominatim knows no such place (or no outline for it), or the download failed.
    """
    import osmnx as ox

    with _settings(ox, road_keys, cache_dir):
        return _download(ox, place, out, keys)


def _download(ox, place: str, out: Path, keys) -> Download:
    """The download itself, with osmnx configured."""
    from requests.exceptions import RequestException

    try:
        area = ox.geocode_to_gdf(place)
    except (ox._errors.InsufficientResponseError, TypeError) as exc:
        text = "Nominatim finds no area named '{place}' ({error}); check the spelling, or give --osm FILE."
        message = Msg(text, place=place, error=exc)
        raise _refuse(place, message) from None
    except RequestException as exc:
        raise _refuse(place, Msg("the download failed ({error}); check the connection, or give --osm FILE.", error=exc)) from None
    outline = shapely.union_all(area.geometry.to_numpy())
    wide = _buffered(outline, MARGIN_M)
    try:
        graph = ox.graph_from_polygon(wide, custom_filter='["highway"]', simplify=False, retain_all=True, truncate_by_edge=True)
        features = ox.features_from_polygon(wide, dict.fromkeys(keys, True))
    except ox._errors.InsufficientResponseError:
        raise _refuse(place, Msg("Overpass has no roads or tagged objects in '{place}'.", place=place)) from None
    except RequestException as exc:
        raise _refuse(place, Msg("the download failed ({error}); check the connection, or give --osm FILE.", error=exc)) from None
    with tempfile.TemporaryDirectory() as tmp:
        roads = Path(tmp) / "roads.osm"
        ox.io.save_graph_xml(graph, roads)
        write_extract(roads, features, out)
    return Download(out, outline, str(area["display_name"].iloc[0]) if "display_name" in area else place)


@contextlib.contextmanager
def _settings(ox, road_keys: tuple[str, ...], cache_dir: Path):
    """The download's osmnx settings, and the caller's given back afterwards.

    osmnx's settings are global; a notebook that calls ``init`` keeps its own.
    """
    names = ("all_oneway", "useful_tags_way", "useful_tags_node", "use_cache", "cache_folder", "log_console")
    saved = {name: getattr(ox.settings, name) for name in names}
    try:
        _configure(ox, road_keys, cache_dir)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _configure(ox, road_keys: tuple[str, ...], cache_dir: Path) -> None:
    """Set osmnx up as this download needs it: every way once with its raw tags, responses cached."""
    ox.settings.all_oneway = True  # each way once, as mapped (save_graph_xml needs it)
    ox.settings.useful_tags_way = sorted(set(road_keys) | {"highway", "name", "oneway"})
    ox.settings.useful_tags_node = ["highway", "barrier", "access", "junction", "ref"]
    ox.settings.use_cache = True
    ox.settings.cache_folder = str(Path(cache_dir) / "osmnx")
    ox.settings.log_console = False


def _buffered(polygon: shapely.Geometry, metres: float) -> shapely.Geometry:
    """The polygon grown by ``metres`` (in its UTM zone)."""
    import geopandas as gpd

    from ._geometry import utm_crs

    crs = utm_crs(polygon)
    return gpd.GeoSeries([polygon], crs="EPSG:4326").to_crs(crs).buffer(metres).to_crs("EPSG:4326").iloc[0]


def _tags(record: dict, columns) -> dict[str, str]:
    """An object's tags: its non-empty text and number cells."""
    return {c: str(record[c]) for c in columns if isinstance(record[c], (str, int, float)) and str(record[c]) not in ("", "nan")}


def write_extract(roads: Path, features, out: Path) -> None:
    """One OSM XML file: the roads osmnx wrote, and the tagged objects (nodes; polygons as closed ways or multipolygons).

    An object's own OpenStreetMap id is kept (the nodes and ways of a polygon the download
    gave as a geometry are numbered above every id of the file).
    """
    import osmium

    nodes: dict[int, tuple[float, float, dict]] = {}
    ways: dict[int, tuple[list[int], dict]] = {}
    for obj in osmium.FileProcessor(str(roads), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat, dict(obj.tags))
        else:
            ways[obj.id] = ([n.ref for n in obj.nodes], dict(obj.tags))
    relations: dict[int, tuple[list[tuple[str, int, str]], dict]] = {}
    _add_features(features, nodes, ways, relations)
    _write_xml(out, nodes, ways, relations)


def _add_features(features, nodes: dict, ways: dict, relations: dict) -> None:
    """The downloaded objects into the node, way and relation tables."""
    columns = [c for c in features.columns if c not in ("geometry", "nodes", "ways")]
    ids = [i for _e, i in features.index]
    next_id = [max([*nodes, *ways, *ids, 0]) + 1]  # ids above every real one (osmium wants each type sorted)

    def new_id() -> int:
        next_id[0] += 1
        return next_id[0] - 1

    def ring(coords) -> int:
        refs = []
        for lon, lat in list(coords)[:-1]:
            nid = new_id()
            nodes[nid] = (lon, lat, {})
            refs.append(nid)
        wid = new_id()
        ways[wid] = ([*refs, refs[0]], {})
        return wid

    names = list(features.columns)
    for (element, osm_id), values in zip(features.index, features.itertuples(index=False, name=None), strict=True):
        record = dict(zip(names, values, strict=True))
        tags, geom = _tags(record, columns), record["geometry"]
        if element == "node":
            lon, lat, old = nodes.get(osm_id, (geom.x, geom.y, {}))
            nodes[osm_id] = (lon, lat, {**old, **tags})
        elif element == "way" and osm_id in ways:  # a road that is also tagged (a plaza with a name...)
            ways[osm_id] = (ways[osm_id][0], {**ways[osm_id][1], **tags})
        elif element == "way" and geom.geom_type == "Polygon":
            ways[osm_id] = (ways.pop(ring(geom.exterior.coords))[0], tags)
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            members = []
            for part in shapely.get_parts(geom):
                members.append(("w", ring(part.exterior.coords), "outer"))
                members += [("w", ring(hole.coords), "inner") for hole in part.interiors]
            relations[osm_id if element == "relation" else new_id()] = (members, {"type": "multipolygon", **tags})


def _write_xml(out: Path, nodes: dict, ways: dict, relations: dict) -> None:
    """OSM XML: nodes, then ways, then relations, each by id."""

    def attrs(tags: dict) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items()))

    order = sorted
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="coverage-plan init --place">']
    for nid in order(nodes):
        lon, lat, tags = nodes[nid]
        lines.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{attrs(tags)}</node>')
    for wid in order(ways):
        refs, tags = ways[wid]
        lines.append(f'<way id="{wid}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs) + attrs(tags) + "</way>")
    for rid in order(relations):
        members, tags = relations[rid]
        body = "".join(f'<member type="way" ref="{ref}" role="{role}"/>' for _t, ref, role in members)
        lines.append(f'<relation id="{rid}" version="1">{body}{attrs(tags)}</relation>')
    lines.append("</osm>")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
