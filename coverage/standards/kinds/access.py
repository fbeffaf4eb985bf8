"""Access standards: every applicable settlement within ``max_minutes`` of an eligible facility.

Assessed on the travel-time table of the travel seam (:mod:`coverage.travel`): the
minutes from each settlement the standard applies to (its classes) to its nearest
eligible facility, against the threshold; the verdict weighs ``required_share`` of the
``demand`` (population or elderly).  Exactly at the limit passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ...i18n import N_, Msg, Note
from ...tables import FieldSpec, suggest
from ...text import display_name, fmt_against, fmt_count, fmt_share, words
from ...travel import eligible_facilities, lonlat, model_for, travel_table
from .._base import MET, NOT_MET, NOT_TESTED, RTOL, SETTLEMENT_FIELDS, StandardBase, StandardResult, mark
from .._checks import Checker
from .._units import mapped, memberships, types_note
from . import Kind

__all__ = ["KIND", "AccessStandard", "access_travel", "reason_text"]

# An access leg this long is named as the reason a settlement fails.
LONG_OFFROAD_M = 5000.0


@dataclass(frozen=True)
class AccessStandard(StandardBase):
    """Every applicable settlement within ``max_minutes`` of an eligible facility."""

    facility_types: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()
    applies_to_roles: tuple[str, ...] = ()
    profile: str = "drive"
    max_minutes: float = 30.0
    required_share: float = 1.0
    demand: str = "population"
    count_outside_region: bool = False
    kind: str = "access"
    thresholds: tuple[str, ...] = ("max_minutes", "required_share")


_NUM = (int, float)
SPEC = {
    "facility_types": FieldSpec((list,)),
    "applies_to": FieldSpec((list,)),
    "profile": FieldSpec((str,)),
    "max_minutes": FieldSpec(_NUM),
    "required_share": FieldSpec(_NUM, required=False),
    "demand": FieldSpec((str,), required=False),
    "count_outside_region": FieldSpec((bool,), required=False),
}


def build(raw: dict, common: dict, c: Checker) -> AccessStandard:
    """An access standard from its checked TOML table."""
    max_minutes = c.number(raw, "max_minutes", low=0)
    share_raw = raw.get("required_share", 1.0)
    if math.isfinite(share_raw) and 1 < share_raw <= 100:
        c.fail(Msg("required_share must be in (0, 1], got {value} (write 0.9 for 90 %).", value=repr(share_raw)))
    share = c.number({"required_share": share_raw}, "required_share", low=0, high=1)
    if raw["profile"] not in c.profiles:
        c.fail(
            Msg("unknown profile '{value}'{suggestion}.", value=raw["profile"], suggestion=suggest(raw["profile"], c.profiles))
        )
    demand = raw.get("demand", "population")
    if demand not in SETTLEMENT_FIELDS:
        c.fail(Msg("demand must be one of {fields}, got '{value}'.", fields=", ".join(SETTLEMENT_FIELDS), value=demand))
    std = AccessStandard(
        **common,
        facility_types=c.facility_types(raw["facility_types"], "facility_types"),
        applies_to=c.classes(raw["applies_to"], "applies_to"),
        applies_to_roles=c.roles(raw["applies_to"]),
        profile=raw["profile"],
        max_minutes=max_minutes,
        required_share=share,
        demand=demand,
        count_outside_region=raw.get("count_outside_region", False),
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


# --- assessment --------------------------------------------------------------------------------------


def access_travel(region, std: AccessStandard, cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The travel-time table of the settlements to a standard's eligible facilities, and those facilities.

    Standards that share a profile and a set of eligible facilities share one table.
    """
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    key = ("travel", std.profile, tuple(eligible.index))
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = travel_table(model_for(region, std.profile), region.settlements, eligible)
    return cache[key], eligible


