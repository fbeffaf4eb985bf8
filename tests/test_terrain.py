"""Travel across terrain: Tobler, the grid graph against networkx, barriers and crossings, roads fused."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point

from coverage.inputs.config import load_profiles
from coverage.inputs.landcover import LandCoverTable, TerrainInputs
from coverage.inputs.network import network_from_tables
from coverage.travel._graph import build_routing_graph
from coverage.travel._terrain import Grid, TerrainTravel, fused_graph, isotropic_tobler_factor, speed_surface, tobler_kmh

from .helpers import ZONE_WORDS_TOML, at

CRS = "EPSG:32648"
X0, Y0, CELL = 500_000.0, 4_210_000.0, 100.0
TO_LL = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
PROFILES = load_profiles()


def ll(x, y):
    lon, lat = TO_LL.transform(x, y)
    return np.array([[lon, lat]])


def centre(row, col):
    return X0 + (col + 0.5) * CELL, Y0 - (row + 0.5) * CELL


def model(speed, *, road=None, no_exit=(), profile="walk"):
    grid = Grid(CRS, X0, Y0, CELL, *speed.shape)
    table = LandCoverTable((), "test", False)
    fwd = fused_graph(grid, speed, road, no_exit)
    return TerrainTravel(PROFILES[profile], grid, speed, fwd, table, has_roads=road is not None)


# --- Tobler's hiking function ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("degrees", "kmh"),
    [
        # Tobler (1993): 6 exp(-3.5 |tan θ + 0.05|) km/h; worked by hand.
        (0.0, 5.0367),  # 6 e^-0.175 - "about 5 km/h on the flat"
        (5.0, 3.7082),  # uphill: tan 5° = 0.08749 -> 6 e^-0.48121
        (-5.0, 5.2622),  # downhill: |−0.08749 + 0.05| = 0.03749 -> 6 e^-0.13121
        (10.0, 2.7172),  # tan 10° = 0.17633 -> 6 e^-0.79214
        (-10.0, 3.8559),  # |−0.17633 + 0.05| = 0.12633 -> 6 e^-0.44214
        (math.degrees(math.atan(-0.05)), 6.0),  # the maximum, at −2.86°
    ],
)
def test_tobler_speeds(degrees, kmh):
    assert float(tobler_kmh(math.tan(math.radians(degrees)))) == pytest.approx(kmh, abs=5e-4)


def test_isotropic_factor_is_the_mean_of_up_and_down():
    t = math.tan(math.radians(10))
    assert float(isotropic_tobler_factor(np.array(t))) == pytest.approx((2.7172 + 3.8559) / 2 / 5.0367, abs=1e-4)
    assert float(isotropic_tobler_factor(np.array(0.0))) == 1.0


# --- the grid graph against networkx -------------------------------------------------------------------------


def networkx_grid(speed: np.ndarray, cell_m: float) -> nx.DiGraph:
    """An independent 8-neighbour grid: mean pace x centre distance, no diagonal past a closed cell."""
    g = nx.DiGraph()
    h, w = speed.shape
    for r in range(h):
        for c in range(w):
            if speed[r, c] <= 0:
                continue
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, cc = r + dr, c + dc
                    if (dr, dc) == (0, 0) or not (0 <= rr < h and 0 <= cc < w) or speed[rr, cc] <= 0:
                        continue
                    if dr and dc and (speed[r, cc] <= 0 or speed[rr, c] <= 0):
                        continue
                    d = math.hypot(dr, dc) * cell_m
                    g.add_edge(r * w + c, rr * w + cc, weight=d * (1 / speed[r, c] + 1 / speed[rr, cc]) / 2)
    return g


def test_grid_times_match_networkx():
    rng = np.random.default_rng(3)
    speed = rng.uniform(0.5, 2.0, (25, 30))
    speed[rng.random(speed.shape) < 0.15] = 0.0  # scattered impassable cells
    speed[10, 10] = 1.0
    m = model(speed)
    got = m.surface(ll(*centre(10, 10))).ravel()
    want = nx.single_source_dijkstra_path_length(networkx_grid(speed, CELL), 10 * 30 + 10)
    expected = np.full(speed.size, np.inf)
    for node, t in want.items():
        expected[node] = t
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_a_diagonal_barrier_is_closed():
    # Cells (r, c) with r + c = 9 are closed: 8-connected on the diagonal, no gap to slip through.
    speed = np.ones((10, 10))
    for r in range(10):
        speed[r, 9 - r] = 0.0
    m = model(speed)
    t = m.surface(ll(*centre(0, 0)))
    assert np.isfinite(t[0, 0]) and np.isinf(t[9, 9]) and np.isinf(t[5, 5])


def test_uniform_surface_is_the_octile_distance_and_within_8_percent_of_straight():
    v = 1.25
    speed = np.full((41, 41), v)
    m = model(speed)
    t = m.surface(ll(*centre(20, 20)))
    rows, cols = np.mgrid[0:41, 0:41]
    dy, dx = np.abs(rows - 20), np.abs(cols - 20)
    octile = CELL * (np.maximum(dx, dy) + (math.sqrt(2) - 1) * np.minimum(dx, dy)) / v
    assert np.allclose(t, octile, rtol=1e-12)
    straight = CELL * np.hypot(dx, dy) / v
    ratio = t[straight > 0] / straight[straight > 0]
    assert ratio.min() == pytest.approx(1.0) and ratio.max() <= 1.0824 + 1e-4  # worst at 22.5°


def _barrier_setup(tmp_path, crossing: bool):
    from coverage.inputs._rasters import read_population_raster  # noqa: F401  (rasterio import path exercised)

    h, w = 30, 40
    path = tmp_path / "lc.tif"
    with rasterio.open(
        path, "w", driver="GTiff", height=h, width=w, count=1, dtype="uint8", crs=CRS, transform=from_origin(X0, Y0, CELL, CELL)
    ) as dst:
        dst.write(np.ones((h, w), "uint8"), 1)
    table = LandCoverTable((_class(1, 3.6),), "test", False, label="t")
    x_wall = X0 + 20 * CELL
    wall = tmp_path / "wall.geojson"
    gpd.GeoDataFrame(geometry=[LineString([(x_wall, Y0), (x_wall, Y0 - h * CELL)])], crs=CRS).to_file(wall)
    cross = None
    if crossing:
        cross = tmp_path / "bridge.geojson"
        gpd.GeoDataFrame(geometry=[Point(x_wall, Y0 - 5.5 * CELL)], crs=CRS).to_file(cross)
    grid = Grid(CRS, X0, Y0, CELL, h, w)
    inputs = TerrainInputs(landcover=path, table=table, barriers=wall, crossings=cross)
    speed, counts = speed_surface(grid, inputs, "walk")
    fwd = fused_graph(grid, speed, None)
    return TerrainTravel(PROFILES["walk"], grid, speed, fwd, table, counts), counts


def _class(value, kmh):
    from coverage.inputs.landcover import LandCoverClass

    return LandCoverClass(value, "类", "class", {"walk": kmh, "drive": kmh})


def test_a_barrier_with_one_crossing_gives_the_two_leg_detour(tmp_path):
    m, counts = _barrier_setup(tmp_path, crossing=True)
    assert counts["barrier"] > 0 and counts["crossings"] == 1
    a, b = centre(25, 10), centre(25, 30)  # both low down, far from the crossing at row 5
    t = m.nearest(ll(*a), ll(*b)).seconds[0]
    bridge = (X0 + 20 * CELL, Y0 - 5.5 * CELL)
    two_legs = (math.dist(a, bridge) + math.dist(bridge, b)) / 1.0  # 3.6 km/h = 1 m/s
    assert two_legs <= t <= two_legs * 1.0824 + 2 * CELL
    assert t > 1.5 * math.dist(a, b)
    closed, _ = _barrier_setup(tmp_path, crossing=False)
    assert np.isinf(closed.nearest(ll(*a), ll(*b)).seconds[0])


def test_slope_slows_walking_by_tobler_and_stops_driving(tmp_path):
    h, w = 20, 20
    lc, dem = tmp_path / "lc.tif", tmp_path / "dem.tif"
    meta = dict(driver="GTiff", height=h, width=w, count=1, crs=CRS, transform=from_origin(X0, Y0, CELL, CELL))
    with rasterio.open(lc, "w", dtype="uint8", **meta) as dst:
        dst.write(np.ones((h, w), "uint8"), 1)
    ramp = np.tile(np.arange(w) * CELL * 0.30, (h, 1))  # a plane rising 30 % eastwards (16.7°)
    with rasterio.open(dem, "w", dtype="float64", **meta) as dst:
        dst.write(ramp, 1)
    table = LandCoverTable((_class(1, 3.6),), "test", False, tobler_profiles=("walk",), max_slope_deg={"drive": 15.0}, label="t")
    grid = Grid(CRS, X0, Y0, CELL, h, w)
    inputs = TerrainInputs(landcover=lc, table=table, dem=dem)
    walk, _ = speed_surface(grid, inputs, "walk")
    drive, counts = speed_surface(grid, inputs, "drive")
    assert np.allclose(walk[2:-2, 2:-2], 1.0 * float(isotropic_tobler_factor(np.array(0.30))))
    assert (drive == 0).all() and counts["too_steep"] == h * w


# --- fusion with roads ------------------------------------------------------------------------------------------


def _road(points_xy, highway="primary", oneway=""):
    lonlat = [TO_LL.transform(x, y) for x, y in points_xy]
    nodes = pd.DataFrame({"lon": [p[0] for p in lonlat], "lat": [p[1] for p in lonlat]}, index=range(len(lonlat)))
    edges = pd.DataFrame({"u": range(len(lonlat) - 1), "v": range(1, len(lonlat)), "highway": highway, "oneway": oneway})
    net = network_from_tables(nodes, edges)
    return build_routing_graph(net, PROFILES["drive"])


def networkx_fused(m: TerrainTravel, road) -> nx.DiGraph:
    """Grid graph + road graph + connectors, built from their parts independently."""
    g = networkx_grid(m.speed, CELL)
    n = m.speed.size
    fwd = road.forward.tocoo()
    for a, b, s in zip(fwd.row, fwd.col, fwd.data, strict=True):
        g.add_edge(n + a, n + b, weight=s)
    to_xy = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    for node in np.flatnonzero(road.usable):
        x, y = to_xy.transform(road.network.lon[node], road.network.lat[node])
        col, row = int((x - X0) // CELL), int((Y0 - y) // CELL)
        if 0 <= row < m.speed.shape[0] and 0 <= col < m.speed.shape[1] and m.speed[row, col] > 0:
            cx, cy = centre(row, col)
            s = max(math.hypot(x - cx, y - cy) / m.speed[row, col], 1e-9)
            g.add_edge(row * m.speed.shape[1] + col, n + node, weight=s)
            g.add_edge(n + node, row * m.speed.shape[1] + col, weight=s)
    return g


def test_fused_times_match_networkx_and_mix_legs():
    rng = np.random.default_rng(5)
    speed = rng.uniform(0.5, 3.0, (30, 30))
    road = _road([centre(2, 2), centre(2, 15), centre(15, 27), centre(28, 27)], highway="primary", oneway="yes")
    m = model(speed, road=road, profile="drive")
    fac = centre(28, 26)
    got = m.surface(ll(*fac)).ravel()
    g = networkx_fused(m, road)
    # Times TO the facility: search the reversed graph from its cell.
    want = nx.single_source_dijkstra_path_length(g.reverse(copy=True), 28 * 30 + 26)
    expected = np.full(speed.size, np.inf)
    for node, t in want.items():
        if node < speed.size:
            expected[node] = t
    assert np.allclose(got, expected, rtol=1e-9)
    # The road is fast: the far corner reaches the facility much sooner than across country.
    off_road_only = model(speed, profile="drive").surface(ll(*fac))[2, 2]
    assert got[2 * 30 + 2] < 0.5 * off_road_only


def test_a_fused_trip_exports_its_legs_as_networkx_splits_them():
    """Off-road to the road, along it, off-road to the facility: each leg equals networkx's path, cut where it meets the road."""
    rng = np.random.default_rng(11)
    speed = rng.uniform(0.5, 1.5, (30, 30))
    road = _road([centre(2, 2), centre(2, 15), centre(15, 27), centre(28, 27)], highway="primary", oneway="yes")
    m = model(speed, road=road, profile="drive")
    fac = centre(28, 25)
    origins = [(3, 1), (1, 14), (27, 24), (20, 5)]
    got = m.nearest(np.vstack([ll(*centre(r, c)) for r, c in origins]), ll(*fac))
    g = networkx_fused(m, road)
    n = speed.size
    for k, (r, c) in enumerate(origins):
        path = nx.dijkstra_path(g, r * 30 + c, 28 * 30 + 25)
        hops = [g[a][b]["weight"] for a, b in itertools.pairwise(path)]
        on_road = [i for i, node in enumerate(path) if node >= n]
        total = sum(hops)
        assert got.seconds[k] == pytest.approx(total, rel=1e-9)
        if not on_road:  # all across country: all access
            assert (got.access_s[k], got.egress_s[k]) == (pytest.approx(total, rel=1e-9), 0.0)
            continue
        assert got.access_s[k] == pytest.approx(sum(hops[: on_road[0]]), rel=1e-9, abs=1e-6)
        assert got.egress_s[k] == pytest.approx(sum(hops[on_road[-1] :]), rel=1e-9, abs=1e-6)
        assert got.access_s[k] + got.egress_s[k] < total  # the road carries part of the trip
    assert sum(got.access_s + got.egress_s < got.seconds - 1) >= 2  # two trips at least use the road


