"""Unit maps: presence and ratio standards per unit."""

from __future__ import annotations

import folium
import numpy as np
from branca.element import Element

from ...standards._base import MET, NOT_MET, NOT_TESTED, verdict_word
from ...standards.assessment import Assessment
from ...standards.catalogue import PresenceStandard, RatioStandard
from ...text import display_name, fmt_against, fmt_count, words
from ._layers import COUNT_COLOURS, NOT_TESTED_GREY, base_map
from ._leaflet import JsonLayer, _feature, _legend_html, _table, esc

__all__ = ["unit_map"]


def _unit_row(std, row, code, region, lang: str) -> tuple[str, list, str]:
    """Colour, popup lines and status of one unit for a presence or ratio standard."""
    _ = words(lang)
    if isinstance(std, PresenceStandard):
        missing = row["missing"]
        if row["verdict"] == NOT_TESTED:
            colour = NOT_TESTED_GREY
        else:
            colour = COUNT_COLOURS[0] if missing == 0 else COUNT_COLOURS[min(int(np.ceil(missing)) + 1, len(COUNT_COLOURS) - 1)]
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
        return colour, lines, status
    assert isinstance(std, RatioStandard)
    meets = row["verdict"] == MET
    colour = NOT_TESTED_GREY if row["verdict"] == NOT_TESTED else (COUNT_COLOURS[0] if meets else COUNT_COLOURS[3])
    value = fmt_against(row["value"], std.min_value, meets, upper=False, decimals=2) if np.isfinite(row["value"]) else "-"
    lines = [
        (_("value"), f"{value} {std.unit(lang)}"),
        (_("floor"), f"{std.min_value:g}"),
        (_("numerator"), f"{fmt_count(row['numerator'])} ({row['numerator_field']})"),
        (_("denominator"), f"{fmt_count(row['denominator'])} ({row['denominator_field']})"),
        (_("shortfall"), fmt_count(row["shortfall"])),
    ]
    return colour, lines, verdict_word(row["verdict"], lang)


def unit_map(assessment: Assessment, kind: str, *, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """Presence or ratio standards per unit: one layer per standard (a radio choice), units coloured by shortfall."""
    _ = words(lang)
    region = assessment.region
    title = _("Facilities per unit") if kind == "presence" else _("Ratios")
    m = base_map(assessment, title=title, lang=lang, tiles=tiles, cdn=cdn)
    geoms = {region.vocabulary.region_level: region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    results = [r for r in assessment.results if r.standard.kind == kind and not r.detail.empty]
    # Open on the first standard not met: that is what the planner came to see.
    shown = next((r for r in results if r.verdict == NOT_MET), results[0] if results else None)
    for r in results:
        std = r.standard
        feats = []
        for code, row in r.detail.sort_index().iterrows():
            colour, lines, status = _unit_row(std, row, code, region, lang)
            popup = _table(
                [
                    (_("Standard"), std.title(lang)),
                    (_("Section"), std.section),
                    (_("Unit"), f"{display_name(row, lang, code)} ({code})"),
                    *lines,
                    (_("Verdict"), status),
                ]
            )
            tip = f"{display_name(row, lang, code)}: {status}"
            feats.append(
                _feature(
                    geoms[code],
                    _style={"color": "#333", "weight": 1, "fillColor": colour, "fillOpacity": 0.55},
                    _popup=popup,
                    _tooltip=esc(tip),
                )
            )
        name = f"{std.title(lang)} — {verdict_word(r.verdict, lang)}"
        JsonLayer(feats, name=name, show=r is shown, overlay=False).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [
        ("square", COUNT_COLOURS[0], _("meets the standard")),
        ("square", COUNT_COLOURS[2], _("1 facility missing")),
        ("square", COUNT_COLOURS[3], _("2 missing (ratio: below the floor)")),
        ("square", COUNT_COLOURS[4], _("3 or more missing")),
        ("square", NOT_TESTED_GREY, _("not tested")),
    ]
    notes = [_("Choose the standard in the layer list (one at a time)."), _("Dashed unit outlines are schematic.")]
    m.get_root().html.add_child(Element(_legend_html(title, rows, notes)), name="cp_legend")
    return m
