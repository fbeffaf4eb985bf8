"""Assessment: every standard of a catalogue on a region - measured value, threshold, verdict, shortfall.

Each standard is assessed by its kind (:mod:`coverage.standards.kinds`): access
standards on the travel-time table of the travel seam, presence and ratio standards
per unit of a level of the region's vocabulary.  Every verdict is one of three: met,
not met, or not tested - with the reason (no units layer, no facility of the types
mapped, a column missing...).  A result holds numbers and ids only; words, in the
user's language, are the outputs' business (:mod:`coverage.outputs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..inputs.region import Region
from ..travel import eligible_facilities, model_for, travel_table
from ._base import MET, NOT_MET, NOT_TESTED, VERDICTS, StandardResult
from .catalogue import Catalogue
from .kinds import kind_of

__all__ = ["MET", "NOT_MET", "NOT_TESTED", "Assessment", "StandardResult", "assess", "group_summary", "nearest_minutes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    """All results of one run, and what produced them."""

    region: Region
    catalogue: Catalogue
    results: tuple[StandardResult, ...]
    travel_models: Mapping[str, str] = field(default_factory=dict)

    def result(self, std_id: str) -> StandardResult:
        """The result of one standard."""
        for r in self.results:
            if r.standard.id == std_id:
                return r
        raise KeyError(std_id)

    def ids(self, verdict: str) -> list[str]:
        """Ids of the standards with this verdict."""
        return [r.standard.id for r in self.results if r.verdict == verdict]

    @property
    def failing(self) -> list[str]:
        """Ids of the standards not met."""
        return self.ids(NOT_MET)

    def counts(self) -> dict[str, int]:
        """How many standards are met, not met and not tested."""
        return {v: len(self.ids(v)) for v in VERDICTS}


def nearest_minutes(
    region: Region,
    *,
    facility_types,
    profile: str = "drive",
    origins: gpd.GeoDataFrame | None = None,
    count_outside_region: bool = True,
) -> pd.DataFrame:
    """Minutes from each origin (default: the settlements) to its nearest facility of the given types.

    Parameters
    ----------
    region
        The region (its travel models and facilities).
    facility_types
        Types that count.
    profile
        ``"drive"`` or ``"walk"``.
    origins
        Points (any CRS); default the region's settlements.
    count_outside_region
        Whether facilities outside the region (referral hospitals) count.

    Returns
    -------
    pandas.DataFrame
        The travel-time table (:func:`coverage.travel.travel_table`) on the origins' index:
        ``facility`` (id), ``minutes`` (``inf`` if unreachable), ``via``, ``snap_m``, the legs,
        ``reachable`` and ``model``.
    """
    origins = region.settlements if origins is None else origins.to_crs("EPSG:4326")
    eligible = eligible_facilities(region.facilities, facility_types, count_outside_region=count_outside_region)
    return travel_table(model_for(region, profile), origins, eligible)


def assess(region: Region, catalogue: Catalogue, *, progress: Callable | None = None) -> Assessment:
    """Run every standard of a catalogue on a region.

    Parameters
    ----------
    region
        The region.
    catalogue
        The standards (use :meth:`Catalogue.select` for a subset).
    progress
        Optional wrapper for an iterable (e.g. a progress bar); identity by default.

    Returns
    -------
    Assessment
    """
    cache: dict = {}
    results = []
    standards = catalogue.standards if progress is None else progress(catalogue.standards)
    for std in standards:
        log.info("assessing %s", std.id)
        results.append(kind_of(std).assess(region, std, cache))
    profiles = sorted({s.profile for s in catalogue.standards if hasattr(s, "profile")})
    models = {p: model_for(region, p).kind for p in profiles}
    return Assessment(region=region, catalogue=catalogue, results=tuple(results), travel_models=models)


def group_summary(assessment: Assessment) -> pd.DataFrame:
    """Access standards per unit (at each level) and per settlement class: settlements and demand meeting them.

    One grouped aggregation per standard and grouping (no loop over groups: province scale).
    """
    frames = []
    region = assessment.region
    by_cols = [f"{lv}_code" for lv in region.vocabulary.unit_levels] + ["class"]
    for r in assessment.results:
        if not kind_of(r.standard).grouped or r.detail.empty or r.verdict == NOT_TESTED:
            continue
        d = r.detail
        met = (d["verdict"] == MET).to_numpy()
        base = pd.DataFrame({"demand": d["demand"].to_numpy(), "met": met, "met_demand": np.where(met, d["demand"], 0.0)})
        for by in by_cols:
            if by not in d:
                continue
            g = base.assign(group=d[by].to_numpy()).groupby("group", sort=True)
            agg = g.agg(
                settlements=("met", "size"),
                settlements_meeting=("met", "sum"),
                demand=("demand", "sum"),
                demand_meeting=("met_demand", "sum"),
            ).reset_index()
            agg.insert(0, "group_by", by)
            agg.insert(0, "standard", r.standard.id)
            frames.append(agg)
    columns = [
        "standard",
        "group_by",
        "group",
        "settlements",
        "settlements_meeting",
        "demand",
        "demand_meeting",
        "share_demand_meeting",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out["settlements_meeting"] = out["settlements_meeting"].astype(int)
    total = out["demand"].to_numpy(float)
    out["share_demand_meeting"] = np.where(total != 0, out["demand_meeting"] / np.where(total != 0, total, 1), np.nan)
    return out[columns]
