"""Broken, hostile and interrupted runs: exact messages, exit 2, nothing written; properties."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage.cli._main import main
from coverage.gcj02 import wgs84_to_gcj02
from coverage.inputs.config import load_profiles
from coverage.inputs.network import network_from_tables
from coverage.standards.kinds.access import AccessStandard
from coverage.standards.kinds.access import assess as assess_access
from coverage.travel._graph import build_routing_graph
from coverage.travel._search import nearest_facility

from .conftest import FIXTURES
from .helpers import Osm, at, cut_county, make_region, star_network
from .reference import reference_times

BROKEN = FIXTURES / "broken"
BUNDLED = FIXTURES.parent.parent / "coverage" / "data" / "regions" / "tengger"


def run_check(tmp_path, lang: str = "en", **files) -> tuple[int, str, Path]:
    """`coverage-plan check --out` with some of the bundled files replaced."""
    out = tmp_path / "out"
    args = {
        "settlements": BUNDLED / "settlements.geojson",
        "facilities": BUNDLED / "facilities.geojson",
        "roads": BUNDLED / "roads.osm",
        "boundary": BUNDLED / "boundary.geojson",
        "units": BUNDLED / "units.geojson",
    }
    args.update(files)
    argv = ["check", "--region", str(BUNDLED), "--no-cache", "--lang", lang, "--out", str(out)]
    for k, v in args.items():
        argv += [f"--{k}", str(v)]
    proc = subprocess.run([sys.executable, "-m", "coverage.cli", *argv], capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr, out


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


# Each case: a file (fixture name or text), the layer it replaces, and the exact user-facing message part.
CASES = {
    "swapped_lonlat": (
        "settlements",
        BROKEN / "swapped_lonlat.csv",
        "row 3 (id=S2), field 'geometry': point (37.70000, 105.10000) lies outside the region, but swapped it "
        "falls inside: longitude and latitude are exchanged.",
    ),
    "duplicate_ids": (
        "settlements",
        BROKEN / "duplicate_ids.csv",
        "rows 2, 3, field 'id': duplicate id 'S1'; ids must be unique.",
    ),
    "negative_population": (
        "settlements",
        BROKEN / "bad_population.csv",
        "row 3 (id=S2), field 'population': population -5 is negative.",
    ),
    "non_numeric_population": (
        "settlements",
        BROKEN / "bad_population.csv",
        "row 4 (id=S3), field 'population': population 'many' is not a number.",
    ),
    "missing_population": (
        "settlements",
        BROKEN / "bad_population.csv",
        "row 2 (id=S1), field 'population': population is missing; give a number (0 if none).",
    ),
    "empty_layer": (
        "settlements",
        BROKEN / "empty_layer.csv",
        "the layer is empty (no settlement); check the file or layer name.",
    ),
    "no_crs": ("settlements", BROKEN / "no_crs.shp", "the file has no coordinate reference system"),
    "projected_as_wgs84": ("settlements", BROKEN / "projected_as_wgs84.geojson", "these are projected metres"),
    "mixed_geometry": (
        "settlements",
        BROKEN / "wrong_geometry_type.geojson",
        "feature 2 (id=S2), field 'geometry': is a LineString, expected a Point (the layer mixes geometry types)",
    ),
    "empty_geometry": (
        "settlements",
        BROKEN / "wrong_geometry_type.geojson",
        "feature 3 (id=S3), field 'geometry': empty geometry; give the point's coordinates or delete the row.",
    ),
    "unknown_class": (
        "settlements",
        BROKEN / "unknown_class.csv",
        "class 'pastorl' is not 'town' or 'pastoral' (did you mean 'pastoral'?)",
    ),
    "far_outside": ("settlements", BROKEN / "far_outside.csv", "more than 50 km outside its boundary"),
    "unknown_facility_type": (
        "facilities",
        BROKEN / "unknown_facility_type.csv",
        "unknown facility type 'helth_centre' (did you mean 'health_centre'?)",
    ),
    "facilities_all_outside": (
        "facilities",
        BROKEN / "facilities_all_outside.csv",
        "every facility lies outside the region's boundary and its 40 km margin",
    ),
    "invalid_polygon": (
        "units",
        BROKEN / "self_intersecting_unit.geojson",
        "feature 1 (id=X1), field 'geometry': invalid polygon (Self-intersection",
    ),
    "osm_without_roads": ("roads", BROKEN / "no_roads.osm", "no roads (no way with a 'highway' tag) in the file"),
    "infinite_population": (
        "settlements",
        BROKEN / "infinite_population.csv",
        "row 2 (id=S1), field 'population': population 'inf' is not a finite number.",
    ),
    "infinite_elderly": (
        "settlements",
        BROKEN / "infinite_population.csv",
        "row 3 (id=S2), field 'elderly_population': elderly_population '-inf' is not a finite number.",
    ),
    "overflowing_population": (
        "settlements",
        BROKEN / "infinite_population.csv",
        "row 4 (id=S3), field 'population': population '1e400' is not a finite number.",
    ),
    "unknown_unit_code": (
        "settlements",
        BROKEN / "unknown_unit_code.csv",
        "id=S2, field 'unit_code': '15292111l001' names no unit of",
    ),
    "parent_code_names_no_unit": (
        "units",
        BROKEN / "units_bad_parents.geojson",
        "code=G1, field 'parent_code': parent_code 'T9' names no unit of this layer.",
    ),
    "parent_at_the_wrong_level": (
        "units",
        BROKEN / "units_bad_parents.geojson",
        "code=G2, field 'parent_code': the parent of a gacha or community unit is a town (sumu) unit, "
        "but 'G1' is a gacha or community unit.",
    ),
    "in_region_not_a_yes_or_no": (
        "facilities",
        BROKEN / "in_region_values.csv",
        "row 3 (id=F2), field 'in_region': in_region 'maybe' is neither true nor false",
    ),
    "empty_pbf": ("roads", BROKEN / "empty.osm.pbf", "cannot be read as OpenStreetMap data"),
    "truncated_pbf": ("roads", BROKEN / "truncated.osm.pbf", "cannot be read as OpenStreetMap data"),
    "garbage_pbf": ("roads", BROKEN / "garbage.osm.pbf", "cannot be read as OpenStreetMap data"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_exit_2_message_and_no_output(tmp_path, case):
    layer, path, message = CASES[case]
    rc, err, out = run_check(tmp_path, **{layer: path})
    assert rc == 2, err
    assert message in err, err
    assert str(path) in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def untranslated(err: str) -> list[str]:
    """English words left in a Chinese message, once values, options and library details are set aside."""
    from .test_i18n import english_words

    err = re.sub(r"'[^']*'|`[^`]*`|coverage-plan \w+", " ", err)  # quoted values, ids and commands
    err = re.sub(r"--[a-z][a-z-]*|\[\[\w+\]\]|\b\w+ *= *\S+", " ", err)  # options, TOML tables, key = value, id=S1
    for _ in range(2):  # a library's own words, e.g. (PBF error: invalid size (> max)), nested
        err = re.sub(r"[(（][^()（）\u3400-\u9fff]*[)）]", " ", err)
    names = {"QGIS", "GeoJSON", "GeoPackage", "Shapefile", "CSV", "UTM", "OSM", "PBF", "TOML", "GeoTIFF", "Excel", "UTF"}
    names |= {"Point", "LineString", "Polygon", "MultiPolygon", "MultiPoint", "MultiLineString"}  # geometry types
    return [w for w in english_words(err) if w not in names]


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_is_explained_in_chinese(tmp_path, case):
    """The same refusals with --lang zh: the message is Chinese, with the file, row and field still named."""
    layer, path, message = CASES[case]
    rc, err, out = run_check(tmp_path, lang="zh", **{layer: path})
    assert rc == 2 and "Traceback" not in err, err
    assert err.startswith("coverage-plan：错误：") and str(path) in err
    # The same refusal, not any refusal: the values the English message quotes are named in Chinese too.
    for value in re.findall(r"'([^']+)'|(\d+(?:\.\d+)?)", message):
        assert (value[0] or value[1]) in err, (value, err)
    assert not untranslated(err), (untranslated(err), err)
    assert not out.exists() or not any(out.iterdir())


# Options and configuration files given wrongly: (argv after the command, expected message part). "{tmp}" is a folder.
CLI_CASES = {
    "standards_is_a_folder": (["check", "--standards", "{tmp}"], "is a folder; give a TOML file."),
    "speeds_is_a_folder": (["check", "--speeds", "{tmp}"], "is a folder; give a TOML file."),
    "osm_rules_is_a_folder": (["check", "--osm-rules", "{tmp}"], "is a folder; give a TOML file."),
    "scenario_is_a_folder": (["check", "--scenario", "{tmp}"], "is a folder; give a TOML file."),
    "region_is_a_file": (["check", "--region", "{tmp}/x.toml"], "not a folder; --region takes a folder holding a region.toml."),
    "add_negative": (["site", "--standard", "medical-pastoral-2h", "--add", "-2"], "argument --add: -2 must be >= 1"),
    "add_zero": (["site", "--standard", "medical-pastoral-2h", "--add", "0"], "argument --add: 0 must be >= 1"),
    "add_not_a_number": (
        ["site", "--standard", "medical-pastoral-2h", "--add", "two"],
        "argument --add: 'two' is not a whole number",
    ),
    "spacing_zero": (["site", "--standard", "medical-pastoral-2h", "--spacing-km", "0"], "argument --spacing-km: 0 must be > 0"),
    "spacing_nan": (["site", "--standard", "medical-pastoral-2h", "--spacing-km", "nan"], "'nan' is not a finite number"),
    "budget_negative": (
        ["site", "--standard", "medical-pastoral-2h", "--budget-curve", "-1"],
        "argument --budget-curve: -1 must be >= 1",
    ),
    "time_limit_inf": (["site", "--standard", "medical-pastoral-2h", "--time-limit", "inf"], "'inf' is not a finite number"),
    "toml_syntax": (["check", "--standards", "{tmp}/x.toml"], "x.toml, line 1, column 6: not valid TOML ("),
    "site_presence_standard": (
        ["site", "--standard", "sports-zone"],
        "'sports-zone' is a presence standard; siting works on access standards",
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_bad_options_exit_2_with_one_message(tmp_path, case):
    argv, message = CLI_CASES[case]
    (tmp_path / "x.toml").write_text('a = "\nb\n' if case == "toml_syntax" else "", encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", *argv, "--no-cache", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) <= 3  # one clear message (argparse adds usage)


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_bad_options_are_explained_in_chinese(tmp_path, case):
    argv, _message = CLI_CASES[case]
    (tmp_path / "x.toml").write_text('a = "\nb\n' if case == "toml_syntax" else "", encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", *argv, "--lang", "zh", "--no-cache", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "错误" in proc.stderr and not untranslated(proc.stderr), (untranslated(proc.stderr), proc.stderr)


SCENARIO_CASES = {
    "lon_out_of_range": (
        '[[add]]\nid = "N"\nfacility_type = "village_clinic"\nlon = 200.0\nlat = 37.8\n',
        "lon = 200.0 is not a longitude",
    ),
    "lat_nan": ('[[move]]\nid = "C01"\nlon = 105.0\nlat = nan\n', "lat = nan is not a finite number."),
    "speed_nan": ('[[speed]]\nprofile = "drive"\nhighway = "track"\nkmh = nan\n', "kmh = nan is not a finite number."),
    "speed_zero": ('[[speed]]\nprofile = "drive"\nhighway = "track"\nkmh = 0\n', "must be a positive number of km/h, got 0"),
    "beds_negative": (
        '[[add]]\nid = "N"\nfacility_type = "elderly_home"\nlon = 105.0\nlat = 37.8\nbeds = -3\n',
        "beds must not be negative",
    ),
    "road_unknown": (
        '[[road]]\naction = "close"\nname = "no such road"\n',
        "no road whose name contains 'no such road'; road names like it:",
    ),
    "facility_unknown": ('[[remove]]\nid = "C1"\n', "id 'C1' is not a facility; closest ids: 'C01'"),
    "top_level_key_unknown": ('[[ad]]\nid = "N"\n', "unknown key 'ad' (did you mean 'add'?). Allowed: 'add', 'barrier',"),
    "speed_class_misspelt": (
        '[[speed]]\nprofile = "drive"\nhighway = "trak"\nkmh = 5\n',
        "[[speed]] highway = 'trak' is not a road class here (did you mean 'track'?)",
    ),
    "upgrade_class_misspelt": (
        '[[road]]\naction = "upgrade"\nname = "G"\nhighway = "motorwy"\n',
        "[[road]] highway = 'motorwy' is not a road class here (did you mean 'motorway'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_bad_scenarios_exit_2(tmp_path, case):
    text, message = SCENARIO_CASES[case]
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "check", "--scenario", str(path), "--no-cache", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and message in proc.stderr and str(path) in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_bad_scenarios_are_explained_in_chinese(tmp_path, case):
    text, _message = SCENARIO_CASES[case]
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "check", "--lang", "zh", "--scenario", str(path), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and str(path) in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not untranslated(proc.stderr), (untranslated(proc.stderr), proc.stderr)


def _places_extract(path: Path, *, twins: bool = False) -> Path:
    """An extract of a road, a clinic and two villages without population tags (or two of one name)."""
    o = Osm()
    o.way([o.node(x, 0) for x in range(-2000, 2001, 500)], highway="residential")
    o.node(-900, 100, amenity="clinic", name="Clinic")
    o.node(-1000, 0, place="village", name="甲村")
    o.node(1000, 0, place="village", name="甲村" if twins else "乙村")
    return o.write(path)


def _table(path: Path, rows: dict) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


# init's refusals: (builder of the argv after "init OUT", message part). Each builder gets a scratch folder.
INIT_CASES = {
    "no_demand": (
        lambda d: ["--osm", _places_extract(d / "a.osm")],
        "2 of 2 settlements have no population (no population tag in the extract). Give demand one of four ways",
    ),
    "admin_gap_inside": (
        lambda d: ["--osm", cut_county(d / "c.osm", gap_inside=True), "--admin", "Cut County", "--demand", "settlements"],
        "the administrative area 'Cut County' (r5000) misses 1 of its 2 ways: the extract cuts it, and it cannot be "
        "closed along the extract's edge because its missing ways leave a gap inside the extract, not at its edge. "
        "Give its outline with --boundary FILE.",
    ),
    "admin_no_anchor": (
        lambda d: ["--osm", cut_county(d / "c.osm", centre=False), "--admin", "Cut County", "--demand", "settlements"],
        "because no admin_centre, label or place node of its name tells its inside from its outside",
    ),
    "admin_unknown": (
        lambda d: ["--osm", cut_county(d / "c.osm"), "--admin", "Cut Conty", "--demand", "settlements"],
        "no administrative area named 'Cut Conty' (did you mean 'Cut County'?)",
    ),
    "table_without_population": (
        lambda d: ["--osm", _places_extract(d / "a.osm"), "--population-table", _table(d / "p.csv", {"名称": ["甲村"]})],
        "a population table needs a population column",
    ),
    "table_with_twin_names": (
        lambda d: [
            "--osm",
            _places_extract(d / "a.osm", twins=True),
            "--population-table",
            _table(d / "p.csv", {"名称": ["甲村"], "人口": [5]}),
        ],
        "'甲村' fits 2 settlements (osm-n",
    ),
    "table_with_words_for_people": (
        lambda d: [
            "--osm",
            _places_extract(d / "a.osm"),
            "--population-table",
            _table(d / "p.csv", {"名称": ["甲村", "乙村"], "人口": [5, "很多"]}),
        ],
        "row 3, field '人口': 人口 '很多' is not a number of people.",
    ),
    "units_without_population": (
        lambda d: ["--osm", _places_extract(d / "a.osm"), "--population-units", _units_file(d / "u.geojson")],
        "no 'population' column; each polygon needs its people.",
    ),
    "cells_without_raster": (
        lambda d: ["--osm", _places_extract(d / "a.osm"), "--demand", "cells"],
        "--demand cells needs a population raster (--population FILE.tif).",
    ),
}


def _units_file(path: Path) -> Path:
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(*at(-3000, -1000), *at(3000, 1000))], crs="EPSG:4326").to_file(
        path, driver="GeoJSON"
    )
    return path


def _init(tmp_path: Path, case: str, lang: str) -> tuple[subprocess.CompletedProcess, Path]:
    build, _message = INIT_CASES[case]
    out = tmp_path / "region"
    argv = ["init", str(out), *map(str, build(tmp_path)), "--lang", lang]
    return subprocess.run([sys.executable, "-m", "coverage.cli", *argv], capture_output=True, text=True, timeout=300), out


@pytest.mark.parametrize("case", sorted(INIT_CASES))
def test_init_refusals_exit_2_with_one_message(tmp_path, case):
    proc, out = _init(tmp_path, case, "en")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert INIT_CASES[case][1] in proc.stderr, proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("case", sorted(INIT_CASES))
def test_init_refusals_are_explained_in_chinese(tmp_path, case):
    proc, out = _init(tmp_path, case, "zh")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("coverage-plan：错误：") and not untranslated(proc.stderr), (
        untranslated(proc.stderr),
        proc.stderr,
    )
    assert not out.exists()


def test_region_toml_with_a_misspelt_datum(tmp_path, bundled_dir):
    import shutil

    region = tmp_path / "r"
    shutil.copytree(bundled_dir, region)
    manifest = region / "region.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('coords = "wgs84"', 'coords = "gcj-02"'), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "info", "--region", str(region), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "coords = 'gcj-02' is not wgs84 or gcj02 (did you mean 'gcj02'?)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_geopackage_with_two_layers_names_them(tmp_path):
    s = gpd.read_file(BUNDLED / "settlements.geojson")
    path = tmp_path / "data.gpkg"
    s.to_file(path, layer="villages", driver="GPKG")
    s.iloc[:2].to_file(path, layer="old_villages", driver="GPKG")
    rc, err, out = run_check(tmp_path, settlements=path)
    assert rc == 2 and f"has 2 layers (villages, old_villages); name the one to read as {path}:villages." in err
    assert not out.exists()
    rc, err, out = run_check(tmp_path, settlements=f"{path}:villages")
    assert rc == 0, err
    rc, err, _ = run_check(tmp_path, settlements=f"{path}:vilages")
    assert rc == 2 and "has no layer 'vilages' (did you mean 'villages'?)" in err


def test_profile_speeds_must_be_finite(tmp_path):
    from importlib import resources

    base = resources.files("coverage").joinpath("data", "profiles.toml").read_text(encoding="utf-8")
    for bad, message in (
        ("secondary = 60.0", "speed for 'secondary' must be a positive number, got nan."),
        ("offroad_kmh = 15.0", "'offroad_kmh' must be a positive number, got inf."),
    ):
        value = "nan" if "secondary" in bad else "inf"
        path = tmp_path / "speeds.toml"
        path.write_text(base.replace(bad, bad.split(" = ")[0] + " = " + value, 1), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "coverage.cli", "check", "--speeds", str(path), "--no-cache"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_catalogue_errors_through_the_cli(tmp_path):
    for text, message in (("[[standard]]\nid='x'\nkind='ratioo'\n", "unknown kind 'ratioo' (did you mean 'ratio'?)"),):
        cat = write(tmp_path, "cat.toml", text)
        proc = subprocess.run(
            [sys.executable, "-m", "coverage.cli", "check", "--no-cache", "--standards", str(cat), "--out", str(tmp_path / "o")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
        assert not (tmp_path / "o").exists()


def test_output_directory_not_writable(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions: use a path under a file instead
            target = tmp_path / "a-file"
            target.write_text("x")
            out = target / "out"
        else:
            out = locked / "out"
        rc = main(["check", "--no-cache", "--only", "gp-density", "--out", str(out)])
        assert rc == 2 and "choose another folder with --out" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_output_error_message(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["check", "--no-cache", "--only", "gp-density", "--out", str(target / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot write here" in err and "choose another folder with --out" in err


def test_gcj02_coordinates_are_detected(tmp_path, tengger):
    """Facilities on the roads, copied from a Chinese web map, sit ~350 m off: a warning suggests --coords gcj02."""
    net = tengger.network
    rural = np.unique(np.concatenate([net.u[net.highway != "residential"], net.v[net.highway != "residential"]]))
    pick = np.random.default_rng(0).choice(rural, 30, replace=False)
    lon, lat = wgs84_to_gcj02(net.lon[pick], net.lat[pick])
    table = pd.DataFrame({"id": [f"F{k}" for k in range(30)], "facility_type": "library", "lon": lon, "lat": lat})
    csv = tmp_path / "gcj.csv"
    table.to_csv(csv, index=False)
    rc, err, _ = run_check(tmp_path, facilities=csv)
    assert rc == 0
    assert f"{csv}: the points look shifted like GCJ-02" in err and "run again with --coords gcj02" in err
    # With the option, the points are converted and the warning goes away.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage.cli",
            "info",
            "--region",
            str(BUNDLED),
            "--no-cache",
            "--coords",
            "gcj02",
            "--facilities",
            str(csv),
            "--settlements",
            str(BUNDLED / "settlements.geojson"),
            "--roads",
            str(BUNDLED / "roads.osm"),
            "--boundary",
            str(BUNDLED / "boundary.geojson"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and "look shifted" not in proc.stderr


@pytest.mark.parametrize("spread", [30.0, 3000.0])
def test_segment_distances_of_the_gcj02_check_equal_shapely(spread):
    """The KD-tree distance to the nearest road segment is exact: shapely's R-tree gives the same."""
    import shapely

    from coverage.inputs._roads import _SegmentDistance

    rng = np.random.default_rng(int(spread))
    a = rng.uniform(0, 20_000, (5000, 2))
    b = a + rng.normal(0, spread, (5000, 2))
    b[:20] = a[:20]  # zero-length segments (a way's repeated node)
    pts = rng.uniform(-3000, 23_000, (400, 2))
    ours = _SegmentDistance(a, b)(pts)
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    _, ref = tree.query_nearest(shapely.points(pts), return_distance=True, all_matches=False)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


