"""Foundation: bundled data, loaders, validation messages, GCJ-02, the `info` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pyrosm
import pytest

from coverage.cli._main import main
from coverage.errors import InputValidationError, NoCrsError, RoadNetworkError
from coverage.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from coverage.inputs import _roads
from coverage.inputs._layers import read_layer
from coverage.inputs._osmfile import read_osm_roads
from coverage.inputs.config import load_facility_types
from coverage.inputs.network import build_road_network
from coverage.inputs.region import LoadOptions, load_region
from coverage.inputs.validate import validate_facilities, validate_settlements

from .conftest import FIXTURES
from .helpers import ZONE_VOCABULARY

BROKEN = FIXTURES / "broken"
REPO = FIXTURES.parent.parent


# --- GCJ-02 ---------------------------------------------------------------------


# Published pairs from independent implementations of the GCJ-02 algorithm (WGS84 -> GCJ-02):
# googollee/eviltransform's tests (as ported in larryli/eviltransform, EvilTransformTest.php),
# wandergis/coordtransform's test/app.js, and an R package's wgs_to_gcj test.
PUBLISHED_WGS_TO_GCJ = [
    # (wgs lon, wgs lat, gcj lon, gcj lat)
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai (eviltransform)
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen (eviltransform)
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing (eviltransform)
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),  # Beijing (coordtransform)
    (116.39089, 39.90734, 116.39713094, 39.90874107),  # Beijing (R test, 8 decimals)
]


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), PUBLISHED_WGS_TO_GCJ)
def test_gcj02_matches_published_conversions(w_lon, w_lat, g_lon, g_lat):
    lon, lat = wgs84_to_gcj02(w_lon, w_lat)
    assert lon == pytest.approx(g_lon, abs=1e-8) and lat == pytest.approx(g_lat, abs=1e-8)
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert back_lon == pytest.approx(w_lon, abs=1e-7) and back_lat == pytest.approx(w_lat, abs=1e-7)


def test_gcj02_inverse_matches_gcoord():
    # hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: GCJ-02 (123, 45) -> WGS84 to 5 decimals.
    lon, lat = gcj02_to_wgs84(123.0, 45.0)
    assert lon == pytest.approx(122.99395597, abs=5e-6) and lat == pytest.approx(44.99804071, abs=5e-6)


@pytest.mark.parametrize(("lon", "lat"), [(183.0, 45.0), (0.0, 0.0), (-74.0, 40.7), (24.94, 60.17), (105.0, 60.0), (70.0, 35.0)])
def test_gcj02_leaves_points_outside_china_unchanged(lon, lat):
    assert tuple(np.asarray(wgs84_to_gcj02(lon, lat), float)) == (lon, lat)
    assert tuple(np.asarray(gcj02_to_wgs84(lon, lat), float)) == (lon, lat)


def test_gcj02_round_trip_under_one_metre():
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 134, 2000)
    lat = rng.uniform(18, 53, 2000)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot((g_lon - lon) * 111_320 * np.cos(np.radians(lat)), (g_lat - lat) * 110_540)
    assert np.median(shift_m) > 200  # the offset is real, so the test is not vacuous
    b_lon, b_lat = gcj02_to_wgs84(g_lon, g_lat)
    err_m = np.hypot((b_lon - lon) * 111_320 * np.cos(np.radians(lat)), (b_lat - lat) * 110_540)
    assert err_m.max() < 1.0


# --- the bundled region ---------------------------------------------------------------


def test_bundled_region_units_and_population(tengger):
    units = tengger.units
    assert (units["level"] == "town").sum() == 2
    assert (units["level"] == "gacha").sum() == 18  # 17 gacha + Luanjing community
    s = tengger.settlements
    # Town totals from the source table: 7,436 (Jiaergalesaihan, 2018) + 1,732 (Tengger Eris, 2000).
    assert s.groupby("town_code")["population"].sum().to_dict() == {"152921111": 7436, "152921115": 1732}
    assert set(s["class"]) == {"town", "pastoral"}
    assert set(s.loc[s["class"] == "pastoral", "unit_code"]) | set(s.loc[s["class"] == "town", "unit_code"]) == set(
        units.index[units["level"] == "gacha"]
    )


def test_every_estimated_value_is_flagged(tengger):
    s, f = tengger.settlements, tengger.facilities
    for col in ("coord_source", "pop_source"):
        assert (s[col].str.len() > 0).all()
    # Only the two seats are real points; all other settlement points say "estimated".
    real = s["coord_source"].str.startswith("real")
    assert real.sum() == 2
    assert s.loc[~real, "coord_source"].str.contains("estimated").all()
    assert s["pop_source"].str.contains("estimated").all()
    assert f["coord_source"].str.len().gt(0).all() and f["attr_source"].str.len().gt(0).all()
    assert tengger.network.schematic.all()


def test_bundled_facilities_follow_the_2017_baseline(tengger):
    f = tengger.facilities
    in_zone_health = f[f["in_region"] & f["facility_type"].isin(["health_centre", "village_clinic", "hospital"])]
    assert len(in_zone_health) == 7  # "卫生计生机构数达到7个" (2017)
    assert (f["facility_type"] == "elderly_daycare").sum() == 1  # "社区日间照料中心共计1个"
    referral = f[~f["in_region"]]
    assert set(referral["facility_type"]) == {"hospital"} and len(referral) == 2
    assert not referral.geometry.within(tengger.boundary).any()


def test_bundled_data_is_reproducible(tmp_path, bundled_dir):
    """The build script regenerates byte-identical files."""
    import runpy

    geodata = REPO / "geodata"
    copy = tmp_path / "geodata"
    shutil.copytree(geodata / "sources", copy / "sources")
    shutil.copy(geodata / "build_tengger.py", copy / "build_tengger.py")
    shutil.copy(geodata / "build_landcover.py", copy / "build_landcover.py")
    runpy.run_path(str(copy / "build_tengger.py"), run_name="__main__")
    runpy.run_path(str(copy / "build_landcover.py"), run_name="__main__")
    built = tmp_path / "coverage" / "data" / "regions" / "tengger"
    hand_written = {"region.toml", "plan.toml", "facility_types.toml"}  # the region's words and its plan, not built
    names = sorted(p.name for p in bundled_dir.iterdir() if p.is_file() and p.name not in hand_written)
    assert set(names) >= {
        "settlements.geojson",
        "facilities.geojson",
        "units.geojson",
        "boundary.geojson",
        "roads.osm",
        "landcover.tif",
        "landcover.toml",
    }
    for name in names:
        assert (built / name).read_bytes() == (bundled_dir / name).read_bytes(), name


def test_road_network_is_clipped_and_projected(tengger):
    net = tengger.network
    assert tengger.crs == "EPSG:32648"  # UTM 48N for 105 E
    assert net.n_edges > 100 and net.length_m.min() > 0
    # The bundled roads hold nothing made for tests: no oneway street (one-way cases live in tests/).
    assert set(net.segment_tag("oneway")) == {""}
    assert {"secondary", "track", "residential"} <= set(net.highway)


@pytest.mark.parametrize("name", ["test_pbf", "helsinki_pbf"])
def test_pbf_roads_load(name):
    from coverage.inputs.osm_rules import load_osm_rules

    raw = read_osm_roads(pyrosm.get_data(name), tag_keys=load_osm_rules().tag_keys())
    net = build_road_network(raw)
    assert net.n_edges > 300 and net.n_ways > 300
    # Segment lengths are geodesic between their end nodes (checked against an independent projection: the
    # local UTM zone is within 0.1 % over a few kilometres).
    gdf = net.edges_gdf().to_crs("EPSG:32635")
    np.testing.assert_allclose(gdf.length.to_numpy(), net.length_m, rtol=2e-3, atol=0.01)


def test_osm_xml_without_roads_is_a_clear_error(tmp_path):
    osm = tmp_path / "no_roads.osm"
    osm.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="37.9" lon="105.4"/>'
        '<node id="2" lat="37.91" lon="105.41"/><way id="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="building" v="yes"/></way></osm>',
        encoding="utf-8",
    )
    with pytest.raises(RoadNetworkError, match="no roads"):
        read_osm_roads(osm, tag_keys=("highway",))


# --- validation: each case, with its message --------------------------------------------


def _settlement_problems(name, **kw):
    path = BROKEN / name
    with pytest.raises(InputValidationError) as err:
        raw = read_layer(path)
        validate_settlements(raw, source=str(path), vocabulary=ZONE_VOCABULARY, **kw)
    return [str(p) for p in err.value.problems]


def test_swapped_lonlat_is_named(tengger):
    (msg,) = _settlement_problems("swapped_lonlat.csv", boundary=tengger.boundary)
    assert "row 3 (id=S2)" in msg and "longitude and latitude are exchanged" in msg


def test_duplicate_ids():
    (msg,) = _settlement_problems("duplicate_ids.csv")
    assert msg.endswith("rows 2, 3, field 'id': duplicate id 'S1'; ids must be unique.")


def test_bad_population_every_row_reported():
    msgs = _settlement_problems("bad_population.csv")
    assert len(msgs) == 4
    assert "row 2 (id=S1), field 'population': population is missing" in msgs[0]
    assert "row 3 (id=S2), field 'population': population -5 is negative." in msgs[1]
    assert "row 4 (id=S3), field 'population': population 'many' is not a number." in msgs[2]
    assert "row 5 (id=S4)" in msgs[3] and "missing" in msgs[3]


def test_unknown_class_suggests():
    (msg,) = _settlement_problems("unknown_class.csv")
    assert "class 'pastorl' is not 'town' or 'pastoral' (did you mean 'pastoral'?)" in msg


def test_far_outside(tengger):
    (msg,) = _settlement_problems("far_outside.csv", boundary=tengger.boundary)
    assert "km from the region's centre" in msg and "row 2 (id=S1)" in msg


def test_csv_without_coordinates():
    (msg,) = _settlement_problems("no_lonlat_columns.csv")
    assert "no longitude/latitude columns" in msg and "easting, northing" in msg


def test_empty_layer():
    (msg,) = _settlement_problems("empty_layer.csv")
    assert "the layer is empty" in msg


def test_no_crs():
    with pytest.raises(NoCrsError, match="no coordinate reference system"):
        read_layer(BROKEN / "no_crs.shp")


def test_projected_coordinates_declared_as_wgs84():
    with pytest.raises(InputValidationError, match="these are projected metres"):
        read_layer(BROKEN / "projected_as_wgs84.geojson")


def test_wrong_and_empty_geometry():
    msgs = _settlement_problems("wrong_geometry_type.geojson")
    assert any(
        "feature 2 (id=S2), field 'geometry': is a LineString, expected a Point (the layer mixes geometry types)" in m
        for m in msgs
    )
    assert any("feature 3 (id=S3), field 'geometry': empty geometry" in m for m in msgs)


def test_gb18030_csv_is_read():
    raw = read_layer(BROKEN / "gb18030_encoding.csv")
    assert raw["name_zh"].iloc[0] == "乌兰哈达嘎查"


def test_unknown_facility_type_suggests_nearest():
    raw = read_layer(BROKEN / "unknown_facility_type.csv")
    with pytest.raises(InputValidationError) as err:
        validate_facilities(raw, source="f.csv", facility_types=load_facility_types())
    (p,) = err.value.problems
    assert str(p).startswith(
        "f.csv: row 2 (id=F1), field 'facility_type': unknown facility type 'helth_centre' (did you mean 'health_centre'?)"
    )


def test_gcj02_option_moves_points_back(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("id,class,population,lon,lat\nS1,town,1,105.39867,37.889978\n", encoding="utf-8")
    p = read_layer(csv, coords="gcj02").geometry.iloc[0]
    assert abs(p.x - 105.394479) < 2e-6 and abs(p.y - 37.889292) < 2e-6


# --- region loading and the CLI ------------------------------------------------------------


def test_all_problems_reported_at_once_with_exit_2(tmp_path, capsys):
    rc = main(
        [
            "info",
            "--region",
            str(FIXTURES.parent.parent / "coverage/data/regions/tengger"),
            "--settlements",
            str(BROKEN / "bad_population.csv"),
            "--facilities",
            str(BROKEN / "unknown_facility_type.csv"),
            "--roads",
            str(tmp_path / "missing.osm"),
            "--boundary",
            str(FIXTURES.parent.parent / "coverage/data/regions/tengger/boundary.geojson"),
            "--no-cache",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "5 problem(s) in the input" in err and "Traceback" not in err
    assert "helth_centre" in err and "population -5 is negative" in err


def test_info_on_bundled_zone(capsys):
    assert main(["info", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "population 9,168" in out
    assert "health_centre" in out and "village_clinic" in out
    assert "Estimated or schematic data" in out and "70 of 72 facilities (coord_source)" in out


def test_info_in_chinese(capsys):
    assert main(["info", "--no-cache", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "区域：腾格里经济技术开发区" in out and "人口9,168" in out and "镇区" in out and "农村牧区" in out


def test_user_files_with_pyrosm_roads(tmp_path, bundled_dir):
    """A user's own files: points as CSV, roads as .osm.pbf (Finland test extract)."""
    raw = read_osm_roads(pyrosm.get_data("test_pbf"), tag_keys=("highway",))
    lon, lat = np.median(raw.lon), np.median(raw.lat)
    (tmp_path / "s.csv").write_text(f"id,class,population,lon,lat\nA,urban,10,{lon},{lat}\n", encoding="utf-8")
    (tmp_path / "f.csv").write_text(f"id,type,lon,lat\nF,school,{lon + 0.01},{lat}\n", encoding="utf-8")
    (tmp_path / "b.geojson").write_text(
        '{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[['
        f"{lon - 0.1},{lat - 0.1}],[{lon + 0.1},{lat - 0.1}],[{lon + 0.1},{lat + 0.1}],[{lon - 0.1},{lat + 0.1}],"
        f"[{lon - 0.1},{lat - 0.1}]]]}}}}",
        encoding="utf-8",
    )
    region = load_region(
        settlements=tmp_path / "s.csv",
        facilities=tmp_path / "f.csv",
        roads=pyrosm.get_data("test_pbf"),
        boundary=tmp_path / "b.geojson",
        options=LoadOptions(use_cache=False),
    )
    assert region.crs == "EPSG:32635" and region.network.n_edges > 100
    assert region.facilities["facility_type"].tolist() == ["school"]


