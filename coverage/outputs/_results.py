"""The long table of one kind's results: one row per standard x settlement or unit, with its geometry (WGS84)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ..standards.assessment import Assessment
from ..standards.kinds import Kind, kind_of

__all__ = ["result_table"]


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