def test_motorways_are_left_only_at_junctions():
    speed = np.full((20, 40), 1.0)
    motorway = _road([centre(10, 0), centre(10, 39)], highway="motorway")
    fac, origin = centre(12, 38), centre(12, 1)
    open_ = model(speed, road=motorway, profile="drive").nearest(ll(*origin), ll(*fac)).seconds[0]
    closed = model(speed, road=motorway, no_exit=("motorway",), profile="drive").nearest(ll(*origin), ll(*fac)).seconds[0]
    assert open_ < 0.2 * closed  # with no exit the motorway cannot be joined: across country only
    assert closed == pytest.approx(37 * CELL / 1.0, rel=1e-9)


def test_matrix_agrees_with_nearest():
    rng = np.random.default_rng(9)
    speed = rng.uniform(0.5, 2.0, (25, 25))
    m = model(speed)
    origins = np.vstack([ll(*centre(r, c)) for r, c in rng.integers(0, 25, (12, 2))])
    cands = np.vstack([ll(*centre(r, c)) for r, c in rng.integers(0, 25, (5, 2))])
    mat = m.matrix(origins, cands, cutoff_s=5000.0)
    dense = np.full((12, 5), np.inf)
    dense[mat.origin, mat.destination] = mat.seconds
    near = m.nearest(origins, cands, cutoff_s=5000.0)
    assert np.allclose(dense.min(axis=1), near.seconds)
    assert np.all(near.facility[np.isfinite(near.seconds)] == dense.argmin(axis=1)[np.isfinite(near.seconds)])


