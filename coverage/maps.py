"""Gap maps (folium): self-contained, offline, escaped, in the chosen language.

The maps need nothing but Leaflet: layers are plain ``L.geoJSON`` with circle
markers, ``L.divIcon`` glyphs for facilities and popups bound from feature
properties, so folium's jQuery, Bootstrap, Font Awesome, awesome-markers and d3
are not needed.  By default Leaflet itself (from the ``xstatic-leaflet`` package)
is inlined, so no request leaves the page; ``cdn=True`` keeps folium's links.
Every user-supplied string is HTML-escaped before it reaches a popup, tooltip,
legend, layer name or the report; JSON embedded in scripts escapes ``<``, ``>``
and ``&`` so no string can close a ``<script>``.

Two colour vocabularies never meet: verdicts (settlements, units) use the
Okabe-Ito blues for met and orange to dark red for not met, black for
unreachable; facilities are rounded squares in Paul Tol's muted colours by
category (``facility_types.toml``); a proposed site is a gold star.  The scale
bar is metric and sits below the legend; settlements that overlap on screen are
spread around their centre, with a line to their true place.

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
from branca.element import Element, MacroElement
from jinja2 import Template

from . import io
from .assessment import MET, NOT_MET, NOT_TESTED, Assessment, StandardResult, memberships
from .i18n import N_, Msg
from .provenance import is_estimated
from .report import display_name, fmt_against, fmt_count, reason_text, region_title, target_text, verdict_word, words
from .standards import AccessStandard, PresenceStandard, RatioStandard
from .travel import eligible_facilities, lonlat

__all__ = [
    "access_map",
    "map_file_names",
    "overview_map",
    "render_html",
    "save_map",
    "siting_map",
    "unit_map",
    "write_report_and_maps",
]

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
    """A GeoJSON layer whose features carry their own style, icon, popup and tooltip.

    Feature properties used: ``_style`` (Leaflet path options; points become circle
    markers with its ``radius``), ``_icon`` (``L.divIcon`` options: points become
    markers), ``_popup`` and ``_tooltip`` (HTML, already escaped).  ``overlay=False``
    makes it a base layer: one of a radio group (before/after, one standard at a time).
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

    def __init__(self, features: list[dict], *, name: str, show: bool = True, overlay: bool = True):
        super().__init__(name=esc(name), overlay=overlay, control=True, show=show)
        self._name = "JsonLayer"
        self.data = js_json({"type": "FeatureCollection", "features": features})


class MapScript(MacroElement):
    """A script run after the map and its layers exist (``{map}`` and ``{layer}`` are filled in)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str, layer: folium.map.Layer | None = None):
        super().__init__()
        self._name = "MapScript"
        self._code, self._layer = code, layer

    def render(self, **kwargs):
        self.code = self._code.replace("{map}", self._parent.get_name())
        if self._layer is not None:
            self.code = self.code.replace("{layer}", self._layer.get_name())
        super().render(**kwargs)


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


# --- the base map ---------------------------------------------------------------------------


def base_map(assessment: Assessment, *, title: str, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """A map of the region: boundary, units and roads, a metric scale, offline unless ``cdn``/``tiles`` say otherwise."""
    region = assessment.region
    m = blank_map(region.boundary.bounds, title=title, lang=lang, tiles=tiles, cdn=cdn)
    _add_units(m, assessment, lang)
    _add_roads(m, region, lang)
    return m


def blank_map(bounds, *, title: str, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """An empty map over ``bounds`` (minx, miny, maxx, maxy): Leaflet inlined, a title, a metric scale."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=9, control_scale=False)
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
    m.get_root().header.add_child(Element(f"<style>{_CSS}</style><script>{_SPREAD_JS}</script>"), name="cp_css")
    m.get_root().html.add_child(Element(f"<div class='cp-title'>{esc(title)}</div>"), name="cp_title")
    if tiles:
        _add_tiles(m, tiles, lang)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(340, 60), padding_bottom_right=(40, 40))
    MapScript("L.control.scale({metric: true, imperial: false, position: 'bottomleft', maxWidth: 150}).addTo({map});").add_to(m)
    return m


