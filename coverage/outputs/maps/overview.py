"""Overviews: standards not met per settlement, and every region of a batch."""

from __future__ import annotations

import folium
import pandas as pd
import shapely
from branca.element import Element

from ...provenance import is_estimated
from ...standards._base import MET, NOT_MET, NOT_TESTED
from ...standards._units import memberships
from ...standards.assessment import Assessment
from ...standards.kinds import kind_of
from ...text import display_name, fmt_count, words
from ._layers import COUNT_COLOURS, _data_notes, _facility_features, _radius, _share_colour, base_map
from ._leaflet import JsonLayer, MapScript, _feature, _legend_html, _table, blank_map, esc

__all__ = ["batch_overview_map", "failures_per_settlement", "overview_map"]


def failures_per_settlement(assessment: Assessment) -> pd.DataFrame:
    """For each settlement: the standards it does not meet (its own access standards and its units' presence standards)."""
    region = assessment.region
    units = memberships(region)[0]
    failed: dict[str, list[str]] = {sid: [] for sid in region.settlements.index}
    for r in assessment.results:
        if r.verdict == NOT_TESTED:
            continue
        for sid in kind_of(r.standard).failing(r, region, units):
            failed[sid].append(r.standard.id)
    return pd.DataFrame(
        {"n_failed": {k: len(v) for k, v in failed.items()}, "failed": {k: ", ".join(v) for k, v in failed.items()}}
    )


def overview_map(assessment: Assessment, *, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """Per settlement, how many standards it does not meet (its own access standards and its units' presence standards)."""
    _ = words(lang)
    region = assessment.region
    m = base_map(assessment, title=_("All standards: standards not met per settlement"), lang=lang, tiles=tiles, cdn=cdn)
    fails = failures_per_settlement(assessment)
    feats = []
    for sid, row in region.settlements.sort_index().iterrows():
        n = int(fails.loc[sid, "n_failed"])
        colour = COUNT_COLOURS[min(n, len(COUNT_COLOURS) - 1)]
        popup = _table(
            [
                (_("Settlement"), display_name(row, lang, sid)),
                (_("Id"), sid),
                (_("Population"), fmt_count(row["population"])),
                (_("Class"), region.vocabulary.klass(row["class"]).name(lang)),
                (_("Standards not met"), n),
                (_("Not met"), fails.loc[sid, "failed"] or "-"),
                (_("Location source"), row["coord_source"]),
            ]
        )
        style = {
            "radius": _radius(row["population"]),
            "fillColor": colour,
            "fillOpacity": 0.9,
            "color": "#000",
            "weight": 1.5,
            "dashArray": "3 3" if is_estimated(row["coord_source"]) else None,
        }
        tip = _("{name}: {n} not met").format(name=display_name(row, lang, sid), n=n)
        feats.append(_feature(row.geometry, _style=style, _popup=popup, _tooltip=esc(tip)))
    types = sorted(set(region.facilities["facility_type"]))
    JsonLayer(_facility_features(assessment, types, lang), name=_("facilities"), show=False).add_to(m)
    layer = JsonLayer(feats, name=_("settlements"))
    layer.add_to(m)
    MapScript("cpSpread({map}, {layer});", layer).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [("circle", c, _count_label(k, k == len(COUNT_COLOURS) - 1, lang)) for k, c in enumerate(COUNT_COLOURS)]
    notes = [*_data_notes(assessment, lang), _("Standards not tested are not counted.")]
    m.get_root().html.add_child(Element(_legend_html(_("Standards not met"), rows, notes)), name="cp_legend")
    return m


def batch_overview_map(results: list[dict], *, lang: str = "en") -> folium.Map:
    """Every region of a batch, coloured by the share of its tested standards that are met; failed regions grey."""
    _ = words(lang)
    shapes = {r["region"]: shapely.from_wkt(r["boundary"]) for r in results if r.get("boundary")}
    bounds = shapely.union_all(list(shapes.values())).bounds if shapes else (73.0, 18.0, 135.0, 54.0)
    m = blank_map(bounds, title=_("Regions: share of tested standards met"), lang=lang)
    feats = []
    for r in sorted(results, key=lambda r: r["region"]):
        verdicts = [row["verdict"] for row in r["rows"]]
        met, not_met = verdicts.count(MET), verdicts.count(NOT_MET)
        share = met / (met + not_met) if met + not_met else None
        geom = shapes.get(r["region"])
        if geom is None:
            continue
        tip = (
            _("{name}: failed - {error}").format(name=r["region"], error=r["error"])
            if r["error"]
            else _("{name}: {met} met, {not_met} not met, {not_tested} not tested").format(
                name=r["region"], met=met, not_met=not_met, not_tested=len(verdicts) - met - not_met
            )
        )
        style = {"color": "#222", "weight": 1, "fillColor": _share_colour(share), "fillOpacity": 0.6}
        feats.append(_feature(geom, _style=style, _tooltip=esc(tip)))
    JsonLayer(feats, name=_("regions")).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _count_label(k: int, more: bool, lang: str) -> str:
    """A legend row: ``1 standard not met``, ``2 standards not met``, ``3+ standards not met``."""
    _ = words(lang)
    if k == 1 and not more:
        return _("1 standard not met")
    return _("{k}{plus} standards not met").format(k=k, plus="+" if more else "")