# --- through the command line -----------------------------------------------------------------------------------


def cli(*argv):
    return subprocess.run([sys.executable, "-m", "coverage.cli", *map(str, argv)], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_bundled_zone_on_terrain_says_so_and_changes_the_pastoral_circle(tmp_path):
    flat = cli("check", "--only", "medical-pastoral-2h", "--out", tmp_path / "flat")
    terrain = cli("check", "--terrain", "--only", "medical-pastoral-2h", "--out", tmp_path / "terrain")
    assert flat.returncode == 0 and terrain.returncode == 0, terrain.stderr
    assert "terrain + roads (drive" in terrain.stdout and "estimated: schematic land cover" in terrain.stdout
    before = pd.read_csv(tmp_path / "flat" / "settlements_access.csv").set_index("settlement_id")
    after = pd.read_csv(tmp_path / "terrain" / "settlements_access.csv").set_index("settlement_id")
    assert set(after["via"].dropna()) == {"terrain"} and set(before["via"].dropna()) <= {"road", "direct"}
    # Camps far off the road cross sand and dunes at 4-10 km/h instead of a straight 15 km/h leg: slower.
    far = before.index[before["snap_m"] > 10_000]
    assert len(far) and (after.loc[far, "minutes"] > before.loc[far, "minutes"]).all()


@pytest.mark.slow
def test_site_on_terrain_proves_its_answer(tmp_path):
    proc = cli("site", "--terrain", "--standard", "medical-pastoral-2h", "--add", "1", "--out", tmp_path / "s", "--cell-m", "500")
    assert proc.returncode == 0, proc.stderr
    assert "optimal" in proc.stdout.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dem", "dem.tif"], "--dem needs a land-cover raster"),
        (["--landcover", "missing.tif"], "raster not found"),
        (["--terrain", "--cell-m", "0"], "must be > 0"),
    ],
)
def test_terrain_input_errors(args, message, tmp_path):
    # A user's own files (no region folder, so no land cover) for --dem; the bundled zone otherwise.
    (tmp_path / "s.csv").write_text("id,class,population,lon,lat\nA,rural,10,105.0,38.0\n", encoding="utf-8")
    (tmp_path / "f.csv").write_text("id,type,lon,lat\nF,clinic,105.01,38.0\n", encoding="utf-8")
    layers = ["--settlements", tmp_path / "s.csv", "--facilities", tmp_path / "f.csv"]
    proc = cli("check", *args, *(layers if "--dem" in args else []))
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_landcover_class_is_named(tmp_path):
    lc = tmp_path / "lc.tif"
    with rasterio.open(
        lc, "w", driver="GTiff", height=2, width=2, count=1, dtype="uint8", crs="EPSG:4326", transform=from_origin(104, 39, 1, 1)
    ) as dst:
        dst.write(np.array([[30, 77], [30, 30]], "uint8"), 1)
    from coverage.inputs.region import DEFAULT_LANDCOVER

    proc = cli("check", "--landcover", lc, "--landcover-speeds", DEFAULT_LANDCOVER, "--only", "medical-town-30min")
    assert proc.returncode == 2
    assert "land-cover value(s) 77 are not in" in proc.stderr and "Traceback" not in proc.stderr


