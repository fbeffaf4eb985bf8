"""Gap maps (folium) and the HTML report: self-contained, offline, escaped.

The maps need nothing but Leaflet: layers are plain ``L.geoJSON`` with circle
markers, ``L.divIcon`` glyphs for facilities and popups bound from feature
properties, so folium's jQuery, Bootstrap, Font Awesome, awesome-markers and d3
are not needed.  By default Leaflet itself (from the ``xstatic-leaflet``
package) is inlined, so no request leaves the page; ``cdn=True`` keeps folium's
links.  Every user-supplied string is HTML-escaped before it reaches a popup,
tooltip, legend, layer name or the report; JSON embedded in scripts escapes
``<``, ``>`` and ``&`` so no string can close a ``<script>``.

The functions return :class:`folium.Map` objects; only :func:`save_map` and
:func:`write_report_and_maps` write files.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from jinja2 import Template

from . import io
from .assessment import Assessment, StandardResult, settlement_units
from .standards import AccessStandard, PresenceStandard, RatioStandard
from .travel import eligible_facilities, lonlat

__all__ = [
    "access_map",
    "overview_map",
    "render_html",
    "report_html",
    "save_map",
    "siting_map",
    "unit_map",
    "write_report_and_maps",
]

# Okabe-Ito colours (safe for the common colour-vision deficiencies): blues pass,
# orange to red fail; unreachable is black.
BANDS = [
    (0.5, "#0072B2", "≤ 50 % of the limit / 不超过时限一半"),
    (1.0, "#56B4E9", "within the limit / 达标"),
    (1.5, "#E69F00", "up to 50 % over / 超出 ≤50%"),
    (2.0, "#D55E00", "50-100 % over / 超出 50-100%"),
    (np.inf, "#7F2704", "more than double / 超出一倍以上"),
]
UNREACHABLE = "#000000"
COUNT_COLOURS = ["#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#7F2704"]
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
TILES = {"osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors")}


def esc(value) -> str:
    """HTML-escape anything for display (None and NaN become empty)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def js_json(obj) -> str:
    """JSON safe to embed inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


class JsonLayer(folium.map.Layer):
    """A GeoJSON overlay whose features carry their own style, icon, popup and tooltip.

    Feature properties used: ``_style`` (Leaflet path options; points become circle
    markers with its ``radius``), ``_icon`` (``L.divIcon`` options: points become
    markers), ``_popup`` and ``_tooltip`` (HTML, already escaped).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
            pointToLayer: function (f, latlng) {
                if (f.properties._icon) { return L.marker(latlng, {icon: L.divIcon(f.properties._icon)}); }
                return L.circleMarker(latlng, f.properties._style || {});
            },
            style: function (f) { return f.properties._style || {}; },
            onEachFeature: function (f, layer) {
                if (f.properties._popup) { layer.bindPopup(f.properties._popup, {maxWidth: 380}); }
                if (f.properties._tooltip) { layer.bindTooltip(f.properties._tooltip); }
            }
        });
        {% endmacro %}
    """)

    def __init__(self, features: list[dict], *, name: str, show: bool = True):
        super().__init__(name=esc(name), overlay=True, control=True, show=show)
        self._name = "JsonLayer"
        self.data = js_json({"type": "FeatureCollection", "features": features})


def _feature(geom, **props) -> dict:
    return {"type": "Feature", "geometry": _round_geojson(shapely.geometry.mapping(geom)), "properties": props}


def _round_geojson(obj):
    if isinstance(obj, dict):
        return {k: _round_geojson(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_round_geojson(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def _table(rows: list[tuple[str, object]]) -> str:
    return "<table class='cp-pop'>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</table>"


def _is_estimated(text: str) -> bool:
    t = str(text).lower()
    return "estimat" in t or "schematic" in t or "assum" in t


# --- the base map ---------------------------------------------------------------------------


def base_map(assessment: Assessment, *, title: str, tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """A map of the region: boundary, units and roads, offline unless ``cdn``/``tiles`` say otherwise."""
    region = assessment.region
    minx, miny, maxx, maxy = region.boundary.bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=9, control_scale=True, prefer_canvas=False
    )
    if not cdn:
        # Nothing but Leaflet is needed; it is inlined from the xstatic-leaflet package below.
        m.default_js = []
        m.default_css = []
        assets = io.read_leaflet_assets()
        header = m.get_root().header
        header.add_child(Element(f"<style>{assets['css']}</style>"), name="leaflet_css_inline")
        header.add_child(Element(f"<script>{assets['js']}</script>"), name="leaflet_js_inline")
        header.add_child(
            Element(
                "<script>L.Icon.Default.imagePath='';"
                f"L.Icon.Default.prototype.options.iconUrl={js_json(assets['icon'])};"
                f"L.Icon.Default.prototype.options.iconRetinaUrl={js_json(assets['icon_2x'])};"
                f"L.Icon.Default.prototype.options.shadowUrl={js_json(assets['shadow'])};</script>"
            ),
            name="leaflet_icons",
        )
    m.get_root().header.add_child(Element(f"<style>{_CSS}</style>"), name="cp_css")
    m.get_root().html.add_child(Element(f"<div class='cp-title'>{esc(title)}</div>"), name="cp_title")
    if tiles:
        _add_tiles(m, tiles)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    _add_units(m, assessment)
    _add_roads(m, region)
    return m


def _add_tiles(m: folium.Map, tiles: str) -> None:
    from .errors import CoverageError

    key = tiles.lower()
    if key in TILES:
        url, attr = TILES[key]
    elif key.startswith("tianditu:"):
        tk = tiles.split(":", 1)[1]
        url = (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
            f"&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tk}"
        )
        attr = "© 天地图 Tianditu"
    elif key in ("amap", "gaode", "baidu"):
        raise CoverageError(
            f"--tiles {tiles}: these tiles are in GCJ-02/BD-09 and would sit 300-600 m off the WGS84 "
            "data; use --tiles tianditu:YOUR_KEY (CGCS2000, aligned) or osm."
        )
    elif key.startswith(("http://", "https://")) and "{z}" in tiles:
        url, attr = tiles, "basemap: " + tiles.split("/")[2]
    else:
        raise CoverageError(f"--tiles {tiles}: use osm, tianditu:KEY or a URL with {{z}}/{{x}}/{{y}}.")
    folium.TileLayer(
        tiles=url,
        attr=esc(attr),
        name="basemap (online)",
        overlay=False,
        control=True,
        subdomains="01234567" if "tianditu" in key else "abc",
    ).add_to(m)


def _add_units(m: folium.Map, assessment: Assessment) -> None:
    region = assessment.region
    feats = [
        _feature(
            region.boundary,
            _style={
                "color": "#222",
                "weight": 3,
                "fill": False,
                # The zone outline is as schematic as the unit polygons it is made of.
                "dashArray": "8 4" if len(region.units) and region.units["geom_source"].map(_is_estimated).any() else None,
            },
            _tooltip=esc(f"{region.name_zh} / {region.name_en}"),
        )
    ]
    for code, u in region.units.iterrows():
        town = u["level"] == "town"
        schematic = _is_estimated(u["geom_source"])
        feats.append(
            _feature(
                u.geometry,
                _style={
                    "color": "#444" if town else "#888",
                    "weight": 2 if town else 1,
                    "fill": False,
                    "dashArray": "6 4" if schematic else None,
                },
                _tooltip=esc(f"{u['name_zh']} / {u['name_en']} ({code})" + (" — schematic outline" if schematic else "")),
            )
        )
    JsonLayer(feats, name="boundaries / 边界").add_to(m)


def _add_roads(m: folium.Map, region) -> None:
    net = region.network
    edges = net.edges_gdf()
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
                    _tooltip=esc(f"{hw}" + (" — schematic, not surveyed / 示意道路" if schematic else "")),
                )
            )
    JsonLayer(feats, name="roads / 道路").add_to(m)


# --- access maps -----------------------------------------------------------------------------


def _band(minutes: float, limit: float) -> tuple[str, str]:
    if not np.isfinite(minutes):
        return UNREACHABLE, "unreachable / 不可达"
    for frac, colour, label in BANDS:
        if minutes <= limit * frac * (1 + 1e-9):
            return colour, label
    return BANDS[-1][1], BANDS[-1][2]


def _radius(pop: float) -> float:
    return float(min(4 + 2.2 * np.sqrt(max(pop, 0) / 100), 22))


def _facility_features(assessment: Assessment, types, *, name_of=None) -> list[dict]:
    region = assessment.region
    f = region.facilities[region.facilities["facility_type"].isin(types)]
    feats = []
    for fid, row in f.sort_index().iterrows():
        ft = region.facility_types[row["facility_type"]]
        est = _is_estimated(row["coord_source"])
        border = "2px dashed #222" if est else "2px solid #222"
        icon_html = f"<div class='cp-fac' style='background:{esc(ft.colour)};border:{border}'>{esc(ft.glyph)}</div>"
        popup = _table(
            [
                ("设施 / Facility", f"{row['name_zh']} / {row['name_en']}"),
                ("类型 / Type", f"{ft.zh} / {ft.en}"),
                ("编号 / Id", fid),
                ("数量 / Quantity", f"{row['quantity']:g}"),
                ("床位 / Beds", "" if pd.isna(row["beds"]) else f"{row['beds']:g}"),
                ("位置来源 / Location source", row["coord_source"]),
                ("属性来源 / Attribute source", row["attr_source"]),
                ("区内 / In region", "yes" if row["in_region"] else "no (referral, outside the region)"),
            ]
        )
        feats.append(
            _feature(
                row.geometry,
                _icon={"html": icon_html, "className": "cp-fac-wrap", "iconSize": [22, 22], "iconAnchor": [11, 11]},
                _popup=popup,
                _tooltip=esc(f"{row['name_zh']} / {row['name_en']}"),
            )
        )
    return feats


def access_map(
    assessment: Assessment, std_id: str, *, tiles: str | None = None, cdn: bool = False, with_service_area: bool = True
) -> folium.Map:
    """The gap map of one access standard.

    Settlements coloured by minutes to the nearest eligible facility relative to
    the standard's limit and sized by population; eligible facilities; the
    service area within the limit (including the off-road fringe); a side panel
    listing failing settlements with their shortfall.
    """
    r = assessment.result(std_id)
    std = r.standard
    if not isinstance(std, AccessStandard):
        raise ValueError(f"{std_id} is not an access standard")
    region = assessment.region
    m = base_map(assessment, title=f"{std.title_zh} / {std.title_en} — {r.verdict}", tiles=tiles, cdn=cdn)
    if len(r.detail):
        # Open on the settlements the standard applies to (the town blocks for walking standards).
        minx, miny, maxx, maxy = gpd.GeoSeries(region.settlements.geometry.loc[r.detail.index]).total_bounds
        m.fit_bounds([[miny - 0.01, minx - 0.01], [maxy + 0.01, maxx + 0.01]])
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    if with_service_area and len(eligible):
        model = region.travel_model(std.profile)
        area = model.service_area(lonlat(eligible), std.max_minutes * 60.0)
        # Simplify to about 25 m (driving) or 5 m (walking), in degrees of latitude.
        area_wgs = area.simplify((25.0 if std.profile == "drive" else 5.0) / 111_000)
        JsonLayer(
            [
                _feature(
                    area_wgs,
                    _style={"color": "#0072B2", "weight": 1, "fillColor": "#56B4E9", "fillOpacity": 0.18},
                    _tooltip=esc(
                        f"reachable within {std.max_minutes:g} min ({std.profile}, incl. off-road "
                        f"{region.profiles[std.profile].offroad_kmh:g} km/h) / {std.max_minutes:g}分钟可达范围"
                    ),
                )
            ],
            name=f"service area {std.max_minutes:g} min / 服务范围",
        ).add_to(m)
    JsonLayer(_facility_features(assessment, std.facility_types), name="facilities / 设施").add_to(m)
    JsonLayer(_settlement_features(assessment, r), name="settlements / 居民点").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _add_legend(m, assessment, r)
    _add_failing_panel(m, r)
    return m


def _settlement_features(assessment: Assessment, r: StandardResult) -> list[dict]:
    std = r.standard
    region = assessment.region
    feats = []
    for sid, row in r.detail.sort_index().iterrows():
        colour, label = _band(row["minutes"], std.max_minutes)
        est = _is_estimated(row["coord_source"])
        minutes = "unreachable / 不可达" if not np.isfinite(row["minutes"]) else f"{row['minutes']:.1f}"
        verdict = (
            "PASS 达标"
            if row["passes"]
            else f"FAIL 未达标 (+{row['shortfall_min']:.1f} min)"
            if np.isfinite(row["shortfall_min"])
            else "FAIL 未达标 (unreachable)"
        )
        fac = region.facilities.loc[row["nearest_facility"]] if row["nearest_facility"] else None
        popup = _table(
            [
                ("居民点 / Settlement", f"{row['name_zh']} / {row['name_en']}"),
                ("编号 / Id", sid),
                ("人口 / Population", f"{row['population']:,.0f}"),
                (f"分钟 / Minutes (limit {std.max_minutes:g})", minutes),
                ("最近设施 / Nearest facility", "" if fac is None else f"{fac['name_zh']} / {fac['name_en']}"),
                ("路径 / Route", {"road": "road network / 道路", "direct": "across country / 越野直达"}.get(row["via"], "-")),
                ("到道路距离 / To the road", f"{row['snap_m'] / 1000:.2f} km"),
                ("结论 / Verdict", verdict),
                ("原因 / Why", row["reason"]),
                ("位置来源 / Location source", row["coord_source"]),
            ]
        )
        style = {
            "radius": _radius(row["population"]),
            "fillColor": colour,
            "fillOpacity": 0.9,
            "color": "#000" if not row["passes"] else "#fff",
            "weight": 2.5 if not row["passes"] else 1.5,
            "dashArray": "3 3" if est else None,
        }
        feats.append(
            _feature(
                region.settlements.geometry.loc[sid],
                _style=style,
                _popup=popup,
                _tooltip=esc(f"{row['name_zh']} {minutes} min — {label}"),
            )
        )
    return feats


def _legend_html(title: str, rows: list[tuple[str, str]], notes: list[str]) -> str:
    items = "".join(f"<div><span class='cp-sw' style='background:{esc(c)}'></span>{esc(t)}</div>" for c, t in rows)
    return (
        f"<div class='cp-legend'><b>{esc(title)}</b>{items}"
        + "".join(f"<div class='cp-note'>{esc(n)}</div>" for n in notes)
        + "</div>"
    )


def _data_notes(assessment: Assessment) -> list[str]:
    region = assessment.region
    notes = [
        "Dashed outline = estimated location / 虚线边框 = 估算位置",
        "Dashed road = schematic, not surveyed / 虚线道路 = 示意",
    ]
    n_est = int(region.settlements["coord_source"].map(_is_estimated).sum())
    n_fac = int(region.facilities["coord_source"].map(_is_estimated).sum())
    notes.append(
        f"{n_est} of {len(region.settlements)} settlement points and {n_fac} of {len(region.facilities)} "
        "facility points are estimated."
    )
    return notes


def _add_legend(m: folium.Map, assessment: Assessment, r: StandardResult) -> None:
    std = r.standard
    rows = [(c, f"{label}") for _, c, label in BANDS] + [(UNREACHABLE, "unreachable / 不可达")]
    types = sorted(set(std.facility_types))
    fac_rows = [
        (
            assessment.region.facility_types[t].colour,
            f"{assessment.region.facility_types[t].glyph} {assessment.region.facility_types[t].zh} / "
            f"{assessment.region.facility_types[t].en}",
        )
        for t in types
    ]
    notes = [
        f"Limit: {std.max_minutes:g} min by {std.profile}; circle size = population; black ring = fails.",
        *_data_notes(assessment),
        f"Standard: {std.wording} ({std.section})",
    ]
    m.get_root().html.add_child(
        Element(_legend_html("Minutes to nearest facility / 到最近设施分钟数", rows + fac_rows, notes)), name="cp_legend"
    )


def _add_failing_panel(m: folium.Map, r: StandardResult) -> None:
    failing = r.detail[~r.detail["passes"]].sort_values(["shortfall_min", "population"], ascending=[False, False])
    items = []
    for _sid, row in failing.iterrows():
        over = "unreachable" if not np.isfinite(row["shortfall_min"]) else f"+{row['shortfall_min']:.1f} min"
        items.append(
            f"<li><b>{esc(row['name_zh'])}</b> {esc(row['name_en'])}: {esc(over)}, "
            f"{row['population']:,.0f} people — {esc(row['reason'])}</li>"
        )
    body = "<ol>" + "".join(items) + "</ol>" if items else "<p>None: every settlement meets this standard.</p>"
    m.get_root().html.add_child(
        Element(f"<div class='cp-panel'><b>Failing settlements / 未达标居民点 ({len(items)})</b>{body}</div>"), name="cp_panel"
    )


# --- overview and unit maps ------------------------------------------------------------------


def failures_per_settlement(assessment: Assessment) -> pd.DataFrame:
    """For each settlement: the standards it fails (access, and presence of its gacha/town)."""
    region = assessment.region
    units = settlement_units(region)
    failed: dict[str, list[str]] = {sid: [] for sid in region.settlements.index}
    for r in assessment.results:
        std = r.standard
        if isinstance(std, AccessStandard):
            for sid in r.detail.index[~r.detail["passes"]]:
                failed[sid].append(std.id)
        elif isinstance(std, PresenceStandard) and std.level in ("gacha", "town"):
            bad = set(r.detail.index[~r.detail["passes"]])
            col = units["gacha" if std.level == "gacha" else "town"]
            for sid in col.index[col.isin(bad)]:
                failed[sid].append(std.id)
    return pd.DataFrame(
        {"n_failed": {k: len(v) for k, v in failed.items()}, "failed": {k: ", ".join(v) for k, v in failed.items()}}
    )


def overview_map(assessment: Assessment, *, tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """Per settlement, how many standards it fails (its own access standards and its unit's presence standards)."""
    region = assessment.region
    m = base_map(assessment, title="All standards: failures per settlement / 各居民点未达标项数", tiles=tiles, cdn=cdn)
    fails = failures_per_settlement(assessment)
    feats = []
    for sid, row in region.settlements.sort_index().iterrows():
        n = int(fails.loc[sid, "n_failed"])
        colour = COUNT_COLOURS[min(n, len(COUNT_COLOURS) - 1)]
        popup = _table(
            [
                ("居民点 / Settlement", f"{row['name_zh']} / {row['name_en']}"),
                ("编号 / Id", sid),
                ("人口 / Population", f"{row['population']:,.0f}"),
                ("类别 / Class", row["class"]),
                ("未达标项数 / Standards failed", n),
                ("未达标 / Failing", fails.loc[sid, "failed"] or "-"),
                ("位置来源 / Location source", row["coord_source"]),
            ]
        )
        style = {
            "radius": _radius(row["population"]),
            "fillColor": colour,
            "fillOpacity": 0.9,
            "color": "#000",
            "weight": 1.5,
            "dashArray": "3 3" if _is_estimated(row["coord_source"]) else None,
        }
        feats.append(_feature(row.geometry, _style=style, _popup=popup, _tooltip=esc(f"{row['name_zh']}: {n} failing")))
    types = sorted(set(region.facilities["facility_type"]))
    JsonLayer(_facility_features(assessment, types), name="facilities / 设施", show=False).add_to(m)
    JsonLayer(feats, name="settlements / 居民点").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [(c, f"{k}{'+' if k == len(COUNT_COLOURS) - 1 else ''} standards failed") for k, c in enumerate(COUNT_COLOURS)]
    m.get_root().html.add_child(
        Element(_legend_html("Standards failed / 未达标项数", rows, _data_notes(assessment))), name="cp_legend"
    )
    return m


def unit_map(assessment: Assessment, kind: str, *, tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """Presence or ratio standards per unit: one layer per standard, units coloured by shortfall."""
    region = assessment.region
    title = "Facilities per unit / 设施配置" if kind == "presence" else "Ratios / 比例指标"
    m = base_map(assessment, title=title, tiles=tiles, cdn=cdn)
    geoms = {"zone": region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    results = [r for r in assessment.results if r.standard.kind == kind and not r.detail.empty]
    # Open on the first failing standard: that is what the planner came to see.
    shown = next((r for r in results if r.verdict == "FAIL"), results[0] if results else None)
    for r in results:
        std = r.standard
        feats = []
        for code, row in r.detail.sort_index().iterrows():
            if isinstance(std, PresenceStandard):
                missing = row["missing"]
                colour = (
                    "#BBBBBB"
                    if not row["eligible"]
                    else COUNT_COLOURS[0]
                    if missing == 0
                    else COUNT_COLOURS[min(int(np.ceil(missing)) + 1, len(COUNT_COLOURS) - 1)]
                )
                lines = [
                    (f"{row[f'req{k}']}", f"{row[f'count{k}']:g} ({row[f'ids{k}'] or '-'})")
                    for k in range(1, len(std.requirements) + 1)
                ]
                status = (
                    "not tested (not concentrated)"
                    if not row["eligible"]
                    else ("PASS" if row["passes"] else f"FAIL: {missing:g} missing")
                )
            else:
                assert isinstance(std, RatioStandard)
                colour = COUNT_COLOURS[0] if row["passes"] else COUNT_COLOURS[3]
                lines = [
                    ("value", f"{row['value']:.2f} {std.unit}"),
                    ("floor", f"{std.min_value:g}"),
                    ("numerator", f"{row['numerator']:g} ({row['numerator_field']})"),
                    ("denominator", f"{row['denominator']:g} ({row['denominator_field']})"),
                    ("shortfall", f"{row['shortfall']:.1f}"),
                ]
                status = "PASS" if row["passes"] else "FAIL"
            popup = _table(
                [
                    ("标准 / Standard", f"{std.title_zh} / {std.title_en}"),
                    ("条款 / Section", std.section),
                    ("单元 / Unit", f"{row['name_zh']} / {row['name_en']} ({code})"),
                    *lines,
                    ("结论 / Verdict", status),
                ]
            )
            feats.append(
                _feature(
                    geoms[code],
                    _style={"color": "#333", "weight": 1, "fillColor": colour, "fillOpacity": 0.55},
                    _popup=popup,
                    _tooltip=esc(f"{row['name_zh']}: {status}"),
                )
            )
        JsonLayer(feats, name=f"{std.id} ({r.verdict})", show=r is shown).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    rows = [
        (COUNT_COLOURS[0], "meets the standard / 达标"),
        (COUNT_COLOURS[2], "1 facility missing / 缺1处"),
        (COUNT_COLOURS[3], "2 missing (ratio: below the floor) / 缺2处"),
        (COUNT_COLOURS[4], "3+ missing / 缺3处以上"),
        ("#BBBBBB", "not tested / 不适用"),
    ]
    m.get_root().html.add_child(
        Element(
            _legend_html(
                title,
                rows,
                ["Unit outlines are schematic where dashed / 虚线为示意边界", "Tick one layer at a time in the layer control."],
            )
        ),
        name="cp_legend",
    )
    return m


def siting_map(
    before: Assessment, after: Assessment, plan, std_id: str, *, tiles: str | None = None, cdn: bool = False
) -> folium.Map:
    """Before/after map of a siting answer: the access map after building, the proposed sites, and who was failing before."""
    m = access_map(after, std_id, tiles=tiles, cdn=cdn)
    feats = []
    for row in plan.sites.itertuples():
        popup = _table(
            [
                ("拟建 / Proposed site", f"#{row.rank}"),
                ("候选 / Candidate", row.candidate),
                ("名称 / Name", row.name),
                ("坐标 / Lon, lat", f"{row.lon:.5f}, {row.lat:.5f}"),
                ("最近居民点 / Nearest settlement", f"{row.nearest_settlement_name} ({row.distance_km:g} km)"),
                ("新增达标 / Newly covered", f"{row.newly_covered:,.0f}"),
                ("居民点 / Settlements", row.settlements),
            ]
        )
        feats.append(
            _feature(
                row.geometry,
                _icon={
                    "html": f"<div class='cp-new'>{row.rank}</div>",
                    "className": "cp-fac-wrap",
                    "iconSize": [26, 26],
                    "iconAnchor": [13, 13],
                },
                _popup=popup,
                _tooltip=esc(f"proposed site #{row.rank}"),
            )
        )
    JsonLayer(feats, name="proposed sites / 拟建选址").add_to(m)
    was = before.result(std_id).detail
    ring = [
        _feature(
            before.region.settlements.geometry.loc[sid],
            _style={"radius": _radius(r["population"]) + 5, "fill": False, "color": "#D55E00", "weight": 2, "dashArray": "2 3"},
            _tooltip=esc(f"{r['name_zh']}: failing before ({r['minutes']:.0f} min)"),
        )
        for sid, r in was[~was["passes"]].sort_index().iterrows()
    ]
    JsonLayer(ring, name="failing before / 原未达标").add_to(m)
    return m


# --- rendering and the report -------------------------------------------------------------------

_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def render_html(m: folium.Map) -> str:
    """The map's HTML with folium's random element ids replaced by sequential ones (stable output)."""
    text = m.get_root().render()
    mapping: dict[str, str] = {}

    def stable(match: re.Match) -> str:
        return mapping.setdefault(match.group(0), f"{len(mapping) + 1:032d}")

    return _ID.sub(stable, text)


def save_map(m: folium.Map, path: Path | str) -> None:
    """Write a map's HTML atomically."""
    io.atomic_write_text(path, render_html(m))


def map_file_names(assessment: Assessment) -> dict[str, str]:
    """Stable file names: ``access-<id>.html``, ``overview.html``, ``presence.html``, ``ratio.html``."""
    names = {"overview": "overview.html"}
    for r in assessment.results:
        if isinstance(r.standard, AccessStandard):
            names[r.standard.id] = f"access-{re.sub(r'[^A-Za-z0-9_.-]', '_', r.standard.id)}.html"
    for kind in ("presence", "ratio"):
        if any(r.standard.kind == kind for r in assessment.results):
            names[kind] = f"{kind}.html"
    return names


def report_html(assessment: Assessment, *, maps: dict[str, str], command: str, generated: str, lang: str = "en") -> str:
    """The report page: scorecard, links to the maps, assumptions and data sources (no script, no external asset)."""
    region, cat = assessment.region, assessment.catalogue
    card = assessment.scorecard(lang)
    head = "".join(f"<th>{esc(c)}</th>" for c in card.columns)
    body = []
    for _, row in card.iterrows():
        verdict = row.iloc[-1]
        cls = "pass" if verdict in ("PASS", "达标") else "fail" if verdict in ("FAIL", "未达标") else ""
        link = maps.get(row["id"]) or maps.get(assessment.result(row["id"]).standard.kind)
        cells = [f"<td><a href='{esc(link)}'>{esc(row['id'])}</a></td>" if link else f"<td>{esc(row['id'])}</td>"]
        cells += [
            f"<td class='{cls}'>{esc(v)}</td>" if k == len(row) - 2 else f"<td>{esc(v)}</td>" for k, v in enumerate(row.iloc[1:])
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    map_links = "".join(f"<li><a href='{esc(f)}'>{esc(k)}</a></li>" for k, f in maps.items())
    prof_rows = []
    for name, p in region.profiles.items():
        speeds = ", ".join(f"{k} {v:g}" for k, v in p.speeds_kmh.items())
        prof_rows.append(
            f"<tr><td>{esc(name)}</td><td>{esc(p.description)}</td><td>{esc(speeds)}</td>"
            f"<td>{p.offroad_kmh:g}</td><td>{p.max_snap_m / 1000:g} km</td><td>{esc(p.source)}</td></tr>"
        )
    est = region.estimated_summary()
    est_rows = "".join(
        f"<tr><td>{esc(r.layer)}</td><td>{esc(r.field)}</td><td>{r.estimated} of {r.total}</td></tr>" for r in est.itertuples()
    )
    files = "".join(f"<li>{esc(k)}: <code>{esc(v)}</code></li>" for k, v in sorted(region.files.items()))
    return f"""<!DOCTYPE html>
<html lang="{"zh" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(region.name_zh)} — service coverage report</title>
<style>{_REPORT_CSS}</style></head><body>
<h1>{esc(region.name_zh)} / {esc(region.name_en)}</h1>
<p class="meta" id="run-info">Generated {esc(generated)} by <code>{esc(command)}</code></p>
<h2>Scorecard / 达标情况</h2>
<p>Standards: {esc(cat.name_zh)} / {esc(cat.name_en)} ({esc(cat.source)}); catalogue <code>{esc(cat.path)}</code>.
{len(assessment.results) - len(assessment.failing)} of {len(assessment.results)} standards met.</p>
<table class="card"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>
<h2>Maps / 地图</h2><ul>{map_links}</ul>
<iframe src="{esc(maps["overview"])}" title="overview map"></iframe>
<h2>Assumptions / 假设</h2>
<table><thead><tr><th>profile</th><th>description</th><th>speeds by road class (km/h)</th><th>off-road km/h</th>
<th>max snap</th><th>source</th></tr></thead><tbody>{"".join(prof_rows)}</tbody></table>
<p>Travel runs from each settlement to its nearest eligible facility: an off-road access leg to the nearest road node,
the road network (one-way streets honoured when driving), and a leg from the road to the facility; a straight
cross-country trip is used when faster. Readings of the plan that its text leaves open are written as comments
in the catalogue file.</p>
<h2>Data / 数据</h2><ul>{files}</ul>
<table><thead><tr><th>layer</th><th>field</th><th>estimated or schematic</th></tr></thead><tbody>{est_rows}</tbody></table>
<p class="warn">Estimated values are flagged in each row's source columns, drawn with dashed outlines on the maps, and
must be replaced with surveyed data before decisions are taken.</p>
</body></html>
"""


def write_report_and_maps(
    assessment: Assessment,
    out_dir: Path,
    *,
    tiles: str | None = None,
    cdn: bool = False,
    command: str = "",
    generated: str = "",
    lang: str = "en",
) -> list[str]:
    """Write every map and ``index.html`` into ``out_dir``; returns the file names written."""
    names = map_file_names(assessment)
    for key, fname in names.items():
        if key == "overview":
            m = overview_map(assessment, tiles=tiles, cdn=cdn)
        elif key in ("presence", "ratio"):
            m = unit_map(assessment, key, tiles=tiles, cdn=cdn)
        else:
            m = access_map(assessment, key, tiles=tiles, cdn=cdn)
        save_map(m, Path(out_dir) / fname)
    io.atomic_write_text(
        Path(out_dir) / "index.html", report_html(assessment, maps=names, command=command, generated=generated, lang=lang)
    )
    return [*names.values(), "index.html"]


_CSS = """
.cp-title{position:absolute;top:10px;left:50px;z-index:1000;background:#fff;padding:4px 10px;font:bold 15px sans-serif;
 border:1px solid #999;border-radius:4px;max-width:60%}
.cp-legend{position:absolute;bottom:24px;left:10px;z-index:1000;background:#fff;padding:8px;font:12px sans-serif;
 border:1px solid #999;border-radius:4px;max-width:340px;max-height:45%;overflow:auto}
.cp-sw{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;border:1px solid #333;border-radius:7px}
.cp-note{margin-top:4px;color:#333;font-style:italic}
.cp-panel{position:absolute;bottom:24px;right:10px;z-index:1000;background:#fff;padding:8px;font:12px sans-serif;
 border:1px solid #999;border-radius:4px;width:300px;max-height:40%;overflow:auto}
.cp-panel ol{padding-left:18px;margin:4px 0}
.cp-fac{width:18px;height:18px;border-radius:9px;color:#fff;font:bold 11px sans-serif;text-align:center;line-height:18px}
.cp-new{width:22px;height:22px;border-radius:11px;background:#000;color:#FFD700;border:2px solid #FFD700;
 font:bold 13px sans-serif;text-align:center;line-height:22px}
.cp-pop th{text-align:left;padding-right:6px;vertical-align:top;white-space:nowrap}
.cp-pop{font:12px sans-serif}
.leaflet-control-layers{margin-top:60px!important}
"""

_REPORT_CSS = """
body{font:14px sans-serif;margin:20px;max-width:1400px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top}
th{background:#eee}.pass{background:#cfe6f5}.fail{background:#f6d2b8;font-weight:bold}
.meta{color:#555}.warn{color:#8a3b00}iframe{width:100%;height:600px;border:1px solid #999}
"""
