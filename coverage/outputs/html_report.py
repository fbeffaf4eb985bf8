"""The HTML report (``index.html``): the scorecard, the maps, readings, assumptions and sources, in one language.

No script and no external asset: it opens offline by double-click.  Every value
that comes from data or a catalogue is HTML-escaped.
"""

from __future__ import annotations

import html

import pandas as pd

from ..i18n import translate
from ..inputs.osm_rules import road_class_name
from ..standards._base import MET, NOT_MET, NOT_TESTED
from ..standards.assessment import Assessment
from ..standards.kinds import kind_names, kind_of
from ..text import join_list, simplified, words
from .report import FILE_WORDS, basis_legend, estimated_note, headline, people_card, region_title, travel_line

__all__ = ["esc", "report_html"]


def esc(value) -> str:
    """HTML-escape anything."""
    return html.escape("" if value is None else str(value), quote=True)


def _scorecard(assessment: Assessment, maps: dict[str, str], lang: str) -> str:
    card = people_card(assessment, lang)  # in Chinese the first column is the title, not the id
    head = "".join(f"<th>{esc(c)}</th>" for c in card.columns)
    css = {MET: "met", NOT_MET: "notmet", NOT_TESTED: "nottested"}
    body = []
    for (_i, row), r in zip(card.iterrows(), assessment.results, strict=True):
        first = str(row.iloc[0])
        link = maps.get(r.standard.id) or maps.get(r.standard.kind)
        cells = [f"<td><a href='{esc(link)}'>{esc(first)}</a></td>" if link else f"<td>{esc(first)}</td>"]
        cells += [f"<td>{esc(v)}</td>" for v in row.iloc[1:-1]]
        cells.append(f"<td class='verdict {css[r.verdict]}'>{esc(row.iloc[-1])}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='card'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _heading(item, lang: str) -> str:
    """A standard or item named in a list: its title, and its id in English (the id is the Chinese reader's noise)."""
    return item.title(lang) if lang == "zh" else f"{item.id} ({item.title(lang)})"


def _readings(assessment: Assessment, lang: str) -> str:
    _ = words(lang)
    items = [
        f"<li><b>{esc(_heading(r.standard, lang))}</b>: {esc(r.standard.reading_text(lang))}</li>"
        for r in assessment.results
        if r.standard.reading
    ]
    notes = [
        f"<li><b>{esc(_heading(r.standard, lang))}</b>: {esc(r.standard.note_text(lang))}</li>"
        for r in assessment.results
        if r.standard.note
    ]
    out = f"<h2>{esc(_('Readings of the text'))}</h2><p>{esc(basis_legend(lang))}</p><ul>{''.join(items)}</ul>"
    if notes:
        out += f"<h3>{esc(_('Notes'))}</h3><ul>{''.join(notes)}</ul>"
    cat = assessment.catalogue
    if cat.contradictions:
        out += (
            f"<h3>{esc(_('Where the text contradicts itself'))}</h3><ul>"
            + "".join(f"<li>{esc(c)}</li>" for c in cat.contradiction_texts(lang))
            + "</ul>"
        )
    if cat.not_testable:
        rows = "".join(
            f"<tr><td>{esc(_heading(n, lang))}</td><td>{esc(simplified(n.wording))}</td>"
            f"<td>{esc(n.section)}</td><td>{esc(n.why_text(lang))}</td></tr>"
            for n in cat.not_testable
        )
        out += (
            f"<h3>{esc(_('Items of the text that spatial data cannot test'))}</h3><table><thead><tr>"
            f"<th>{esc(_('item'))}</th><th>{esc(_('plan wording'))}</th><th>{esc(_('section'))}</th><th>{esc(_('why'))}</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    not_tested = [r for r in assessment.results if r.verdict == NOT_TESTED]
    if not_tested:
        out += (
            f"<h3>{esc(_('Not tested, and why'))}</h3><ul>"
            + "".join(
                f"<li><b>{esc(_heading(r.standard, lang))}</b>: {esc(r.why.text(lang) if r.why else '')}</li>" for r in not_tested
            )
            + "</ul>"
        )
    return out


def _assumptions(assessment: Assessment, lang: str) -> str:
    _ = words(lang)
    region = assessment.region
    rows = []
    for name, p in region.profiles.items():
        speeds = join_list([f"{road_class_name(k, lang)} {v:g}" for k, v in p.speeds_kmh.items()], lang, short=True)
        rows.append(
            f"<tr><td>{esc(translate(name, lang))}</td><td>{esc(p.description_text(lang))}</td><td>{esc(speeds)}</td>"
            f"<td>{p.offroad_kmh:g}</td><td>{p.max_snap_m / 1000:g} km</td><td>{esc(p.source)}</td></tr>"
        )
    head = "".join(
        f"<th>{esc(h)}</th>"
        for h in (
            _("profile"),
            _("description"),
            _("speeds by road class (km/h)"),
            _("off-road km/h"),
            _("max snap"),
            _("source"),
        )
    )
    text = _(
        "Travel runs from each settlement to its nearest eligible facility: an off-road leg to the nearest road node, the "
        "road network (OpenStreetMap's one-way, access and speed tags read by the rules in osm_rules.toml), and a leg from "
        "the road to the facility; a straight trip across country counts when faster. Distances are geodesic (WGS84)."
    )
    return (
        f"<h2>{esc(_('Assumptions'))}</h2><p>{esc(travel_line(assessment, lang=lang))}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table><p>{esc(text)}</p>"
    )


def _data(assessment: Assessment, lang: str) -> str:
    _ = words(lang)
    region = assessment.region
    est = region.estimated_summary()
    of = _("{n} of {total}")
    field = "「字段 {}」" if lang == "zh" else "{}"
    rows = "".join(
        f"<tr><td>{esc(_(r.layer))}</td><td>{esc(field.format(r.field))}</td>"
        f"<td>{esc(of.format(n=r.estimated, total=r.total))}</td></tr>"
        for r in est.itertuples()
    )
    files = "".join(
        f"<li>{esc(translate(FILE_WORDS.get(k, k), lang))}: <code>{esc(v)}</code></li>" for k, v in sorted(region.files.items())
    )
    head = f"<th>{esc(_('layer'))}</th><th>{esc(_('field'))}</th><th>{esc(_('estimated or schematic'))}</th>"
    warn = _(
        "Estimated values are flagged in each row's source columns, drawn with dashed outlines on the maps, and must be "
        "replaced with surveyed data before decisions are taken."
    )
    return (
        f"<h2>{esc(_('Data'))}</h2><ul>{files}</ul><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<p>{esc(_('Estimated inputs: {note}.').format(note=estimated_note(region, lang)))}</p><p class='warn'>{esc(warn)}</p>"
    )


def report_html(
    assessment: Assessment,
    *,
    maps: dict[str, str],
    command: str,
    generated: str,
    lang: str = "en",
    scenario=None,
    figures: list[str] = (),
) -> str:
    """The report page: scorecard, links to the maps (and their figures), readings, assumptions and data sources."""
    _ = words(lang)
    region, cat = assessment.region, assessment.catalogue
    title = region_title(region, lang)
    map_links = _map_links(assessment, maps, list(figures), lang)
    scenario_html = ""
    if scenario is not None:
        scenario_html = (
            f"<p class='scenario'><b>{esc(_('Scenario'))}: {esc(scenario.title(lang))}</b> — {esc(scenario.about(lang))}</p>"
        )
    standards_line = _("Standards: {name} ({source}).").format(
        name=cat.name_zh if lang == "zh" else cat.name_en, source=simplified(cat.source_text(lang))
    )
    generated_line = _("Generated {date} by {command}").format(date=generated, command="\x00")
    before, after = generated_line.split("\x00")
    return f"""<!DOCTYPE html>
<html lang="{"zh" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — {esc(_("service coverage report"))}</title>
<style>{_REPORT_CSS}</style></head><body>
<h1>{esc(title)}</h1>
<p class="meta" id="run-info">{esc(before)}<code>{esc(command)}</code>{esc(after)}</p>
{scenario_html}
<h2>{esc(_("Scorecard"))}</h2>
<p>{esc(standards_line)}
{esc(headline(assessment, lang=lang))}</p>
{_scorecard(assessment, maps, lang)}
<p class="legend">{esc(basis_legend(lang))}</p>
<h2>{esc(_("Maps"))}</h2><ul>{map_links}</ul>
<iframe src="{esc(maps["overview"])}" title="{esc(_("overview map"))}"></iframe>
{_fairness(assessment, list(figures), lang)}
{_readings(assessment, lang)}
{_assumptions(assessment, lang)}
{_data(assessment, lang)}
</body></html>
"""


def _fairness(assessment: Assessment, figures: list[str], lang: str) -> str:
    """Inequality of travel times and supply within reach: the table, and the Lorenz curves when drawn."""
    from .fairness import fairness_table

    _ = words(lang)
    table = fairness_table(assessment)
    if table.empty:
        return ""
    head = [
        _("Standard"),
        _("group"),
        _("settlements"),
        _("people"),
        _("mean"),
        _("Gini"),
        _("Theil"),
        _("Palma"),
        _("concentration"),
    ]
    rows = []
    for _i, row in table.iterrows():
        std = assessment.result(row["standard"]).standard
        group = _("all") if row["group"] == "all" else assessment.region.vocabulary.klass(row["group"]).name(lang)
        cells = [std.title(lang), group, row["settlements"], f"{row['people']:,.0f}", f"{row['mean']:,.2f}"]
        cells += ["" if pd.isna(row[c]) else f"{row[c]:.3f}" for c in ("gini", "theil", "palma", "concentration_by_size")]
        rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    note = _(
        "Inequality of minutes to the nearest facility (access standards) and of supply within reach (catchment "
        "standards) among people: 0 = everyone the same. Palma: the share of the top 10 % over the bottom 40 %. "
        "Concentration: ranked by settlement size, negative when the quantity gathers in the small settlements. "
        "Unreachable settlements are left out (fairness.csv counts them)."
    )
    figure = "<p><img src='lorenz.svg' alt='Lorenz' style='max-width:720px'></p>" if "lorenz.svg" in figures else ""
    return (
        f"<h2>{esc(_('Fairness'))}</h2><p>{esc(note)}</p><table><tr>"
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + f"</table>{figure}"
    )


def _map_links(assessment: Assessment, maps: dict[str, str], figures: list[str], lang: str) -> str:
    """One line per map: its HTML, and its PNG and SVG for the report; then the unit standards' figures."""
    _ = words(lang)

    def files(stem: str) -> str:
        got = [f for f in (f"{stem}.png", f"{stem}.svg") if f in figures]
        return "".join(f" · <a href='{esc(f)}'>{esc(f.rsplit('.', 1)[1].upper())}</a>" for f in got)

    items = [
        f"<li><a href='{esc(f)}'>{esc(_map_label(assessment, k, lang))}</a>{files(f.rsplit('.', 1)[0])}</li>"
        for k, f in maps.items()
    ]
    listed = {f.rsplit(".", 1)[0] for f in maps.values()}
    for r in assessment.results:
        stem = f"{kind_of(r.standard).name}-{r.standard.id}"
        if stem not in listed and f"{stem}.png" in figures:
            label = _("figure: {title}").format(title=r.standard.title(lang))
            items.append(f"<li>{esc(label)}{files(stem)}</li>")
    return "".join(items)


def _map_label(assessment: Assessment, key: str, lang: str) -> str:
    _ = words(lang)
    if key == "overview":
        return _("overview: standards not met per settlement")
    if key in kind_names():
        return _(kind_of(key).map_label)
    return assessment.result(key).standard.title(lang)


_REPORT_CSS = """
body{font:14px sans-serif;margin:20px;max-width:1400px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top}
th{background:#eee}.verdict{white-space:nowrap;font-weight:bold}.met{background:#cfe6f5}.notmet{background:#f6d2b8}
.nottested{background:#eeeeee;color:#555}
.meta{color:#555}.warn{color:#8a3b00}.legend{font-size:12px;color:#333}.scenario{background:#fff7d6;padding:6px}
iframe{width:100%;height:600px;border:1px solid #999}
"""
