"""Assessment: every standard on a region - measured value, threshold, verdict, shortfall.

Access standards use the travel-time engine; presence and ratio standards count
and sum facilities per unit.  Every figure carries what it was computed from
(standard id and section, facility ids, settlement ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .region import Region
from .standards import AccessStandard, Catalogue, PresenceStandard, Quantity, RatioStandard, Standard
from .travel import eligible_facilities, travel_table

__all__ = [
    "Assessment",
    "StandardResult",
    "assess",
    "assess_access",
    "assess_presence",
    "assess_ratio",
    "facility_units",
    "group_summary",
    "nearest_minutes",
    "settlement_units",
]

log = logging.getLogger(__name__)

PASS, FAIL, NA = "PASS", "FAIL", "N/A"
# Relative tolerance for "exactly at the threshold" (floating point of sums, divisions, speeds).
RATIO_RTOL = 1e-9


@dataclass(frozen=True)
class StandardResult:
    """The outcome of one standard.

    Attributes
    ----------
    standard
        The standard tested.
    detail
        One row per settlement (access) or unit (presence, ratio).
    summary
        Figures for the scorecard (see :meth:`Assessment.scorecard`).
    verdict
        ``"PASS"``, ``"FAIL"`` or ``"N/A"`` (nothing to test).
    """

    standard: Standard
    detail: pd.DataFrame
    summary: dict
    verdict: str

    @property
    def passes(self) -> bool:
        """True unless the verdict is FAIL."""
        return self.verdict != FAIL


@dataclass(frozen=True)
class Assessment:
    """All results of one run."""

    region: Region
    catalogue: Catalogue
    results: tuple[StandardResult, ...]

    def result(self, std_id: str) -> StandardResult:
        """The result of one standard."""
        for r in self.results:
            if r.standard.id == std_id:
                return r
        raise KeyError(std_id)

    @property
    def failing(self) -> list[str]:
        """Ids of failing standards."""
        return [r.standard.id for r in self.results if r.verdict == FAIL]

    def scorecard(self, lang: str = "en") -> pd.DataFrame:
        """One row per standard: wording, target, share meeting it, worst case, verdict."""
        rows = []
        zh = lang == "zh"
        for r in self.results:
            s, m = r.standard, r.summary
            rows.append(
                {
                    "id": s.id,
                    ("标准" if zh else "standard"): s.title(lang),
                    ("规划原文" if zh else "plan wording"): s.wording,
                    ("条款" if zh else "section"): s.section,
                    ("目标" if zh else "target"): (
                        s.target_text(lang, self.region.facility_types)
                        if isinstance(s, PresenceStandard)
                        else s.target_text(lang)
                    ),
                    ("达标对象" if zh else "meeting (count)"): m.get("meeting_text", ""),
                    ("达标人口" if zh else "meeting (population)"): m.get("population_text", ""),
                    ("最差" if zh else "worst case"): m.get("worst_text", ""),
                    ("结论" if zh else "verdict"): {"PASS": "达标", "FAIL": "未达标", "N/A": "无数据"}[r.verdict]
                    if zh
                    else r.verdict,
                }
            )
        return pd.DataFrame(rows)


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "-"


# --- units -------------------------------------------------------------------------


def settlement_units(region: Region) -> pd.DataFrame:
    """Gacha and town code of each settlement: from its columns, else by location."""
    s = region.settlements
    gacha = s["unit_code"].copy()
    town = s["town_code"].copy()
    units = region.units
    if len(units):
        gachas = units[units["level"] == "gacha"]
        towns = units[units["level"] == "town"]
        missing = ~gacha.isin(gachas.index)
        if missing.any():
            gacha[missing] = _locate(s.geometry[missing], gachas)
        parent = gachas["parent_code"].reindex(gacha).to_numpy()
        town = town.where(town.isin(towns.index), pd.Series(parent, index=s.index).fillna(""))
        still = ~town.isin(towns.index)
        if still.any():
            town[still] = _locate(s.geometry[still], towns)
    return pd.DataFrame({"gacha": gacha.astype(str), "town": town.astype(str)}, index=s.index)


def facility_units(region: Region) -> pd.DataFrame:
    """Gacha and town code of each facility (empty text outside every unit)."""
    f = region.facilities
    units = region.units
    gacha = pd.Series("", index=f.index, dtype=object)
    town = pd.Series("", index=f.index, dtype=object)
    if len(units):
        gachas = units[units["level"] == "gacha"]
        towns = units[units["level"] == "town"]
        given = f["unit_code"].isin(gachas.index)
        gacha[given] = f.loc[given, "unit_code"]
        if (~given).any():
            gacha[~given] = _locate(f.geometry[~given], gachas)
        town[:] = gachas["parent_code"].reindex(gacha).fillna("").to_numpy()
        as_town = f["unit_code"].isin(towns.index)
        town[as_town] = f.loc[as_town, "unit_code"]
        still = (town == "") | ~town.isin(towns.index)
        if still.any():
            town[still] = _locate(f.geometry[still], towns)
    # A facility outside the region belongs to no unit, whatever its columns say.
    gacha[~f["in_region"]] = ""
    town[~f["in_region"]] = ""
    return pd.DataFrame({"gacha": gacha.astype(str), "town": town.astype(str)}, index=f.index)


def _unit_tables(region: Region, cache: dict | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Settlement and facility units, computed once per run (they need spatial joins)."""
    if cache is None:
        return settlement_units(region), facility_units(region)
    if "units" not in cache:
        cache["units"] = (settlement_units(region), facility_units(region))
    return cache["units"]