def test_road_network_in_pieces_counts_unreachable(tmp_path, capsys):
    """Cut every track: gacha beyond the off-road reach become unreachable, counted and mapped."""
    text = (BUNDLED / "roads.osm").read_text(encoding="utf-8")
    (tmp_path / "roads.osm").write_text(text, encoding="utf-8")
    profiles = tmp_path / "speeds.toml"
    # Off-road travel off, so a settlement off the network cannot reach anything.
    from importlib import resources

    base = resources.files("coverage").joinpath("data", "profiles.toml").read_text(encoding="utf-8")
    profiles.write_text(
        base.replace("direct_offroad = true", "direct_offroad = false").replace("max_snap_m = 30000.0", "max_snap_m = 5000.0"),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["check", "--no-cache", "--speeds", str(profiles), "--only", "medical-pastoral-2h", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    access = pd.read_csv(out / "settlements_access.csv", encoding="utf-8-sig")
    unreachable = access[~access["reachable"]]
    assert len(unreachable) >= 1 and np.isinf(unreachable["minutes"]).all()
    assert (unreachable["verdict"] == "not met").all() and (unreachable["snap_m"] > 5000).all()
    not_joined = next(line for line in printed.splitlines() if line.startswith("Not joined to the road network"))
    assert all(name in not_joined for name in unreachable["name_en"])
    assert "unreachable" in printed
    assert (unreachable["reason"] == "no road within 5 km, and no trip across country").all()


# --- hostile strings --------------------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)> \"q\" 'a' &amp;\nnew line \u202eRTL 🐪 乌兰"


def test_hostile_names_reach_csv_and_geopackage_intact(tmp_path):
    s = gpd.read_file(BUNDLED / "settlements.geojson")
    s.loc[s["id"] == "152921115202", "name_zh"] = HOSTILE
    path = tmp_path / "s.gpkg"
    s.to_file(path)
    rc, err, out = run_check(tmp_path, settlements=path)
    assert rc == 0, err
    access = pd.read_csv(out / "settlements_access.csv", encoding="utf-8-sig", dtype={"settlement_id": str})
    assert HOSTILE in set(access["name_zh"])
    gpkg = gpd.read_file(out / "results.gpkg", layer="access")
    assert HOSTILE in set(gpkg["name_zh"])


# --- determinism and interrupted runs -------------------------------------------------------------------


@pytest.mark.slow
def test_check_and_map_are_deterministic(tmp_path):
    """Two identical runs give identical bytes - GeoPackages included (GDAL's OGR_CURRENT_DATE is fixed)."""
    import shutil

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    out = tmp_path / "maps"  # the same command twice (the report names the command, --out included)
    outs = [tmp_path / "first", out]
    for _ in (1, 2):
        subprocess.run(
            [sys.executable, "-m", "coverage.cli", "map", "--no-cache", "--out", str(out)],
            check=True,
            capture_output=True,
            env=env,
            timeout=300,
        )
        if not outs[0].exists():
            shutil.copytree(out, outs[0])
            time.sleep(1.1)  # a GeoPackage that stored the wall clock would now differ
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir()) and "results.gpkg" in names
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    assert "Generated 2023-11-14" in (outs[0] / "index.html").read_text(encoding="utf-8")
    # Without SOURCE_DATE_EPOCH the GeoPackage is still the same bytes (the date is fixed, not today's).
    env.pop("SOURCE_DATE_EPOCH")
    for k in (1, 2):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage.cli",
                "check",
                "--only",
                "gp-density",
                "--no-cache",
                "--out",
                str(tmp_path / f"c{k}"),
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=300,
        )
    assert (tmp_path / "c1" / "results.gpkg").read_bytes() == (tmp_path / "c2" / "results.gpkg").read_bytes()


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


