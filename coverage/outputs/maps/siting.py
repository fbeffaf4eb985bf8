"""The before/after map of a siting answer."""

from __future__ import annotations

import folium
from branca.element import Element

from ...standards.assessment import Assessment
from ...text import fmt_count, words
from ...travel._seam import eligible_facilities
from ..report import target_text
from ._layers import BANDS, PROPOSED, UNREACHABLE, _data_notes, _facility_features, _facility_legend, _fit, base_map
from ._leaflet import JsonLayer, MapScript, _feature, _legend_html, _table, esc
from .access import _add_failing_panel, _settlement_features

__all__ = ["siting_map"]


def siting_map(
    before: Assessment, after: Assessment, plan, std_id: str, *, lang: str = "en", tiles: str | None = None, cdn: bool = False
) -> folium.Map:
    """Before/after map of a siting answer: settlements as they are and after building (a switch), and the proposed sites."""
    _ = words(lang)
    rb, ra = before.result(std_id), after.result(std_id)
    std = ra.standard
    region = after.region
    title = _("{title}: {n} proposed site(s)").format(title=std.title(lang), n=len(plan.sites))
    m = base_map(after, title=title, lang=lang, tiles=tiles, cdn=cdn)
    if len(ra.detail):
        _fit(m, region.settlements.geometry.loc[ra.detail.index])
    existing = eligible_facilities(before.region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    feats = _facility_features(before, existing["facility_type"].unique(), lang, only=existing.index)
    JsonLayer(feats, name=_("existing facilities")).add_to(m)
    after_layer = JsonLayer(_settlement_features(after, ra, lang), name=_("settlements after building"), overlay=False)
    before_layer = JsonLayer(_settlement_features(before, rb, lang), name=_("settlements as they are"), overlay=False, show=False)
    after_layer.add_to(m)
    before_layer.add_to(m)
    for layer in (after_layer, before_layer):
        MapScript("cpSpread({map}, {layer});", layer).add_to(m)
    JsonLayer(_site_features(plan, lang), name=_("proposed sites")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [("circle", c, _(label)) for _f, c, label in BANDS] + [("circle", UNREACHABLE, _("unreachable"))]
    rows += _facility_legend(region, existing["facility_type"].unique(), lang)
    rows.append(("star", PROPOSED, _("proposed site (numbered in build order)")))
    notes = [
        _("Switch between 'as they are' and 'after building' in the layer list."),
        _("Target: {target}").format(target=target_text(std, region, lang)),
        *_data_notes(after, lang),
    ]
    m.get_root().html.add_child(Element(_legend_html(_("Minutes to the nearest facility"), rows, notes)), name="cp_legend")
    _add_failing_panel(m, after, ra, lang, title=_("After building: settlements not meeting the standard ({n})"))
    return m


def _site_features(plan, lang: str) -> list[dict]:
    _ = words(lang)
    feats = []
    for row in plan.sites.itertuples():
        popup = _table(
            [
                (_("Proposed site"), f"#{row.rank}"),
                (_("Candidate"), row.candidate),
                (_("Name"), row.name),
                (_("Lon, lat"), f"{row.lon:.5f}, {row.lat:.5f}"),
                (_("Nearest settlement"), f"{row.nearest_settlement_name} ({row.distance_km:g} km)"),
                (_("Newly covered"), fmt_count(row.newly_covered)),
                (_("Settlements"), row.settlements),
            ]
        )
        icon = {
            "html": f"<div class='cp-new'><span>★</span><b>{row.rank}</b></div>",
            "className": "cp-fac-wrap",
            "iconSize": [30, 30],
            "iconAnchor": [15, 34],  # above its point, so the settlement under it stays visible
        }
        feats.append(_feature(row.geometry, _icon=icon, _popup=popup, _tooltip=esc(_("proposed site #{n}").format(n=row.rank))))
    return feats
