"""Static figures for the report (matplotlib): each map as PNG and SVG, with the map's colours and legend.

A figure is drawn in the region's UTM zone (so its scale bar is true), with the region's
boundary, units and roads, the map's own layers (service areas, settlements by minutes,
facilities; or units by shortfall; or standards not met per settlement), the legend, a
metric scale bar, a north arrow (grid north of the UTM zone), the title, the date and
the source line.  Text is set in a CJK font found on the machine, in every language (the
plan's wording and place names are Chinese; none found: no figures, and a warning that
says which font to install).  SVG keeps its text as text
(the legend's words can be searched and edited); same input, same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..standards._base import NOT_MET, verdict_word
from ..standards.assessment import Assessment
from ..standards.kinds import kind_of
from ..text import simplified, words
from .areas import BAND_FACTORS, area_of
from .maps._layers import BANDS, COUNT_COLOURS, NOT_TESTED_GREY, ROAD_STYLE, UNREACHABLE, _band

__all__ = ["cjk_font", "write_figures"]

log = logging.getLogger(__name__)

#: Fonts that hold Chinese, in order of preference (the first found on the machine is used).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)

#: Figure size in inches and resolution of the PNG (A4 width at 150 dpi).
SIZE_IN, DPI = (10.0, 8.0), 150


def _lines(ax, geoms, **style) -> None:
    """Lines (and polygon outlines) as one collection (geopandas' plot redraws the figure each call)."""
    import shapely
    from matplotlib.collections import LineCollection

    lines = [shapely.boundary(g) if g.geom_type.endswith("Polygon") else g for g in geoms if g is not None and not g.is_empty]
    segments = [shapely.get_coordinates(p) for p in shapely.get_parts(lines) if not p.is_empty]
    ax.add_collection(LineCollection(segments, **style))
    ax.autoscale_view()


def _polygons(ax, geoms, colours, **style) -> None:
    """Filled polygons (holes kept) as one collection, one colour each."""
    import shapely
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path as MplPath

    paths = []
    for g in geoms:
        rings = [r for p in shapely.get_parts(g) for r in (p.exterior, *p.interiors)] if not g.is_empty else []
        paths.append(MplPath.make_compound_path(*(MplPath(shapely.get_coordinates(r), closed=True) for r in rings)))
    ax.add_collection(PathCollection(paths, facecolors=colours, **style))
    ax.autoscale_view()


def cjk_font() -> str | None:
    """The name of a font on this machine that holds Chinese, or None."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in have), None)


def _style(lang: str) -> dict:
    """Matplotlib settings for deterministic, editable output in the language."""
    rc = {"svg.fonttype": "none", "svg.hashsalt": "coverage-plan", "font.size": 8, "axes.unicode_minus": False}
    # Chinese text is in every language's figures (the plan's wording, place names): the CJK font
    # leads in Chinese and stands behind DejaVu Sans (glyph by glyph) in English.
    fonts = ["DejaVu Sans", cjk_font()] if lang == "en" else [cjk_font(), "DejaVu Sans"]
    rc["font.family"] = [f for f in fonts if f]
    return rc


def _canvas(assessment: Assessment, title: str, lang: str):
    """A figure with the region's boundary, units and roads in its UTM zone."""
    import matplotlib.pyplot as plt

    region = assessment.region
    fig, ax = plt.subplots(figsize=SIZE_IN, dpi=DPI)
    fig.subplots_adjust(left=0.02, right=0.72, top=0.93, bottom=0.12)  # the legend right, the sources below
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")  # the map fills its box: no bands of white
    _lines(ax, gpd.GeoSeries([region.boundary], crs="EPSG:4326").to_crs(region.crs), colors="#333", linewidths=1.2)
    if len(region.units):
        _lines(ax, region.units.to_crs(region.crs).geometry, colors="#777", linewidths=0.5, linestyles="--")
    if region.network is not None:
        edges = region.network.edges_gdf().to_crs(region.crs)
        for hw, group in edges.groupby("highway", sort=True):
            weight, colour = ROAD_STYLE.get(hw, (1, "#aaa"))
            _lines(ax, group.geometry, colors=colour, linewidths=weight / 3.0, alpha=0.7)
    ax.set_title(title, fontsize=11, loc="left")
    return fig, ax


def _scale_bar(ax, lang: str) -> None:
    """A metric scale bar (a round length near a fifth of the width) and a north arrow."""
    _ = words(lang)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5.0
    length = max(10 ** np.floor(np.log10(target)) * f for f in (1, 2, 5) if 10 ** np.floor(np.log10(target)) * f <= target)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=3, solid_capstyle="butt")
    text = _("{n} km").format(n=f"{length / 1000:g}") if length >= 1000 else _("{n} m").format(n=f"{length:g}")
    ax.text(bx + length / 2, by + 0.015 * (y1 - y0), text, ha="center", va="bottom")
    nx_, ny = x1 - 0.04 * (x1 - x0), y1 - 0.12 * (y1 - y0)
    ax.annotate(
        _("N"), xy=(nx_, ny + 0.07 * (y1 - y0)), xytext=(nx_, ny), ha="center", arrowprops={"arrowstyle": "-|>", "color": "black"}
    )