def _share_colour(share: float | None) -> str:
    if share is None:
        return "#BBBBBB"
    for floor, colour in zip((1.0, 0.75, 0.5, 0.25), COUNT_COLOURS, strict=False):
        if share >= floor - 1e-12:
            return colour
    return COUNT_COLOURS[-1]


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


def _add_tiles(m: folium.Map, tiles: str, lang: str) -> None:
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
            Msg(
                "--tiles {tiles}: these tiles are in GCJ-02/BD-09 and would sit 300-600 m off the WGS84 "
                "data; use --tiles tianditu:YOUR_KEY (CGCS2000, aligned) or osm.",
                tiles=tiles,
            )
        )
    elif key.startswith(("http://", "https://")) and "{z}" in tiles:
        url, attr = tiles, "basemap: " + tiles.split("/")[2]
    else:
        raise CoverageError(Msg("--tiles {tiles}: use osm, tianditu:KEY or a URL with {{z}}/{{x}}/{{y}}.", tiles=tiles))
    folium.TileLayer(
        tiles=url,
        attr=esc(attr),
        name=words(lang)("basemap (online)"),
        overlay=True,
        control=True,
        subdomains="01234567" if "tianditu" in key else "abc",
    ).add_to(m)


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


# --- facilities ---------------------------------------------------------------------------------------


def _fit(m: folium.Map, points: gpd.GeoSeries) -> None:
    """Open on these points, clear of the title, the legend (bottom left) and the side panel (bottom right)."""
    minx, miny, maxx, maxy = gpd.GeoSeries(points).total_bounds
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
                _icon=_facility_icon(ft.colour, ft.glyph, is_estimated(row["coord_source"])),
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
            rows.append(("square", ft.colour, f"{ft.glyph} {ft.name(lang)}"))
            seen.add(t)
    return rows


# --- access maps ---------------------------------------------------------------------------------------------


def _band(minutes: float, limit: float, lang: str) -> tuple[str, str]:
    _ = words(lang)
    if not np.isfinite(minutes):
        return UNREACHABLE, _("unreachable")
    for frac, colour, label in BANDS:
        if minutes <= limit * frac * (1 + 1e-9):
            return colour, _(label)
    return BANDS[-1][1], _(BANDS[-1][2])


def _radius(pop: float) -> float:
    return float(min(4 + 2.2 * np.sqrt(max(pop, 0) / 100), 22))


def access_map(
    assessment: Assessment,
    std_id: str,
    *,
    lang: str = "en",
    tiles: str | None = None,
    cdn: bool = False,
    with_service_area: bool = True,
) -> folium.Map:
    """The gap map of one access standard.

    Settlements coloured by minutes to the nearest eligible facility relative to
    the standard's limit and sized by population; eligible facilities; the
    service area within the limit (including the off-road fringe); a side panel
    listing failing settlements with their reason in plain words.
    """
    _ = words(lang)
    r = assessment.result(std_id)
    std = r.standard
    if not isinstance(std, AccessStandard):
        raise ValueError(f"{std_id} is not an access standard")
    region = assessment.region
    m = base_map(assessment, title=f"{std.title(lang)} — {verdict_word(r.verdict, lang)}", lang=lang, tiles=tiles, cdn=cdn)
    if len(r.detail):
        # Open on the settlements the standard applies to (the town blocks for walking standards).
        _fit(m, region.settlements.geometry.loc[r.detail.index])
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    if with_service_area and len(eligible):
        if hasattr(region.travel_model(std.profile), "surface"):
            _surface_layer(m, region.travel_model(std.profile), eligible, std, lang)
        _service_area_layer(m, assessment, std, eligible, lang)
    JsonLayer(_facility_features(assessment, std.facility_types, lang, only=eligible.index), name=_("facilities")).add_to(m)
    layer = JsonLayer(_settlement_features(assessment, r, lang), name=_("settlements"))
    layer.add_to(m)
    MapScript("cpSpread({map}, {layer});", layer).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _add_legend(m, assessment, r, lang)
    _add_failing_panel(m, assessment, r, lang)
    return m


