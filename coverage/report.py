"""Text and tables for people: region summary, scorecard, Markdown exports.

Pure functions from results to strings/frames; writing files is the caller's job
(:mod:`coverage.io`).
"""

from __future__ import annotations

import pandas as pd
from pyproj import Geod

from .region import Region

__all__ = ["region_summary_text", "table_text"]


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
    lines = [f"Region: {region.name_zh} / {region.name_en}".strip(),
             f"  boundary: {region.files.get('boundary', '')}",
             f"  extent: {minx:.3f}-{maxx:.3f} E, {miny:.3f}-{maxy:.3f} N, {area_km2:,.0f} km2; metric CRS {region.crs}",
             "",
             f"Settlements: {len(s)} ({region.files.get('settlements', '')})",
             f"  population {s['population'].sum():,.0f}; elderly (60+) {s['elderly_population'].sum(min_count=1):,.0f}"]
    by_class = s.groupby("class")["population"].agg(["count", "sum"])
    for klass, row in by_class.iterrows():
        lines.append(f"  {klass:<9} {int(row['count']):>4} settlements, population {row['sum']:,.0f}")
    if len(region.units):
        towns = region.units[region.units["level"] == "town"]
        lines.append(f"Units: {len(towns)} towns, {int((region.units['level'] == 'gacha').sum())} gacha/communities")
        for code, town in towns.iterrows():
            members = region.units.index[region.units["parent_code"] == code]
            pop = s.loc[s["unit_code"].isin(members) | (s["town_code"] == code), "population"].sum()
            lines.append(f"  {code} {town['name_zh']} / {town['name_en']}: {len(members)} gacha/communities, population {pop:,.0f}")
    lines += ["", f"Facilities: {len(f)} ({region.files.get('facilities', '')}); "
              f"{int((~f['in_region']).sum())} outside the region (referral)"]
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