def _footer(fig, notes: list[str], generated: str, lang: str) -> None:
    """The date and the source lines under the map."""
    _ = words(lang)
    lines = [_("Made with coverage-plan on {date}.").format(date=generated), *notes] if generated else notes
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=6.5, va="bottom", ha="left", wrap=True)


def _legend(ax, handles: list) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)


def _points(region, ids):
    return region.settlements.loc[ids].to_crs(region.crs)


def _sizes(population) -> np.ndarray:
    pop = np.asarray(population, float)
    return np.where(np.isfinite(pop), (4 + 2.2 * np.sqrt(np.clip(np.nan_to_num(pop), 0, None) / 100)).clip(max=22), 5.0) ** 2 / 2


def access_figure(assessment: Assessment, std_id: str, *, lang: str, generated: str = ""):
    """The gap map of an access standard as a figure."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .report import target_text

    _ = words(lang)
    r = assessment.result(std_id)
    std, region = r.standard, assessment.region
    fig, ax = _canvas(assessment, f"{std.title(lang)} — {verdict_word(r.verdict, lang)}", lang)
    handles = []
    areas = area_of(assessment, std)
    if areas is not None:
        for factor, band, polygon in sorted(zip(BAND_FACTORS, areas.bands_min, areas.polygons, strict=True), reverse=True):
            if polygon.is_empty or factor > 1.0:
                continue
            shape = gpd.GeoSeries([polygon], crs="EPSG:4326").to_crs(region.crs)
            _polygons(ax, shape, ["#56B4E9" if factor == 1.0 else "#0072B2"], alpha=0.18, linewidths=0)
            label = _("service area {minutes} min").format(minutes=f"{band:g}")
            handles.append(Patch(facecolor="#56B4E9" if factor == 1.0 else "#0072B2", alpha=0.3, label=label))
    if len(r.detail):
        pts = _points(region, r.detail.index)
        colours = [_band(m, std.max_minutes, lang)[0] for m in r.detail["minutes"]]
        edge = ["black" if v == NOT_MET else "white" for v in r.detail["verdict"]]
        ax.scatter(pts.geometry.x, pts.geometry.y, s=_sizes(r.detail["population"]), c=colours, edgecolors=edge, zorder=3)
    handles += [Line2D([], [], marker="o", linestyle="", color=c, label=_(words_)) for _f, c, words_ in BANDS]
    handles.append(Line2D([], [], marker="o", linestyle="", color=UNREACHABLE, label=_("unreachable")))
    _facilities(ax, region, std.facility_types, lang, handles)
    if len(r.detail):
        _zoom(ax, _points(region, r.detail.index))
    _legend(ax, handles)
    _scale_bar(ax, lang)
    notes = [
        _("Target: {target}").format(target=target_text(std, region, lang)),
        kind_of(std).travel(std, region, lang),
        _("Source: {wording} ({section})").format(wording=simplified(std.wording), section=std.section),
    ]
    _footer(fig, notes, generated, lang)
    return fig


def _zoom(ax, points) -> None:
    """Close in on the settlements the standard applies to when they fill a small part of the region (a town's blocks)."""
    x0, y0, x1, y1 = points.total_bounds
    if not np.isfinite([x0, y0, x1, y1]).all():
        return
    pad = max(0.25 * max(x1 - x0, y1 - y0), 1500.0)
    (ax0, ax1), (ay0, ay1) = ax.get_xlim(), ax.get_ylim()
    if (x1 - x0 + 2 * pad) * (y1 - y0 + 2 * pad) < 0.25 * (ax1 - ax0) * (ay1 - ay0):
        # Grow the shorter side to the axes' own shape, so the close-up fills the box at equal scale.
        box = ax.get_position()
        shape = (box.height * SIZE_IN[1]) / (box.width * SIZE_IN[0])
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
        w, h = max(w, h / shape), max(h, w * shape)
        ax.set_adjustable("box")
        ax.set_xlim(cx - w / 2, cx + w / 2)
        ax.set_ylim(cy - h / 2, cy + h / 2)


def _facilities(ax, region, types, lang: str, handles: list) -> None:
    from matplotlib.lines import Line2D

    f = region.facilities[region.facilities["facility_type"].isin(list(types))].to_crs(region.crs)
    for t, group in f.groupby("facility_type", sort=True):
        ft = region.facility_types[t]
        ax.scatter(group.geometry.x, group.geometry.y, marker="s", s=36, c=ft.colour, edgecolors="#222", zorder=4)
        handles.append(Line2D([], [], marker="s", linestyle="", color=ft.colour, markeredgecolor="#222", label=ft.name(lang)))


def unit_figure(assessment: Assessment, std_id: str, *, lang: str, generated: str = ""):
    """A presence or ratio standard per unit as a figure: units coloured by shortfall."""
    from matplotlib.patches import Patch

    _ = words(lang)
    r = assessment.result(std_id)
    std, region = r.standard, assessment.region
    kind = kind_of(std)
    fig, ax = _canvas(assessment, f"{std.title(lang)} — {verdict_word(r.verdict, lang)}", lang)
    geoms = {region.vocabulary.region_level: region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    shapes, colours = [], []
    for code, row in r.detail.sort_index().iterrows():
        severity = kind.unit_style(std, row, code, region, lang)[0]
        colours.append(NOT_TESTED_GREY if severity is None else COUNT_COLOURS[severity])
        shapes.append(geoms[code])
    projected = gpd.GeoSeries(shapes, crs="EPSG:4326").to_crs(region.crs)
    _polygons(ax, projected, colours, alpha=0.55, edgecolors="#333", linewidths=0.6)
    handles = [
        Patch(color=COUNT_COLOURS[0], label=_("meets the standard")),
        Patch(color=COUNT_COLOURS[2], label=_("1 facility missing")),
        Patch(color=COUNT_COLOURS[3], label=_("2 missing (ratio: below the floor)")),
        Patch(color=COUNT_COLOURS[4], label=_("3 or more missing")),
        Patch(color=NOT_TESTED_GREY, label=_("not tested")),
    ]
    _legend(ax, handles)
    _scale_bar(ax, lang)
    _footer(
        fig, [_("Source: {wording} ({section})").format(wording=simplified(std.wording), section=std.section)], generated, lang
    )
    return fig


def overview_figure(assessment: Assessment, *, lang: str, generated: str = ""):
    """Standards not met per settlement as a figure."""
    from matplotlib.lines import Line2D

    from .maps.overview import failures_per_settlement

    _ = words(lang)
    region = assessment.region
    fig, ax = _canvas(assessment, _("All standards: standards not met per settlement"), lang)
    fails = failures_per_settlement(assessment)
    pts = region.settlements.sort_index().to_crs(region.crs)
    n = fails.loc[pts.index, "n_failed"].to_numpy()
    colours = [COUNT_COLOURS[min(int(k), len(COUNT_COLOURS) - 1)] for k in n]
    ax.scatter(
        pts.geometry.x, pts.geometry.y, s=_sizes(pts["population"]), c=colours, edgecolors="#222", linewidths=0.4, zorder=3
    )
    labels = ["0", "1", "2", "3", "4+"]
    handles = [
        Line2D([], [], marker="o", linestyle="", color=c, label=_("{n} standards not met").format(n=k))
        for c, k in zip(COUNT_COLOURS, labels, strict=True)
    ]
    _legend(ax, handles)
    _scale_bar(ax, lang)
    _footer(fig, [], generated, lang)
    return fig


def lorenz_figure(assessment: Assessment, *, lang: str, generated: str = ""):
    """The Lorenz curves of every standard measured per settlement (people weighted), beside the line of equality."""
    import matplotlib.pyplot as plt

    from .fairness import fairness_table, lorenz_points

    _ = words(lang)
    table = fairness_table(assessment)
    ids = table.loc[(table["group"] == "all") & table["gini"].notna(), "standard"].tolist()
    fig, ax = plt.subplots(figsize=(7.0, 6.0), dpi=DPI)
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", label=_("equality"))
    styles = ["-", "--", "-.", ":"]
    for k, std_id in enumerate(ids):
        p, q = lorenz_points(assessment, std_id)
        g = table.loc[(table["standard"] == std_id) & (table["group"] == "all"), "gini"].iloc[0]
        label = _("{title} (Gini {gini})").format(title=assessment.result(std_id).standard.title(lang), gini=f"{g:.2f}")
        ax.plot(p, q, linestyle=styles[k % len(styles)], color=COUNT_COLOURS[k % len(COUNT_COLOURS)], label=label)
    ax.set_xlabel(_("share of people (ranked by the quantity, ascending)"))
    ax.set_ylabel(_("share of the quantity (minutes, or supply within reach)"))
    ax.set_title(_("Lorenz curves"), loc="left")
    ax.legend(fontsize=6.5, loc="upper left")
    _footer(fig, [], generated, lang)
    fig.subplots_adjust(bottom=0.16)
    return fig


def _save(fig, out_dir: Path, stem: str) -> list[str]:
    """PNG and SVG of a figure, written atomically, without the creation date (same input, same bytes)."""
    import matplotlib.pyplot as plt

    names = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        tmp = out_dir / f".{stem}.{ext}.part"
        fig.savefig(tmp, format=ext, metadata=meta)
        tmp.replace(out_dir / f"{stem}.{ext}")
        names.append(f"{stem}.{ext}")
    plt.close(fig)
    return names


def write_figures(
    assessment: Assessment, out_dir: Path, maps: dict[str, str], *, lang: str, generated: str = "", which: str = "maps"
) -> list[str]:
    """PNG and SVG beside each map (``<map>.png``, ``<map>.svg``; per unit standard not met, ``<kind>-<id>``).

    ``which``: ``maps`` (each map and the Lorenz curves), ``all`` (also each unit standard not
    met), ``none``. Returns the file names written (none when no CJK font is installed: a
    warning says so).
    """
    if which == "none":
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _ = words(lang)
    if cjk_font() is None:  # the plan's wording and place names are Chinese in every language's figures
        log.warning(
            _("No Chinese font found: the static figures (PNG, SVG) were not drawn. Install fonts-wqy-zenhei or Noto Sans CJK.")
        )
        return []
    written = []
    # WenQuanYi has no 'normal' weight entry: matplotlib picks its 500 and says so on every figure.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with plt.rc_context(_style(lang)):
        for key, fname in maps.items():
            stem = Path(fname).stem
            if key == "overview":
                written += _save(overview_figure(assessment, lang=lang, generated=generated), out_dir, stem)
            elif key in {r.standard.id for r in assessment.results}:
                written += _save(access_figure(assessment, key, lang=lang, generated=generated), out_dir, stem)
        written += _save(lorenz_figure(assessment, lang=lang, generated=generated), out_dir, "lorenz")
        for r in assessment.results if which == "all" else ():
            if kind_of(r.standard).map_family == "units" and r.verdict == NOT_MET and len(r.detail):
                stem = f"{kind_of(r.standard).name}-{r.standard.id}"
                written += _save(unit_figure(assessment, r.standard.id, lang=lang, generated=generated), out_dir, stem)
    return written
