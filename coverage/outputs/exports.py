"""Files for machines and spreadsheets: the long tables of results, written as CSV and GeoPackage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..standards._base import NOT_TESTED
from ..standards.assessment import Assessment, group_summary
from ..standards.catalogue import AccessStandard
from ..writing import atomic_write_text, write_csv, write_gpkg
from .report import reason_texts, scorecard_markdown

__all__ = ["access_table", "unit_table", "write_check_outputs"]


def access_table(assessment: Assessment, *, lang: str = "en") -> gpd.GeoDataFrame:
    """Every access result, one row per standard x settlement, with point geometry (WGS84)."""
    region = assessment.region
    frames = []
    for r in assessment.results:
        if not isinstance(r.standard, AccessStandard) or not len(r.detail):
            continue
        d = r.detail.copy()
        if r.verdict == NOT_TESTED:
            d["verdict"] = NOT_TESTED
        d["reason"] = reason_texts(d, r.standard, region, lang)
        d["travel"] = region.travel_model(r.standard.profile).label(lang)
        frames.append(d)
    if not frames:
        return gpd.GeoDataFrame({"standard": []}, geometry=[], crs="EPSG:4326")
    long = pd.concat(frames)
    long.index.name = "settlement_id"
    long = long.reset_index().drop(columns=["passes"])
    for col in ("minutes", "margin_min", "shortfall_min", "access_min", "network_min", "egress_min"):
        long[col] = long[col].round(3)
    long["snap_m"] = long["snap_m"].round(1)
    geometry = region.settlements.geometry.reindex(long["settlement_id"]).to_numpy()
    return gpd.GeoDataFrame(long, geometry=geometry, crs="EPSG:4326")


def unit_table(assessment: Assessment, kind: str, *, lang: str = "en") -> gpd.GeoDataFrame:
    """Presence or ratio results, one row per standard x unit, with unit polygons (the boundary for the region)."""
    region = assessment.region
    frames = []
    for r in assessment.results:
        if r.standard.kind != kind or not len(r.detail):
            continue
        d = r.detail.reset_index().rename(columns={"index": "code"}).drop(columns=["passes"])
        if r.verdict == NOT_TESTED:
            d["verdict"] = NOT_TESTED
        d["reason"] = r.why.text(lang) if r.why else ""
        frames.append(d)
    if not frames:
        return gpd.GeoDataFrame({"standard": []}, geometry=[], crs="EPSG:4326")
    long = pd.concat(frames, ignore_index=True)
    geoms = {region.vocabulary.region_level: region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    return gpd.GeoDataFrame(long, geometry=[geoms.get(c) for c in long["code"]], crs="EPSG:4326")


def write_check_outputs(assessment: Assessment, stage: Path, *, lang: str = "en") -> list[str]:
    """Write the scorecard and per-settlement / per-unit results into a folder; returns file names."""
    access = access_table(assessment, lang=lang)
    presence = unit_table(assessment, "presence", lang=lang)
    ratio = unit_table(assessment, "ratio", lang=lang)
    write_csv(stage / "scorecard.csv", assessment.scorecard(lang))
    atomic_write_text(stage / "scorecard.md", scorecard_markdown(assessment, lang=lang))
    write_csv(stage / "settlements_access.csv", access)
    write_csv(stage / "units_presence.csv", presence)
    write_csv(stage / "units_ratio.csv", ratio)
    write_csv(stage / "summary_by_group.csv", group_summary(assessment))
    write_gpkg(stage / "results.gpkg", {"access": access, "presence": presence, "ratio": ratio})
    return [
        "scorecard.csv",
        "scorecard.md",
        "settlements_access.csv",
        "units_presence.csv",
        "units_ratio.csv",
        "summary_by_group.csv",
        "results.gpkg",
    ]
