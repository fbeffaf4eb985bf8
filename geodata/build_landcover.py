"""Write the bundled zone's estimated land-cover raster and its speeds table.

No land-cover data for the zone is available offline, so this draws a schematic
one from what is known about the area (flagged "estimated" everywhere it shows):

- the Tengger Desert's dunes cover the zone's west and south-west, where
  腾格里额里斯镇 lies (its seat ≈ 105.02 E, 37.60 N is an oasis in the sand);
- a band of flat sandy land separates the dunes from the desert steppe;
- the north of the zone is gravel plain (戈壁);
- the east, around 孪井滩 (嘉尔嘎勒赛汉镇), is desert steppe;
- built-up land within 1.5 km of every town-area settlement point.

Run after build_tengger.py:  python geodata/build_landcover.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Geod
from rasterio.transform import from_origin

OUT = Path(__file__).resolve().parent.parent / "coverage" / "data" / "regions" / "tengger"
CELL_DEG = 0.0025  # about 220 m east-west, 280 m north-south here
MARGIN_DEG = 0.15
STEPPE, SAND, DUNES, GRAVEL, BUILT = 1, 2, 3, 4, 5


def grid():
    b = json.loads((OUT / "boundary.geojson").read_text(encoding="utf-8"))["features"][0]["geometry"]
    ring = np.array(b["coordinates"][0] if b["type"] == "Polygon" else [p for poly in b["coordinates"] for p in poly[0]])
    west, south = ring.min(axis=0) - MARGIN_DEG
    east, north = ring.max(axis=0) + MARGIN_DEG
    west, north = np.floor(west / CELL_DEG) * CELL_DEG, np.ceil(north / CELL_DEG) * CELL_DEG
    w, h = int(np.ceil((east - west) / CELL_DEG)), int(np.ceil((north - south) / CELL_DEG))
    lon = west + (np.arange(w) + 0.5) * CELL_DEG
    lat = north - (np.arange(h) + 0.5) * CELL_DEG
    return from_origin(west, north, CELL_DEG, CELL_DEG), *np.meshgrid(lon, lat)


def classes(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    out = np.full(lon.shape, STEPPE, np.uint8)
    # The dune field's eastern edge runs from about 104.95 E in the north to 105.25 E in the south.
    edge = 104.95 + (38.15 - lat) * 0.5
    out[lon < edge + 0.08] = SAND
    out[lon < edge] = DUNES
    out[(lat > 38.02) & (lon >= edge + 0.08)] = GRAVEL
    settlements = json.loads((OUT / "settlements.geojson").read_text(encoding="utf-8"))["features"]
    geod = Geod(ellps="WGS84")
    for f in settlements:
        if f["properties"]["class"] != "town":
            continue
        x, y = f["geometry"]["coordinates"]
        near = (np.abs(lon - x) < 0.03) & (np.abs(lat - y) < 0.03)
        _, _, d = geod.inv(np.full(near.sum(), x), np.full(near.sum(), y), lon[near], lat[near])
        idx = np.flatnonzero(near.ravel())[d <= 1500.0]
        out.ravel()[idx] = BUILT
    return out


TABLE = """# The bundled zone's land-cover classes (landcover.tif) and speeds off the roads.
# ESTIMATED: no land-cover data for the zone exists offline; geodata/build_landcover.py
# draws the classes schematically from what is known of the area (see its docstring).
# Speeds are this tool's assumptions: a herder's motorbike or 4x4 (drive), walking at the
# walk profile's 3 km/h pace on the flat.

source = "estimated: schematic land cover of the zone (geodata/build_landcover.py)"
source_zh = "估算：开发区示意性土地覆盖（geodata/build_landcover.py）"
estimated = true

[slope]
tobler_profiles = ["walk"]
max_slope_deg = { drive = 20.0 }

[roads]
no_exit = ["motorway", "motorway_link"]

[[class]]
value = 1
zh = "荒漠草原"
en = "desert steppe"
speeds_kmh = { drive = 20.0, walk = 3.0 }

[[class]]
value = 2
zh = "平沙地"
en = "flat sandy land"
speeds_kmh = { drive = 10.0, walk = 2.5 }

[[class]]
value = 3
zh = "沙丘"
en = "dunes"
speeds_kmh = { drive = 4.0, walk = 1.5 }

[[class]]
value = 4
zh = "戈壁"
en = "gravel plain"
speeds_kmh = { drive = 25.0, walk = 3.0 }

[[class]]
value = 5
zh = "建成区"
en = "built-up"
speeds_kmh = { drive = 15.0, walk = 3.0 }
"""


def main() -> None:
    transform, lon, lat = grid()
    data = classes(lon, lat)
    profile = dict(driver="GTiff", height=data.shape[0], width=data.shape[1], count=1, dtype="uint8", crs="EPSG:4326")
    with rasterio.open(OUT / "landcover.tif", "w", transform=transform, nodata=0, compress="deflate", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(SOURCE="estimated: schematic land cover of the zone (geodata/build_landcover.py)")
    (OUT / "landcover.toml").write_text(TABLE, encoding="utf-8")
    counts = {int(v): int(n) for v, n in zip(*np.unique(data, return_counts=True), strict=True)}
    print(f"landcover.tif {data.shape[1]} x {data.shape[0]} cells, classes {counts}")


if __name__ == "__main__":
    main()