def test_network_cache_is_reused_and_keyed_by_content(tmp_path, bundled_dir, monkeypatch):
    region_dir = tmp_path / "r"
    shutil.copytree(bundled_dir, region_dir)
    cache = tmp_path / "cache"
    first = load_region(region_dir, options=LoadOptions(cache_dir=cache))
    assert len(list(cache.glob("*.npz"))) == 1
    # The second load must not read the road file at all: make reading it fail.
    real_reader = _roads.read_osm_roads

    def no_reading(*args, **kwargs):
        raise AssertionError("the road file was read although the cache holds it")

    monkeypatch.setattr(_roads, "read_osm_roads", no_reading)
    again = load_region(region_dir, options=LoadOptions(cache_dir=cache))
    for key, value in first.network.to_arrays().items():
        np.testing.assert_array_equal(value, again.network.to_arrays()[key], err_msg=key)
    # Change the road file: a new cache entry, and the new data is used.
    monkeypatch.setattr(_roads, "read_osm_roads", real_reader)
    text = (region_dir / "roads.osm").read_text(encoding="utf-8").replace('v="track"', 'v="unclassified"')
    (region_dir / "roads.osm").write_text(text, encoding="utf-8")
    changed = load_region(region_dir, options=LoadOptions(cache_dir=cache))
    assert len(list(cache.glob("*.npz"))) == 2
    assert "track" not in set(changed.network.highway)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_cache_file_is_rebuilt_with_one_line(tmp_path, bundled_dir, damage):
    cache = tmp_path / "cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    argv = [sys.executable, "-m", "coverage.cli", "check", "--only", "medical-pastoral-2h", "--cache-dir", str(cache)]
    first = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    (entry,) = cache.glob("*.npz")
    data = entry.read_bytes()
    entry.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"\x00junk" * 100, "empty": b""}[damage])
    second = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert second.returncode == 0 and "Traceback" not in second.stderr
    warned = [line for line in second.stderr.splitlines() if "routing cache file" in line]
    assert len(warned) == 1 and "is damaged" in warned[0] and "rebuilding it" in warned[0]
    assert second.stdout == first.stdout  # the same answer, from the rebuilt network
    (again,) = cache.glob("*.npz")
    assert again.read_bytes()[:2] == b"PK"  # a whole archive again


