"""The layers every map shares: boundaries, roads, facilities, colours, legends of the data."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...i18n import N_
from ...provenance import is_estimated
from ...standards.assessment import Assessment
from ...text import display_name, words
from ..report import region_title
from ._leaflet import JsonLayer, _feature, _table, blank_map, esc

__all__ = ["base_map"]

# Verdict colours (Okabe-Ito; safe for the common colour-vision deficiencies).
BANDS = [
    (0.5, "#0072B2", N_("at most half the limit")),
    (1.0, "#56B4E9", N_("within the limit")),
    (1.5, "#E69F00", N_("up to 50 % over the limit")),
    (2.0, "#D55E00", N_("50-100 % over the limit")),
    (np.inf, "#7F2704", N_("more than double the limit")),
]


UNREACHABLE = "#000000"


COUNT_COLOURS = ["#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#7F2704"]


NOT_TESTED_GREY = "#BBBBBB"


PROPOSED = "#FFD700"


ROAD_STYLE = {
    "motorway": (4, "#444"),
    "trunk": (4, "#444"),
    "primary": (3.5, "#555"),
    "secondary": (3, "#666"),
    "tertiary": (2.5, "#777"),
    "unclassified": (2, "#888"),
    "residential": (1.5, "#999"),
    "track": (1.5, "#A0785A"),
    "service": (1, "#aaa"),
}


def base_map(assessment: Assessment, *, title: str, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """A map of the region: boundary, units and roads, a metric scale, offline unless ``cdn``/``tiles`` say otherwise."""
    region = assessment.region
    m = blank_map(region.boundary.bounds, title=title, lang=lang, tiles=tiles, cdn=cdn)
    _add_units(m, assessment, lang)
    _add_roads(m, region, lang)
    return m


def _share_colour(share: float | None) -> str:
    if share is None:
        return "#BBBBBB"
    for floor, colour in zip((1.0, 0.75, 0.5, 0.25), COUNT_COLOURS, strict=False):
        if share >= floor - 1e-12:
            return colour
    return COUNT_COLOURS[-1]


def _add_units(m: folium.Map, assessment: Assessment, lang: str) -> None:
    _ = words(lang)
    region = assessment.region
    schematic_units = len(region.units) and region.units["geom_source"].map(is_estimated).any()
    feats = [
        _feature(
            region.boundary,
            _style={
                "color": "#222",
                "weight": 3,
                "fill": False,
                "dashArray": "8 4" if schematic_units or region.boundary_estimated else None,
            },
            _tooltip=esc(region_title(region, lang)),
        )
    ]
    top = region.vocabulary.unit_levels[0] if region.vocabulary.unit_levels else ""
    for code, u in region.units.iterrows():
        upper = u["level"] == top
        schematic = is_estimated(u["geom_source"])
        feats.append(
            _feature(
                u.geometry,
                _style={
                    "color": "#444" if upper else "#888",
                    "weight": 2 if upper else 1,
                    "fill": False,
                    "dashArray": "6 4" if schematic else None,
                },
                _tooltip=esc(f"{display_name(u, lang, code)} ({code})" + (_(" — schematic outline") if schematic else "")),
            )
        )
    JsonLayer(feats, name=_("boundaries")).add_to(m)


def _add_roads(m: folium.Map, region, lang: str) -> None:
    if region.network is None:
        return
    _ = words(lang)
    edges = region.network.edges_gdf()
    keep = edges.clip_by_rect(*region.boundary.buffer(0.3).bounds)
    edges = edges.assign(geometry=keep)[~keep.is_empty]
    feats = []
    for hw, group in edges.groupby("highway", sort=True):
        weight, colour = ROAD_STYLE.get(hw, (1, "#aaa"))
        for schematic, sub in group.groupby("schematic", sort=True):
            geom = shapely.line_merge(shapely.union_all(sub.geometry.to_numpy()))
            feats.append(
                _feature(
                    geom,
                    _style={"color": colour, "weight": weight, "opacity": 0.8, "dashArray": "4 4" if schematic else None},
                    _tooltip=esc(f"{hw}" + (_(" — schematic, not surveyed") if schematic else "")),
                )
            )
    JsonLayer(feats, name=_("roads")).add_to(m)


def _fit(m: folium.Map, points: gpd.GeoSeries) -> None:
    """Open on these points, clear of the title, the legend (bottom left) and the side panel (bottom right)."""
    minx, miny, maxx, maxy = gpd.GeoSeries(points).total_bounds
    if not np.isfinite([minx, miny, maxx, maxy]).all():  # no point to open on: the map keeps the region's view
        return
    m.fit_bounds(
        [[miny - 0.01, minx - 0.01], [maxy + 0.01, maxx + 0.01]], padding_top_left=(340, 60), padding_bottom_right=(320, 40)
    )


def _facility_icon(colour: str, glyph: str, estimated: bool) -> dict:
    border = "2px dashed #222" if estimated else "2px solid #222"
    return {
        "html": f"<div class='cp-fac' style='background:{esc(colour)};border:{border}'>{esc(glyph)}</div>",
        "className": "cp-fac-wrap",
        "iconSize": [22, 22],
        "iconAnchor": [11, 11],
    }


def _facility_features(assessment: Assessment, types, lang: str, only=None) -> list[dict]:
    _ = words(lang)
    region = assessment.region
    f = region.facilities[region.facilities["facility_type"].isin(list(types))]
    if only is not None:
        f = f[f.index.isin(only)]
    feats = []
    for fid, row in f.sort_index().iterrows():
        ft = region.facility_types[row["facility_type"]]
        popup = _table(
            [
                (_("Facility"), display_name(row, lang, fid)),
                (_("Type"), ft.name(lang)),
                (_("Id"), fid),
                (_("Quantity"), f"{row['quantity']:g}"),
                (_("Beds"), "" if pd.isna(row.get("beds")) else f"{row['beds']:g}"),
                (_("Location source"), row["coord_source"]),
                (_("Attribute source"), row["attr_source"]),
                (_("In the region"), _("yes") if row["in_region"] else _("no (outside the region)")),
            ]
        )
        feats.append(
            _feature(
                row.geometry,
                _icon=_facility_icon(ft.colour, ft.mark(lang), is_estimated(row["coord_source"])),
                _popup=popup,
                _tooltip=esc(f"{display_name(row, lang, fid)} ({ft.name(lang)})"),
            )
        )
    return feats


def _facility_legend(region, types, lang: str) -> list[tuple[str, str, str]]:
    seen, rows = set(), []
    for t in sorted(set(types)):
        ft = region.facility_types[t]
        if t not in seen:
            rows.append(("square", ft.colour, f"{ft.mark(lang)} {ft.name(lang)}"))
            seen.add(t)
    return rows


def _band(minutes: float, limit: float, lang: str) -> tuple[str, str]:
    _ = words(lang)
    if not np.isfinite(minutes):
        return UNREACHABLE, _("unreachable")
    for frac, colour, label in BANDS:
        if minutes <= limit * frac * (1 + 1e-9):
            return colour, _(label)
    return BANDS[-1][1], _(BANDS[-1][2])


def _radius(pop: float) -> float:
    """A circle's radius in pixels for a population (a small fixed circle where it is unknown)."""
    if not np.isfinite(pop):
        return 5.0
    return float(min(4 + 2.2 * np.sqrt(max(pop, 0) / 100), 22))


def _data_notes(assessment: Assessment, lang: str) -> list[str]:
    _ = words(lang)
    region = assessment.region
    n_est = int(region.settlements["coord_source"].map(is_estimated).sum())
    n_fac = int(region.facilities["coord_source"].map(is_estimated).sum())
    notes = [
        _("Dashed outline = estimated location; dashed road = schematic, not surveyed."),
        _("{n} of {total} settlement points and {nf} of {totalf} facility points are estimated.").format(
            n=n_est, total=len(region.settlements), nf=n_fac, totalf=len(region.facilities)
        ),
    ]
    if region.counts_settlements:
        notes.append(_("Demand: each settlement counts as one (settlements, not people); circles are not sized by people."))
    return notes