# Travel-time surface bins (fractions of the threshold) and colours: blues within the
# limit (Okabe-Ito sky blue to blue), orange and vermillion beyond it, nothing past 2x.
SURFACE_BINS = ((0.5, (86, 180, 233, 110)), (1.0, (0, 114, 178, 110)), (1.5, (230, 159, 0, 110)), (2.0, (213, 94, 0, 110)))


def _surface_png(minutes: np.ndarray, limit: float) -> bytes:
    """The surface as an RGBA PNG in the bins of :data:`SURFACE_BINS` (deterministic bytes)."""
    import io as _io

    from PIL import Image

    rgba = np.zeros((*minutes.shape, 4), np.uint8)
    lower = 0.0
    for upper, colour in SURFACE_BINS:
        rgba[(minutes > lower * limit) & (minutes <= upper * limit) | ((lower == 0) & (minutes == 0))] = colour
        lower = upper
    buf = _io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def _surface_layer(m, model, eligible, std: AccessStandard, lang: str) -> None:
    """The continuous travel-time surface of a terrain model, as an image under the points."""
    import base64

    from rasterio.warp import Resampling, calculate_default_transform, reproject

    _ = words(lang)
    grid = model.grid
    seconds = model.surface(lonlat(eligible), cutoff_s=2.0 * std.max_minutes * 60.0)
    minutes = np.where(np.isfinite(seconds), seconds / 60.0, np.nan)
    left, top = grid.x0, grid.y0
    right, bottom = left + grid.width * grid.cell_m, top - grid.height * grid.cell_m
    dst_tr, w, h = calculate_default_transform(grid.crs, "EPSG:4326", grid.width, grid.height, left, bottom, right, top)
    out = np.full((h, w), np.nan)
    reproject(
        minutes,
        out,
        src_transform=grid.transform,
        src_crs=grid.crs,
        dst_transform=dst_tr,
        dst_crs="EPSG:4326",
        src_nodata=np.nan,
        dst_nodata=np.nan,
        resampling=Resampling.nearest,
    )
    png = base64.b64encode(_surface_png(np.nan_to_num(out, nan=np.inf), std.max_minutes)).decode()
    west, north = dst_tr.c, dst_tr.f
    east, south = west + dst_tr.a * w, north + dst_tr.e * h
    folium.raster_layers.ImageOverlay(
        image=f"data:image/png;base64,{png}",
        bounds=[[south, west], [north, east]],
        name=_("travel time surface (to {limit} min and twice that)").format(limit=f"{std.max_minutes:g}"),
        opacity=1.0,
    ).add_to(m)


def _service_area_layer(m, assessment: Assessment, std: AccessStandard, eligible, lang: str) -> None:
    _ = words(lang)
    region = assessment.region
    model = region.travel_model(std.profile)
    area = model.service_area(lonlat(eligible), std.max_minutes * 60.0)
    # Simplify to about 25 m (driving) or 5 m (walking), in degrees of latitude.
    area = area.simplify((25.0 if std.profile == "drive" else 5.0) / 111_000)
    label = _("reachable within {minutes} min ({model})").format(minutes=f"{std.max_minutes:g}", model=model.label(lang))
    JsonLayer(
        [
            _feature(
                area, _style={"color": "#0072B2", "weight": 1, "fillColor": "#56B4E9", "fillOpacity": 0.18}, _tooltip=esc(label)
            )
        ],
        name=_("service area {minutes} min").format(minutes=f"{std.max_minutes:g}"),
    ).add_to(m)