def _locate(points, polygons) -> np.ndarray:
    out = np.full(len(points), "", dtype=object)
    if len(points) == 0 or len(polygons) == 0:
        return out
    tree = shapely.STRtree(polygons.geometry.to_numpy())
    pi, ui = tree.query(points.to_numpy(), predicate="within")
    # First match in the units' order, so the answer does not depend on the tree.
    order = np.lexsort((ui, pi))
    seen = set()
    for p, u in zip(pi[order], ui[order], strict=True):
        if p not in seen:
            out[p] = polygons.index[u]
            seen.add(p)
    return out


# --- access ------------------------------------------------------------------------


def access_travel(region: Region, std: AccessStandard, cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The travel-time table of a standard's settlements to its eligible facilities, and those facilities.

    Standards that share a profile and a set of eligible facilities share one table.
    """
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    key = ("travel", std.profile, tuple(eligible.index))
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = travel_table(region.travel_model(std.profile), region.settlements, eligible)
    return cache[key], eligible


LONG_OFFROAD_M = 5000.0  # an access leg this long is named as the reason a settlement fails


def _reasons(detail: pd.DataFrame, max_snap_m: float) -> np.ndarray:
    """Why each failing settlement fails (empty text for those that pass)."""
    fail = ~detail["passes"].to_numpy()
    reachable = detail["reachable"].to_numpy()
    snap = detail["snap_m"].to_numpy()
    out = np.full(len(detail), "", dtype=object)
    out[fail & reachable] = "nearest eligible facility too far"
    long_leg = fail & reachable & (snap >= LONG_OFFROAD_M)
    out[long_leg] = [f"long off-road leg: {d / 1000:.1f} km to the nearest road" for d in snap[long_leg]]
    out[fail & ~reachable] = "no eligible facility reachable from its road network component"
    off_network = fail & ~reachable & (snap > max_snap_m)
    out[off_network] = f"no road within {max_snap_m / 1000:g} km and no facility reachable across country"
    return out


def assess_access(region: Region, std: AccessStandard, *, cache: dict | None = None) -> StandardResult:
    """Minutes from each applicable settlement to its nearest eligible facility, against the threshold.

    Parameters
    ----------
    region
        The region.
    std
        An access standard.
    cache
        Shared nearest-facility results (settlement sets x facility sets) across standards.

    Returns
    -------
    StandardResult
        ``detail`` on the applicable settlements' index.
    """
    cache = {} if cache is None else cache
    s = region.settlements
    travel, eligible = access_travel(region, std, cache)
    detail = pd.DataFrame(
        {
            "standard": std.id,
            "name_zh": s["name_zh"],
            "name_en": s["name_en"],
            "class": s["class"],
            "town_code": _unit_tables(region, cache)[0]["town"],
            "unit_code": s["unit_code"],
            "population": s["population"],
            "demand": s[std.demand],
            "minutes": travel["minutes"],
            "threshold_min": std.max_minutes,
            "nearest_facility": travel["facility"],
            "nearest_name": travel["facility"].map(eligible["name_zh"].to_dict()).astype(object).fillna(""),
            "via": travel["via"],
            "snap_m": travel["snap_m"],
            "reachable": travel["reachable"],
            "coord_source": s["coord_source"],
        },
        index=s.index,
    )
    detail = detail[detail["class"].isin(std.applies_to)].copy()
    # Inclusive: a settlement exactly at 30.0 minutes meets a 30-minute standard (the
    # tolerance absorbs the rounding of metres / speed, about 1e-14 relative).
    detail["passes"] = detail["minutes"] <= std.max_minutes * (1 + RATIO_RTOL)
    detail["margin_min"] = std.max_minutes - detail["minutes"]
    detail["shortfall_min"] = np.maximum(detail["minutes"] - std.max_minutes, 0.0)
    max_snap = region.profiles[std.profile].max_snap_m
    detail["reason"] = _reasons(detail, max_snap)
    n = len(detail)
    demand_total = float(detail["demand"].sum())
    demand_ok = float(detail.loc[detail["passes"], "demand"].sum())
    summary = {
        "n": n,
        "n_meeting": int(detail["passes"].sum()),
        "demand_total": demand_total,
        "demand_meeting": demand_ok,
        "n_unreachable": int((~detail["reachable"]).sum()),
        "n_facilities": len(eligible),
    }
    if n == 0:
        verdict = NA
        summary.update(meeting_text="no settlement of this class", population_text="", worst_text="")
    else:
        share = demand_ok / demand_total if demand_total > 0 else float(summary["n_meeting"] == n)
        verdict = PASS if share + 1e-12 >= std.required_share else FAIL
        worst_id = detail["minutes"].idxmax()
        worst = detail.loc[worst_id]
        worst_min = "unreachable" if not np.isfinite(worst["minutes"]) else f"{worst['minutes']:.1f} min"
        summary.update(
            share_settlements=summary["n_meeting"] / n,
            share_demand=share,
            worst_id=worst_id,
            worst_minutes=float(worst["minutes"]),
            meeting_text=f"{summary['n_meeting']}/{n} settlements ({_pct(summary['n_meeting'], n)})",
            population_text=f"{demand_ok:,.0f}/{demand_total:,.0f} {'elderly' if std.demand != 'population' else 'people'} "
            f"({_pct(demand_ok, demand_total)})",
            worst_text=f"{worst['name_zh']} {worst_min}"
            + (f" (+{summary['n_unreachable']} unreachable)" if summary["n_unreachable"] > 1 else ""),
        )
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
        The region (its roads, profiles and facilities).
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


# --- presence and ratio -------------------------------------------------------------


def _units_at(region: Region, level: str) -> pd.DataFrame:
    if level == "zone":
        return pd.DataFrame(
            {"name_zh": [region.name_zh], "name_en": [region.name_en], "level": ["zone"], "parent_code": [""]},
            index=pd.Index(["zone"], name="code"),
        )
    u = region.units
    return u.loc[u["level"] == level, ["name_zh", "name_en", "level", "parent_code"]].copy()


def _member_of(level: str, units_of: pd.DataFrame, in_region: pd.Series) -> pd.Series:
    if level == "zone":
        return pd.Series(np.where(in_region, "zone", ""), index=units_of.index)
    return units_of["gacha" if level == "gacha" else "town"]


def assess_presence(region: Region, std: PresenceStandard, *, cache: dict | None = None) -> StandardResult:
    """Count the required facilities in each unit of the standard's level."""
    units = _units_at(region, std.level)
    f = region.facilities
    s_units, f_units = _unit_tables(region, cache)
    f_unit = _member_of(std.level, f_units, f["in_region"])
    s_unit = _member_of(std.level, s_units, pd.Series(True, index=region.settlements.index))
    s = region.settlements
    pop = s["population"].groupby(s_unit).sum().reindex(units.index, fill_value=0.0)
    detail = units.copy()
    detail.insert(0, "standard", std.id)
    detail["population"] = pop
    eligible = pop >= std.min_unit_population
    if std.exclude_classes:
        only_excluded = s["class"].isin(std.exclude_classes).groupby(s_unit).all().reindex(units.index, fill_value=False)
        eligible &= ~only_excluded
    detail["eligible"] = eligible
    missing = pd.Series(0.0, index=units.index)
    texts = []
    for k, req in enumerate(std.requirements, start=1):
        mask = f["facility_type"].isin(req.facility_types)
        counts = f.loc[mask, "quantity"].groupby(f_unit[mask]).sum().reindex(units.index, fill_value=0.0)
        ids = (
            f.index[mask].to_series().groupby(f_unit[mask]).agg(lambda x: ",".join(sorted(x))).reindex(units.index, fill_value="")
        )
        detail[f"req{k}"] = req.text(region.facility_types)
        detail[f"count{k}"] = counts
        detail[f"required{k}"] = req.min_count
        detail[f"ids{k}"] = ids
        missing += np.maximum(req.min_count - counts, 0.0)
        texts.append(req.text(region.facility_types))
    detail["missing"] = missing
    detail["passes"] = (missing == 0) | ~eligible
    detail["reason"] = [
        ""
        if ok
        else "missing: "
        + "; ".join(
            f"{req.text(region.facility_types)} (has {row[f'count{k}']:g})"
            for k, req in enumerate(std.requirements, start=1)
            if row[f"count{k}"] < req.min_count
        )
        for (_, row), ok in zip(detail.iterrows(), detail["passes"], strict=True)
    ]
    tested = detail[detail["eligible"]]
    n, n_ok = len(tested), int(tested["passes"].sum())
    pop_total, pop_ok = float(tested["population"].sum()), float(tested.loc[tested["passes"], "population"].sum())
    summary = {
        "n": n,
        "n_meeting": n_ok,
        "demand_total": pop_total,
        "demand_meeting": pop_ok,
        "missing_total": float(tested["missing"].sum()),
    }
    if len(units) == 0 or n == 0:
        verdict = NA
        summary.update(
            meeting_text=f"no {std.level} units in the region's units layer" if len(units) == 0 else "no eligible unit",
            population_text="",
            worst_text="",
        )
    else:
        verdict = PASS if n_ok == n else FAIL
        worst = tested.sort_values(["missing", "population"], ascending=[False, False]).iloc[0]
        summary.update(
            meeting_text=f"{n_ok}/{n} {std.level} units ({_pct(n_ok, n)})",
            population_text=f"{pop_ok:,.0f}/{pop_total:,.0f} people ({_pct(pop_ok, pop_total)})",
            worst_text=(f"{worst['name_zh']}: {worst['missing']:g} missing" if worst["missing"] > 0 else "none missing"),
        )
    return StandardResult(std, detail, summary, verdict)


def _quantity_by_unit(region: Region, q: Quantity, level: str, cache: dict | None) -> tuple[pd.Series, pd.Series]:
    """Sum of a quantity per unit, and how many contributing rows had no value."""
    if q.layer == "facilities":
        f = region.facilities
        mask = f["in_region"] & (f["facility_type"].isin(q.facility_types) if q.facility_types else True)
        unit = _member_of(level, _unit_tables(region, cache)[1], f["in_region"])[mask]
        values = f.loc[mask, q.field]
    else:
        s = region.settlements
        unit = _member_of(level, _unit_tables(region, cache)[0], pd.Series(True, index=s.index))
        values = s[q.field]
    return values.fillna(0.0).groupby(unit).sum(), values.isna().groupby(unit).sum()


def assess_ratio(region: Region, std: RatioStandard, *, cache: dict | None = None) -> StandardResult:
    """Compute ``numerator / denominator * per`` per unit and test it against the floor."""
    units = _units_at(region, std.level)
    num, num_missing = _quantity_by_unit(region, std.numerator, std.level, cache)
    den, den_missing = _quantity_by_unit(region, std.denominator, std.level, cache)
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
    detail["passes"] = np.isfinite(value) & (value >= std.min_value * (1 - RATIO_RTOL))
    needed = std.min_value * detail["denominator"] / std.per
    detail["shortfall"] = np.where(detail["passes"] | ~np.isfinite(value), 0.0, np.maximum(needed - detail["numerator"], 0.0))
    detail["numerator_field"] = f"{std.numerator.layer}.{std.numerator.field}"
    detail["denominator_field"] = f"{std.denominator.layer}.{std.denominator.field}"
    tested = detail[np.isfinite(detail["value"])]
    n, n_ok = len(tested), int(tested["passes"].sum())
    summary = {"n": n, "n_meeting": n_ok, "shortfall_total": float(tested["shortfall"].sum())}
    if n == 0:
        verdict = NA
        summary.update(meeting_text="denominator is 0 or missing", population_text="", worst_text="")
    else:
        verdict = PASS if n_ok == n else FAIL
        worst = tested.sort_values("value").iloc[0]
        short = f", {worst['shortfall']:.1f} {std.numerator.field} short" if worst["shortfall"] > 0 else ""
        summary.update(
            meeting_text=f"{n_ok}/{n} {std.level} units",
            population_text="",
            worst_text=f"{worst['name_zh']}: {worst['value']:.2f} {std.unit}"
            f" ({worst['numerator']:g}/{worst['denominator']:g}){short}",
        )
        if worst["rows_without_value"]:
            summary["worst_text"] += f"; {worst['rows_without_value']} rows without a value counted as 0"
    return StandardResult(std, detail, summary, verdict)


def assess(region: Region, catalogue: Catalogue, *, progress: Callable | None = None) -> Assessment:
    """Run every standard of a catalogue on a region.

    Parameters
    ----------
    region
        The region.
    catalogue
        The standards (use :meth:`Catalogue.select` for a subset).
    progress
        Optional wrapper for an iterable (e.g. a tqdm bar); identity by default.

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
    return Assessment(region=region, catalogue=catalogue, results=tuple(results))


def group_summary(assessment: Assessment) -> pd.DataFrame:
    """Access standards per town and per settlement class: settlements and demand meeting them."""
    rows = []
    for r in assessment.results:
        if not isinstance(r.standard, AccessStandard) or r.detail.empty:
            continue
        for by in ("town_code", "class"):
            for key, g in r.detail.groupby(by, sort=True):
                total = g["demand"].sum()
                ok = g.loc[g["passes"], "demand"].sum()
                rows.append(
                    {
                        "standard": r.standard.id,
                        "group_by": by,
                        "group": key,
                        "settlements": len(g),
                        "settlements_meeting": int(g["passes"].sum()),
                        "demand": total,
                        "demand_meeting": ok,
                        "share_demand_meeting": ok / total if total else np.nan,
                    }
                )
    return pd.DataFrame(rows)
