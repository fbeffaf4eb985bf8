"""Presence standards: each unit of a level holds the required facilities (a clinic per gacha).

Quantities are summed (a row with quantity = 2 counts as two table-tennis tables);
``count_in_classes`` keeps only the facilities in units that hold settlements of those
classes (a town's own facilities are in its town area, not a gacha's pitch).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ...i18n import N_, Msg, Names, Note
from ...tables import FieldSpec, check_table
from ...text import display_name, fmt_count, fmt_share, join_list, words
from .._base import FACILITY_FIELDS, MET, NOT_MET, NOT_TESTED, StandardBase, StandardResult, level_name, mark, verdict_word
from .._checks import Checker
from .._units import export_unit_rows, mapped, memberships, no_units_note, types_names, types_note, units_at
from . import Kind

__all__ = ["KIND", "PresenceStandard", "Requirement"]


@dataclass(frozen=True)
class Requirement:
    """At least ``min_count`` facilities of any of ``facility_types`` in a unit.

    ``where``: only facilities whose numeric field has the value count (``standardised = 1``:
    built to standard), described by ``where_zh``/``where_en``.
    """

    facility_types: tuple[str, ...]
    min_count: float
    where: tuple[tuple[str, float], ...] = ()
    where_zh: str = ""
    where_en: str = ""


@dataclass(frozen=True)
class PresenceStandard(StandardBase):
    """Each unit of ``level`` holds the required facilities.

    ``count_in_classes``: when given, only facilities in units that hold settlements
    of these classes count (a town's own facilities are in its town area, not a
    gacha's pitch); empty counts every facility inside the unit.
    """

    level: str = ""
    requirements: tuple[Requirement, ...] = ()
    min_unit_population: float = 0.0
    exclude_classes: tuple[str, ...] = ()
    count_in_classes: tuple[str, ...] = ()
    kind: str = "presence"

    @property
    def thresholds(self) -> tuple[str, ...]:
        """Thresholds needing a basis."""
        return ("min_count", "min_unit_population") if self.min_unit_population > 0 else ("min_count",)


SPEC = {
    "level": FieldSpec((str,)),
    "require": FieldSpec((list,)),
    "min_unit_population": FieldSpec((int, float), required=False),
    "exclude_classes": FieldSpec((list,), required=False),
    "count_in_classes": FieldSpec((list,), required=False),
}
_REQ_SPEC = {
    "facility_types": FieldSpec((list,)),
    "min_count": FieldSpec((int, float)),
    "where": FieldSpec((dict,), required=False),
    "where_zh": FieldSpec((str,), required=False),
    "where_en": FieldSpec((str,), required=False),
}


def _where(req: dict, c: Checker, j: int) -> tuple[tuple[str, float], ...]:
    """A requirement's ``where`` conditions: numeric facility fields and their values."""
    out = []
    for key, value in req.get("where", {}).items():
        if key not in FACILITY_FIELDS:
            c.fail(
                Msg("require #{j}: where: '{value}' is not one of {fields}.", j=j, value=key, fields=", ".join(FACILITY_FIELDS))
            )
        out.append((key, c.number({key: value}, key, low=0, open_low=False)))
    if out and not (req.get("where_zh") and req.get("where_en")):
        c.fail(Msg("require #{j}: a where condition needs where_zh and where_en, the words that describe it.", j=j))
    return tuple(out)


def build(raw: dict, common: dict, c: Checker) -> PresenceStandard:
    """A presence standard from its checked TOML table."""
    reqs = []
    for j, req in enumerate(raw["require"], start=1):
        check_table(req, _REQ_SPEC, where=f"{c.where}, require #{j}")
        count = c.number(req, "min_count", low=0)
        types = c.facility_types(req["facility_types"], f"require #{j}")
        reqs.append(Requirement(types, count, _where(req, c, j), req.get("where_zh", ""), req.get("where_en", "")))
    if not reqs:
        c.fail(Msg("add at least one [[standard.require]]."))
    pop = c.number({"min_unit_population": raw.get("min_unit_population", 0)}, "min_unit_population", low=0, open_low=False)
    std = PresenceStandard(
        **common,
        level=c.level(raw["level"]),
        requirements=tuple(reqs),
        min_unit_population=pop,
        exclude_classes=c.classes(raw.get("exclude_classes", []), "exclude_classes"),
        count_in_classes=c.classes(raw.get("count_in_classes", []), "count_in_classes"),
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


# --- assessment --------------------------------------------------------------------------------------


def _counting_facilities(region, std: PresenceStandard, cache: dict | None) -> pd.Series:
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


def _detail(region, std: PresenceStandard, cache: dict | None) -> pd.DataFrame:
    """One row per unit of the level: its people, whether it is eligible, and each requirement counted."""
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
        for field, value in req.where:
            mask &= f[field] == value
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
    return detail


def assess(region, std: PresenceStandard, cache: dict | None = None) -> StandardResult:
    """Count the required facilities in each unit of the standard's level.

    Summary: ``n`` (tested units), ``n_meeting``, ``demand_total``, ``demand_meeting``
    (people in them), ``missing_total``, ``worst_code``, ``worst_missing``, ``n_not_eligible``.
    """
    detail = _detail(region, std, cache)
    tested = detail[detail["eligible"]]
    n, n_ok = len(tested), int((tested["verdict"] == MET).sum())
    summary = {
        "n": n,
        "n_meeting": n_ok,
        "n_not_eligible": int((~detail["eligible"]).sum()),
        "demand_field": "population",
        "demand_total": float(tested["population"].sum()),
        "demand_meeting": float(tested.loc[tested["verdict"] == MET, "population"].sum()),
        "missing_total": float(tested["missing"].sum()),
    }
    if len(detail) == 0:
        return StandardResult(std, detail, summary, NOT_TESTED, no_units_note(region, std.level))
    if std.min_unit_population > 0 and region.counts_settlements:
        why = Note(
            "demand counts settlements, not people (init --demand settlements): which units have {n} residents is unknown",
            {"n": f"{std.min_unit_population:g}"},
        )
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    if n == 0:
        why = Note("no {level} unit is eligible", {"level": region.vocabulary.level(std.level).name("en")})
        return StandardResult(std, detail, summary, NOT_TESTED, why)
    absent = [req.facility_types for req in std.requirements if not mapped(region, req.facility_types)]
    if absent:
        return StandardResult(std, detail, summary, NOT_TESTED, types_note(region, [t for types in absent for t in types]))
    unknown = _unknown_conditions(region, std)
    if unknown is not None:
        return StandardResult(std, detail, summary, NOT_TESTED, unknown)
    worst_row = tested.sort_values(["missing", "population"], ascending=[False, False], kind="stable").iloc[0]
    summary.update(worst_code=worst_row.name, worst_missing=float(worst_row["missing"]))
    return StandardResult(std, detail, summary, MET if n_ok == n else NOT_MET)


def _unknown_conditions(region, std: PresenceStandard) -> Note | None:
    """Why a ``where`` condition cannot be judged: the facilities of its types carry no value of its field."""
    f = region.facilities
    for req in std.requirements:
        of_types = f["facility_type"].isin(req.facility_types)
        for field, _value in req.where:
            if field not in f or f.loc[of_types, field].isna().all():
                return Msg(
                    "the facilities of the types {types} carry no '{field}' value, so '{condition}' cannot be judged",
                    types=types_names(region, req.facility_types),
                    field=field,
                    condition=Names("", zh=req.where_zh, en=req.where_en),
                )
    return None


# --- words ------------------------------------------------------------------------------------------------


def requirement_text(req: Requirement, region, lang: str) -> str:
    """E.g. ``2 x table-tennis table`` / ``2张乒乓球台`` (the first type's measure word); a condition follows in brackets."""
    types = region.facility_types
    known = [types[t] for t in req.facility_types if t in types]
    names = "/".join(t.name(lang) for t in known)
    if lang == "zh":
        text = f"{req.min_count:g}{known[0].measure_zh if known else '处'}{names}"
    else:
        text = f"{req.min_count:g} x {names}"
    if req.where:
        text += f"（{req.where_zh}）" if lang == "zh" else f" ({req.where_en})"
    return text


def target(std: PresenceStandard, region, lang: str = "en") -> str:
    """E.g. ``1 x village clinic in each gacha (units of >= 200 residents [reading])``."""
    _ = words(lang)
    need = " + ".join(requirement_text(r, region, lang) for r in std.requirements)
    where = level_name(region, std.level, lang)
    each = _("{need} in the {level}{m}") if std.level == region.vocabulary.region_level else _("{need} in each {level}{m}")
    text = each.format(need=need, level=where, m=mark(std, "min_count", lang))
    if std.min_unit_population > 0:
        text += _(" (units of >= {n} residents{m})").format(
            n=f"{std.min_unit_population:g}", m=mark(std, "min_unit_population", lang)
        )
    return text


def meeting(r: StandardResult, region, lang: str) -> tuple[str, str]:
    """Units and the people in them meeting it."""
    _ = words(lang)
    s, std = r.summary, r.standard
    n, k = s.get("n", 0), s.get("n_meeting", 0)
    if r.verdict == NOT_TESTED or n == 0:
        return "", ""
    level = level_name(region, std.level, lang)
    count = _("{k}/{n} {level} ({pct})").format(k=k, n=n, level=level, pct=fmt_share(k, n))
    if region.counts_settlements:
        return count, ""
    pop = _("{ok}/{total} residents ({pct})").format(
        ok=fmt_count(s["demand_meeting"]),
        total=fmt_count(s["demand_total"]),
        pct=fmt_share(s["demand_meeting"], s["demand_total"]),
    )
    return count, pop


def meeting_short(r: StandardResult, lang: str) -> str:
    """E.g. ``5/15`` units."""
    s = r.summary
    return "" if r.verdict == NOT_TESTED or not s.get("n") else f"{s['n_meeting']}/{s['n']}"


def worst(r: StandardResult, region, lang: str = "en") -> str:
    """The unit missing most, and what it misses."""
    _ = words(lang)
    std, s = r.standard, r.summary
    row = r.detail.loc[s["worst_code"]]
    if row["missing"] <= 0:
        return _("none missing")
    lacking = [
        requirement_text(Requirement(req.facility_types, req.min_count - row[f"count{k}"]), region, lang)
        for k, req in enumerate(std.requirements, start=1)
        if row[f"count{k}"] < req.min_count
    ]
    if s["worst_code"] == region.vocabulary.region_level:
        return _("{n} missing ({what})").format(n=f"{row['missing']:g}", what=join_list(lacking, lang))
    unit = display_name(row, lang, s["worst_code"])
    return _("{unit}: {n} missing ({what})").format(unit=unit, n=f"{row['missing']:g}", what=join_list(lacking, lang))


# --- maps -------------------------------------------------------------------------------------------------


def unit_style(std: PresenceStandard, row, code, region, lang: str) -> tuple[int | None, list, str]:
    """Severity (0 meets; 2, 3, 4: one, two, three or more facilities missing; None not tested), popup lines, status."""
    _ = words(lang)
    missing = row["missing"]
    severity = None if row["verdict"] == NOT_TESTED else (0 if missing == 0 else min(int(np.ceil(missing)) + 1, 4))
    lines = [
        (
            "/".join(region.facility_types[t].name(lang) for t in req.facility_types),
            f"{row[f'count{k}']:g} / {req.min_count:g} ({row[f'ids{k}'] or '-'})",
        )
        for k, req in enumerate(std.requirements, start=1)
    ]
    if row["verdict"] == NOT_TESTED:
        status = _("not tested (not eligible)")
    elif row["verdict"] == MET:
        status = verdict_word(MET, lang)
    else:
        status = _("not met: {n} missing").format(n=f"{missing:g}")
    return severity, lines, status


def failing(r: StandardResult, region, settlement_units: pd.DataFrame) -> pd.Index:
    """The settlements in units that do not meet it (none for a standard on the whole region)."""
    if r.standard.level not in region.vocabulary.unit_levels:
        return pd.Index([])
    bad = set(r.detail.index[r.detail["verdict"] == NOT_MET])
    col = settlement_units[r.standard.level]
    return col.index[col.isin(bad)]


KIND = Kind(
    name="presence",
    order=2,
    standard=PresenceStandard,
    spec=SPEC,
    build=build,
    assess=assess,
    target=target,
    meeting=meeting,
    meeting_short=meeting_short,
    worst=worst,
    rows="units",
    export=export_unit_rows,
    layer="presence",
    file="units_presence",
    map_family="units",
    unit_style=unit_style,
    map_title=N_("Facilities per unit"),
    map_label=N_("facilities per unit"),
    failing=failing,
    sheet=N_("Units"),
    people=(
        ("name", N_("unit"), "@"),
        ("level_name", N_("level"), "@"),
        ("population", N_("residents"), "#,##0"),
        ("missing", N_("facilities missing"), "0"),
        ("reason", N_("why not tested"), "@"),
    ),
)
