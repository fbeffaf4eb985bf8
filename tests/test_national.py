"""National catalogues (GB 50180-2018, TD/T 1062-2021), the region's own vocabulary, straight-line mode."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from coverage.errors import CatalogueError
from coverage.inputs.config import vocabulary_from_table
from coverage.standards._base import MET, NOT_MET, NOT_TESTED
from coverage.standards.assessment import assess
from coverage.standards.catalogue import Terms, load_catalogue

from .helpers import ZONE_VOCABULARY, at, make_region, star_network

DATA = Path(__file__).parents[1] / "coverage" / "data"
SOURCES = (DATA / "SOURCES.md").read_text(encoding="utf-8")


def cli(*argv, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "coverage.cli", *map(str, argv)], capture_output=True, text=True, timeout=300, cwd=cwd
    )


# --- GB 50180-2018: every figure's clause and source ------------------------------------------------


GB = load_catalogue("gb50180", region=Terms(vocabulary=ZONE_VOCABULARY))  # the test regions use the zone's classes
CIRCLE_OF_CLAUSE = {"2.0.2": 15.0, "2.0.3": 10.0, "2.0.4": 5.0}


@pytest.mark.parametrize("std", GB.standards, ids=lambda s: s.id)
def test_gb50180_minutes_are_the_circle_of_the_clause(std):
    # The national threshold is the walking time of the life circle its clause defines.
    assert std.basis_of("max_minutes") == "national"
    clause = re.search(r"GB 50180-2018 (2\.0\.\d)", std.clause).group(1)
    assert std.max_minutes == CIRCLE_OF_CLAUSE[clause]
    assert std.section == f"GB 50180-2018 {clause}"
    zh_number = {15: "十五", 10: "十", 5: "五"}[int(std.max_minutes)]
    assert f"{int(std.max_minutes)}-minute" in std.title_en and std.title_zh.startswith(f"{zh_number}分钟")
    assert std.profile == "walk" and std.applies_to_roles == ("urban",)


@pytest.mark.parametrize("std", GB.standards, ids=lambda s: s.id)
def test_gb50180_readings_are_marked_and_argued(std):
    # The share and the facility list are not the standard's: they say so, in both languages.
    assert std.basis_of("required_share") == "reading"
    assert "reading" in std.reading and "解读" in std.reading_zh


def test_every_clause_and_figure_is_in_sources():
    # Each clause cited, and each figure the catalogue's comments and not-testable entries
    # quote, is in SOURCES.md with the page it was read on.
    for clause in {re.search(r"2\.0\.\d", s.clause).group(0) for s in GB.standards}:
        assert clause in SOURCES
    for figure in ("500 m", "15,000–25,000", "50,000–100,000", "15-minute walk", "2.0.5"):
        assert figure in SOURCES
    assert "zgbk.com" in SOURCES and "ccprjournal.com.cn" in SOURCES
    scale = next(n for n in GB.not_testable if n.id == "gb50180-scale")
    assert "15,000-25,000" in scale.why and "50,000-100,000" in scale.why


def test_walking_pace_is_the_standards_500_m_in_10_minutes():
    # A school 490 m along the road meets the 10-minute circle; 510 m does not (3 km/h).
    net, coords = star_network({1: 490.0, 2: 510.0}, highway="residential")
    region = make_region(
        [{"id": "near", "lonlat": coords[1], "class": "town"}, {"id": "far", "lonlat": coords[2], "class": "town"}],
        [{"id": "school", "type": "primary_school", "lonlat": coords[0]}],
        net,
    )
    r = assess(region, GB.select(["gb50180-10min-school"])).results[0]
    assert r.detail.loc["near", "minutes"] == pytest.approx(9.8, abs=1e-6)
    assert r.detail.loc["far", "minutes"] == pytest.approx(10.2, abs=1e-6)
    assert list(r.detail["verdict"]) == [MET, NOT_MET]
    assert r.verdict == NOT_MET and r.summary["share_demand"] == pytest.approx(0.5)


def test_national_catalogue_skips_rural_settlements():
    net, coords = star_network({1: 100.0, 2: 5000.0})
    region = make_region(
        [{"id": "town", "lonlat": coords[1], "class": "town"}, {"id": "herders", "lonlat": coords[2], "class": "pastoral"}],
        [{"id": "school", "type": "primary_school", "lonlat": coords[0]}],
        net,
    )
    r = assess(region, GB.select(["gb50180-10min-school"])).results[0]
    assert list(r.detail.index) == ["town"] and r.verdict == MET


def test_tdt1062_encodes_no_unverified_figure():
    cat = load_catalogue("tdt1062")
    assert cat.standards == () and {n.id for n in cat.not_testable} == {"tdt1062-town", "tdt1062-rural"}
    assert all("could not be checked" in n.why for n in cat.not_testable)
    proc = cli("check", "--standards", "plan,tdt1062")
    assert proc.returncode == 0, proc.stderr
    assert "tdt1062-town" in proc.stdout and "tdt1062-rural" in proc.stdout


# --- a region's own vocabulary: 街道/社区, 城镇/农村 ---------------------------------------------------

COUNTY_TOML = """
name_zh = "某县"
name_en = "A county"
settlements = "settlements.geojson"
facilities = "facilities.geojson"
units = "units.geojson"