def _settlement_popup(region, row, sid, std: AccessStandard, lang: str, minutes: str) -> str:
    _ = words(lang)
    fac = region.facilities.loc[row["nearest_facility"]] if row["nearest_facility"] else None
    verdict = verdict_word(row["verdict"], lang)
    if row["verdict"] == NOT_MET and np.isfinite(row["shortfall_min"]):
        verdict += _(" (+{m} min)").format(m=f"{row['shortfall_min']:.1f}")
    route = {"road": _("road network"), "direct": _("straight across country"), "terrain": _("terrain and roads")}.get(
        row["via"], "-"
    )
    return _table(
        [
            (_("Settlement"), display_name(row, lang, sid)),
            (_("Id"), sid),
            (_("Population"), fmt_count(row["population"])),
            (_("Minutes (limit {limit})").format(limit=f"{std.max_minutes:g}"), minutes),
            (_("Nearest facility"), "" if fac is None else display_name(fac, lang, row["nearest_facility"])),
            (_("Route"), route),
            (_("To the road"), f"{row['snap_m'] / 1000:.2f} km"),
            (_("Verdict"), verdict),
            (_("Why"), reason_text(row, std, region, lang)),
            (_("Location source"), row["coord_source"]),
        ]
    )


def _settlement_features(assessment: Assessment, r: StandardResult, lang: str, *, minutes_col: str = "minutes") -> list[dict]:
    _ = words(lang)
    std = r.standard
    region = assessment.region
    feats = []
    for sid, row in r.detail.sort_index().iterrows():
        colour, label = _band(row[minutes_col], std.max_minutes, lang)
        meets = row["verdict"] == MET
        minutes = _("unreachable") if not np.isfinite(row[minutes_col]) else fmt_against(row[minutes_col], std.max_minutes, meets)
        style = {
            "radius": _radius(row["population"]),
            "fillColor": colour,
            "fillOpacity": 0.9,
            "color": "#000" if not meets else "#fff",
            "weight": 2.5 if not meets else 1.5,
            "dashArray": "3 3" if is_estimated(row["coord_source"]) else None,
        }
        feats.append(
            _feature(
                region.settlements.geometry.loc[sid],
                _style=style,
                _popup=_settlement_popup(region, row, sid, std, lang, minutes),
                _tooltip=esc(
                    _("{name}: {minutes} min — {band}").format(name=display_name(row, lang, sid), minutes=minutes, band=label)
                ),
            )
        )
    return feats


def _legend_html(title: str, rows: list[tuple[str, str, str]], notes: list[str]) -> str:
    items = "".join(
        f"<div><span class='cp-sw cp-{esc(shape)}' style='background:{esc(c)}'></span>{esc(t)}</div>" for shape, c, t in rows
    )
    return (
        f"<div class='cp-legend'><b>{esc(title)}</b>{items}"
        + "".join(f"<div class='cp-note'>{esc(n)}</div>" for n in notes)
        + "</div>"
    )


def _data_notes(assessment: Assessment, lang: str) -> list[str]:
    _ = words(lang)
    region = assessment.region
    n_est = int(region.settlements["coord_source"].map(is_estimated).sum())
    n_fac = int(region.facilities["coord_source"].map(is_estimated).sum())
    return [
        _("Dashed outline = estimated location; dashed road = schematic, not surveyed."),
        _("{n} of {total} settlement points and {nf} of {totalf} facility points are estimated.").format(
            n=n_est, total=len(region.settlements), nf=n_fac, totalf=len(region.facilities)
        ),
    ]


def _add_legend(m: folium.Map, assessment: Assessment, r: StandardResult, lang: str) -> None:
    _ = words(lang)
    std = r.standard
    region = assessment.region
    rows = [("circle", c, _(label)) for _f, c, label in BANDS] + [("circle", UNREACHABLE, _("unreachable"))]
    rows += _facility_legend(region, std.facility_types, lang)
    notes = [
        _("Target: {target}").format(target=target_text(std, region, lang)),
        _("Circle size = population; black ring = not met; squares = facilities."),
        region.travel_model(std.profile).label(lang),
        *_data_notes(assessment, lang),
        _("Source: {wording} ({section})").format(wording=std.wording, section=std.section),
    ]
    if std.has_reading:
        notes.append(_("[reading]: {reading}").format(reading=std.reading_text(lang)))
    if r.verdict == NOT_TESTED and r.why is not None:
        notes.insert(0, _("Not tested: {why}").format(why=r.why.text(lang)))
    m.get_root().html.add_child(Element(_legend_html(_("Minutes to the nearest facility"), rows, notes)), name="cp_legend")


