"""The gap map of an access standard: settlements by minutes, service areas, the failing list."""

from __future__ import annotations

import folium
import numpy as np
from branca.element import Element

from ...provenance import is_estimated
from ...standards._base import MET, NOT_MET, NOT_TESTED, StandardResult, verdict_word
from ...standards.assessment import Assessment
from ...standards.kinds import kind_of
from ...standards.kinds.access import AccessStandard, reason_text
from ...text import display_name, fmt_against, fmt_count, simplified, words
from ...travel import eligible_facilities, model_for
from ..areas import BAND_FACTORS, area_of
from ..report import target_text
from ._layers import BANDS, UNREACHABLE, _band, _data_notes, _facility_features, _facility_legend, _fit, _radius, base_map
from ._leaflet import JsonLayer, MapScript, _feature, _legend_html, _table, esc

__all__ = ["access_map"]


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
    if kind_of(std).map_family != "gap":
        raise ValueError(f"{std_id} is not an access standard")
    region = assessment.region
    m = base_map(assessment, title=f"{std.title(lang)} — {verdict_word(r.verdict, lang)}", lang=lang, tiles=tiles, cdn=cdn)
    if len(r.detail):
        # Open on the settlements the standard applies to (the town blocks for walking standards).
        _fit(m, region.settlements.geometry.loc[r.detail.index])
    eligible = eligible_facilities(region.facilities, std.facility_types, count_outside_region=std.count_outside_region)
    if with_service_area and len(eligible):
        areas = area_of(assessment, std)
        _surface_layer(m, areas, std, show=model_for(region, std.profile).kind == "terrain", lang=lang)
        _service_area_layer(m, areas, std, model_for(region, std.profile), lang)
    JsonLayer(_facility_features(assessment, std.facility_types, lang, only=eligible.index), name=_("facilities")).add_to(m)
    layer = JsonLayer(_settlement_features(assessment, r, lang), name=_("settlements"))
    layer.add_to(m)
    MapScript(
        "cpSpread({map}, {layer}); cpPanel({map}, {layer}); cpLabels({map}, {layer}, LABEL_ZOOM);".replace(
            "LABEL_ZOOM", str(LABEL_ZOOM)
        ),
        layer,
    ).add_to(m)
    # Many layers (bands, surface, facilities, settlements): the list folds into its button.
    folium.LayerControl(collapsed=True).add_to(m)
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


def _surface_layer(m, areas, std: AccessStandard, *, show: bool, lang: str) -> None:
    """The travel-time surface the service areas were drawn from, as an image under the points.

    Shown at first for terrain (a continuous surface is its natural picture), a layer to
    switch on for the other models.
    """
    import base64

    from rasterio.warp import Resampling, calculate_default_transform, reproject

    _ = words(lang)
    height, width = areas.minutes.shape
    west, north = areas.transform.c, areas.transform.f
    east, south = west + areas.transform.a * width, north + areas.transform.e * height
    dst_tr, w, h = calculate_default_transform(areas.crs, "EPSG:4326", width, height, west, south, east, north)
    out = np.full((h, w), np.nan)
    reproject(
        np.where(np.isfinite(areas.minutes), areas.minutes, np.nan),
        out,
        src_transform=areas.transform,
        src_crs=areas.crs,
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
        show=show,
    ).add_to(m)


#: How each band is drawn: half the limit and the limit filled, twice the limit as a dashed outline.
BAND_STYLES = {
    0.5: {"color": "#0072B2", "weight": 1, "fillColor": "#0072B2", "fillOpacity": 0.12},
    1.0: {"color": "#0072B2", "weight": 2, "fillColor": "#56B4E9", "fillOpacity": 0.16},
    2.0: {"color": "#D55E00", "weight": 1.5, "dashArray": "6 4", "fill": False},
}


def _service_area_layer(m, areas, std: AccessStandard, model, lang: str) -> None:
    """The service areas of the standard's bands (half the limit, the limit, twice it), one layer each."""
    _ = words(lang)
    limit = std.max_minutes
    for factor, band, polygon in zip(BAND_FACTORS, areas.bands_min, areas.polygons, strict=True):
        if polygon.is_empty:
            continue
        label = _("reachable within {minutes} min ({model})").format(minutes=f"{band:g}", model=model.label(lang))
        JsonLayer(
            [_feature(polygon, _style=BAND_STYLES[factor], _tooltip=esc(label))],
            name=_("service area {minutes} min").format(minutes=f"{band:g}"),
            show=factor <= 1.0 or band == limit,
        ).add_to(m)


#: Settlement names stay on screen as labels from this zoom on (a town's blocks are apart by then).
LABEL_ZOOM = 12


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
                _id=str(sid),
                _label=esc(display_name(row, lang, sid)),
                _tooltip=esc(
                    _("{name}: {minutes} min — {band}").format(name=display_name(row, lang, sid), minutes=minutes, band=label)
                ),
            )
        )
    return feats


def _add_legend(m: folium.Map, assessment: Assessment, r: StandardResult, lang: str) -> None:
    _ = words(lang)
    std = r.standard
    region = assessment.region
    rows = [("circle", c, _(label)) for _f, c, label in BANDS] + [("circle", UNREACHABLE, _("unreachable"))]
    rows += _facility_legend(region, std.facility_types, lang)
    notes = [
        _("Target: {target}").format(target=target_text(std, region, lang)),
        _("Circle size = population; black ring = not met; squares = facilities."),
        model_for(region, std.profile).label(lang),
        *_data_notes(assessment, lang),
        _("Source: {wording} ({section})").format(wording=simplified(std.wording), section=std.section),
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
    points = region.settlements.geometry
    for sid, row in failing.iterrows():
        where = f" data-id='{esc(sid)}' data-lat='{points.loc[sid].y:.6f}' data-lon='{points.loc[sid].x:.6f}'"
        over = (
            _("unreachable") if not np.isfinite(row["shortfall_min"]) else _("+{m} min").format(m=f"{row['shortfall_min']:.1f}")
        )
        items.append(
            f"<li{where}><b>{esc(display_name(row, lang, sid))}</b>: {esc(over)}, {esc(fmt_count(row['population']))} "
            f"{esc(_('people'))} — {esc(reason_text(row, r.standard, region, lang))}</li>"
        )
    body = "<ol>" + "".join(items) + "</ol>" if items else f"<p>{esc(_('None: every settlement meets this standard.'))}</p>"
    title = (title or _("Settlements not meeting the standard ({n})")).format(n=len(items))
    m.get_root().html.add_child(Element(f"<div class='cp-panel'><b>{esc(title)}</b>{body}</div>"), name="cp_panel")
