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
from ..standards.kinds import kind_of, kinds
from ..writing import atomic_write_text, write_csv, write_gpkg
from ._results import result_table
from .areas import service_area_table, write_surfaces
from .fairness import fairness_table
from .report import scorecard_markdown, scorecard_table
from .workbook import write_workbook

__all__ = ["access_table", "result_table", "unit_table", "write_check_outputs"]


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
    write_csv(stage / "fairness.csv", fairness_table(assessment))
    layers = {k.layer: table for k, table in tables.items()}
    layers["service_areas"] = service_area_table(assessment, lang=lang)
    write_gpkg(stage / "results.gpkg", layers)
    write_workbook(assessment, stage / "scorecard.xlsx", lang=lang)
    surfaces = write_surfaces(assessment, stage)
    return [
        "scorecard.csv",
        "scorecard.md",
        "scorecard.xlsx",
        *(f"{k.file}.csv" for k in tables),
        "summary_by_group.csv",
        "fairness.csv",
        "results.gpkg",
        *surfaces,
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
