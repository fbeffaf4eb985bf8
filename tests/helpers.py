"""Small hand-made regions for tests whose answers are computed by hand."""

from __future__ import annotations

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