def _add_failing_panel(m: folium.Map, assessment: Assessment, r: StandardResult, lang: str, *, title: str | None = None) -> None:
    _ = words(lang)
    region = assessment.region
    failing = r.detail[r.detail["verdict"] == NOT_MET].sort_values(["shortfall_min", "population"], ascending=[False, False])
    items = []
    for sid, row in failing.iterrows():
        over = (
            _("unreachable") if not np.isfinite(row["shortfall_min"]) else _("+{m} min").format(m=f"{row['shortfall_min']:.1f}")
        )
        items.append(
            f"<li><b>{esc(display_name(row, lang, sid))}</b>: {esc(over)}, {esc(fmt_count(row['population']))} "
            f"{esc(_('people'))} — {esc(reason_text(row, r.standard, region, lang))}</li>"
        )
    body = "<ol>" + "".join(items) + "</ol>" if items else f"<p>{esc(_('None: every settlement meets this standard.'))}</p>"
    title = (title or _("Settlements not meeting the standard ({n})")).format(n=len(items))
    m.get_root().html.add_child(Element(f"<div class='cp-panel'><b>{esc(title)}</b>{body}</div>"), name="cp_panel")


# --- overview and unit maps ------------------------------------------------------------------


def failures_per_settlement(assessment: Assessment) -> pd.DataFrame:
    """For each settlement: the standards it does not meet (its own access standards and its units' presence standards)."""
    region = assessment.region
    units = memberships(region)[0]
    failed: dict[str, list[str]] = {sid: [] for sid in region.settlements.index}
    for r in assessment.results:
        std = r.standard
        if r.verdict == NOT_TESTED:
            continue
        if isinstance(std, AccessStandard):
            for sid in r.detail.index[r.detail["verdict"] == NOT_MET]:
                failed[sid].append(std.id)
        elif isinstance(std, PresenceStandard) and std.level in region.vocabulary.unit_levels:
            bad = set(r.detail.index[r.detail["verdict"] == NOT_MET])
            col = units[std.level]
            for sid in col.index[col.isin(bad)]:
                failed[sid].append(std.id)
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
    rows = [
        ("circle", c, _("{k}{plus} standards not met").format(k=k, plus="+" if k == len(COUNT_COLOURS) - 1 else ""))
        for k, c in enumerate(COUNT_COLOURS)
    ]
    notes = [*_data_notes(assessment, lang), _("Standards not tested are not counted.")]
    m.get_root().html.add_child(Element(_legend_html(_("Standards not met"), rows, notes)), name="cp_legend")
    return m


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


# --- rendering -------------------------------------------------------------------------------------------------

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


def write_report_and_maps(
    assessment: Assessment,
    out_dir: Path,
    *,
    tiles: str | None = None,
    cdn: bool = False,
    command: str = "",
    generated: str = "",
    lang: str = "en",
    scenario=None,
) -> list[str]:
    """Write every map and ``index.html`` into ``out_dir``; returns the file names written."""
    from .report_html import report_html

    names = map_file_names(assessment)
    for key, fname in names.items():
        if key == "overview":
            m = overview_map(assessment, lang=lang, tiles=tiles, cdn=cdn)
        elif key in ("presence", "ratio"):
            m = unit_map(assessment, key, lang=lang, tiles=tiles, cdn=cdn)
        else:
            m = access_map(assessment, key, lang=lang, tiles=tiles, cdn=cdn)
        save_map(m, Path(out_dir) / fname)
    page = report_html(assessment, maps=names, command=command, generated=generated, lang=lang, scenario=scenario)
    io.atomic_write_text(Path(out_dir) / "index.html", page)
    return [*names.values(), "index.html"]


