"""Administrative areas of an OpenStreetMap extract, including those the extract cuts.

osmium assembles a ``boundary=administrative`` relation into an area only when every one
of its member ways is in the file.  An extract cut from a larger file often lacks some:
a county's relation whose outline runs beyond the extract's edge.  Such a relation is
assembled here from the member ways the extract has: their pieces are closed along the
extract's edge (its header box, else the box of its nodes), and the face holding the
relation's ``admin_centre`` or ``label`` node (else a ``place`` node of the same name) is
the area - flagged as estimated, with the number of ways that were missing.  A relation
whose gaps lie inside the extract (not at its edge), or with nothing to tell inside from
outside, cannot be closed: it is listed with why, so the user can give ``--boundary``.

Closed ways tagged ``boundary=administrative`` that are members of a relation are the
relation's pieces, never areas of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.ops import linemerge

from ..i18n import Msg, Note

__all__ = ["AdminArea", "read_admin_areas"]

#: How far a piece's open end may lie from the extract's edge and still be closed along it: 2 % of the
#: extract's diagonal, at least 0.001 degree (about 100 m), at most 0.02 (about 2 km; a cut way's last
#: node inside the extract).
EDGE_TOLERANCE = (0.02, 0.001, 0.02)


@dataclass(frozen=True)
class AdminArea:
    """One administrative area: its tags, its polygon (None when it cannot be made) and how it was made.

    ``missing`` of ``ways`` member ways were absent; ``closed_along_edge`` when the polygon was
    closed along the extract's edge; ``why`` says why there is no polygon (a message).
    """

    osm_id: str
    tags: dict
    polygon: object
    ways: int = 0
    missing: int = 0
    closed_along_edge: bool = False
    why: Note | None = None

    @property
    def name(self) -> str:
        return self.tags.get("name", "")

    @property
    def level(self) -> str:
        return self.tags.get("admin_level", "")

    def names(self) -> set[str]:
        """Every name tag's value (name, name:zh, name:en...)."""
        return {v for k, v in self.tags.items() if k == "name" or k.startswith("name:")}


@dataclass
class _Extract:
    relations: dict = field(default_factory=dict)  # id -> (tags, [(type, ref, role)])
    ways: dict = field(default_factory=dict)  # id -> [(lon, lat)]
    way_tags: dict = field(default_factory=dict)  # closed boundary ways: id -> tags
    nodes: dict = field(default_factory=dict)  # anchor node id -> (lon, lat)
    places: dict = field(default_factory=dict)  # place node name -> (lon, lat)
    box: tuple | None = None


def _read(path: Path) -> _Extract:
    import osmium

    ex = _Extract()
    boundary = osmium.filter.TagFilter(("boundary", "administrative"))
    for r in osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(boundary):
        ex.relations[r.id] = (dict(r.tags), [(m.type, m.ref, m.role) for m in r.members])
    member_ways = {ref for _t, ms in ex.relations.values() for ty, ref, _role in ms if ty == "w"}
    anchors = {ref for _t, ms in ex.relations.values() for ty, ref, role in ms if ty == "n" and role in ("admin_centre", "label")}
    lon0 = lat0 = float("inf")
    lon1 = lat1 = float("-inf")
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if obj.is_node():
            if not obj.location.valid():
                continue
            x, y = obj.location.lon, obj.location.lat
            lon0, lat0, lon1, lat1 = min(lon0, x), min(lat0, y), max(lon1, x), max(lat1, y)
            if obj.id in anchors:
                ex.nodes[obj.id] = (x, y)
            if "place" in obj.tags and "name" in obj.tags:
                ex.places.setdefault(obj.tags["name"], (x, y))
        elif obj.id in member_ways or obj.tags.get("boundary") == "administrative":
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if len(coords) >= 2:
                ex.ways[obj.id] = coords
            if obj.tags.get("boundary") == "administrative" and obj.id not in member_ways and obj.is_closed():
                ex.way_tags[obj.id] = dict(obj.tags)
    ex.box = _header_box(path) or (lon0, lat0, lon1, lat1)
    return ex


def _header_box(path: Path) -> tuple | None:
    import osmium

    box = osmium.io.Reader(str(path), osmium.osm.NOTHING).header().box()
    if not box.valid():
        return None
    return box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat


def read_admin_areas(path: Path | str) -> list[AdminArea]:
    """Every ``boundary=administrative`` area of an extract: relations (cut ones closed where possible), lone closed ways."""
    ex = _read(Path(path))
    edge = shapely.box(*ex.box)
    areas = [_relation_area(rid, tags, members, ex, edge) for rid, (tags, members) in sorted(ex.relations.items())]
    for wid, tags in sorted(ex.way_tags.items()):
        ring = ex.ways.get(wid, [])
        polygon = shapely.Polygon(ring) if len(ring) >= 4 else None
        if polygon is not None and polygon.is_valid:
            areas.append(AdminArea(f"w{wid}", tags, polygon, ways=1))
        else:
            areas.append(AdminArea(f"w{wid}", tags, None, ways=1, why=Msg("its closed way is not a valid polygon")))
    return areas


def _relation_area(rid: int, tags: dict, members: list, ex: _Extract, edge) -> AdminArea:
    way_refs = [ref for ty, ref, role in members if ty == "w" and role != "inner"]
    have = [ex.ways[ref] for ref in way_refs if ref in ex.ways]
    missing = len(way_refs) - len(have)
    base = AdminArea(f"r{rid}", tags, None, ways=len(way_refs), missing=missing)
    if not have:
        return _replace(base, why=Msg("none of its ways is in the extract"))
    pieces = list(shapely.get_parts(linemerge([shapely.LineString(w) for w in have])))
    if missing == 0 and all(p.is_closed for p in pieces):
        polygon = shapely.union_all([shapely.Polygon(p) for p in pieces if len(p.coords) >= 4])
        return _replace(base, polygon=shapely.make_valid(polygon))
    open_ends = [shapely.Point(p.coords[i]) for p in pieces if not p.is_closed for i in (0, -1)]
    share, low, high = EDGE_TOLERANCE
    x0, y0, x1, y1 = edge.bounds
    tolerance = min(max(share * ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, low), high)
    inner_gap = [e for e in open_ends if edge.contains(e) and edge.exterior.distance(e) > tolerance]
    if inner_gap:
        return _replace(base, why=Msg("its missing ways leave a gap inside the extract, not at its edge"))
    anchor = _anchor(members, tags, ex)
    if anchor is None:
        return _replace(base, why=Msg("no admin_centre, label or place node of its name tells its inside from its outside"))
    outline = shapely.union_all(pieces)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all([outline, edge.exterior]))))
    inside = [f for f in faces if f.contains(anchor) and f.boundary.intersection(outline).length > 0]
    if not inside:
        return _replace(base, why=Msg("what the extract holds of its outline does not enclose its admin_centre or label node"))
    return _replace(base, polygon=shapely.intersection(inside[0], edge), closed_along_edge=True)


def _anchor(members: list, tags: dict, ex: _Extract):
    """A point inside the area: its admin_centre or label node, else a place node of the same name."""
    for ty, ref, role in members:
        if ty == "n" and role in ("label", "admin_centre") and ref in ex.nodes:
            return shapely.Point(ex.nodes[ref])
    place = ex.places.get(tags.get("name", ""))
    return shapely.Point(place) if place else None


def _replace(area: AdminArea, **changes) -> AdminArea:
    import dataclasses

    return dataclasses.replace(area, **changes)
