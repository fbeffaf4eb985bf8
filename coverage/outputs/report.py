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

import pandas as pd

from ..i18n import N_, translate
from ..inputs.region import Region
from ..standards._base import MET, NOT_MET, NOT_TESTED, StandardResult, verdict_word
from ..standards.assessment import Assessment
from ..standards.kinds import kind_of
from ..text import display_name, join_list, simplified, words
from ..travel import model_for

__all__ = [
    "basis_legend",
    "estimated_note",
    "headline",
    "label_list",
    "not_joined_line",
    "region_title",
    "scorecard_frame",
    "scorecard_markdown",
    "scorecard_table",
    "sources_line",
    "standard_label",
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


def target_text(std, region: Region, lang: str = "en") -> str:
    """The standard's target with the basis of each figure marked (its kind's words)."""
    return kind_of(std).target(std, region, lang)


def worst_text(r: StandardResult, region: Region, lang: str = "en") -> str:
    """The worst case of a standard in words (or why it was not tested)."""
    _ = words(lang)
    if r.verdict == NOT_TESTED:
        return _("not tested: {why}").format(why=r.why.text(lang) if r.why else "")
    return kind_of(r.standard).worst(r, region, lang)


def scorecard_frame(assessment: Assessment, *, lang: str = "en") -> pd.DataFrame:
    """One row per standard: title, source wording and section, target (bases marked), meeting, worst case, verdict."""
    _ = words(lang)
    region = assessment.region
    rows = []
    for r in assessment.results:
        s = r.standard
        count, pop = kind_of(s).meeting(r, region, lang)
        rows.append(
            {
                _("Id"): s.id,
                _("standard"): s.title(lang),
                _("plan wording"): simplified(s.wording),
                _("section"): s.section,
                _("target"): target_text(s, region, lang),
                _("meeting (count)"): count,
                _("meeting (population)"): pop,
                _("worst case"): worst_text(r, region, lang),
                _("travel"): kind_of(s).travel(s, region, lang) if kind_of(s).travel else "",
                _("verdict"): verdict_word(r.verdict, lang),
            }
        )
    columns = ["Id", "standard", "plan wording", "section", "target", "meeting (count)", "meeting (population)"]
    return pd.DataFrame(rows, columns=[_(c) for c in [*columns, "worst case", "travel", "verdict"]])


#: The columns of scorecard.csv (the machine interface: English names, verdicts as codes; text cells in the chosen language).
SCORECARD_COLUMNS = (
    "id", "title", "wording", "section", "target", "meeting", "meeting_population", "worst_case", "travel", "verdict",
)  # fmt: skip


def scorecard_table(assessment: Assessment, *, lang: str = "en") -> pd.DataFrame:
    """The scorecard for machines (``scorecard.csv``): stable English column names, verdict codes (met, not met, not tested)."""
    people = scorecard_frame(assessment, lang=lang)
    table = pd.DataFrame(people.to_numpy(), columns=list(SCORECARD_COLUMNS))
    table["verdict"] = [r.verdict for r in assessment.results]
    return table


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
    labels = [model_for(region, p).label(lang) for p in sorted(assessment.travel_models)]
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
        source=simplified(cat.source_text(lang)),
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
    if region.boundary_estimated and "boundary" in region.files:
        parts.append(_("the boundary (estimated, as its file's geom_source says)"))
    elif region.boundary_estimated:
        parts.append(_("the boundary (hull of the points + 5 km)"))
    if region.counts_settlements:
        parts.append(_("demand: each settlement counts as one (settlements, not people)"))
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
    listed = ("、" if lang == "zh" else ", ").join(f"{name} {d / 1000:.0f} km" for name, d in sorted(far.items()))
    text = _(
        "Not joined to the road network (farther than the profile's max_snap_m; "
        "reached across country only, if at all): {listed}."
    )
    return text.format(listed=listed)


def standard_label(item, lang: str = "en") -> str:
    """How prose names a standard or a not-testable item: its id in English (to type), its title in Chinese."""
    return item.title(lang) if lang == "zh" else item.id


def label_list(items, lang: str = "en") -> str:
    """Standards named in a sentence (:func:`standard_label`), joined as the language lists."""
    return ("、" if lang == "zh" else ", ").join(standard_label(i, lang) for i in items)


#: The names of a region's files in prose.
FILE_WORDS = {
    "settlements": N_("settlements"),
    "facilities": N_("facilities"),
    "roads": N_("roads"),
    "boundary": N_("boundary"),
    "units": N_("units"),
    "landcover": N_("land cover"),
    "dem": N_("elevation"),
    "barriers": N_("barriers"),
    "crossings": N_("crossings"),
}


def people_card(assessment: Assessment, lang: str) -> pd.DataFrame:
    """The scorecard for people's files: without the travel column (one line serves all rows), and in Chinese without ids."""
    _ = words(lang)
    card = scorecard_frame(assessment, lang=lang).drop(columns=_("travel"))
    return card.drop(columns=_("Id")) if lang == "zh" else card


def scorecard_markdown(assessment: Assessment, *, lang: str = "en") -> str:
    """The scorecard as Markdown, with the catalogue and data it came from."""
    _ = words(lang)
    card = people_card(assessment, lang)
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
    data = join_list(
        [f"{translate(FILE_WORDS.get(k, k), lang)}: `{Path(v).name}`" for k, v in sorted(region.files.items())], lang
    )
    lines += [
        "",
        basis_legend(lang),
        travel_line(assessment, lang=lang),
        sources_line(assessment, lang=lang),
        _("Data: {files}.").format(files=data),
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


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
