"""Text and tables for people: region summary, scorecard, Markdown exports.

Pure functions from results to strings/frames; writing files is the caller's job
(:mod:`coverage.io`).
"""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from .region import Region

__all__ = [
    "access_table",
    "budget_curve_svg",
    "indicator_table",
    "region_summary_text",
    "scorecard_markdown",
    "scorecard_text",
    "table_text",
    "unit_table",
]


def table_text(frame: pd.DataFrame, *, max_width: int = 60) -> str:
    """A plain-text table (wide cells cut with an ellipsis) for terminals."""
    cols = list(frame.columns)
    cells = [[str(c) for c in cols]] + [[_cut(v, max_width) for v in row] for row in frame.astype(object).itertuples(index=False)]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(cols))]
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cut(value, n: int) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = text.replace("\n", " ")
    return text if _width(text) <= n else text[: n - 1] + "…"


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def region_summary_text(region: Region) -> str:
    """What ``coverage-plan info`` prints: counts, population, extent, what is estimated."""
    s, f = region.settlements, region.facilities
    minx, miny, maxx, maxy = region.boundary.bounds
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(region.boundary)[0]) / 1e6
    lines = [
        f"Region: {region.name_zh} / {region.name_en}".strip(),
        f"  boundary: {region.files.get('boundary', '')}",
        f"  extent: {minx:.3f}-{maxx:.3f} E, {miny:.3f}-{maxy:.3f} N, {area_km2:,.0f} km2; metric CRS {region.crs}",
        "",
        f"Settlements: {len(s)} ({region.files.get('settlements', '')})",
        f"  population {s['population'].sum():,.0f}; elderly (60+) {s['elderly_population'].sum(min_count=1):,.0f}",
    ]
    by_class = s.groupby("class")["population"].agg(["count", "sum"])
    for klass, row in by_class.iterrows():
        lines.append(f"  {klass:<9} {int(row['count']):>4} settlements, population {row['sum']:,.0f}")
    if len(region.units):
        towns = region.units[region.units["level"] == "town"]
        lines.append(f"Units: {len(towns)} towns, {int((region.units['level'] == 'gacha').sum())} gacha/communities")
        for code, town in towns.iterrows():
            members = region.units.index[region.units["parent_code"] == code]
            pop = s.loc[s["unit_code"].isin(members) | (s["town_code"] == code), "population"].sum()
            lines.append(
                f"  {code} {town['name_zh']} / {town['name_en']}: {len(members)} gacha/communities, population {pop:,.0f}"
            )
    lines += [
        "",
        f"Facilities: {len(f)} ({region.files.get('facilities', '')}); "
        f"{int((~f['in_region']).sum())} outside the region (referral)",
    ]
    counts = f.groupby("facility_type")["quantity"].agg(["count", "sum"]).sort_index().astype(int)
    unit_col = f["unit_code"].map(lambda c: c[:9] if c else "outside")
    per_town = pd.crosstab(f["facility_type"], unit_col)
    table = counts.rename(columns={"count": "rows", "sum": "quantity"}).join(per_town)
    table.insert(0, "name", [region.facility_types[t].zh + " / " + region.facility_types[t].en for t in table.index])
    lines.append(table_text(table.reset_index().rename(columns={"facility_type": "type"})))
    net = region.network
    lines += ["", f"Roads: {net.n_edges} segments, {net.length_m.sum() / 1000:,.0f} km ({region.files.get('roads', '')})"]
    by_hw = pd.Series(net.length_m / 1000).groupby(net.highway).sum().sort_values(ascending=False)
    lines.append("  " + ", ".join(f"{k} {v:,.0f} km" for k, v in by_hw.items()))
    est = region.estimated_summary()
    lines += ["", "Estimated or schematic data (from the layers' source columns):"]
    for _, row in est.iterrows():
        lines.append(f"  {row['layer']:<12} {row['field']:<13} {row['estimated']:>4} of {row['total']:<4} estimated/schematic")
    return "\n".join(lines)


