"""Assessment: every standard on a region - measured value, threshold, verdict, shortfall.

Access standards read the travel-time table (:mod:`coverage.travel`); presence and
ratio standards count and sum facilities per unit of a level of the region's
vocabulary.  Every verdict is one of three: met, not met, or not tested - with the
reason (no units layer, no facility of the types mapped, a column missing...).  A
result holds numbers and ids only; words, in the user's language, are the report's
business (:mod:`coverage.report`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..i18n import Note
from ..inputs.region import Region
from ..travel._seam import eligible_facilities, travel_table
from ._base import MET, NOT_MET, NOT_TESTED, RTOL, VERDICTS, StandardResult
from ._units import _mapped, _types_note, memberships, units_at
from .catalogue import AccessStandard, Catalogue, PresenceStandard, Quantity, RatioStandard

__all__ = [
    "Assessment",
    "access_reason_codes",
    "access_travel",
    "assess",
    "assess_access",
    "assess_presence",
    "assess_ratio",
    "group_summary",
    "nearest_minutes",
]

log = logging.getLogger(__name__)


# An access leg this long is named as the reason a settlement fails.
LONG_OFFROAD_M = 5000.0


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

    def scorecard(self, lang: str = "en") -> pd.DataFrame:
        """One row per standard, in words (see :func:`coverage.report.scorecard_frame`)."""
        from ..outputs.report import scorecard_frame

        return scorecard_frame(self, lang=lang)


def access_travel(region: Region, std: AccessStandard, cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The travel-time table of the settlements to a standard's eligible facilities, and those facilities.

    Standards that share a profile and a set of eligible facilities share one table.
    """
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    key = ("travel", std.profile, tuple(eligible.index))
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = travel_table(region.travel_model(std.profile), region.settlements, eligible)
    return cache[key], eligible


def access_reason_codes(detail: pd.DataFrame, max_snap_m: float, n_eligible: int) -> np.ndarray:
    """Why each settlement not meeting the standard fails (``""`` for those that meet it).

    ``too_far`` (reached, beyond the limit), ``long_offroad`` (as too_far, with an
    access leg of 5 km or more), ``offroad_only`` (no road within reach: across
    country only, too slow), ``no_route`` (on the network, but no eligible facility
    reachable from its part of it), ``isolated`` (no road within reach and no trip
    across country), ``no_facility`` (no eligible facility at all).
    """
    fail = (detail["verdict"] == NOT_MET).to_numpy()
    reachable = detail["reachable"].to_numpy()
    snap = detail["snap_m"].to_numpy()
    via = detail["via"].to_numpy()
    off = snap > max_snap_m
    out = np.full(len(detail), "", dtype=object)
    out[fail & reachable] = "too_far"
    out[fail & reachable & (via == "road") & (snap >= LONG_OFFROAD_M)] = "long_offroad"
    out[fail & reachable & (via == "direct") & off] = "offroad_only"
    out[fail & ~reachable] = "no_route"
    out[fail & ~reachable & off] = "isolated"
    if n_eligible == 0:
        out[fail] = "no_facility"
    return out


