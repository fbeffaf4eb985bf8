"""Words and tables for people: the scorecard, exports, region summary, indicator table, in the chosen language.

Pure functions from results to strings and frames; writing files is the caller's
job (:mod:`coverage.io`).  Every message goes through the gettext catalogue
(:mod:`coverage.i18n`): ``_ = words(lang)``, then ``_("English text")``.
Numbers are shown so that they never contradict their verdict: a value that fails
a limit is never printed as the limit itself (120.014 minutes against 120 shows
as 120.01, not 120.0); people and staff are whole numbers; shortfalls are rounded
up to whole beds or doctors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..i18n import N_
from ..inputs.region import Region
from ..standards._base import MET, NOT_MET, NOT_TESTED, StandardResult, field_label, mark, verdict_word
from ..standards.assessment import Assessment
from ..standards.catalogue import AccessStandard, PresenceStandard
from ..text import display_name, fmt_against, fmt_count, fmt_share, join_list, words

__all__ = [
    "basis_legend",
    "estimated_note",
    "headline",
    "level_name",
    "not_joined_line",
    "profile_name",
    "reason_text",
    "reason_texts",
    "region_title",
    "requirement_text",
    "scorecard_frame",
    "scorecard_markdown",
    "sources_line",
    "target_text",
    "travel_line",
    "worst_text",
]


def region_title(region: Region, lang: str = "en") -> str:
    """The region's name in the language (else the other one), never a file name."""
    zh, en = region.name_zh.strip(), region.name_en.strip()
    first, second = (zh, en) if lang == "zh" else (en, zh)
    _ = words(lang)
    return first or second or _("(unnamed region)")


def profile_name(profile: str, lang: str) -> str:
    """``drive`` -> "by car" / 驾车."""
    _ = words(lang)
    return {"drive": _("by car"), "walk": _("on foot")}.get(profile, profile)


def requirement_text(req, region: Region, lang: str) -> str:
    """E.g. ``2 x table-tennis table`` / ``乒乓球台 2处``."""
    types = region.facility_types
    names = "/".join(types[t].zh if lang == "zh" else types[t].en for t in req.facility_types if t in types)
    return f"{names} {req.min_count:g}" if lang == "zh" else f"{req.min_count:g} x {names}"


def level_name(region: Region, level: str, lang: str) -> str:
    """A level's name in the language."""
    return region.vocabulary.level(level).name(lang)


def target_text(std, region: Region, lang: str = "en") -> str:
    """The standard's target with the basis of each figure marked."""
    _ = words(lang)
    if isinstance(std, AccessStandard):
        demand = _("residents") if std.demand == "population" else _("elderly")
        return _("{mode} <= {minutes} min{m1}; {share} of {demand}{m2}").format(
            mode=profile_name(std.profile, lang),
            minutes=f"{std.max_minutes:g}",
            m1=mark(std, "max_minutes", lang),
            share=f"{std.required_share:.0%}",
            demand=demand,
            m2=mark(std, "required_share", lang),
        )
    if isinstance(std, PresenceStandard):
        need = " + ".join(requirement_text(r, region, lang) for r in std.requirements)
        where = level_name(region, std.level, lang)
        each = _("{need} in the {level}{m}") if std.level == region.vocabulary.region_level else _("{need} in each {level}{m}")
        text = each.format(need=need, level=where, m=mark(std, "min_count", lang))
        if std.min_unit_population > 0:
            text += _(" (units of >= {n} residents{m})").format(
                n=f"{std.min_unit_population:g}", m=mark(std, "min_unit_population", lang)
            )
        return text
    return _(">= {value} {unit}{m}").format(value=f"{std.min_value:g}", unit=std.unit(lang), m=mark(std, "min_value", lang))


def _meeting_texts(r: StandardResult, region: Region, lang: str) -> tuple[str, str]:
    _ = words(lang)
    s, std = r.summary, r.standard
    n, k = s.get("n", 0), s.get("n_meeting", 0)
    if r.verdict == NOT_TESTED or n == 0:
        return "", ""
    if isinstance(std, AccessStandard):
        count = _("{k}/{n} settlements ({pct})").format(k=k, n=n, pct=fmt_share(k, n))
        who = _("residents") if std.demand == "population" else _("elderly")
        meets = r.verdict == MET
        pop = _("{ok}/{total} {who} ({pct})").format(
            ok=fmt_count(s["demand_meeting"]),
            total=fmt_count(s["demand_total"]),
            who=who,
            pct=fmt_share(s["demand_meeting"], s["demand_total"], std.required_share, meets),
        )
        return count, pop
    level = level_name(region, std.level, lang)
    count = _("{k}/{n} {level} ({pct})").format(k=k, n=n, level=level, pct=fmt_share(k, n))
    if isinstance(std, PresenceStandard):
        pop = _("{ok}/{total} residents ({pct})").format(
            ok=fmt_count(s["demand_meeting"]),
            total=fmt_count(s["demand_total"]),
            pct=fmt_share(s["demand_meeting"], s["demand_total"]),
        )
        return count, pop
    return count, ""