_CSS = """
.cp-title{position:absolute;top:10px;left:50px;z-index:1000;background:#fff;padding:4px 10px;font:bold 15px sans-serif;
 border:1px solid #999;border-radius:4px;max-width:55%}
.cp-legend{position:absolute;bottom:48px;left:10px;z-index:1000;background:#fff;padding:8px;font:12px sans-serif;
 border:1px solid #999;border-radius:4px;max-width:330px;max-height:calc(100% - 140px);overflow:auto}
.leaflet-bottom.leaflet-left .leaflet-control-scale{margin-bottom:12px}
.cp-sw{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;border:1px solid #333}
.cp-circle{border-radius:7px}.cp-square{border-radius:3px}
.cp-star{border:none;background:none!important;width:auto;height:auto}.cp-star::before{content:'★';color:#FFD700;
 -webkit-text-stroke:1px #000;font-size:16px}
.cp-note{margin-top:4px;color:#333;font-style:italic}
.cp-panel{position:absolute;bottom:24px;right:10px;z-index:1000;background:#fff;padding:8px;font:12px sans-serif;
 border:1px solid #999;border-radius:4px;width:300px;max-height:40%;overflow:auto}
.cp-panel ol{padding-left:18px;margin:4px 0}
.cp-fac{width:18px;height:18px;border-radius:4px;color:#fff;font:bold 11px sans-serif;text-align:center;line-height:18px}
.cp-new{position:relative;width:30px;height:30px;text-align:center}
.cp-new span{font-size:30px;line-height:30px;color:#FFD700;-webkit-text-stroke:1.5px #000}
.cp-new b{position:absolute;left:0;right:0;top:9px;font:bold 11px sans-serif;color:#000}
.cp-pop th{text-align:left;padding-right:6px;vertical-align:top;white-space:nowrap}
.cp-pop{font:12px sans-serif}
.leaflet-control-layers{margin-top:60px!important;max-height:45vh;overflow:auto}
"""

# Spread circle markers that overlap on screen around their common centre, with a thin line to
# each one's true place; recomputed at every zoom (at close zoom they sit where they are).
_SPREAD_JS = """
function cpSpread(map, group) {
  var marks = [], legs = L.layerGroup();
  group.eachLayer(function (l) { if (l.getRadius) { l._cpHome = l.getLatLng(); marks.push(l); } });
  function place() {
    legs.clearLayers();
    if (!map.hasLayer(group)) { return; }
    legs.addTo(map);
    var pts = marks.map(function (m) { return map.latLngToLayerPoint(m._cpHome); });
    var done = marks.map(function () { return false; });
    for (var i = 0; i < marks.length; i++) {
      if (done[i]) { continue; }
      var grp = [i]; done[i] = true;
      for (var j = i + 1; j < marks.length; j++) {
        if (!done[j] && pts[i].distanceTo(pts[j]) < marks[i].getRadius() + marks[j].getRadius()) { grp.push(j); done[j] = true; }
      }
      if (grp.length === 1) { marks[i].setLatLng(marks[i]._cpHome); continue; }
      var c = L.point(0, 0), rmax = 0;
      grp.forEach(function (k) { c = c.add(pts[k]); rmax = Math.max(rmax, marks[k].getRadius()); });
      c = c.divideBy(grp.length);
      var ring = rmax * grp.length / Math.PI + rmax + 2;
      grp.forEach(function (k, n) {
        var a = 2 * Math.PI * n / grp.length - Math.PI / 2;
        var ll = map.layerPointToLatLng(c.add(L.point(ring * Math.cos(a), ring * Math.sin(a))));
        marks[k].setLatLng(ll);
        L.polyline([marks[k]._cpHome, ll], {color: '#333', weight: 1, interactive: false}).addTo(legs);
      });
    }
  }
  map.on('zoomend', place); map.on('baselayerchange overlayadd overlayremove', place);
  place();
}
"""