def test_the_zone_boundary_excludes_other_townships_seats(tengger):
    """No neighbouring township's seat (NBS anchors in geodata/sources/) lies inside the zone; the zone's own seats do."""
    import csv

    import shapely

    places = list(csv.DictReader((REPO / "geodata" / "sources" / "tengger_places.csv").open(encoding="utf-8")))
    others = [p for p in places if p["role"] in ("neighbour_seat", "referral_city")]
    assert any(p["key"] == "toudaohu" for p in others)
    for p in others:
        assert not tengger.boundary.contains(shapely.Point(float(p["lon_wgs84"]), float(p["lat_wgs84"]))), p["name_zh"]
    towns = list(csv.DictReader((REPO / "geodata" / "sources" / "tengger_towns.csv").open(encoding="utf-8")))
    for t in towns:
        assert tengger.boundary.contains(shapely.Point(float(t["seat_lon_wgs84"]), float(t["seat_lat_wgs84"]))), t["name_zh"]


@pytest.mark.slow
def test_check_map_and_site_never_import_osmnx(tmp_path):
    """osmnx (and scikit-learn, pyrosm) stay off the path of a region already on disk: the cold start stays short.

    matplotlib is loaded by ``map`` only (its static figures), never by ``check`` or ``site``.
    """
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from coverage.cli import main\n"
        f"assert main(['check', '--no-cache', '--out', {str(tmp_path / 'c')!r}]) == 0\n"
        f"assert main(['site', '--no-cache', '--standard', 'medical-pastoral-2h', '--out', {str(tmp_path / 's')!r}]) == 0\n"
        "heavy = sorted(m for m in ('osmnx', 'sklearn', 'matplotlib', 'pyrosm') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        f"assert main(['map', '--no-cache', '--out', {str(tmp_path / 'm')!r}]) == 0\n"
        "heavy = sorted(m for m in ('osmnx', 'sklearn', 'pyrosm') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "print('clean')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("clean"), proc.stderr[-2000:]