[[vocabulary.class]]
key = "chengzhen"
zh = "城镇"
en = "urban"
role = "urban"

[[vocabulary.class]]
key = "nongcun"
zh = "农村"
en = "rural"
role = "rural"

[[vocabulary.level]]
key = "county"
zh = "县"
en = "county"

[[vocabulary.level]]
key = "jiedao"
zh = "街道"
en = "sub-district"

[[vocabulary.level]]
key = "shequ"
zh = "社区"
en = "community"
"""

COUNTY_CATALOGUE = """
[catalogue]
name_en = "County rules"

[[standard]]
id = "clinic-per-shequ"
kind = "presence"
title_zh = "每个社区一处卫生服务站"
title_en = "A health station in every community"
wording = "每个社区设卫生服务站"
section = "1"
level = "shequ"
basis = { min_count = "plan" }
[[standard.require]]
facility_types = ["community_health_station"]
min_count = 1
"""


@pytest.fixture
def county(tmp_path):
    d = tmp_path / "county"
    d.mkdir()
    (d / "region.toml").write_text(COUNTY_TOML, encoding="utf-8")
    pts = [at(0, 0), at(300, 0), at(5000, 0)]
    gpd.GeoDataFrame(
        {
            "id": ["s1", "s2", "s3"],
            "name_zh": ["甲", "乙", "丙"],
            "class": ["chengzhen", "chengzhen", "nongcun"],
            "population": [1000, 800, 300],
        },
        geometry=[Point(p) for p in pts],
        crs="EPSG:4326",
    ).to_file(d / "settlements.geojson")
    gpd.GeoDataFrame(
        {"id": ["f1", "f2"], "name_zh": ["站", "校"], "facility_type": ["community_health_station", "primary_school"]},
        geometry=[Point(at(10, 0)), Point(at(150, 0))],
        crs="EPSG:4326",
    ).to_file(d / "facilities.geojson")
    gpd.GeoDataFrame(
        {
            "code": ["J1", "C1", "C2"],
            "name_zh": ["一街道", "一社区", "二社区"],
            "level": ["jiedao", "shequ", "shequ"],
            "parent_code": ["", "J1", "J1"],
        },
        geometry=[
            box(*at(-1000, -1000), *at(6000, 1000)),
            box(*at(-1000, -1000), *at(1000, 1000)),
            box(*at(1000, -1000), *at(6000, 1000)),
        ],
        crs="EPSG:4326",
    ).to_file(d / "units.geojson")
    (tmp_path / "county.toml").write_text(COUNTY_CATALOGUE, encoding="utf-8")
    return d


def test_county_vocabulary_runs_own_and_national_catalogues(county):
    proc = cli("check", "--region", county, "--standards", f"{county.parent / 'county.toml'},gb50180", "--wide")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # The presence standard counts per 社区: C1 holds the station, C2 does not.
    assert re.search(r"clin\S*-per-shequ.*NOT MET|NOT MET.*clinic-per-shequ", out.replace("\n", " "))
    # GB 50180 applies to the urban class through its role, in straight-line mode (no roads).
    assert "straight-line estimate, no road network" in out
    proc_zh = cli("check", "--region", county, "--standards", f"{county.parent / 'county.toml'},gb50180", "--lang", "zh")
    assert "直线" in proc_zh.stdout and "社区" in proc_zh.stdout


def test_county_vocabulary_rejects_the_zone_words(county):
    s = gpd.read_file(county / "settlements.geojson")
    s.loc[0, "class"] = "town"
    s.to_file(county / "settlements.geojson")
    proc = cli("check", "--region", county)
    assert proc.returncode == 2
    assert "class 'town' is not 'chengzhen' or 'nongcun'" in proc.stderr and "Traceback" not in proc.stderr


def test_roles_resolve_per_region():
    county = vocabulary_from_table(
        {
            "class": [{"key": "a", "zh": "城", "en": "a", "role": "urban"}, {"key": "b", "zh": "乡", "en": "b", "role": "rural"}],
            "level": [{"key": "x", "zh": "县", "en": "x"}, {"key": "y", "zh": "乡", "en": "y"}],
        },
        where="t",
    )
    assert {s.applies_to for s in load_catalogue("gb50180", region=Terms(vocabulary=county)).standards} == {("a",)}
    assert {s.applies_to for s in load_catalogue("gb50180", region=Terms(vocabulary=ZONE_VOCABULARY)).standards} == {("town",)}
    assert {s.applies_to for s in load_catalogue("gb50180").standards} == {("urban",)}  # the neutral built-in words


def test_region_without_roles_says_why_national_standards_are_not_tested():
    plain = vocabulary_from_table(
        {"class": [{"key": "a", "zh": "甲", "en": "a"}], "level": [{"key": "x", "zh": "县", "en": "x"}]}, where="t"
    )
    cat = load_catalogue("gb50180", region=Terms(vocabulary=plain))
    net, coords = star_network({1: 100.0})
    region = make_region(
        [{"id": "s", "lonlat": coords[1], "class": "a"}], [{"id": "f", "type": "primary_school", "lonlat": coords[0]}], net
    )
    region = region.__class__(**{**region.__dict__, "vocabulary": plain})
    r = assess(region, cat.select(["gb50180-10min-school"])).results[0]
    assert r.verdict == NOT_TESTED and 'role = "urban"' in r.why.text("en")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"role": "city"}, "role 'city' is not one of urban, rural"),
        ({"role": "urbn"}, "did you mean 'urban'"),
    ],
)
def test_bad_roles_are_named(table, message):
    with pytest.raises(CatalogueError, match=re.escape(message)):
        vocabulary_from_table(
            {"class": [{"key": "a", "zh": "甲", "en": "a", **table}], "level": [{"key": "x", "zh": "县", "en": "x"}]}, where="t"
        )


# --- straight-line mode -------------------------------------------------------------------------------


def test_straight_line_minutes_are_geodesic_times_detour_at_offroad_speed(tmp_path):
    # No roads: a settlement 1 km (geodesic) from a clinic is 1,000 x 1.3 / 3 km/h = 26 minutes on foot.
    geod = Geod(ellps="WGS84")
    lon, lat, _ = geod.fwd(105.0, 38.0, 90.0, 1000.0)
    region = make_region(
        [{"id": "s", "lonlat": (lon, lat), "class": "town"}],
        [{"id": "f", "type": "primary_school", "lonlat": (105.0, 38.0)}],
        None,
    )
    r = assess(region, GB.select(["gb50180-10min-school"])).results[0]
    walk = region.profiles["walk"]
    expected = 1000.0 * walk.detour_factor / (walk.offroad_kmh * 1000 / 60)
    assert r.detail.loc["s", "minutes"] == pytest.approx(expected, rel=1e-9)
    assert r.detail.loc["s", "model"] == "straight"


@pytest.mark.slow
def test_straight_line_mode_says_so_in_every_output(county, tmp_path):
    out = tmp_path / "out"
    cat = f"{county.parent / 'county.toml'},gb50180"
    for lang, words in (("en", "straight-line estimate, no road network"), ("zh", "直线距离估算，无路网")):
        proc = cli("map", "--region", county, "--standards", cat, "--out", out, "--lang", lang)
        assert proc.returncode == 0, proc.stderr
        assert words in proc.stdout
        assert words in (out / "index.html").read_text(encoding="utf-8")
        assert words in (out / "scorecard.md").read_text(encoding="utf-8")
        access_csv = (out / "settlements_access.csv").read_text(encoding="utf-8")
        assert words in access_csv
        maps = [p for p in out.glob("*.html") if p.name != "index.html"]
        assert maps and all(words in p.read_text(encoding="utf-8") for p in maps if "gb50180" in p.name)


def test_straight_line_service_area_is_a_circle():
    from coverage.inputs.config import load_profiles
    from coverage.travel._straight import StraightTravel

    walk = load_profiles()["walk"]
    model = StraightTravel(walk)
    area = model.service_area(np.array([[105.0, 38.0]]), 600.0)
    geod = Geod(ellps="WGS84")
    radius = 600.0 * walk.offroad_m_per_s / walk.detour_factor
    lons, lats = np.asarray(area.exterior.coords).T
    _, _, d = geod.inv(np.full(len(lons), 105.0), np.full(len(lons), 38.0), lons, lats)
    assert np.allclose(d, radius, rtol=1e-3)