def assess_access(region: Region, std: AccessStandard, *, cache: dict | None = None) -> StandardResult:
    """Minutes from each applicable settlement to its nearest eligible facility, against the threshold.

    Summary: ``n``, ``n_meeting``, ``demand_total``, ``demand_meeting``, ``share_demand``,
    ``n_unreachable``, ``n_facilities``, ``worst_id``, ``worst_minutes``.
    """
    cache = {} if cache is None else cache
    s = region.settlements
    travel, eligible = access_travel(region, std, cache)
    members = memberships(region, cache)[0]
    detail = pd.DataFrame(
        {
            "standard": std.id,
            "name_zh": s["name_zh"],
            "name_en": s["name_en"],
            "class": s["class"],
            "unit_code": s["unit_code"],
            **{f"{lv}_code": members[lv] for lv in region.vocabulary.unit_levels},
            "population": s["population"],
            "demand": s[std.demand],
            "minutes": travel["minutes"],
            "threshold_min": std.max_minutes,
            "nearest_facility": travel["facility"],
            "nearest_name": travel["facility"].map(eligible["name_zh"].to_dict()).astype(object).fillna(""),
            "via": travel["via"],
            "snap_m": travel["snap_m"],
            "access_min": travel["access_min"],
            "network_min": travel["network_min"],
            "egress_min": travel["egress_min"],
            "reachable": travel["reachable"],
            "model": travel["model"],
            "coord_source": s["coord_source"],
        },
        index=s.index,
    )
    detail = detail[detail["class"].isin(std.applies_to)].copy()
    # Inclusive: a settlement exactly at 30.0 minutes meets a 30-minute standard (the tolerance
    # absorbs the rounding of metres / speed, about 1e-14 relative).
    meets = detail["minutes"].to_numpy() <= std.max_minutes * (1 + RTOL)
    detail["verdict"] = np.where(meets, MET, NOT_MET)
    detail["passes"] = meets
    detail["margin_min"] = std.max_minutes - detail["minutes"]
    detail["shortfall_min"] = np.maximum(detail["minutes"] - std.max_minutes, 0.0)
    detail["reason_code"] = access_reason_codes(detail, region.profiles[std.profile].max_snap_m, len(eligible))
    n = len(detail)
    demand = detail["demand"].to_numpy(float)
    summary = {
        "n": n,
        "n_meeting": int(meets.sum()),
        "n_unreachable": int((~detail["reachable"]).sum()),
        "n_facilities": len(eligible),
        "demand_field": std.demand,
    }
    if n == 0 and not std.applies_to:
        why = Note(
            'the region declares no settlement class of the role {roles}; mark its classes with role = "urban" or '
            '"rural" in region.toml [[vocabulary.class]]',
            {"roles": ", ".join(std.applies_to_roles)},
        )
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    if n == 0:
        classes = ", ".join(region.vocabulary.klass(c).name("en") for c in std.applies_to)
        return StandardResult(
            std, detail, summary, NOT_TESTED, Note("no settlement of the class {classes}", {"classes": classes})
        )
    if np.isnan(demand).any():
        missing = int(np.isnan(demand).sum())
        why = Note(
            "'{field}' is missing for {n} of the {total} settlements it applies to: the share cannot be weighted",
            {"field": std.demand, "n": missing, "total": n},
        )
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    if not _mapped(region, std.facility_types):
        return StandardResult(std, detail, summary, NOT_TESTED, _types_note(std.facility_types))
    demand_total, demand_ok = float(demand.sum()), float(demand[meets].sum())
    if demand_total <= 0:  # a share of nobody is no answer (a population column of zeros, no elderly counted)
        why = Note(
            "'{field}' is 0 in all {total} settlements it applies to: there is no share to weigh",
            {"field": std.demand, "total": n},
        )
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    share = demand_ok / demand_total
    worst_id = detail["minutes"].idxmax()
    summary.update(
        demand_total=demand_total,
        demand_meeting=demand_ok,
        share_demand=share,
        share_settlements=summary["n_meeting"] / n,
        worst_id=worst_id,
        worst_minutes=float(detail.loc[worst_id, "minutes"]),
    )
    verdict = MET if share >= std.required_share * (1 - RTOL) else NOT_MET
    return StandardResult(std, detail, summary, verdict)


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
    return travel_table(region.travel_model(profile), origins, eligible)


def _counting_facilities(region: Region, std: PresenceStandard, cache: dict | None) -> pd.Series:
    """Mask of facilities that count for a presence standard (``count_in_classes`` keeps a town's own)."""
    f = region.facilities
    if not std.count_in_classes:
        return pd.Series(True, index=f.index)
    s_members, f_members = memberships(region, cache)
    lowest = region.vocabulary.unit_levels[-1] if region.vocabulary.unit_levels else region.vocabulary.region_level
    s = region.settlements
    areas = set(s_members.loc[s["class"].isin(std.count_in_classes), lowest]) - {""}
    own = f["unit_code"].isin(units_at(region, std.level).index)
    return f_members[lowest].isin(areas) | own


