"""Broken, hostile and interrupted runs: exact messages, exit 2, nothing written; properties."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage.assessment import assess_access
from coverage.cli import main
from coverage.config import load_profiles
from coverage.gcj02 import wgs84_to_gcj02
from coverage.network import network_from_tables
from coverage.routing import build_routing_graph, nearest_facility
from coverage.standards import AccessStandard

from .conftest import FIXTURES
from .helpers import make_region, star_network
from .reference import reference_times

BROKEN = FIXTURES / "broken"
BUNDLED = FIXTURES.parent.parent / "coverage" / "data" / "regions" / "tengger"


def run_check(tmp_path, **files) -> tuple[int, str, Path]:
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
    argv = ["check", "--no-cache", "--out", str(out)]
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
        "every facility lies outside the region's boundary",
    ),
    "invalid_polygon": (
        "units",
        BROKEN / "self_intersecting_unit.geojson",
        "feature 1 (id=X1), field 'geometry': invalid polygon (Self-intersection",
    ),
    "osm_without_roads": ("roads", BROKEN / "no_roads.osm", "no roads (no way with a 'highway' tag) in the file"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_exit_2_message_and_no_output(tmp_path, case):
    layer, path, message = CASES[case]
    rc, err, out = run_check(tmp_path, **{layer: path})
    assert rc == 2, err
    assert message in err, err
    assert str(path) in err or (case == "osm_without_roads" and "no_roads.osm" in err)
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


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


def test_output_directory_not_writable(tmp_path):
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
        assert rc == 2
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


def test_check_and_map_are_deterministic(tmp_path):
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
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    for name in names:
        if name.endswith(".gpkg"):  # GeoPackage stores write times: compare the content instead
            for layer in ("access", "presence", "ratio"):
                pd.testing.assert_frame_equal(
                    gpd.read_file(outs[0] / name, layer=layer), gpd.read_file(outs[1] / name, layer=layer)
                )
            continue
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    assert "Generated 2023-11-14" in (outs[0] / "index.html").read_text(encoding="utf-8")


def test_killed_run_leaves_previous_outputs_intact(tmp_path):
    out = tmp_path / "maps"
    subprocess.run(
        [sys.executable, "-m", "coverage.cli", "map", "--no-cache", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    for delay in (0.5, 1.5, 2.5):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "coverage.cli",
                "map",
                "--no-cache",
                "--out",
                str(out),
                "--only",
                "medical-town-30min,medical-pastoral-2h,gp-density",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        files = {p.name: p for p in out.iterdir() if p.is_file()}
        assert set(files) == set(before)  # no partial or temporary file among the outputs
        for name, p in files.items():
            data = p.read_bytes()
            # Each file is the old version or a complete new one, never a torn write.
            assert data == before[name] or (name.endswith((".html", ".csv", ".md", ".gpkg")) and len(data) > 0)


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
