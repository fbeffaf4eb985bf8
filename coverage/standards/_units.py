"""Which unit of every level each settlement and facility belongs to (codes given, parents, location)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..i18n import Msg, Names, Note
from ..inputs.region import Region
from ._base import NOT_TESTED

__all__ = ["export_unit_rows", "mapped", "memberships", "no_units_note", "types_note", "unit_membership", "units_at"]


def unit_membership(
    region: Region, points: gpd.GeoDataFrame, hints: list[pd.Series], inside: pd.Series | None = None
) -> pd.DataFrame:
    """The unit of every point at every level of the region's vocabulary (``""`` = none).

    Codes given in ``hints`` (``unit_code``, ``<level>_code``) are used where they
    name a unit of the units layer; a unit's parent fills the level above; what is
    still unknown is found by location (the polygon containing the point).  The
    region's own level is its key for every point ``inside`` (default: all).
    """
    vocab = region.vocabulary
    index = points.index
    out = pd.DataFrame({lv: pd.Series("", index=index, dtype=object) for lv in vocab.level_keys})
    inside = pd.Series(True, index=index) if inside is None else inside.reindex(index).fillna(False).astype(bool)
    out[vocab.region_level] = np.where(inside, vocab.region_level, "")
    units = region.units
    if len(units) and vocab.unit_levels:
        level_of = units["level"]
        for hint in hints:
            hint_level = hint.map(level_of)
            for lv in vocab.unit_levels:
                take = (out[lv] == "") & (hint_level == lv).to_numpy()
                out.loc[take, lv] = hint[take]
        levels = list(vocab.unit_levels)
        for k in range(len(levels) - 1, -1, -1):
            lv = levels[k]
            if k + 1 < len(levels):
                child = out[levels[k + 1]]
                parent = child.map(units["parent_code"]).fillna("")
                take = (out[lv] == "") & (parent.map(level_of) == lv)
                out.loc[take, lv] = parent[take]
            missing = (out[lv] == "").to_numpy()
            if missing.any():
                out.loc[missing, lv] = _locate(points.geometry[missing], units[level_of == lv])
    for lv in vocab.unit_levels:
        out.loc[~inside.to_numpy(), lv] = ""
    return out.astype(str)


def _locate(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """The first polygon (in the layer's order) containing each point; ``""`` outside all."""
    out = np.full(len(points), "", dtype=object)
    if len(points) == 0 or len(polygons) == 0:
        return out
    tree = shapely.STRtree(polygons.geometry.to_numpy())
    pi, ui = tree.query(points.to_numpy(), predicate="within")
    order = np.lexsort((ui, pi))
    pi, ui = pi[order], ui[order]
    first = np.ones(len(pi), bool)
    first[1:] = pi[1:] != pi[:-1]
    out[pi[first]] = polygons.index.to_numpy()[ui[first]]
    return out


def _hints(frame: pd.DataFrame, region: Region) -> list[pd.Series]:
    cols = ["unit_code", *[f"{lv}_code" for lv in region.vocabulary.unit_levels]]
    return [frame[c].astype(str) for c in cols if c in frame]


def memberships(region: Region, cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Settlement and facility units at every level, computed once per run (they need spatial joins)."""
    cache = {} if cache is None else cache
    if "units" not in cache:
        s, f = region.settlements, region.facilities
        cache["units"] = (
            unit_membership(region, s, _hints(s, region)),
            unit_membership(region, f, _hints(f, region), inside=f["in_region"]),
        )
    return cache["units"]


def units_at(region: Region, level: str) -> pd.DataFrame:
    """The units of a level (the region itself for the region's level), indexed by code."""
    if level == region.vocabulary.region_level:
        return pd.DataFrame(
            {"name_zh": [region.name_zh], "name_en": [region.name_en], "level": [level], "parent_code": [""]},
            index=pd.Index([level], name="code"),
        )
    u = region.units
    return u.loc[u["level"] == level, ["name_zh", "name_en", "level", "parent_code"]].copy()


def mapped(region: Region, types) -> bool:
    """True when the facility layer maps these types: one of them is in it, or the region declares it complete."""
    complete = region.complete_types
    return bool(region.facilities["facility_type"].isin(list(types)).any()) or "*" in complete or bool(set(types) & complete)


def types_names(region: Region, types) -> Names:
    """The names of facility types in both languages (``乡镇卫生院、村卫生室`` / ``township health centre, village clinic``)."""
    known = region.facility_types
    zh = "、".join(known[t].zh if t in known else t for t in types)
    en = ", ".join(known[t].en if t in known else t for t in types)
    return Names("", zh=zh, en=en)


def types_note(region: Region, types) -> Note:
    """Why a standard whose facility types are absent from the layer is not tested (names in prose; keys once, to type)."""
    return Msg(
        "no facility of the types {types} in the facilities layer: not mapped, or none exist (if none exist, "
        "declare the layer complete for them in region.toml: complete_types = [{keys}])",
        types=types_names(region, types),
        keys=", ".join(f'"{t}"' for t in types),
    )


def no_units_note(region: Region, level: str) -> Note:
    """Why a standard on the units of a level is not tested when the region has none."""
    name = region.vocabulary.level(level).name("en")
    return Note("no {level} units: give a units layer with level = {key}", {"level": name, "key": level})


def export_unit_rows(r, region: Region, lang: str = "en") -> pd.DataFrame:
    """The rows of a standard on units, as exported: ``code`` first, the reason it was not tested in words."""
    d = r.detail.reset_index().rename(columns={"index": "code"}).drop(columns=["passes"])
    if r.verdict == NOT_TESTED:
        d["verdict"] = NOT_TESTED
    d["reason"] = r.why.text(lang) if r.why else ""
    return d