@pytest.mark.slow
def test_killed_runs_leave_the_old_or_the_new_set_never_a_mix(tmp_path):
    """SIGKILL at many moments: the folder holds the previous set or the new one, whole; the next run cleans up."""
    out = tmp_path / "maps"
    base = [sys.executable, "-m", "coverage.cli", "map", "--no-cache", "--out", str(out)]
    subprocess.run(base, check=True, capture_output=True, timeout=300)
    old = _outputs(out)
    new_cmd = [*base, "--only", "medical-town-30min,medical-pastoral-2h,gp-density"]
    states = []
    for delay in (0.3, 0.9, 1.5, 2.1, 2.7, 3.3, 4.0):
        proc = subprocess.Popen(new_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        states.append((_outputs(out), sorted(p.name for p in out.iterdir() if p.name.startswith("."))))
    # The next run rolls back or removes whatever a killed run left, then writes the new set.
    subprocess.run(new_cmd, check=True, capture_output=True, timeout=300)
    new = _outputs(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    # The new set replaces the files it writes; the old set's other files (maps of other standards) stay.
    new_names = {n for n in new if new[n] != old.get(n)}
    assert new_names, "the second command must write something different"
    for files, hidden in states:
        assert set(files) == set(old), "no partial or temporary file among the outputs"
        is_new = {n for n in new_names if files[n] == new[n]}
        is_old = {n for n in files if files[n] == old[n]}
        assert is_old | is_new == set(files), "every file is the old or the new version"
        if hidden and any(h.startswith(".swap-") for h in hidden):
            continue  # killed during the swap itself: the next run rolls it back (checked above)
        assert is_new in (set(), new_names), f"a mix of old and new outputs: {sorted(is_new)}"


@pytest.mark.slow
def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    out = tmp_path / "maps"
    subprocess.run(
        [sys.executable, "-m", "coverage.cli", "check", "--no-cache", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    old = _outputs(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "coverage.cli", "map", "--no-cache", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted; no output was half-written" in stderr and "Traceback" not in stderr
    assert _outputs(out) == old and not [p for p in out.iterdir() if p.name.startswith(".")]


def test_stale_staging_from_a_dead_run_is_removed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".staging-{dead.pid}-abc"
    stale.mkdir()
    (stale / "scorecard.csv").write_text("half", encoding="utf-8")
    live = out / f".staging-{os.getpid()}-xyz"  # a running process's folder is never touched
    live.mkdir()
    assert main(["check", "--only", "gp-density", "--no-cache", "--out", str(out)]) == 0
    assert not stale.exists() and live.exists()
    assert (out / "scorecard.csv").read_bytes() != b"half"


def test_a_folder_in_the_way_changes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["check", "--no-cache", "--out", str(out)]) == 0
    old = _outputs(out)
    (out / "units_ratio.csv").unlink()
    (out / "units_ratio.csv").mkdir()  # a folder where an output file goes
    del old["units_ratio.csv"]
    capsys.readouterr()
    assert main(["check", "--only", "gp-density,medical-town-30min", "--no-cache", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "units_ratio.csv: a folder is in the way of an output file" in err and "Nothing was written." in err
    assert _outputs(out) == old  # every other file is still the previous version
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_failure_halfway_through_the_swap_restores_every_file(tmp_path, monkeypatch):
    from coverage import writing as cio

    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.csv", "b.csv", "c.csv"):
        (out / name).write_text(f"old {name}", encoding="utf-8")
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 4:  # after a and b were swapped in
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(cio.os, "replace", failing_replace)
    with pytest.raises(cio.OutputError, match="nothing was changed"):
        with cio.atomic_output(out) as stage:
            for name in ("a.csv", "b.csv", "c.csv", "d.csv"):
                (stage / name).write_text(f"new {name}", encoding="utf-8")
    monkeypatch.setattr(cio.os, "replace", real_replace)
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {n: f"old {n}" for n in ("a.csv", "b.csv", "c.csv")}


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path):
    s = gpd.read_file(BUNDLED / "settlements.geojson")
    target = "152921111200"
    s.loc[s["id"] == target, "name_zh"] = '=HYPERLINK("http://x","y")'
    s.loc[s["id"] == target, "name_en"] = "@SUM(A1)"
    s.loc[s["id"] == "152921111201", "name_en"] = "-5+3"
    path = tmp_path / "s.gpkg"
    s.to_file(path)
    rc, err, out = run_check(tmp_path, settlements=path)
    assert rc == 0, err
    access = pd.read_csv(out / "settlements_access.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = access[access["settlement_id"] == target]
    assert set(rows["name_zh"]) == {'\'=HYPERLINK("http://x","y")'} and set(rows["name_en"]) == {"'@SUM(A1)"}
    assert set(access.loc[access["settlement_id"] == "152921111201", "name_en"]) == {"'-5+3"}
    # Numbers stay numbers (a negative margin is not text), and the GeoPackage keeps the names as they are.
    assert (access["margin_min"].astype(float) < 0).any()
    gpkg = gpd.read_file(out / "results.gpkg", layer="access")
    assert '=HYPERLINK("http://x","y")' in set(gpkg["name_zh"])


# --- properties -------------------------------------------------------------------------------------------


@st.composite
def small_graphs(draw):
    n = draw(st.integers(3, 12))
    pts = draw(st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 5000)), min_size=n, max_size=n))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(10, 8000), st.booleans()),
            min_size=1,
            max_size=3 * n,
        )
    )
    origins = draw(st.lists(st.tuples(st.floats(-500, 5500), st.floats(-500, 5500)), min_size=1, max_size=6))
    facilities = draw(st.lists(st.tuples(st.floats(-500, 5500), st.floats(-500, 5500)), min_size=1, max_size=4))
    return pts, edges, origins, facilities


