"""Small hand-made regions for tests whose answers are computed by hand."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from coverage.inputs._manifest import read_manifest, region_vocabulary
from coverage.inputs.config import load_facility_types, load_profiles
from coverage.inputs.network import network_from_tables
from coverage.inputs.region import BUNDLED_REGION, Region

LON0, LAT0 = 105.0, 38.0
#: The bundled zone's classes (town, pastoral) and levels (zone > town > gacha), which the test regions use.
ZONE_VOCABULARY = region_vocabulary(read_manifest(BUNDLED_REGION))
#: Lines for a test region's region.toml that make it speak the zone's words and run the zone's plan.
_ZONE_TOML = (BUNDLED_REGION / "region.toml").read_text(encoding="utf-8")
ZONE_WORDS_TOML = 'standards = ["plan"]\n' + _ZONE_TOML[_ZONE_TOML.index("[[vocabulary.class]]") :]
M_PER_DEG_LON = 111_320 * np.cos(np.radians(LAT0))
M_PER_DEG_LAT = 110_540


def at(east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    """Lon/lat of a point east/north of (105 E, 38 N) in metres."""
    return LON0 + east_m / M_PER_DEG_LON, LAT0 + north_m / M_PER_DEG_LAT


def star_network(lengths_m: dict[int, float], *, highway="secondary"):
    """Node 0 at the origin and a spoke 0-k of the given length to each node k (placed due east/north)."""
    coords = {0: at(0, 0)}
    for k, length in lengths_m.items():
        coords[k] = at(length * np.cos(k), length * np.sin(k))
    nodes = pd.DataFrame({"lon": [c[0] for c in coords.values()], "lat": [c[1] for c in coords.values()]}, index=list(coords))
    edges = pd.DataFrame(
        {"u": [0] * len(lengths_m), "v": list(lengths_m), "length_m": list(lengths_m.values()), "highway": highway}
    )
    return network_from_tables(nodes, edges), coords


def make_region(
    settlements: list[dict], facilities: list[dict], network, *, units: list[dict] | None = None, size_m: float = 200_000
) -> Region:
    """A Region from plain dicts (``lonlat`` key for points; ``bounds_m`` for unit boxes)."""
    s = gpd.GeoDataFrame(
        {
            "name_zh": [d.get("name", d["id"]) for d in settlements],
            "name_en": [d.get("name", d["id"]) for d in settlements],
            "unit_code": [d.get("unit_code", "") for d in settlements],
            "town_code": [d.get("town_code", "") for d in settlements],
            "class": [d.get("class", "pastoral") for d in settlements],
            "population": [float(d.get("population", 100)) for d in settlements],
            "elderly_population": [float(d.get("elderly_population", 10)) for d in settlements],
            "coord_source": "test",
            "pop_source": "test",
        },
        geometry=[Point(d["lonlat"]) for d in settlements],
        crs="EPSG:4326",
        index=pd.Index([d["id"] for d in settlements], name="id"),
    )
    f = gpd.GeoDataFrame(
        {
            "facility_type": [d["type"] for d in facilities],
            "name_zh": [d["id"] for d in facilities],
            "name_en": [d["id"] for d in facilities],
            "unit_code": [d.get("unit_code", "") for d in facilities],
            "quantity": [float(d.get("quantity", 1)) for d in facilities],
            **{
                k: [float(d[k]) if k in d else np.nan for d in facilities]
                for k in ("beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")
            },
            "in_region": [bool(d.get("in_region", True)) for d in facilities],
            "coord_source": "test",
            "attr_source": "test",
        },
        geometry=[Point(d["lonlat"]) for d in facilities],
        crs="EPSG:4326",
        index=pd.Index([d["id"] for d in facilities], name="id"),
    )
    w, s_ = at(-size_m, -size_m)
    e, n = at(size_m, size_m)
    boundary = box(w, s_, e, n)
    units = units or []
    u = gpd.GeoDataFrame(
        {
            "name_zh": [d["code"] for d in units],
            "name_en": [d["code"] for d in units],
            "level": [d["level"] for d in units],
            "parent_code": [d.get("parent_code", "") for d in units],
            "geom_source": "test",
        },
        geometry=[box(*at(*d["bounds_m"][:2]), *at(*d["bounds_m"][2:])) for d in units],
        crs="EPSG:4326",
        index=pd.Index([d["code"] for d in units], name="code"),
    )
    return Region(
        name_zh="测试区",
        name_en="Test region",
        boundary=boundary,
        units=u,
        settlements=s,
        facilities=f,
        network=network,
        crs="EPSG:32648",
        files={},
        profiles=load_profiles(),
        facility_types=load_facility_types(BUNDLED_REGION / "facility_types.toml"),
        vocabulary=ZONE_VOCABULARY,
    )


class Osm:
    """Builds OSM XML: nodes at metres east/north of (105 E, 38 N), ways, relations."""

    def __init__(self):
        self.nodes, self.ways, self.rels = [], [], []
        self.next_id = 1

    def node(self, x, y, **tags):
        nid = self.next_id
        self.next_id += 1
        lon, lat = at(x, y)
        self.nodes.append((nid, lon, lat, tags))
        return nid

    def way(self, refs, **tags):
        wid = 1000 + len(self.ways)
        self.ways.append((wid, refs, tags))
        return wid

    def ring(self, x0, y0, x1, y1, **tags):
        a, b, c, d = self.node(x0, y0), self.node(x1, y0), self.node(x1, y1), self.node(x0, y1)
        return self.way([a, b, c, d, a], **tags)

    def relation(self, ways, *, centre=None, **tags):
        """A relation of outer ways (ids not written to the file are missing members) and an admin_centre node."""
        rid = 5000 + len(self.rels)
        self.rels.append((rid, ways, centre, tags))
        return rid

    @staticmethod
    def _tags(tags):
        return "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())

    def write(self, path: Path) -> Path:
        out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
        for nid, lon, lat, tags in self.nodes:
            out.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{self._tags(tags)}</node>')
        for wid, refs, tags in self.ways:
            out.append(f'<way id="{wid}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs) + self._tags(tags) + "</way>")
        for rid, ways, centre, tags in self.rels:
            members = "".join(f'<member type="way" ref="{w}" role="outer"/>' for w in ways)
            if centre is not None:
                members += f'<member type="node" ref="{centre}" role="admin_centre"/>'
            out.append(f'<relation id="{rid}" version="1">{members}{self._tags(tags)}</relation>')
        path.write_text("\n".join([*out, "</osm>"]), encoding="utf-8")
        return path


def cut_county(path: Path, *, gap_inside: bool = False, centre: bool = True) -> Path:
    """An extract (its nodes span 6 x 4 km) holding a county whose outline leaves it on the north edge.

    The county is the box x 1000..2500, y 1000..north edge; the way closing it in the north is
    not in the file.  With ``gap_inside`` the piece stops 500 m short of the edge.
    """
    o = Osm()
    o.ring(-3000, -2000, 3000, 2000, landuse="farmland")  # the extract's extent
    top = 1500 if gap_inside else 2000
    piece = o.way([o.node(1000, top), o.node(1000, 1000), o.node(2500, 1000), o.node(2500, top)], boundary="administrative")
    hall = o.node(1750, 1500, place="town", name="Cut Town") if centre else None
    o.relation([piece, 99999], centre=hall, type="boundary", boundary="administrative", admin_level="6", name="Cut County")
    road = [o.node(x, 1200) for x in range(-2500, 2501, 500)]
    o.way(road, highway="residential")
    o.node(1500, 1300, amenity="clinic", name="Inside clinic")
    o.node(-2000, 0, amenity="clinic", name="Outside clinic")
    o.node(2000, 1100, place="village", name="In village")
    o.node(-1000, 0, place="village", name="Out village")
    return o.write(path)
