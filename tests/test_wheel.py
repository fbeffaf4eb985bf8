"""A built wheel works on its own: the bundled region, catalogues and messages ship as package data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO)], check=True, timeout=600
    )
    (whl,) = dist.glob("service_coverage-*.whl")
    return whl


def test_wheel_carries_the_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "coverage/data/regions/tengger/region.toml",
        "coverage/data/regions/tengger/roads.osm",
        "coverage/data/regions/tengger/settlements.geojson",
        "coverage/data/regions/tengger/scenarios/winter.toml",
        "coverage/data/regions/tengger/plan.toml",
        "coverage/data/osm_rules.toml",
        "coverage/data/vocabulary.toml",
        "coverage/locale/zh/LC_MESSAGES/coverage.mo",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "geodata/", "bench/")) for n in names)


@pytest.mark.slow
@pytest.mark.wheel
def test_wheel_runs_in_a_fresh_venv_without_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    subprocess.run(pip, check=True, timeout=1500)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    info = subprocess.run(["coverage-plan", "info"], cwd=elsewhere, capture_output=True, text=True, timeout=600, env=env)
    assert info.returncode == 0, info.stderr
    assert "Tengger Economic and Technological Development Zone" in info.stdout and "population 9,168" in info.stdout
    check = subprocess.run(
        ["coverage-plan", "check", "--lang", "zh", "--only", "medical-pastoral-2h"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert check.returncode == 0 and "未达标" in check.stdout and "medical-pastoral-2h" in check.stdout, check.stderr