def assess_presence(region: Region, std: PresenceStandard, *, cache: dict | None = None) -> StandardResult:
    """Count the required facilities in each unit of the standard's level.

    Summary: ``n`` (tested units), ``n_meeting``, ``demand_total``, ``demand_meeting``
    (people in them), ``missing_total``, ``worst_code``, ``worst_missing``, ``n_not_eligible``.
    """
    units = units_at(region, std.level)
    s_members, f_members = memberships(region, cache)
    f, s = region.facilities, region.settlements
    counting = _counting_facilities(region, std, cache) & f["in_region"]
    f_unit = f_members[std.level].where(counting, "")
    s_unit = s_members[std.level]
    detail = units.copy()
    detail.insert(0, "standard", std.id)
    detail["population"] = s["population"].groupby(s_unit).sum().reindex(units.index, fill_value=0.0)
    eligible = detail["population"] >= std.min_unit_population
    if std.exclude_classes:
        only_excluded = s["class"].isin(std.exclude_classes).groupby(s_unit).all().reindex(units.index, fill_value=False)
        eligible &= ~only_excluded
    detail["eligible"] = eligible
    missing = pd.Series(0.0, index=units.index)
    for k, req in enumerate(std.requirements, start=1):
        mask = f["facility_type"].isin(req.facility_types) & (f_unit != "")
        counts = f.loc[mask, "quantity"].groupby(f_unit[mask]).sum().reindex(units.index, fill_value=0.0)
        ids = f.index[mask].to_series().groupby(f_unit[mask].to_numpy()).agg(lambda x: ",".join(sorted(x)))
        detail[f"req{k}"] = "/".join(req.facility_types)
        detail[f"count{k}"] = counts
        detail[f"required{k}"] = req.min_count
        detail[f"ids{k}"] = ids.reindex(units.index, fill_value="")
        missing += np.maximum(req.min_count - counts, 0.0)
    detail["missing"] = missing
    detail["verdict"] = np.where(~eligible, NOT_TESTED, np.where(missing == 0, MET, NOT_MET))
    detail["passes"] = detail["verdict"] == MET
    tested = detail[detail["eligible"]]
    n, n_ok = len(tested), int((tested["verdict"] == MET).sum())
    summary = {
        "n": n,
        "n_meeting": n_ok,
        "n_not_eligible": int((~eligible).sum()),
        "demand_field": "population",
        "demand_total": float(tested["population"].sum()),
        "demand_meeting": float(tested.loc[tested["verdict"] == MET, "population"].sum()),
        "missing_total": float(tested["missing"].sum()),
    }
    level_name = region.vocabulary.level(std.level).name("en")
    if len(units) == 0:
        why = Note("no {level} units: give a units layer with level = {key}", {"level": level_name, "key": std.level})
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    if n == 0:
        return StandardResult(std, detail, summary, NOT_TESTED, Note("no {level} unit is eligible", {"level": level_name}))
    absent = [req.facility_types for req in std.requirements if not _mapped(region, req.facility_types)]
    if absent:
        return StandardResult(std, detail, summary, NOT_TESTED, _types_note([t for types in absent for t in types]))
    worst = tested.sort_values(["missing", "population"], ascending=[False, False], kind="stable").iloc[0]
    summary.update(worst_code=worst.name, worst_missing=float(worst["missing"]))
    return StandardResult(std, detail, summary, MET if n_ok == n else NOT_MET)


def _quantity_by_unit(region: Region, q: Quantity, level: str, cache: dict | None) -> tuple[pd.Series, pd.Series, int]:
    """Sum of a quantity per unit, how many contributing rows had no value, and how many rows contribute."""
    s_members, f_members = memberships(region, cache)
    if q.layer == "facilities":
        f = region.facilities
        mask = f["in_region"] & (f["facility_type"].isin(q.facility_types) if q.facility_types else True)
        unit = f_members.loc[mask, level]
        values = f.loc[mask, q.field]
    else:
        unit = s_members[level]
        values = region.settlements[q.field]
    return values.fillna(0.0).groupby(unit).sum(), values.isna().groupby(unit).sum(), int(values.notna().sum())


