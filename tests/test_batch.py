"""``coverage-plan batch``: many regions as tasks, merged, resumable; the same answers as ``check``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from coverage.inputs.region import BUNDLED_REGION
from coverage.pipeline.batch import BatchOptions, find_regions, rollup, run_batch

from .helpers import ZONE_WORDS_TOML, at
from .test_init import Osm


def cli(*argv):
    return subprocess.run([sys.executable, "-m", "coverage.cli", *map(str, argv)], capture_output=True, text=True, timeout=600)


def small_region(folder: Path, *, shift_m: float, parents: list[str], clinic_m: float) -> Path:
    """A straight-line region (no roads): two herders' camps and a town block, a clinic ``clinic_m`` east."""
    folder.mkdir(parents=True)
    pts = [at(shift_m, 0), at(shift_m + 3000, 2000), at(shift_m + 500, -500)]
    gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name_en": ["A", "B", "C"],
            "class": ["pastoral", "pastoral", "town"],
            "population": [120, 80, 900],
        },
        geometry=[Point(p) for p in pts],
        crs="EPSG:4326",
    ).to_file(folder / "settlements.geojson")
    gpd.GeoDataFrame(
        {"id": ["h"], "name_en": ["Clinic"], "facility_type": ["village_clinic"]},
        geometry=[Point(at(shift_m + clinic_m, 0))],
        crs="EPSG:4326",
    ).to_file(folder / "facilities.geojson")
    gpd.GeoDataFrame(
        {"n": [1]}, geometry=[box(*at(shift_m - 5000, -5000), *at(shift_m + max(8000, clinic_m + 1000), 5000))], crs="EPSG:4326"
    ).to_file(folder / "boundary.geojson")
    (folder / "region.toml").write_text(
        f'name_en = "{folder.name}"\nboundary = "boundary.geojson"\nsettlements = "settlements.geojson"\n'
        f'facilities = "facilities.geojson"\nparents = {json.dumps(parents)}\n' + ZONE_WORDS_TOML,
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def province(tmp_path) -> Path:
    root = tmp_path / "province"
    small_region(root / "county-1", shift_m=0, parents=["Province", "Prefecture A"], clinic_m=100)
    small_region(root / "county-2", shift_m=20_000, parents=["Province", "Prefecture A"], clinic_m=35_000)
    small_region(root / "county-3", shift_m=80_000, parents=["Province", "Prefecture B"], clinic_m=2_000)
    shutil.copytree(BUNDLED_REGION, root / "zone")
    broken = root / "broken"
    broken.mkdir()
    (broken / "region.toml").write_text('settlements = "missing.geojson"\nfacilities = "missing.geojson"\n', encoding="utf-8")
    return root


@pytest.mark.slow
def test_batch_equals_single_region_checks_and_reports_the_failure(province, tmp_path):
    out = tmp_path / "out"
    proc = cli("batch", province, "--out", out, "--workers", "2")
    assert proc.returncode == 1, proc.stderr  # one region failed
    assert "broken: failed" in proc.stdout and "missing.geojson: file not found" in proc.stdout
    errors = pd.read_csv(out / "errors.csv")
    assert list(errors["region"]) == ["broken"]
    for name in ("county-1", "county-2", "county-3", "zone"):
        single = tmp_path / f"single-{name}"
        assert cli("check", "--region", province / name, "--out", single).returncode == 0
        for f in ("scorecard.csv", "settlements_access.csv", "units_presence.csv", "results.gpkg"):
            assert (out / "regions" / name / f).read_bytes() == (single / f).read_bytes(), (name, f)
    regions = pd.read_csv(out / "regions.csv")
    assert set(regions["region"]) == {"county-1", "county-2", "county-3", "zone"}
    assert (out / "overview.html").exists()


@pytest.mark.slow
def test_rerun_skips_unchanged_regions_and_resumes(province, tmp_path):
    out = tmp_path / "out"
    cli("batch", province, "--out", out)
    (province / "county-2" / "region.toml").write_text(
        (province / "county-2" / "region.toml").read_text(encoding="utf-8").replace("county-2", "county two"), encoding="utf-8"
    )
    (out / "regions" / "county-3" / ".done.json").unlink()  # as if the run had stopped before county-3 finished
    proc = cli("batch", province, "--out", out)
    lines = {line.split(":")[0]: line for line in proc.stdout.splitlines() if ":" in line}
    assert "skipped" in lines["county-1"] and "skipped" in lines["zone"]
    assert "skipped" not in lines["county-2"] and "skipped" not in lines["county-3"]
    assert "failed" in lines["broken"]  # failures are retried every time


def test_rollup_counts_per_level(province, tmp_path):
    tasks = [t for t in find_regions(province) if t.name.startswith("county")]
    results = run_batch(tasks, BatchOptions(out=tmp_path / "o", standards=str(BUNDLED_REGION / "plan.toml")))
    table = rollup(results)
    med = table[table["standard"] == "medical-pastoral-2h"].set_index(["level", "group"])
    assert med.loc[(0, "(all)"), "regions"] == 3
    assert med.loc[(1, "Province"), "regions"] == 3
    assert med.loc[(2, "Province / Prefecture A"), "regions"] == 2
    # county-2's clinic is 35 km away (3 h at 15 km/h with the 1.3 detour): its herders miss the 2-hour circle.
    per_region = {r["region"]: {row["standard"]: row["verdict"] for row in r["rows"]} for r in results}
    assert per_region["county-1"]["medical-pastoral-2h"] == "met"
    assert per_region["county-2"]["medical-pastoral-2h"] == "not met"
    a = med.loc[(2, "Province / Prefecture A")]
    assert (a["met"], a["not_met"]) == (1, 1)
    assert a["demand_total"] == 400 and a["demand_meeting"] == 200


@pytest.mark.slow
def test_dask_cluster_gives_the_local_answers(province, tmp_path):
    import distributed

    tasks = [t for t in find_regions(province) if t.name != "zone"]
    local = run_batch(tasks, BatchOptions(out=tmp_path / "local"), workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = run_batch(tasks, BatchOptions(out=tmp_path / "dask"), scheduler=cluster.scheduler_address)
    assert [r["rows"] for r in local] == [r["rows"] for r in remote]
    assert [bool(r["error"]) for r in remote] == [True, False, False, False]


@pytest.mark.slow
def test_split_one_extract_by_units(tmp_path):
    o = Osm()
    west = [o.node(x, 0) for x in range(-9000, 1, 1000)]
    east = [o.node(x, 0) for x in range(1000, 9001, 1000)]
    o.way([*west, east[0]], highway="secondary")
    o.way(east, highway="secondary")
    far = [o.node(x, 50_000) for x in (0, 1000)]
    o.way(far, highway="secondary")
    extract = o.write(tmp_path / "all.osm")
    units = gpd.GeoDataFrame(
        {"code": ["W", "E"], "name_en": ["West", "East"], "parents": ["P / Q", "P / Q"]},
        geometry=[box(*at(-10_000, -3000), *at(0, 3000)), box(*at(0, -3000), *at(10_000, 3000))],
        crs="EPSG:4326",
    )
    units.to_file(tmp_path / "units.geojson")
    gpd.GeoDataFrame(
        {"id": ["w1", "e1"], "class": ["rural", "rural"], "population": [10, 20]},
        geometry=[Point(at(-8000, 100)), Point(at(8000, 100))],
        crs="EPSG:4326",
    ).to_file(tmp_path / "s.geojson")
    gpd.GeoDataFrame(
        {"id": ["clinic"], "facility_type": ["village_clinic"]}, geometry=[Point(at(1500, 100))], crs="EPSG:4326"
    ).to_file(tmp_path / "f.geojson")
    out = tmp_path / "out"
    args = ["--osm", extract, "--units", tmp_path / "units.geojson", "--settlements", tmp_path / "s.geojson"]
    proc = cli("batch", *args, "--facilities", tmp_path / "f.geojson", "--out", out, "--margin-km", "5")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    west_dir = out / "inputs" / "W"
    # The east clinic is within West's 5 km margin: it is kept (outside the region) and reached.
    f = gpd.read_file(west_dir / "facilities.geojson")
    assert list(f["id"]) == ["clinic"]
    assert list(gpd.read_file(west_dir / "settlements.geojson")["id"]) == ["w1"]
    # Roads: the way 50 km north is in neither unit's file.
    from coverage.inputs._osmfile import read_osm_roads

    roads = read_osm_roads(west_dir / "roads.osm.pbf", tag_keys=("highway",))
    assert roads.lat.max() < at(0, 10_000)[1]
    single = cli("check", "--region", west_dir, "--out", tmp_path / "single-W")
    assert single.returncode == 0
    assert (out / "regions" / "W" / "scorecard.csv").read_bytes() == (tmp_path / "single-W" / "scorecard.csv").read_bytes()
    roll = pd.read_csv(out / "rollup.csv")
    assert "P / Q" in set(roll["group"])


def test_any_change_to_the_package_reruns_every_region(province, tmp_path, monkeypatch):
    """The cache key covers every file the package loads: editing one that was never in a hand-picked list
    (inputs/region.py, a locale file) re-runs the region; an unchanged package skips it."""
    import coverage
    from coverage.pipeline import batch

    package = tmp_path / "package"
    shutil.copytree(Path(coverage.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(batch, "PACKAGE_DIR", package)
    tasks = [t for t in find_regions(province) if t.name == "county-1"]
    options = BatchOptions(out=tmp_path / "out")

    def skipped() -> bool:
        return run_batch(tasks, options)[0]["skipped"]

    assert not skipped()
    assert skipped()  # nothing changed: skipped
    for edited in ("inputs/region.py", "locale/zh/LC_MESSAGES/coverage.po"):
        with (package / edited).open("a", encoding="utf-8") as f:
            f.write("\n# edited\n")
        assert not skipped(), edited  # the tool changed: the region runs again
        assert skipped()
