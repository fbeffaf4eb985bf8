"""Codes are identifiers: ids, unit codes and parent codes read as text in every format, empty cells included.

GeoPackage, Shapefile, GeoJSON and spreadsheet columns of numeric codes with an empty cell
arrive as floats (``152921111.0``); the code the user typed is restored.
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from coverage.inputs._fields import codes
from coverage.inputs.region import LoadOptions, load_region

from .helpers import at

TOWN, GACHA = 152921100, 152921111


def units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [TOWN, GACHA], "level": ["township", "village"], "parent_code": [None, TOWN], "name_en": ["T", "G"]},
        geometry=[box(*at(-20_000, -20_000), *at(20_000, 20_000)), box(*at(-20_000, -20_000), *at(0, 0))],
        crs="EPSG:4326",
    )


def settlements() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [101, 102, 103],
            "class": ["rural", "rural", "urban"],
            "population": [100, 200, 300],
            "unit_code": [GACHA, None, None],
        },
        geometry=[Point(at(-5000, -5000)), Point(at(5000, 5000)), Point(at(-1000, -2000))],
        crs="EPSG:4326",
    )


def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [7, 8], "facility_type": ["health_centre", "village_clinic"], "unit_code": [TOWN, None]},
        geometry=[Point(at(0, 0)), Point(at(-3000, -3000))],
        crs="EPSG:4326",
    )


def write(frame: gpd.GeoDataFrame, path) -> str:
    if path.suffix in (".csv", ".xlsx"):
        table = pd.DataFrame(frame.drop(columns="geometry")).assign(lon=frame.geometry.x, lat=frame.geometry.y)
        if path.suffix == ".csv":
            table.to_csv(path, index=False)  # pandas writes the float column: 152921111.0 and an empty cell
        else:
            table.to_excel(path, index=False)
    else:
        frame.to_file(path)
    return str(path)


@pytest.mark.filterwarnings("ignore:Column names longer:UserWarning", "ignore:Normalized/laundered:RuntimeWarning")
@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".csv", ".xlsx"])
def test_codes_with_empty_cells_are_read_as_the_codes_typed(tmp_path, suffix):
    unit_file = tmp_path / ("units" + (suffix if suffix in (".geojson", ".gpkg", ".shp") else ".geojson"))
    region = load_region(
        settlements=write(settlements(), tmp_path / f"settlements{suffix}"),
        facilities=write(facilities(), tmp_path / f"facilities{suffix}"),
        units=write(units(), unit_file),
        boundary=write(
            gpd.GeoDataFrame(geometry=[box(*at(-30_000, -30_000), *at(30_000, 30_000))], crs="EPSG:4326"),
            tmp_path / "boundary.geojson",
        ),
        options=LoadOptions(use_cache=False),
    )
    assert list(region.settlements.index) == ["101", "102", "103"]
    assert list(region.settlements["unit_code"]) == [str(GACHA), "", ""]
    assert list(region.facilities.index) == ["7", "8"] and list(region.facilities["unit_code"]) == [str(TOWN), ""]
    assert list(region.units.index) == [str(TOWN), str(GACHA)]
    assert list(region.units["parent_code"]) == ["", str(TOWN)]


@pytest.mark.filterwarnings("ignore:Column names longer:UserWarning", "ignore:Normalized/laundered:RuntimeWarning")
def test_the_command_accepts_float_codes(tmp_path):
    s = write(settlements(), tmp_path / "s.gpkg")
    f = write(facilities(), tmp_path / "f.csv")
    u = write(units(), tmp_path / "u.shp")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage.cli",
            "check",
            "--settlements",
            s,
            "--facilities",
            f,
            "--units",
            u,
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "names no unit" not in proc.stderr and str(GACHA) not in proc.stderr


def test_codes_oracle():
    frame = pd.DataFrame(
        {
            "f": [152921111.0, np.nan, 7.0, 1.5],
            "t": ["152921111.0", "", " 0042 ", "AB-1"],
            "n": pd.array([3, None, 5, 6], dtype="Int64"),
        }
    )
    assert list(codes(frame, "f")) == ["152921111", "", "7", "1.5"]
    assert list(codes(frame, "t")) == ["152921111", "", "0042", "AB-1"]  # leading zeros are part of a code
    assert list(codes(frame, "n")) == ["3", "", "5", "6"]
    assert list(codes(frame, "absent")) == ["", "", "", ""]