LON0, LAT0 = 105.0, 38.0


def _lonlat(points) -> np.ndarray:
    """Metre offsets of the strategies as lon/lat near 105 E, 38 N."""
    p = np.asarray(points, float).reshape(-1, 2)
    return np.column_stack([LON0 + p[:, 0] / 87_700, LAT0 + p[:, 1] / 110_540])


def _network(pts, edges):
    ll = _lonlat(pts)
    nodes = pd.DataFrame({"lon": ll[:, 0], "lat": ll[:, 1]}, index=range(1, len(pts) + 1))
    e = pd.DataFrame(
        {
            "u": [a + 1 for a, _, _, _ in edges],
            "v": [b + 1 for _, b, _, _ in edges],
            "length_m": [length for _, _, length, _ in edges],
            "highway": "secondary",
            "oneway": ["yes" if one else "" for *_, one in edges],
        }
    )
    return network_from_tables(nodes, e)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_graphs(), st.booleans())
def test_random_graphs_agree_with_networkx(data, direct):
    import dataclasses

    pts, edges, origins, facilities = data
    net = _network(pts, edges)
    prof = dataclasses.replace(load_profiles()["drive"], direct_offroad=direct, max_snap_m=3000.0)
    graph = build_routing_graph(net, prof)
    o, f = _lonlat(origins), _lonlat(facilities)
    got = nearest_facility(graph, o, f).seconds
    want = reference_times(net, prof, o, f)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_graphs(), st.tuples(st.floats(-500, 5500), st.floats(-500, 5500)))
