"""The region summary (``coverage-plan info``) and the plan's indicator table."""

from __future__ import annotations

import pandas as pd

from ..inputs.osm_rules import road_class_name
from ..inputs.region import Region
from ..standards._base import NOT_TESTED, level_name
from ..standards.assessment import Assessment
from ..standards.kinds import kind_of
from ..text import fmt_count, join_list, simplified, words
from .report import estimated_note, region_title

__all__ = ["indicator_table", "region_summary_text"]


def region_summary_text(region: Region, *, lang: str = "en") -> str:
    """What ``coverage-plan info`` prints: counts, population, extent, what is estimated."""
    _ = words(lang)
    lines = [
        *_extent_lines(region, lang),
        "",
        *_settlement_lines(region, lang),
        "",
        *_facility_lines(region, lang),
        "",
        *_road_lines(region, lang),
        "",
        _("Estimated or schematic data (from the layers' source columns): {note}.").format(note=estimated_note(region, lang)),
    ]
    return "\n".join(lines)


def _extent_lines(region: Region, lang: str) -> list[str]:
    from pyproj import Geod

    _ = words(lang)
    minx, miny, maxx, maxy = region.boundary.bounds
    area_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(region.boundary)[0]) / 1e6
    return [
        _("Region: {name}").format(name=region_title(region, lang)),
        _("  boundary: {file}").format(file=region.files.get("boundary", _("(hull of the points + 5 km, estimated)"))),
        _("  extent: {w:.3f}-{e:.3f} E, {s:.3f}-{n:.3f} N, {area} km2").format(
            w=minx, e=maxx, s=miny, n=maxy, area=fmt_count(area_km2)
        ),
    ]


def _settlement_lines(region: Region, lang: str) -> list[str]:
    _ = words(lang)
    s = region.settlements
    lines = [
        _("Settlements: {n} ({file})").format(n=len(s), file=region.files.get("settlements", "")),
        _("  population {pop}; elderly (60+) {eld}").format(
            pop=fmt_count(s["population"].sum()),
            eld=fmt_count(s["elderly_population"].sum(min_count=1)) if s["elderly_population"].notna().any() else "-",
        ),
    ]
    by_class = s.groupby("class")["population"].agg(["count", "sum"])
    for klass, row in by_class.iterrows():
        lines.append(
            _("  {cls}: {n} settlements, population {pop}").format(
                cls=region.vocabulary.klass(klass).name(lang), n=int(row["count"]), pop=fmt_count(row["sum"])
            )
        )
    for lv in region.vocabulary.unit_levels:
        n = int((region.units["level"] == lv).sum()) if len(region.units) else 0
        lines.append(_("Units: {n} {level}").format(n=n, level=level_name(region, lv, lang)))
    return lines


def _facility_lines(region: Region, lang: str) -> list[str]:
    from .terminal import table_text

    _ = words(lang)
    f = region.facilities
    counts = f.groupby("facility_type")["quantity"].agg(["count", "sum"]).sort_index()
    columns = {} if lang == "zh" else {_("type"): counts.index}  # a key is what an English user types; Chinese reads names
    table = pd.DataFrame(
        {
            **columns,
            _("name"): [region.facility_types[t].name(lang) for t in counts.index],
            _("rows"): counts["count"].astype(int).to_numpy(),
            _("quantity"): counts["sum"].map(fmt_count).to_numpy(),
        }
    )
    head = _("Facilities: {n} ({file}); {out} outside the region (referral)").format(
        n=len(f), file=region.files.get("facilities", ""), out=int((~f["in_region"]).sum())
    )
    return [head, table_text(table)]


def _road_lines(region: Region, lang: str) -> list[str]:
    _ = words(lang)
    net = region.network
    if net is None:
        return [_("Roads: none given; travel is a straight-line estimate.")]
    by_hw = pd.Series(net.length_m / 1000).groupby(net.highway).sum().sort_values(ascending=False)
    return [
        _("Roads: {n} segments, {km} km ({file})").format(
            n=net.n_edges, km=fmt_count(net.length_m.sum() / 1000), file=region.files.get("roads", "")
        ),
        "  " + join_list([f"{road_class_name(k, lang)} {v:,.0f} km" for k, v in by_hw.items()], lang, short=True),
    ]


def indicator_tables(assessment: Assessment, *, lang: str = "en") -> list[tuple[str, pd.DataFrame]]:
    """Each indicator table of the catalogues (the plan's 二(三)), titled, with a 'measured' column.

    An indicator's ``measure`` names a standard of its catalogue (e.g. ``doctor-density``);
    the measured value is that standard's value on the region's data, or why it is not
    measured.  A catalogue without an indicator table has none (the national ones).
    """
    _ = words(lang)
    results = {r.standard.id: r for r in assessment.results if kind_of(r.standard).measured is not None}
    out = []
    for table in assessment.catalogue.indicator_tables:
        rows = [_indicator_row(ind, table, results, lang) for ind in table.rows]
        frame = pd.DataFrame(rows)
        if not any(ind.printed for ind in table.rows):
            frame = frame.drop(columns=_("printed otherwise"))
        title = table.catalogue_zh if lang == "zh" and table.catalogue_zh else table.catalogue_en
        out.append((title, frame))
    return out


def _indicator_row(ind, table, results: dict, lang: str) -> dict:
    """One indicator as shown: its area and name (simplified characters in Chinese), the figures as printed, the measure."""
    _ = words(lang)
    zh = lang == "zh"
    name = simplified(ind.name_zh) if zh else ind.name_en
    group = (simplified(ind.group_zh) if zh else ind.group_en) if ind.group_zh else ""
    return {
        _("area"): simplified(ind.domain_zh) if zh else ind.domain_en,
        _("indicator"): f"{group}：{name}" if group and zh else (f"{group}: {name}" if group else name),
        **dict(zip(table.years, ind.values, strict=True)),
        _("{year} target").format(year=table.target_year): ind.target,
        _("printed otherwise"): " ".join(ind.printed),
        _("measured from data"): _measured(results.get(ind.measure), lang),
        _("note"): (ind.note_zh or ind.note) if zh else ind.note,
    }


def _measured(r, lang: str) -> str:
    """The value a standard measures on the region's data, or why it is not measured ("" without a standard)."""
    if r is None:
        return ""
    _ = words(lang)
    if r.verdict == NOT_TESTED:
        return _("not measured: {why}").format(why=r.why.text(lang) if r.why else "")
    return kind_of(r.standard).measured(r, lang)


def indicator_table(assessment: Assessment, *, lang: str = "en") -> pd.DataFrame:
    """The first indicator table of the catalogues (empty when they have none); see :func:`indicator_tables`."""
    tables = indicator_tables(assessment, lang=lang)
    return tables[0][1] if tables else pd.DataFrame()
