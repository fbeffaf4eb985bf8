"""Catchment-ratio standards: supply reachable within a time per 1,000 people, at every settlement.

A ratio standard counts beds inside a unit's border; a herder across the border counts for
the wrong unit, and a clinic's doctors serve nobody beyond it.  This kind counts what each
settlement can reach instead: the floating catchment family (:mod:`coverage.capacity`) on
the travel seam's origin-destination table, e.g. "elderly-care beds reachable within 60
minutes by car, per 1,000 elderly, >= 60".  Every settlement's people compete for the
beds they reach (2SFCA: shared out, never made); the verdict weighs ``required_share`` of
the demand meeting the floor.

Beside the value, each settlement's people are split the way AccessMod does
(:func:`coverage.capacity.capacity_limited`): served by a facility's capacity, reached but
beyond it, not reached.  A facility's capacity in people is its supply times what the
standard allots to one unit (``per / min_value``: at 60 beds per 1,000 elderly, one bed
serves 16.7 elderly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ...capacity import METHODS, Decay, capacity_limited, floating_catchment
from ...i18n import N_, Msg, Note
from ...tables import FieldSpec, suggest
from ...text import display_name, fmt_against, fmt_count, fmt_share, words
from ...travel import eligible_facilities, lonlat, model_for, travel_pairs
from .._base import FACILITY_FIELDS, MET, NOT_MET, NOT_TESTED, RTOL, SETTLEMENT_FIELDS, StandardBase, StandardResult, mark
from .._checks import Checker
from .._units import mapped, memberships, types_note
from . import Kind

__all__ = ["KIND", "CatchmentStandard"]


@dataclass(frozen=True)
class CatchmentStandard(StandardBase):
    """``supply within max_minutes / demand * per >= min_value`` at ``required_share`` of the demand."""

    facility_types: tuple[str, ...] = ()
    supply: str = "quantity"
    demand: str = "population"
    applies_to: tuple[str, ...] = ()
    applies_to_roles: tuple[str, ...] = ()
    profile: str = "drive"
    max_minutes: float = 60.0
    per: float = 1000.0
    min_value: float = 0.0
    required_share: float = 1.0
    method: str = "2sfca"
    decay: Decay = field(default_factory=Decay)
    unit_zh: str = ""
    unit_en: str = ""
    count_outside_region: bool = True
    kind: str = "catchment"
    thresholds: tuple[str, ...] = ("max_minutes", "min_value", "required_share")

    def unit(self, lang: str = "en") -> str:
        """The unit of the value in a language."""
        return self.unit_zh if lang == "zh" else self.unit_en


_NUM = (int, float)
SPEC = {
    "facility_types": FieldSpec((list,)),
    "supply": FieldSpec((str,)),
    "demand": FieldSpec((str,), required=False),
    "applies_to": FieldSpec((list,)),
    "profile": FieldSpec((str,)),
    "max_minutes": FieldSpec(_NUM),
    "per": FieldSpec(_NUM),
    "min_value": FieldSpec(_NUM),
    "required_share": FieldSpec(_NUM, required=False),
    "method": FieldSpec((str,), required=False),
    "decay": FieldSpec((dict,), required=False),
    "unit_zh": FieldSpec((str,)),
    "unit_en": FieldSpec((str,)),
    "count_outside_region": FieldSpec((bool,), required=False),
}


def _decay(raw: dict, c: Checker, limit: float) -> Decay:
    """The decay table: ``{kind = "gaussian", sigma = 20}`` or ``{kind = "step", steps = [[15, 1.0], [30, 0.68], ...]}``."""
    d = raw.get("decay", {"kind": "none"})
    kind = d.get("kind", "none")
    if kind not in ("none", "step", "gaussian"):
        c.fail(Msg("decay.kind must be one of none, step, gaussian, got '{value}'.", value=kind))
        return Decay()
    if kind == "gaussian":
        return Decay("gaussian", sigma=c.number(d, "sigma", low=0))
    if kind == "step":
        steps = d.get("steps", [])
        ok = isinstance(steps, list) and steps and all(isinstance(s, list) and len(s) == 2 for s in steps)
        pairs = tuple((float(a), float(b)) for a, b in steps) if ok else ()
        if not ok or any(not (math.isfinite(a) and math.isfinite(b) and b >= 0) for a, b in pairs):
            c.fail(Msg("decay.steps must be a list of [upper minutes, weight] pairs, weights not negative."))
            return Decay()
        if [a for a, _b in pairs] != sorted(a for a, _b in pairs) or pairs[-1][0] < limit:
            c.fail(Msg("decay.steps must ascend and reach max_minutes ({limit}).", limit=f"{limit:g}"))
        return Decay("step", steps=pairs)
    return Decay()


def build(raw: dict, common: dict, c: Checker) -> CatchmentStandard:
    """A catchment-ratio standard from its checked TOML table."""
    max_minutes = c.number(raw, "max_minutes", low=0)
    if raw["profile"] not in c.profiles:
        hint = suggest(raw["profile"], c.profiles)
        c.fail(Msg("unknown profile '{value}'{suggestion}.", value=raw["profile"], suggestion=hint))
    if raw["supply"] not in FACILITY_FIELDS:
        c.fail(Msg("supply must be one of {fields}, got '{value}'.", fields=", ".join(FACILITY_FIELDS), value=raw["supply"]))
    demand = raw.get("demand", "population")
    if demand not in SETTLEMENT_FIELDS:
        c.fail(Msg("demand must be one of {fields}, got '{value}'.", fields=", ".join(SETTLEMENT_FIELDS), value=demand))
    method = raw.get("method", "2sfca")
    if method not in METHODS:
        c.fail(Msg("method must be one of {methods}, got '{value}'.", methods=", ".join(METHODS), value=method))
    std = CatchmentStandard(
        **common,
        facility_types=c.facility_types(raw["facility_types"], "facility_types"),
        supply=raw["supply"],
        demand=demand,
        applies_to=c.classes(raw["applies_to"], "applies_to"),
        applies_to_roles=c.roles(raw["applies_to"]),
        profile=raw["profile"],
        max_minutes=max_minutes,
        per=c.number(raw, "per", low=0),
        min_value=c.number(raw, "min_value", low=0),
        required_share=c.number({"required_share": raw.get("required_share", 1.0)}, "required_share", low=0, high=1),
        method=method,
        decay=_decay(raw, c, max_minutes),
        unit_zh=raw["unit_zh"],
        unit_en=raw["unit_en"],
        count_outside_region=raw.get("count_outside_region", True),
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


# --- assessment --------------------------------------------------------------------------------------


def _pairs(region, std: CatchmentStandard, eligible: pd.DataFrame, cache: dict) -> pd.DataFrame:
    """Every settlement-facility pair within the limit (shared by standards of one profile, facilities and limit)."""
    key = ("pairs", std.profile, tuple(eligible.index), float(std.max_minutes))
    if key not in cache:
        cache[key] = travel_pairs(model_for(region, std.profile), region.settlements, eligible, cutoff_min=std.max_minutes)
    return cache[key]


def _measures(region, std: CatchmentStandard, eligible: pd.DataFrame, cache: dict) -> pd.DataFrame:
    """Per settlement (all of them: everyone competes for the supply): value, reached, and the capacity split."""
    s = region.settlements
    pairs = _pairs(region, std, eligible, cache)
    o = s.index.get_indexer(pairs["origin"])
    d = eligible.index.get_indexer(pairs["destination"])
    t = pairs["minutes"].to_numpy(float)
    demand = s[std.demand].fillna(0.0).to_numpy(float) if std.demand in s else np.zeros(len(s))
    supply = eligible[std.supply].fillna(0.0).to_numpy(float)
    access, _ratio = floating_catchment(o, d, t, demand, supply, limit=std.max_minutes, method=std.method, decay=std.decay)
    per_unit = std.per / std.min_value if std.min_value > 0 else np.inf
    split = capacity_limited(o, d, t, demand, supply * per_unit, limit=std.max_minutes)
    reached = np.zeros(len(s), bool)
    reached[o[t <= std.max_minutes]] = True
    return pd.DataFrame(
        {
            "value": access * std.per,
            "reached": reached,
            "served": split.served,
            "over_capacity": split.over_capacity,
            "not_reached": split.not_reached,
        },
        index=s.index,
    )


def _detail(region, std: CatchmentStandard, eligible: pd.DataFrame, cache: dict) -> pd.DataFrame:
    """One row per settlement the standard applies to: its value against the floor and its people split."""
    s = region.settlements
    members = memberships(region, cache)[0]
    measures = _measures(region, std, eligible, cache)
    detail = pd.DataFrame(
        {
            "standard": std.id,
            "name_zh": s["name_zh"],
            "name_en": s["name_en"],
            "class": s["class"],
            "unit_code": s["unit_code"],
            **{f"{lv}_code": members[lv] for lv in region.vocabulary.unit_levels},
            "population": s["population"],
            "demand": s[std.demand] if std.demand in s else np.nan,
            **measures,
            "min_value": std.min_value,
            "method": std.method,
            "coord_source": s["coord_source"],
        },
        index=s.index,
    )
    detail = detail[detail["class"].isin(std.applies_to)].copy()
    meets = detail["value"].to_numpy() >= std.min_value * (1 - RTOL)
    detail["verdict"] = np.where(meets, MET, NOT_MET)
    detail["passes"] = meets
    # What this settlement's own demand lacks, in units of the supply (beds, doctors).
    detail["shortfall"] = np.where(meets, 0.0, (std.min_value - detail["value"]) * detail["demand"].fillna(0.0) / std.per)
    return detail


def _why_not_tested(region, std: CatchmentStandard, detail: pd.DataFrame, eligible: pd.DataFrame) -> Note | None:
    if len(detail) == 0:
        return Note("no settlement of the class {classes}", {"classes": ", ".join(std.applies_to)})
    if std.demand not in region.settlements or detail["demand"].isna().all():
        return Note("no '{field}' values in the settlements layer", {"field": std.demand})
    if detail["demand"].isna().any():
        n = int(detail["demand"].isna().sum())
        return Note(
            "'{field}' is missing for {n} of the {total} settlements it applies to: the share cannot be weighted",
            {"field": std.demand, "n": n, "total": len(detail)},
        )
    if not mapped(region, std.facility_types):
        return types_note(region, std.facility_types)
    if std.supply not in eligible or eligible[std.supply].isna().all():
        types = ", ".join(std.facility_types)
        return Msg("no '{field}' values for the {types} of the facilities layer", field=std.supply, types=types)
    if region.counts_settlements:
        return Note("demand counts settlements, not people (init --demand settlements): there is no population to divide by")
    if detail["demand"].sum() <= 0:
        return Note(
            "'{field}' is 0 in all {total} settlements it applies to: there is no share to weigh",
            {"field": std.demand, "total": len(detail)},
        )
    return None


def assess(region, std: CatchmentStandard, cache: dict | None = None) -> StandardResult:
    """Supply within reach per ``per`` of demand at each applicable settlement, against the floor.

    Summary: ``n``, ``n_meeting``, ``demand_total``, ``demand_meeting``, ``share_demand``,
    ``served``, ``over_capacity``, ``not_reached``, ``n_facilities``, ``worst_id``, ``worst_value``.
    """
    cache = {} if cache is None else cache
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    detail = _detail(region, std, eligible, cache)
    summary = {"n": len(detail), "n_meeting": int(detail["passes"].sum()), "n_facilities": len(eligible)}
    why = _why_not_tested(region, std, detail, eligible)
    if why is not None:
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    demand = detail["demand"].to_numpy(float)
    total, ok = float(demand.sum()), float(demand[detail["passes"].to_numpy()].sum())
    worst_id = detail["value"].idxmin()
    summary.update(
        demand_total=total,
        demand_meeting=ok,
        share_demand=ok / total,
        served=float(detail["served"].sum()),
        over_capacity=float(detail["over_capacity"].sum()),
        not_reached=float(detail["not_reached"].sum()),
        worst_id=worst_id,
        worst_value=float(detail.loc[worst_id, "value"]),
    )
    return StandardResult(std, detail, summary, MET if ok / total >= std.required_share * (1 - RTOL) else NOT_MET)


# --- words ------------------------------------------------------------------------------------------------


def target(std: CatchmentStandard, region, lang: str = "en") -> str:
    """E.g. ``>= 60 beds per 1,000 elderly within 60 min by car (2SFCA); 100% of elderly`` (whose share, as access says it)."""
    from .access import _who, profile_name

    _ = words(lang)
    return _(">= {value} {unit}{m1} within {minutes} min {mode}{m2} ({method}); {share} of {demand}{m3}").format(
        demand=_who(std, region, lang),
        value=f"{std.min_value:g}",
        unit=std.unit(lang),
        m1=mark(std, "min_value", lang),
        minutes=f"{std.max_minutes:g}",
        mode=profile_name(std.profile, lang),
        m2=mark(std, "max_minutes", lang),
        method=std.method.upper(),
        share=f"{std.required_share:.0%}",
        m3=mark(std, "required_share", lang),
    )


def meeting(r: StandardResult, region, lang: str) -> tuple[str, str]:
    """Settlements meeting it, and the demand meeting it."""
    _ = words(lang)
    s, std = r.summary, r.standard
    if r.verdict == NOT_TESTED or not s.get("n"):
        return "", ""
    count = _("{k}/{n} settlements ({pct})").format(k=s["n_meeting"], n=s["n"], pct=fmt_share(s["n_meeting"], s["n"]))
    pop = _("{ok}/{total} people counted ({pct})").format(
        ok=fmt_count(s["demand_meeting"]),
        total=fmt_count(s["demand_total"]),
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


def worst(r: StandardResult, region, lang: str = "en") -> str:
    """The settlement with the least supply within reach, and how its people are split."""
    _ = words(lang)
    std, s = r.standard, r.summary
    row = r.detail.loc[s["worst_id"]]
    return _("{name}: {value} {unit}; served {served}, over capacity {over}, not reached {none}").format(
        name=display_name(row, lang, s["worst_id"]),
        value=fmt_against(s["worst_value"], std.min_value, bool(row["passes"]), upper=False, decimals=2),
        unit=std.unit(lang),
        served=fmt_count(row["served"]),
        over=fmt_count(row["over_capacity"]),
        none=fmt_count(row["not_reached"]),
    )


def export(r: StandardResult, region, lang: str = "en") -> pd.DataFrame:
    """The rows as exported: figures rounded, the travel model named."""
    d = r.detail.copy()
    if r.verdict == NOT_TESTED:
        d["verdict"] = NOT_TESTED
    d["travel"] = KIND.travel(r.standard, region, lang)
    d = d.drop(columns=["passes"])
    for col in ("value", "served", "over_capacity", "not_reached", "shortfall"):
        d[col] = d[col].astype(float).round(3) + 0.0
    return d


def failing(r: StandardResult, region, settlement_units: pd.DataFrame) -> pd.Index:
    """The settlements below the floor."""
    return r.detail.index[r.detail["verdict"] == NOT_MET]


def _reach(std: CatchmentStandard, region):
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    return model_for(region, std.profile), lonlat(eligible), std.max_minutes


KIND = Kind(
    name="catchment",
    order=4,
    standard=CatchmentStandard,
    spec=SPEC,
    build=build,
    assess=assess,
    target=target,
    meeting=meeting,
    meeting_short=meeting_short,
    worst=worst,
    rows="settlements",
    export=export,
    layer="catchment",
    file="settlements_catchment",
    map_family="",
    failing=failing,
    travel=lambda std, region, lang: model_for(region, std.profile).label(lang),
    reach=_reach,
    sheet=N_("Supply within reach"),
    people=(
        ("name", N_("settlement"), "@"),
        ("class_name", N_("class"), "@"),
        ("demand", N_("people counted"), "#,##0"),
        ("value", N_("value"), "0.00"),
        ("min_value", N_("floor"), "0.00"),
        ("served", N_("served"), "#,##0"),
        ("over_capacity", N_("reached, over capacity"), "#,##0"),
        ("not_reached", N_("not reached"), "#,##0"),
        ("travel", N_("travel"), "@"),
    ),
)
