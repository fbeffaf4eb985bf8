"""Files for machines and spreadsheets: the long tables of results, written as CSV and GeoPackage.

One table per kind of standard (its ``file`` and GeoPackage ``layer``), one row per
standard and settlement or unit, as the kind exports it; settlements carry their
points, units their polygons (the region's boundary for a standard on the whole region).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..standards.assessment import Assessment, group_summary
from ..standards.kinds import Kind, kind_of, kinds
from ..writing import atomic_write_text, write_csv, write_gpkg
from .report import scorecard_markdown, scorecard_table

__all__ = ["access_table", "result_table", "unit_table", "write_check_outputs"]


def result_table(assessment: Assessment, kind: Kind | str, *, lang: str = "en") -> gpd.GeoDataFrame:
    """Every result of one kind, one row per standard x settlement or unit, with its geometry (WGS84)."""
    kind = kind_of(kind)
    region = assessment.region
    frames = [kind.export(r, region, lang) for r in assessment.results if kind_of(r.standard) is kind and len(r.detail)]
    if not frames:
        return gpd.GeoDataFrame({"standard": []}, geometry=[], crs="EPSG:4326")
    if kind.rows == "settlements":
        long = pd.concat(frames)
        long.index.name = "settlement_id"
        long = long.reset_index()
        geometry = region.settlements.geometry.reindex(long["settlement_id"]).to_numpy()
        return gpd.GeoDataFrame(long, geometry=geometry, crs="EPSG:4326")
    long = pd.concat(frames, ignore_index=True)
    geoms = {region.vocabulary.region_level: region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    return gpd.GeoDataFrame(long, geometry=[geoms.get(c) for c in long["code"]], crs="EPSG:4326")


def access_table(assessment: Assessment, *, lang: str = "en") -> gpd.GeoDataFrame:
    """Every access result, one row per standard x settlement, with point geometry (WGS84)."""
    return result_table(assessment, "access", lang=lang)


def unit_table(assessment: Assessment, kind: str, *, lang: str = "en") -> gpd.GeoDataFrame:
    """Presence or ratio results, one row per standard x unit, with unit polygons."""
    return result_table(assessment, kind, lang=lang)


def write_check_outputs(assessment: Assessment, stage: Path, *, lang: str = "en") -> list[str]:
    """Write the scorecard and every kind's table into a folder (CSV, and one GeoPackage); returns file names."""
    tables = {k: result_table(assessment, k, lang=lang) for k in kinds()}
    write_csv(stage / "scorecard.csv", scorecard_table(assessment, lang=lang))
    atomic_write_text(stage / "scorecard.md", scorecard_markdown(assessment, lang=lang))
    for k, table in tables.items():
        write_csv(stage / f"{k.file}.csv", table)
    write_csv(stage / "summary_by_group.csv", _with_travel(group_summary(assessment), assessment, lang))
    write_gpkg(stage / "results.gpkg", {k.layer: table for k, table in tables.items()})
    return [
        "scorecard.csv",
        "scorecard.md",
        *(f"{k.file}.csv" for k in tables),
        "summary_by_group.csv",
        "results.gpkg",
    ]


def _with_travel(summary: pd.DataFrame, assessment: Assessment, lang: str) -> pd.DataFrame:
    """The summary with how each standard's times were made (the travel model's label)."""
    region = assessment.region
    labels = {
        r.standard.id: kind_of(r.standard).travel(r.standard, region, lang)
        for r in assessment.results
        if kind_of(r.standard).travel
    }
    return summary.assign(travel=summary["standard"].map(labels).fillna(""))
