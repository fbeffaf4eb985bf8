"""Leaflet plumbing for offline maps: inlined assets, GeoJSON layers, scripts, legends, deterministic HTML."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from ...i18n import Msg
from ...text import words
from ...writing import atomic_write_text

__all__ = ["JsonLayer", "MapScript", "blank_map", "esc", "js_json", "read_leaflet_assets", "render_html", "save_map"]

TILES = {"osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors")}


def esc(value) -> str:
    """HTML-escape anything for display (None and NaN become empty)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def finite(obj):
    """``obj`` with every NaN or infinite number replaced by ``None`` (JSON ``null``), recursively.

    The one place that keeps NaN and infinity out of what the maps write: every layer's
    data and every script value goes through :func:`js_json`, which calls it (an unknown
    population, an unreachable settlement, an empty layer's bounds).
    """
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def js_json(obj) -> str:
    """JSON safe to embed inside ``<script>``: no NaN or infinity (:func:`finite`); ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(finite(obj), ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
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


def blank_map(bounds, *, title: str, lang: str = "en", tiles: str | None = None, cdn: bool = False) -> folium.Map:
    """An empty map over ``bounds`` (minx, miny, maxx, maxy): Leaflet inlined, a title, a metric scale."""
    if not np.isfinite(bounds).all():  # an empty region: China, rather than a page that cannot draw
        bounds = (73.0, 18.0, 135.0, 54.0)
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=9, control_scale=False)
    if not cdn:
        # Nothing but Leaflet is needed; it is inlined from the xstatic-leaflet package below.
        m.default_js = []
        m.default_css = []
        assets = read_leaflet_assets()
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
    m.get_root().header.add_child(
        Element(f"<style>{_CSS}</style><script>{_SPREAD_JS}{_PANEL_JS}{_LABELS_JS}</script>"), name="cp_css"
    )
    m.get_root().html.add_child(Element(f"<div class='cp-title'>{esc(title)}</div>"), name="cp_title")
    if tiles:
        _add_tiles(m, tiles, lang)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(340, 60), padding_bottom_right=(40, 40))
    MapScript("L.control.scale({metric: true, imperial: false, position: 'bottomleft', maxWidth: 150}).addTo({map});").add_to(m)
    return m


def _add_tiles(m: folium.Map, tiles: str, lang: str) -> None:
    """An online basemap (opt-in): OpenStreetMap, Tianditu or a tile URL; GCJ-02 tiles are refused."""
    from ...errors import CoverageError

    _ = words(lang)
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
        name=_("basemap (online)"),
        overlay=True,
        control=True,
        subdomains="01234567" if "tianditu" in key else "abc",
    ).add_to(m)


def _legend_html(title: str, rows: list[tuple[str, str, str]], notes: list[str]) -> str:
    items = "".join(
        f"<div><span class='cp-sw cp-{esc(shape)}' style='background:{esc(c)}'></span>{esc(t)}</div>" for shape, c, t in rows
    )
    return (
        f"<div class='cp-legend'><b>{esc(title)}</b>{items}"
        + "".join(f"<div class='cp-note'>{esc(n)}</div>" for n in notes)
        + "</div>"
    )


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
    atomic_write_text(path, render_html(m))


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
.cp-panel li[data-lat]{cursor:pointer}.cp-panel li[data-lat]:hover{background:#eef}
.cp-label{background:rgba(255,255,255,.8);border:none;box-shadow:none;padding:0 3px;font:11px sans-serif;color:#222}
.cp-label::before{display:none}
.cp-far .cp-label{display:none}
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

# A click on a failing settlement in the side panel moves the map to it and opens its popup.
_PANEL_JS = """
function cpPanel(map, group) {
  var byId = {};
  group.eachLayer(function (l) { if (l.feature && l.feature.properties._id) { byId[l.feature.properties._id] = l; } });
  document.querySelectorAll('.cp-panel li[data-lat]').forEach(function (li) {
    li.addEventListener('click', function () {
      var ll = [parseFloat(li.dataset.lat), parseFloat(li.dataset.lon)];
      map.setView(ll, Math.max(map.getZoom(), 13));
      var l = byId[li.dataset.id];
      if (l) { l.openPopup(); }
    });
  });
}
"""

# Settlement names stay on screen as labels once the map is close enough to read them.
_LABELS_JS = """
function cpLabels(map, group, minZoom) {
  var labels = L.layerGroup().addTo(map);
  group.eachLayer(function (l) {
    if (l.feature && l.feature.properties._label) {
      L.tooltip({permanent: true, direction: 'right', className: 'cp-label', offset: [8, 0], interactive: false})
        .setLatLng(l.getLatLng()).setContent(l.feature.properties._label).addTo(labels);
    }
  });
  function toggle() { map.getContainer().classList.toggle('cp-far', map.getZoom() < minZoom); }
  map.on('zoomend', toggle); toggle();
}
"""


def read_leaflet_assets() -> dict[str, str]:
    """Leaflet's JS and CSS from the ``xstatic-leaflet`` package, images as data URIs.

    Returns
    -------
    dict
        ``js``, ``css`` (with its image URLs inlined), and ``icon``, ``icon_2x``,
        ``shadow`` (data URIs of the default marker images).
    """
    import base64

    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)

    def data_uri(name: str) -> str:
        return "data:image/png;base64," + base64.b64encode((base / "images" / name).read_bytes()).decode()

    css = (base / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers.png", "layers-2x.png", "marker-icon.png"):
        css = css.replace(f"url(images/{name})", f"url({data_uri(name)})")
    return {
        "js": (base / "leaflet.js").read_text(encoding="utf-8"),
        "css": css,
        "version": xl.VERSION,
        "icon": data_uri("marker-icon.png"),
        "icon_2x": data_uri("marker-icon-2x.png"),
        "shadow": data_uri("marker-shadow.png"),
    }