def _camps(tmp_path: Path, *, cover_to_m: float | None = None) -> Path:
    """Two pastoral camps 2 km and 12 km east of a clinic on grassland, no roads; the land cover ends at ``cover_to_m`` east."""
    from shapely.geometry import box as sbox

    from coverage.inputs.region import DEFAULT_LANDCOVER

    region = tmp_path / "r"
    region.mkdir()
    gpd.GeoDataFrame(
        {"id": ["near", "far"], "class": ["pastoral", "pastoral"], "population": [100, 50]},
        geometry=[Point(at(2000, 0)), Point(at(12_000, 0))],
        crs="EPSG:4326",
    ).to_file(region / "settlements.geojson")
    gpd.GeoDataFrame({"id": ["c"], "facility_type": ["village_clinic"]}, geometry=[Point(at(0, 0))], crs="EPSG:4326").to_file(
        region / "facilities.geojson"
    )
    gpd.GeoDataFrame(geometry=[sbox(*at(-5000, -5000), *at(15_000, 5000))], crs="EPSG:4326").to_file(region / "boundary.geojson")
    west, north = at(-40_000, 40_000)
    meta = dict(
        driver="GTiff",
        height=400,
        width=600,
        count=1,
        dtype="uint8",
        crs="EPSG:4326",
        transform=from_origin(west, north, 0.002, 0.002),
        nodata=0,
    )
    values = np.full((400, 600), 30, "uint8")
    if cover_to_m is not None:
        values[:, int((at(cover_to_m, 0)[0] - west) / 0.002) :] = 0  # no data east of it
    with rasterio.open(region / "lc.tif", "w", **meta) as dst:
        dst.write(values, 1)
    (region / "region.toml").write_text(
        'settlements = "settlements.geojson"\nfacilities = "facilities.geojson"\nboundary = "boundary.geojson"\n'
        f'landcover = "lc.tif"\nlandcover_speeds = "{DEFAULT_LANDCOVER}"\n' + ZONE_WORDS_TOML,
        encoding="utf-8",
    )
    return region


