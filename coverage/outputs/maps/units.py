"""Unit maps: presence and ratio standards per unit."""

from __future__ import annotations

import folium
from branca.element import Element

from ...standards._base import NOT_MET, verdict_word
from ...standards.assessment import Assessment
from ...standards.kinds import kind_of
from ...text import display_name, words
from ._layers import COUNT_COLOURS, NOT_TESTED_GREY, base_map
from ._leaflet import JsonLayer, _feature, _legend_html, _table, esc

__all__ = ["unit_map"]


def unit_map(assessment: Assessment, kind: str, *, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """Presence or ratio standards per unit: one layer per standard (a radio choice), units coloured by shortfall."""
    _ = words(lang)
    region = assessment.region
    kind = kind_of(kind)
    title = _(kind.map_title)
    m = base_map(assessment, title=title, lang=lang, tiles=tiles, cdn=cdn)
    geoms = {region.vocabulary.region_level: region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    results = [r for r in assessment.results if kind_of(r.standard) is kind and not r.detail.empty]
    # Open on the first standard not met: that is what the planner came to see.
    shown = next((r for r in results if r.verdict == NOT_MET), results[0] if results else None)
    for r in results:
        std = r.standard
        feats = []
        for code, row in r.detail.sort_index().iterrows():
            severity, lines, status = kind.unit_style(std, row, code, region, lang)
            colour = NOT_TESTED_GREY if severity is None else COUNT_COLOURS[severity]
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
    # One layer per standard (a radio list of up to 30 titles): folded into its button, so it
    # never covers the map; the legend says to open it.
    folium.LayerControl(collapsed=True).add_to(m)
    rows = [
        ("square", COUNT_COLOURS[0], _("meets the standard")),
        ("square", COUNT_COLOURS[2], _("1 facility missing")),
        ("square", COUNT_COLOURS[3], _("2 missing (ratio: below the floor)")),
        ("square", COUNT_COLOURS[4], _("3 or more missing")),
        ("square", NOT_TESTED_GREY, _("not tested")),
    ]
    notes = [
        _("Choose the standard in the layer list (the button at the top right; one at a time)."),
        _("Dashed unit outlines are schematic."),
    ]
    m.get_root().html.add_child(Element(_legend_html(title, rows, notes)), name="cp_legend")
    return m