def test_adding_a_facility_never_lengthens_a_trip(data, extra):
    pts, edges, origins, facilities = data
    net = _network(pts, edges)
    graph = build_routing_graph(net, load_profiles()["drive"])
    o, f = _lonlat(origins), _lonlat(facilities)
    before = nearest_facility(graph, o, f).seconds
    after = nearest_facility(graph, o, np.vstack([f, _lonlat([extra])])).seconds
    assert np.all(after <= before + 1e-9)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1_000, 120_000), min_size=2, max_size=8), st.floats(5, 200), st.floats(0, 100))
def test_tightening_a_threshold_never_raises_the_share(lengths, limit, tighter_by):
    net, c = star_network({k + 1: length for k, length in enumerate(lengths)})
    region = make_region(
        [{"id": f"S{k}", "lonlat": c[k], "population": 10 * k} for k in c if k],
        [{"id": "H", "type": "health_centre", "lonlat": c[0]}],
        net,
    )

    def share(minutes):
        std = AccessStandard(
            id="m",
            title_zh="",
            title_en="",
            wording="",
            section="",
            facility_types=("health_centre",),
            applies_to=("pastoral",),
            profile="drive",
            max_minutes=minutes,
        )
        return assess_access(region, std).summary["demand_meeting"]

    assert share(max(limit - tighter_by, 0.5)) <= share(limit)