def reason_codes(detail: pd.DataFrame, max_snap_m: float, n_eligible: int) -> np.ndarray:
    """Why each settlement not meeting the standard fails (``""`` for those that meet it).

    ``too_far`` (reached, beyond the limit), ``long_offroad`` (as too_far, with an
    access leg of 5 km or more), ``offroad_only`` (no road within reach: across
    country only, too slow), ``no_route`` (on the network, but no eligible facility
    reachable from its part of it), ``isolated`` (no road within reach and no trip
    across country), ``no_landcover`` (on terrain: no land cover where it stands),
    ``impassable`` (on terrain: it stands on water, a barrier or ground too steep),
    ``cut_off`` (on terrain: no eligible facility reachable across it), ``no_facility``
    (no eligible facility at all).
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
    stranded = detail["stranded"].to_numpy() if "stranded" in detail else np.full(len(detail), "")
    terrain = (detail["model"] == "terrain").to_numpy() if "model" in detail else np.zeros(len(detail), bool)
    out[fail & ~reachable & terrain] = "cut_off"
    out[fail & ~reachable & (stranded == "impassable")] = "impassable"
    out[fail & ~reachable & (stranded == "no_landcover")] = "no_landcover"
    if n_eligible == 0:
        out[fail] = "no_facility"
    return out


def _detail(region, std: AccessStandard, travel: pd.DataFrame, eligible: pd.DataFrame, cache: dict) -> pd.DataFrame:
    """One row per settlement the standard applies to: who, where, and the trip to the nearest eligible facility."""
    s = region.settlements
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
            "stranded": travel["stranded"],
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
    detail["reason_code"] = reason_codes(detail, region.profiles[std.profile].max_snap_m, len(eligible))
    return detail


def _why_not_tested(region, std: AccessStandard, detail: pd.DataFrame) -> Note | None:
    """Why the standard cannot be tested on this region, or None."""
    n = len(detail)
    demand = detail["demand"].to_numpy(float)
    if n == 0 and not std.applies_to:
        return Note(
            'the region declares no settlement class of the role {roles}; mark its classes with role = "urban" or '
            '"rural" in region.toml [[vocabulary.class]]',
            {"roles": ", ".join(std.applies_to_roles)},
        )
    if n == 0:
        known = {t.key: t.name("en") for t in region.vocabulary.classes}
        classes = ", ".join(known.get(c, c) for c in std.applies_to)
        return Note("no settlement of the class {classes}", {"classes": classes})
    if np.isnan(demand).any():
        return Note(
            "'{field}' is missing for {n} of the {total} settlements it applies to: the share cannot be weighted",
            {"field": std.demand, "n": int(np.isnan(demand).sum()), "total": n},
        )
    if not mapped(region, std.facility_types):
        return types_note(region, std.facility_types)
    if demand.sum() <= 0:  # a share of nobody is no answer (a population column of zeros, no elderly counted)
        return Note(
            "'{field}' is 0 in all {total} settlements it applies to: there is no share to weigh",
            {"field": std.demand, "total": n},
        )
    return None


def assess(region, std: AccessStandard, cache: dict | None = None) -> StandardResult:
    """Minutes from each applicable settlement to its nearest eligible facility, against the threshold.

    Summary: ``n``, ``n_meeting``, ``demand_total``, ``demand_meeting``, ``share_demand``,
    ``n_unreachable``, ``n_facilities``, ``worst_id``, ``worst_minutes``.
    """
    cache = {} if cache is None else cache
    travel, eligible = access_travel(region, std, cache)
    detail = _detail(region, std, travel, eligible, cache)
    meets = detail["passes"].to_numpy()
    n = len(detail)
    summary = {
        "n": n,
        "n_meeting": int(meets.sum()),
        "n_unreachable": int((~detail["reachable"]).sum()),
        "n_facilities": len(eligible),
        "demand_field": std.demand,
    }
    why = _why_not_tested(region, std, detail)
    if why is not None:
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    demand = detail["demand"].to_numpy(float)
    demand_total, demand_ok = float(demand.sum()), float(demand[meets].sum())
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


# --- words ------------------------------------------------------------------------------------------------


def profile_name(profile: str, lang: str) -> str:
    """``drive`` -> "by car" / 驾车."""
    _ = words(lang)
    return {"drive": _("by car"), "walk": _("on foot")}.get(profile, profile)


def _who(std: AccessStandard, region, lang: str) -> str:
    """Whose share: residents, the elderly, or settlements (each counted as one, not people)."""
    _ = words(lang)
    if std.demand != "population":
        return _("elderly")
    return _("settlements (each counts as one, not people)") if region.counts_settlements else _("residents")


def target(std: AccessStandard, region, lang: str = "en") -> str:
    """E.g. ``by car <= 30 min; 100% of residents [reading]``."""
    _ = words(lang)
    demand = _who(std, region, lang)
    return _("{mode} <= {minutes} min{m1}; {share} of {demand}{m2}").format(
        mode=profile_name(std.profile, lang),
        minutes=f"{std.max_minutes:g}",
        m1=mark(std, "max_minutes", lang),
        share=f"{std.required_share:.0%}",
        demand=demand,
        m2=mark(std, "required_share", lang),
    )


def meeting(r: StandardResult, region, lang: str) -> tuple[str, str]:
    """Settlements and people (or elderly) meeting it."""
    _ = words(lang)
    s, std = r.summary, r.standard
    n, k = s.get("n", 0), s.get("n_meeting", 0)
    if r.verdict == NOT_TESTED or n == 0:
        return "", ""
    count = _("{k}/{n} settlements ({pct})").format(k=k, n=n, pct=fmt_share(k, n))
    who = _who(std, region, lang)
    pop = _("{ok}/{total} {who} ({pct})").format(
        ok=fmt_count(s["demand_meeting"]),
        total=fmt_count(s["demand_total"]),
        who=who,
        pct=fmt_share(s["demand_meeting"], s["demand_total"], std.required_share, r.verdict == MET),
    )
    return count, pop


def meeting_short(r: StandardResult, lang: str) -> str:
    """E.g. ``95% (4,233/4,472)``."""
    s = r.summary
    if r.verdict == NOT_TESTED or not s.get("n"):
        return ""
    pct = fmt_share(s["demand_meeting"], s["demand_total"], r.standard.required_share, r.verdict == MET)
    return f"{pct} ({fmt_count(s['demand_meeting'])}/{fmt_count(s['demand_total'])})"


#: Beyond this many times its limit a worst case is told as a sentence with the distance.
FAR_FACTOR = 2.0


def _crow_km(row, region) -> float:
    """The straight-line distance from a settlement to the facility it travels to (geodesic)."""
    from ...geodesy import distance_m

    s = region.settlements.geometry.loc[row.name]
    f = region.facilities.geometry.loc[row["nearest_facility"]]
    return float(distance_m(s.x, s.y, f.x, f.y)) / 1000


def worst(r: StandardResult, region, lang: str = "en") -> str:
    """The settlement farthest from an eligible facility."""
    _ = words(lang)
    std, s = r.standard, r.summary
    row = r.detail.loc[s["worst_id"]]
    name = display_name(row, lang, s["worst_id"])
    if not np.isfinite(s["worst_minutes"]):
        text = _("{name}: unreachable").format(name=name)
    elif s["worst_minutes"] > FAR_FACTOR * std.max_minutes:
        # Far beyond the limit a bare number reads like a bug: say what it means, with the distance.
        text = _("{name}: no eligible facility within {limit} min; the nearest is {km} km away, {minutes} min {mode}").format(
            name=name,
            limit=f"{std.max_minutes:g}",
            km=f"{_crow_km(row, region):,.1f}",
            minutes=f"{s['worst_minutes']:,.0f}",
            mode=profile_name(std.profile, lang),
        )
    else:
        meets = bool(row["verdict"] == MET)
        text = _("{name}: {minutes} min").format(name=name, minutes=fmt_against(s["worst_minutes"], std.max_minutes, meets))
    if s["n_unreachable"] > 1:
        text += _(" (+{n} more unreachable)").format(n=s["n_unreachable"] - 1)
    return text


def reason_text(row, std: AccessStandard, region, lang: str = "en") -> str:
    """Why a settlement fails an access standard, in plain words."""
    _ = words(lang)
    code = row["reason_code"]
    if not code:
        return ""
    prof = region.profiles[std.profile]
    snap_km = row["snap_m"] / 1000
    if code == "no_facility":
        return _("no eligible facility in the region")
    if code == "isolated":
        return _("no road within {km:g} km, and no trip across country").format(km=prof.max_snap_m / 1000)
    if code == "no_route":
        return _("no eligible facility can be reached from its part of the road network")
    if code == "no_landcover":
        return _("no land cover here: the land-cover raster does not reach this settlement, or has no data at it")
    if code == "impassable":
        return _("it stands on ground no one can cross here (water, a barrier, or too steep)")
    if code == "cut_off":
        return _("no eligible facility can be reached across the terrain (water, barriers or steep ground in the way)")
    if code == "offroad_only":
        return _("no road within {limit:g} km; {km:.1f} km off road at {kmh:g} km/h takes {minutes} min").format(
            limit=prof.max_snap_m / 1000,
            km=row["access_min"] / 60 * prof.offroad_kmh,
            kmh=prof.offroad_kmh,
            minutes=f"{row['minutes']:.0f}",
        )
    if code == "long_offroad":
        return _("{km:.1f} km off road to the nearest road at {kmh:g} km/h ({leg} min), then {road} min by road").format(
            km=snap_km, kmh=prof.offroad_kmh, leg=f"{row['access_min']:.0f}", road=f"{row['network_min'] + row['egress_min']:.0f}"
        )
    return _("nearest eligible facility {minutes} min away, {over} min over the limit").format(
        minutes=fmt_against(row["minutes"], std.max_minutes, False), over=f"{row['shortfall_min']:.1f}"
    )


def reason_texts(detail: pd.DataFrame, std: AccessStandard, region, lang: str = "en") -> np.ndarray:
    """:func:`reason_text` of every row, visiting only the failing rows (plain dicts, not Series: province scale)."""
    out = np.full(len(detail), "", dtype=object)
    failing = np.flatnonzero((detail["reason_code"] != "").to_numpy())
    if len(failing):
        cols = ["reason_code", "snap_m", "access_min", "minutes", "network_min", "egress_min", "shortfall_min"]
        records = detail.iloc[failing][cols].to_dict("records")
        out[failing] = [reason_text(rec, std, region, lang) for rec in records]
    return out


# --- exports and maps -------------------------------------------------------------------------------------


def export(r: StandardResult, region, lang: str = "en") -> pd.DataFrame:
    """The rows as exported: the reasons in words, the travel model named, figures rounded."""
    d = r.detail.copy()
    if r.verdict == NOT_TESTED:
        d["verdict"] = NOT_TESTED
    d["reason"] = reason_texts(d, r.standard, region, lang)
    d["travel"] = KIND.travel(r.standard, region, lang)
    d = d.drop(columns=["passes"])
    for col in ("minutes", "margin_min", "shortfall_min", "access_min", "network_min", "egress_min"):
        d[col] = d[col].round(3)
    d["snap_m"] = d["snap_m"].round(1)
    return d


def failing(r: StandardResult, region, settlement_units: pd.DataFrame) -> pd.Index:
    """The settlements that do not meet it."""
    return r.detail.index[r.detail["verdict"] == NOT_MET]


KIND = Kind(
    name="access",
    order=1,
    standard=AccessStandard,
    spec=SPEC,
    build=build,
    assess=assess,
    target=target,
    meeting=meeting,
    meeting_short=meeting_short,
    worst=worst,
    rows="settlements",
    export=export,
    layer="access",
    file="settlements_access",
    map_family="gap",
    failing=failing,
    settlement_measure="minutes",
    sited=True,
    grouped=True,
    travel=lambda std, region, lang: model_for(region, std.profile).label(lang),
    reach=lambda std, region: (
        model_for(region, std.profile),
        lonlat(eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)),
        std.max_minutes,
    ),
    sheet=N_("Settlements"),
    people=(
        ("name", N_("settlement"), "@"),
        ("class_name", N_("class"), "@"),
        ("demand", N_("people counted"), "#,##0"),
        ("minutes", N_("minutes"), "0.0"),
        ("threshold_min", N_("limit (min)"), "0"),
        ("nearest_name", N_("nearest facility"), "@"),
        ("reason", N_("why not met"), "@"),
        ("travel", N_("travel"), "@"),
    ),
)