def worst_text(r: StandardResult, region: Region, lang: str = "en") -> str:
    """The worst case of a standard in words (or why it was not tested)."""
    _ = words(lang)
    std, s = r.standard, r.summary
    if r.verdict == NOT_TESTED:
        return _("not tested: {why}").format(why=r.why.text(lang) if r.why else "")
    if isinstance(std, AccessStandard):
        row = r.detail.loc[s["worst_id"]]
        name = display_name(row, lang, s["worst_id"])
        if not np.isfinite(s["worst_minutes"]):
            text = _("{name}: unreachable").format(name=name)
        else:
            meets = bool(row["verdict"] == MET)
            text = _("{name}: {minutes} min").format(name=name, minutes=fmt_against(s["worst_minutes"], std.max_minutes, meets))
        if s["n_unreachable"] > 1:
            text += _(" (+{n} more unreachable)").format(n=s["n_unreachable"] - 1)
        return text
    row = r.detail.loc[s["worst_code"]]
    whole_region = s["worst_code"] == region.vocabulary.region_level
    unit = display_name(row, lang, s["worst_code"])
    if isinstance(std, PresenceStandard):
        if row["missing"] <= 0:
            return _("none missing")
        lacking = [
            requirement_text(type(req)(req.facility_types, req.min_count - row[f"count{k}"]), region, lang)
            for k, req in enumerate(std.requirements, start=1)
            if row[f"count{k}"] < req.min_count
        ]
        if whole_region:
            return _("{n} missing ({what})").format(n=f"{row['missing']:g}", what="; ".join(lacking))
        return _("{unit}: {n} missing ({what})").format(unit=unit, n=f"{row['missing']:g}", what="; ".join(lacking))
    meets = bool(row["verdict"] == MET)
    text = _("{value} {units} ({num}/{den})") if whole_region else _("{unit}: {value} {units} ({num}/{den})")
    text = text.format(
        unit=unit,
        value=fmt_against(row["value"], std.min_value, meets, upper=False, decimals=2),
        units=std.unit(lang),
        num=fmt_count(row["numerator"]),
        den=fmt_count(row["denominator"]),
    )
    if row["shortfall"] > 0:
        text += _("; {n} {what} short").format(n=fmt_count(row["shortfall"]), what=field_label(std.numerator.field, lang))
    if row["rows_without_value"]:
        text += _("; {n} rows without a value counted as 0").format(n=int(row["rows_without_value"]))
    return text


def scorecard_frame(assessment: Assessment, *, lang: str = "en") -> pd.DataFrame:
    """One row per standard: title, source wording and section, target (bases marked), meeting, worst case, verdict."""
    _ = words(lang)
    region = assessment.region
    rows = []
    for r in assessment.results:
        s = r.standard
        count, pop = _meeting_texts(r, region, lang)
        rows.append(
            {
                _("Id"): s.id,
                _("standard"): s.title(lang),
                _("plan wording"): s.wording,
                _("section"): s.section,
                _("target"): target_text(s, region, lang),
                _("meeting (count)"): count,
                _("meeting (population)"): pop,
                _("worst case"): worst_text(r, region, lang),
                _("verdict"): verdict_word(r.verdict, lang),
            }
        )
    columns = ["Id", "standard", "plan wording", "section", "target", "meeting (count)", "meeting (population)"]
    return pd.DataFrame(rows, columns=[_(c) for c in [*columns, "worst case", "verdict"]])


def headline(assessment: Assessment, *, lang: str = "en") -> str:
    """How many standards are met, not met and not tested, e.g. ``1 met, 12 not met, 4 not tested (of 17 standards).``."""
    _ = words(lang)
    c = assessment.counts()
    return _("{met} met, {not_met} not met, {not_tested} not tested (of {n} standards).").format(
        met=c[MET], not_met=c[NOT_MET], not_tested=c[NOT_TESTED], n=len(assessment.results)
    )