def test_a_settlement_without_land_cover_is_warned_about_and_says_why(tmp_path):
    region = _camps(tmp_path, cover_to_m=8000)
    out = tmp_path / "out"
    proc = cli("check", "--region", region, "--terrain", "--only", "medical-pastoral-2h", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "1 of 2 places (50%) stand where the land cover" in proc.stderr  # once, with the count and share
    assert proc.stderr.count("stand where the land cover") == 1
    rows = pd.read_csv(out / "settlements_access.csv").set_index("settlement_id")
    assert rows.loc["far", "reason_code"] == "no_landcover" and rows.loc["far", "stranded"] == "no_landcover"
    assert rows.loc["far", "reason"].startswith("no land cover here")
    assert rows.loc["near", "reason_code"] != "no_landcover" if isinstance(rows.loc["near", "reason_code"], str) else True


def test_barriers_must_be_lines_or_areas_and_crossings_points(tmp_path):
    region = _camps(tmp_path)
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[Point(at(7000, 0)), LineString([at(7000, -100), at(7000, 100)])], crs="EPSG:4326").to_file(points)
    out = tmp_path / "out"
    proc = cli("check", "--region", region, "--terrain", "--barriers", points, "--out", out)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and not out.exists()
    assert "feature 1, field 'geometry': a Point here: this file takes lines or areas only." in proc.stderr, proc.stderr
    proc = cli("check", "--region", region, "--terrain", "--barriers", points, "--crossings", points, "--lang", "zh")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_a_scenario_flood_becomes_a_barrier(tmp_path):
    # No roads, grassland everywhere; a flood line across the whole grid cuts the far camp off.
    region = _camps(tmp_path)
    flood = tmp_path / "flood.geojson"
    gpd.GeoDataFrame(geometry=[LineString([at(7000, -60_000), at(7000, 60_000)])], crs="EPSG:4326").to_file(flood)
    scenario = tmp_path / "flood.toml"
    scenario.write_text('name = "flood"\n[[barrier]]\nfile = "flood.geojson"\n', encoding="utf-8")
    out = tmp_path / "out"
    proc = cli("check", "--region", region, "--scenario", scenario, "--only", "medical-pastoral-2h", "--out", out)
    assert proc.returncode == 0, proc.stderr
    changes = pd.read_csv(out / "scenario_settlements.csv")
    changes = changes.set_index(changes.columns[0])
    assert np.isfinite(changes.loc["far", "minutes_before"]) and np.isinf(changes.loc["far", "minutes_after"])
    assert "far" in changes.index and (
        "near" not in changes.index or changes.loc["near", "minutes_after"] == changes.loc["near", "minutes_before"]
    )
    no_terrain = cli("check", "--scenario", scenario)
    assert no_terrain.returncode == 2 and "[[barrier]] needs travel across terrain" in no_terrain.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[class]]\nvalue = 1\nzh = "草"\nen = "grass"\nspeeds_kmh = { drive = 20.0 }\n',
            "speeds_kmh.walk must be a number >= 0",
        ),
        ('[[class]]\nvalue = 1\nzh = "草"\nen = "grass"\nspeeds_kmh = { drive = 20.0, walk = -1 }\n', "speeds_kmh.walk"),
        ('[[class]]\nvalue = 1\nzh = "草"\nen = "grass"\nspeeds_kmh = { drive = 20.0, walk = nan }\n', "speeds_kmh.walk"),
        (
            '[[class]]\nvalue = 1\nzh = "草"\nen = "grass"\nspeeds_kmh = { drive = 20.0, walk = 3.0, wlak = 1.0 }\n',
            "unknown profile 'wlak'",
        ),
        (
            '[[class]]\nvalue = 1\nzh = "a"\nen = "a"\nspeeds_kmh = { drive = 1.0, walk = 1.0 }\n'
            '[[class]]\nvalue = 1\nzh = "b"\nen = "b"\nspeeds_kmh = { drive = 1.0, walk = 1.0 }\n',
            "duplicate value 1",
        ),
        (
            '[slope]\ntobler_profiles = ["wlk"]\n'
            '[[class]]\nvalue = 1\nzh = "a"\nen = "a"\nspeeds_kmh = { drive = 1.0, walk = 1.0 }\n',
            "unknown profile 'wlk'",
        ),
    ],
)
def test_bad_landcover_tables_are_named(tmp_path, body, message):
    from coverage.errors import CatalogueError
    from coverage.inputs.landcover import load_landcover_table

    path = tmp_path / "lc.toml"
    path.write_text('source = "test"\n' + body, encoding="utf-8")
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_landcover_table(path, profiles=PROFILES)


@pytest.mark.parametrize("terrain", [False, True])
def test_every_export_names_how_its_times_were_made(tmp_path, terrain):
    region = _camps(tmp_path)
    if not terrain:  # the same region without its land cover: straight lines
        toml = region / "region.toml"
        toml.write_text(
            "\n".join(x for x in toml.read_text(encoding="utf-8").splitlines() if "landcover" not in x), encoding="utf-8"
        )
    out = tmp_path / "out"
    proc = cli("check", "--region", region, "--only", "medical-pastoral-2h", "--out", out)
    assert proc.returncode == 0, proc.stderr
    label = "terrain, no road network (drive" if terrain else "straight-line estimate, no road network ("
    card = pd.read_csv(out / "scorecard.csv", encoding="utf-8-sig").set_index("id")
    assert card.loc["medical-pastoral-2h", "travel"].startswith(label)
    groups = pd.read_csv(out / "summary_by_group.csv", encoding="utf-8-sig")
    assert len(groups) and groups["travel"].str.startswith(label).all()
    rows = pd.read_csv(out / "settlements_access.csv", encoding="utf-8-sig")
    assert rows["travel"].str.startswith(label).all()