# --- assessment exports ------------------------------------------------------------


def access_table(assessment) -> gpd.GeoDataFrame:
    """Every access result, one row per standard x settlement, with point geometry (WGS84)."""
    from .standards import AccessStandard

    frames = [r.detail for r in assessment.results if isinstance(r.standard, AccessStandard) and len(r.detail)]
    region = assessment.region
    if not frames:
        return gpd.GeoDataFrame({"standard": []}, geometry=[], crs="EPSG:4326")
    long = pd.concat(frames)
    long.index.name = "settlement_id"
    long = long.reset_index()
    long["minutes"] = long["minutes"].round(3)
    long["margin_min"] = long["margin_min"].round(3)
    long["shortfall_min"] = long["shortfall_min"].round(3)
    long["snap_m"] = long["snap_m"].round(1)
    geometry = region.settlements.geometry.reindex(long["settlement_id"]).to_numpy()
    return gpd.GeoDataFrame(long, geometry=geometry, crs="EPSG:4326")


def unit_table(assessment, kind: str) -> gpd.GeoDataFrame:
    """Presence or ratio results, one row per standard x unit, with unit polygons (the boundary for the zone)."""
    frames = [
        r.detail.reset_index().rename(columns={"index": "code"})
        for r in assessment.results
        if r.standard.kind == kind and len(r.detail)
    ]
    region = assessment.region
    if not frames:
        return gpd.GeoDataFrame({"standard": []}, geometry=[], crs="EPSG:4326")
    long = pd.concat(frames, ignore_index=True)
    geoms = {"zone": region.boundary, **dict(zip(region.units.index, region.units.geometry, strict=True))}
    return gpd.GeoDataFrame(long, geometry=[geoms.get(c) for c in long["code"]], crs="EPSG:4326")


def scorecard_markdown(assessment, *, lang: str = "en") -> str:
    """The scorecard as Markdown, with the catalogue and data it came from."""
    card = assessment.scorecard(lang)
    cat, region = assessment.catalogue, assessment.region
    lines = [
        f"# {'基本公共服务标准达标情况' if lang == 'zh' else 'Scorecard'}: {region.name_zh} / {region.name_en}",
        "",
        f"Standards: {cat.name_zh} / {cat.name_en} ({cat.source}); catalogue `{cat.path}`.",
        "",
        "| " + " | ".join(card.columns) + " |",
        "|" + "---|" * len(card.columns),
    ]
    for row in card.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    lines += [
        "",
        "Data: " + "; ".join(f"{k}: `{Path(v).name}`" for k, v in sorted(region.files.items())) + ".",
        "Estimated or schematic inputs: " + estimated_note(region) + ".",
    ]
    return "\n".join(lines) + "\n"


def estimated_note(region: Region) -> str:
    """One line saying how much of the input is estimated."""
    est = region.estimated_summary().set_index(["layer", "field"])
    parts = []
    for (layer, fld), row in est.iterrows():
        if row["estimated"]:
            parts.append(f"{row['estimated']}/{row['total']} {layer} ({fld})")
    return ", ".join(parts) if parts else "none flagged"


def scorecard_text(assessment, *, lang: str = "en") -> str:
    """What ``coverage-plan check`` prints."""
    card = assessment.scorecard(lang).drop(columns=["规划原文" if lang == "zh" else "plan wording"])
    region, cat = assessment.region, assessment.catalogue
    failing = assessment.failing
    head = f"{region.name_zh} / {region.name_en} — {cat.name_zh if lang == 'zh' else cat.name_en}"
    lines = [head, table_text(card, max_width=48), ""]
    n = len(assessment.results)
    lines.append(f"{n - len(failing)} of {n} standards met; failing: {', '.join(failing) if failing else 'none'}.")
    off_road: dict[str, float] = {}
    for r in assessment.results:
        if r.standard.kind == "access" and len(r.detail):
            limit = region.profiles[r.standard.profile].max_snap_m
            far = r.detail[r.detail["snap_m"] > limit]
            off_road.update({f"{row['name_zh']} ({sid})": row["snap_m"] for sid, row in far.iterrows()})
    if off_road:
        listed = ", ".join(f"{name} {d / 1000:.0f} km" for name, d in sorted(off_road.items()))
        lines.append(
            f"Not joined to the road network (farther than the profile's max_snap_m; reached across country only, "
            f"if at all): {listed}."
        )
    lines.append(f"Sources: catalogue {cat.path} ({cat.source}); estimated inputs: {estimated_note(region)}.")
    return "\n".join(lines)