def travel_line(assessment: Assessment, *, lang: str = "en") -> str:
    """Which travel model produced the times, per profile."""
    _ = words(lang)
    region = assessment.region
    labels = [region.travel_model(p).label(lang) for p in sorted(assessment.travel_models)]
    return _("Travel times: {models}.").format(models=join_list(labels, lang)) if labels else ""


def basis_legend(lang: str = "en") -> str:
    """The line explaining the basis marks."""
    _ = words(lang)
    return _(
        "Unmarked figures are the source text's own; [reading] marks this tool's reading where the text gives no number "
        "(argued in the catalogue and the report); [national] a national standard's figure."
    )


def sources_line(assessment: Assessment, *, lang: str = "en") -> str:
    """The catalogue and how much of the input is estimated."""
    _ = words(lang)
    cat = assessment.catalogue
    return _("Sources: {catalogue} ({source}); estimated inputs: {estimated}.").format(
        catalogue=cat.name_zh if lang == "zh" else cat.name_en,
        source=cat.source,
        estimated=estimated_note(assessment.region, lang),
    )


def estimated_note(region: Region, lang: str = "en") -> str:
    """How much of the input is estimated, in one line."""
    _ = words(lang)
    est = region.estimated_summary()
    parts = [
        _("{n} of {total} {layer} ({field})").format(n=row.estimated, total=row.total, layer=_(row.layer), field=row.field)
        for row in est.itertuples()
        if row.estimated
    ]
    if region.boundary_estimated:
        parts.append(_("the boundary (hull of the points + 5 km)"))
    return join_list(parts, lang) if parts else _("none flagged")


def not_joined_line(assessment: Assessment, *, lang: str = "en") -> str:
    """The settlements too far from any road to join the network (they travel across country only)."""
    _ = words(lang)
    region = assessment.region
    far: dict[str, float] = {}
    for r in assessment.results:
        if r.standard.kind == "access" and len(r.detail) and "snap_m" in r.detail:
            limit = region.profiles[r.standard.profile].max_snap_m
            sel = r.detail[r.detail["snap_m"] > limit]
            far.update({display_name(row, lang, sid): row["snap_m"] for sid, row in sel.iterrows()})
    if not far or region.network is None:
        return ""
    listed = ", ".join(f"{name} {d / 1000:.0f} km" for name, d in sorted(far.items()))
    text = _(
        "Not joined to the road network (farther than the profile's max_snap_m; "
        "reached across country only, if at all): {listed}."
    )
    return text.format(listed=listed)


def scorecard_markdown(assessment: Assessment, *, lang: str = "en") -> str:
    """The scorecard as Markdown, with the catalogue and data it came from."""
    _ = words(lang)
    card = assessment.scorecard(lang)
    region = assessment.region
    lines = [
        f"# {_('Scorecard')}: {region_title(region, lang)}",
        "",
        headline(assessment, lang=lang),
        "",
        "| " + " | ".join(card.columns) + " |",
        "|" + "---|" * len(card.columns),
    ]
    for row in card.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    data = "; ".join(f"{_(k)}: `{Path(v).name}`" for k, v in sorted(region.files.items()))
    lines += [
        "",
        basis_legend(lang),
        travel_line(assessment, lang=lang),
        sources_line(assessment, lang=lang),
        _("Data: {files}.").format(files=data),
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def reason_text(row, std: AccessStandard, region: Region, lang: str = "en") -> str:
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


def reason_texts(detail: pd.DataFrame, std: AccessStandard, region: Region, lang: str = "en") -> np.ndarray:
    """:func:`reason_text` of every row, visiting only the failing rows (plain dicts, not Series: province scale)."""
    out = np.full(len(detail), "", dtype=object)
    failing = np.flatnonzero((detail["reason_code"] != "").to_numpy())
    if len(failing):
        cols = ["reason_code", "snap_m", "access_min", "minutes", "network_min", "egress_min", "shortfall_min"]
        records = detail.iloc[failing][cols].to_dict("records")
        out[failing] = [reason_text(rec, std, region, lang) for rec in records]
    return out


# Words shown through a variable (layer and file roles, profile names): marked here for the catalogue.
_DYNAMIC_WORDS = (
    N_("settlements"),
    N_("facilities"),
    N_("units"),
    N_("roads"),
    N_("boundary"),
    N_("drive"),
    N_("walk"),
    N_("population"),
)