def assess_ratio(region: Region, std: RatioStandard, *, cache: dict | None = None) -> StandardResult:
    """Compute ``numerator / denominator * per`` per unit and test it against the floor.

    Summary: ``n``, ``n_meeting``, ``shortfall_total``, ``worst_code``, ``worst_value``.
    """
    units = units_at(region, std.level)
    num, num_missing, num_rows = _quantity_by_unit(region, std.numerator, std.level, cache)
    den, den_missing, den_rows = _quantity_by_unit(region, std.denominator, std.level, cache)
    detail = units.copy()
    detail.insert(0, "standard", std.id)
    detail["numerator"] = num.reindex(units.index, fill_value=0.0)
    detail["denominator"] = den.reindex(units.index, fill_value=0.0)
    detail["rows_without_value"] = (
        num_missing.reindex(units.index, fill_value=0) + den_missing.reindex(units.index, fill_value=0)
    ).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(detail["denominator"] > 0, detail["numerator"] / detail["denominator"] * std.per, np.nan)
    detail["value"] = value
    detail["min_value"] = std.min_value
    # Exactly at the floor passes (up to floating-point rounding of the sums).
    meets = np.isfinite(value) & (value >= std.min_value * (1 - RTOL))
    detail["verdict"] = np.where(~np.isfinite(value), NOT_TESTED, np.where(meets, MET, NOT_MET))
    detail["passes"] = meets
    needed = std.min_value * detail["denominator"] / std.per
    # Shortfall in whole units of the numerator (beds, doctors): what must be added to meet the floor.
    short = np.where(meets | ~np.isfinite(value), 0.0, np.maximum(needed - detail["numerator"], 0.0))
    detail["shortfall"] = np.ceil(short - 1e-9)
    detail["numerator_field"] = f"{std.numerator.layer}.{std.numerator.field}"
    detail["denominator_field"] = f"{std.denominator.layer}.{std.denominator.field}"
    tested = detail[np.isfinite(detail["value"])]
    n, n_ok = len(tested), int((tested["verdict"] == MET).sum())
    summary = {"n": n, "n_meeting": n_ok, "shortfall_total": float(tested["shortfall"].sum())}
    for q, rows in ((std.numerator, num_rows), (std.denominator, den_rows)):
        if rows == 0:
            types = ", ".join(q.facility_types) if q.facility_types else q.layer
            why = Note(
                "no '{field}' values for {types} in the {layer} layer", {"field": q.field, "types": types, "layer": q.layer}
            )
            if q.layer == "facilities" and q.facility_types and not _mapped(region, q.facility_types):
                why = _types_note(q.facility_types)
            return StandardResult(std, detail, summary, NOT_TESTED, why)
    if len(units) == 0:
        level_name = region.vocabulary.level(std.level).name("en")
        why = Note("no {level} units: give a units layer with level = {key}", {"level": level_name, "key": std.level})
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    if n == 0:
        why = Note("nothing to divide by: {field} sums to 0", {"field": std.denominator.field})
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    worst = tested.sort_values("value", kind="stable").iloc[0]
    summary.update(worst_code=worst.name, worst_value=float(worst["value"]))
    return StandardResult(std, detail, summary, MET if n_ok == n else NOT_MET)


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
        if isinstance(std, AccessStandard):
            results.append(assess_access(region, std, cache=cache))
        elif isinstance(std, PresenceStandard):
            results.append(assess_presence(region, std, cache=cache))
        else:
            results.append(assess_ratio(region, std, cache=cache))
    profiles = sorted({s.profile for s in catalogue.standards if isinstance(s, AccessStandard)})
    models = {p: region.travel_model(p).kind for p in profiles}
    return Assessment(region=region, catalogue=catalogue, results=tuple(results), travel_models=models)


def group_summary(assessment: Assessment) -> pd.DataFrame:
    """Access standards per unit (at each level) and per settlement class: settlements and demand meeting them.

    One grouped aggregation per standard and grouping (no loop over groups: province scale).
    """
    frames = []
    region = assessment.region
    by_cols = [f"{lv}_code" for lv in region.vocabulary.unit_levels] + ["class"]
    for r in assessment.results:
        if not isinstance(r.standard, AccessStandard) or r.detail.empty or r.verdict == NOT_TESTED:
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