# --- the plan's indicator table --------------------------------------------------------


def indicator_table(region: Region, catalogue, *, lang: str = "en") -> pd.DataFrame:
    """The plan's indicator table, with a 'measured' column where a ratio standard of the catalogue computes it.

    An indicator's ``measure`` names a ratio standard (e.g. ``doctor-density``); the
    measured value is that standard's zone-level ratio on the region's data.
    """
    from .assessment import assess_ratio
    from .config import read_toml
    from .standards import RatioStandard

    data, _text, _label = read_toml(None, default="indicators.toml")
    ratios = {s.id: s for s in catalogue.standards if isinstance(s, RatioStandard) and s.level == "zone"}
    rows = []
    for ind in data["indicator"]:
        measured = ""
        if ind.get("measure") in ratios:
            value = assess_ratio(region, ratios[ind["measure"]]).detail.loc["zone", "value"]
            measured = f"{value:.2f}" if np.isfinite(value) else "-"
        v = ind["values"]
        rows.append(
            {
                "indicator": ind["name_zh"] if lang == "zh" else ind["name_en"],
                "2015": v[0],
                "2016": v[1],
                "2017": v[2],
                "2020 target": v[3],
                "measured from data": measured,
            }
        )
    return pd.DataFrame(rows)


def budget_curve_svg(curve, *, title: str) -> str:
    """A small SVG line chart of the budget curve (no plotting library needed)."""
    w, h, pad = 520, 320, 50
    ks = curve["k"].to_numpy()
    kmax = max(int(ks.max()), 1)

    def pt(k, share):
        return pad + (w - 2 * pad) * k / kmax, h - pad - (h - 2 * pad) * share

    lines = []
    for col, colour in (("optimal_share", "#0072B2"), ("build_order_share", "#D55E00")):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (pt(k, s) for k, s in zip(ks, curve[col], strict=True)))
        lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{pts}'/>")
    ticks = "".join(f"<text x='{pt(k, 0)[0]:.1f}' y='{h - pad + 16}' font-size='11' text-anchor='middle'>{k}</text>" for k in ks)
    yt = "".join(
        f"<text x='{pad - 6}' y='{pt(0, s)[1] + 4:.1f}' font-size='11' text-anchor='end'>{s:.0%}</text>"
        for s in (0, 0.25, 0.5, 0.75, 1.0)
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}'>"
        f"<rect width='100%' height='100%' fill='white'/><text x='{w / 2}' y='20' text-anchor='middle' font-size='13'>"
        f"{html.escape(title)}: share of demand meeting the standard</text>"
        f"<line x1='{pad}' y1='{h - pad}' x2='{w - pad}' y2='{h - pad}' stroke='black'/>"
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{h - pad}' stroke='black'/>{ticks}{yt}{''.join(lines)}"
        f"<text x='{w - pad}' y='{pad}' font-size='11' text-anchor='end' fill='#0072B2'>optimal for each k</text>"
        f"<text x='{w - pad}' y='{pad + 14}' font-size='11' text-anchor='end' fill='#D55E00'>build order</text>"
        f"<text x='{w / 2}' y='{h - 10}' font-size='11' text-anchor='middle'>new facilities</text></svg>\n"
    )