def test_fixture_files_exist():
    for _layer, path, _ in CASES.values():
        assert Path(path).exists(), path
    json.loads((BROKEN / "self_intersecting_unit.geojson").read_text(encoding="utf-8"))


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_separators_that_excel_writes_are_read_alike(tmp_path, sep):
    """Excel saves ';' in many locales and tab for "Unicode text": the same table either way."""
    from coverage.inputs._layers import read_layer

    rows = [["id", "name", "lon", "lat", "population"], ["S1", "乌兰, 嘎查", "105.1", "37.8", "1,200"]]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(sep.join(f'"{v}"' if sep in v else v for v in row) for row in rows) + "\n", encoding="utf-8")
    layer = read_layer(path)
    assert list(layer.columns[:3]) == ["id", "name", "population"] and layer["name"].iloc[0] == "乌兰, 嘎查"
    assert (layer.geometry.x.iloc[0], layer.geometry.y.iloc[0]) == (105.1, 37.8)


def test_a_ragged_csv_is_refused_in_one_line(tmp_path):
    path = write(tmp_path, "r.csv", "id,lon,lat\nS1,105.1,37.8\nS2,105.2,37.9,extra\n")
    rc, err, out = run_check(tmp_path, settlements=path)
    assert rc == 2 and "Expected 3 fields in line 3, saw 4)." in err and not out.exists()
    assert len(err.strip().splitlines()) == 2  # the count line and the problem


def test_in_region_reads_yes_no_words_and_falls_back_to_the_location():
    """true/false, 1/0, yes/no, 是/否 are read; an empty cell is decided by the boundary, as without the column."""
    import shapely

    from coverage.inputs.config import load_facility_types
    from coverage.inputs.validate import validate_facilities

    box = shapely.box(105.0, 37.0, 106.0, 38.0)
    raw = gpd.GeoDataFrame(
        {"id": ["A", "B", "C", "D", "E"], "facility_type": "hospital", "in_region": ["是", "否", "", "", "1.0"]},
        geometry=gpd.points_from_xy([105.5, 105.5, 105.5, 104.5, 104.5], [37.5] * 5),
        crs="EPSG:4326",
    )
    raw["row"] = [f"row {i}" for i in range(2, 7)]
    f = validate_facilities(raw, source="f.csv", boundary=box, facility_types=load_facility_types())
    assert f["in_region"].tolist() == [True, False, True, False, True]
