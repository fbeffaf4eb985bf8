"""A population table joined to settlements: by code where there is one, else by name within the unit.

A planner's table (a CSV or an Excel sheet from the statistics bureau or the civil-affairs
office) names villages as people write them: 巴音嘎查, 巴音 or 巴音村; in full-width or
half-width characters; traditional or simplified.  Names are compared once normalised
(:func:`normalise`): Unicode NFKC (full/half width), spaces and punctuation removed, the
common suffixes of a village's or community's name taken off (嘎查, 村, 社区, 居委会...),
traditional characters converted to simplified (OpenCC), Latin letters case-folded.

A row matches a settlement by its code (the settlement's id) when the table has a code
column; otherwise by its normalised name, and where several settlements share a name, by
the unit the row names (a unit code or name, at any level).  Nothing is joined in silence:
rows that match no settlement, or several, and settlements no row matches, are reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import InputValidationError, Problem
from ..i18n import Msg
from ..text import simplified
from ._fields import codes
from ._layers import read_table

__all__ = ["PopulationJoin", "join_population_table", "normalise", "units_of"]

#: Suffixes a village's or community's name carries in one source and not in another (longest first).
SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "行政村", "自然村", "嘎查村", "嘎查", "社区", "村", "屯", "组")
CODE_COLUMNS = ("id", "code", "settlement_id", "编码", "代码", "区划代码", "统计用区划代码")
NAME_COLUMNS = ("name", "name_zh", "name_en", "名称", "村名", "村庄", "居民点")
UNIT_COLUMNS = ("unit", "unit_code", "unit_name", "乡镇", "苏木镇", "所属单元", "所属乡镇")
POPULATION_COLUMNS = ("population", "人口", "常住人口", "户籍人口")
ELDERLY_COLUMNS = ("elderly_population", "老年人口", "60岁以上人口")


def normalise(name: str) -> str:
    """A name as it is compared: NFKC, no spaces or punctuation, no village suffix, simplified, case-folded."""
    text = unicodedata.normalize("NFKC", str(name or "")).strip()
    text = simplified(text)
    text = re.sub(r"[\s\W_]+", "", text).casefold()
    for suffix in SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@dataclass(frozen=True)
class PopulationJoin:
    """What a population table gives the settlements, and what it could not place.

    Attributes
    ----------
    population, elderly
        Per settlement (its index); NaN where no row matched (elderly: where the table has none).
    source
        Per settlement, the ``pop_source`` text of a joined value.
    unmatched
        Table rows (``row N``, the name or code given) that match no settlement.
    missing
        Settlements no row matched.
    """

    population: pd.Series
    elderly: pd.Series
    source: pd.Series
    unmatched: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default_factory=tuple)


def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def _numbers(frame: pd.DataFrame, col: str, path: str) -> pd.Series:
    text = frame[col].astype(str).str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        raise InputValidationError(
            [
                Problem(
                    path,
                    frame["row"].iloc[i],
                    col,
                    Msg("{column} '{value}' is not a number of people.", column=col, value=frame[col].iloc[i]),
                )
                for i in bad.to_numpy().nonzero()[0][:20]
            ]
        )
    return values.astype(float)


def join_population_table(path, settlements: pd.DataFrame, units_of: pd.DataFrame | None = None) -> PopulationJoin:
    """Join a population table (CSV or Excel) to settlements.

    Parameters
    ----------
    path
        The table: a population column (``population``, 人口, 常住人口...), and a code column
        (the settlement's id) or a name column (and, to tell apart villages of the same
        name, a unit column naming a unit's code or name).
    settlements
        Indexed by id, with ``name_zh`` and ``name_en``.
    units_of
        Per settlement (same index), the units it belongs to: one column per level, each
        cell ``"code|name_zh|name_en"`` or ``""``; used only for names shared by several settlements.

    Raises
    ------
    InputValidationError
        No population column, no code or name column, numbers that are not numbers of people,
        or rows whose name fits several settlements (listed with the units that would tell them apart).
    """
    frame = read_table(path)
    label = str(path)
    pop_col = _column(frame, POPULATION_COLUMNS)
    code_col, name_col = _column(frame, CODE_COLUMNS), _column(frame, NAME_COLUMNS)
    if pop_col is None or (code_col is None and name_col is None):
        message = Msg(
            "a population table needs a population column ({populations}) and a code or name column ({names}); "
            "columns found: {columns}.",
            populations=", ".join(POPULATION_COLUMNS),
            names=", ".join(CODE_COLUMNS[:2] + NAME_COLUMNS[:2]),
            columns=", ".join(c for c in frame.columns if c != "row"),
        )
        raise InputValidationError([Problem(label, "", "", message)])
    people = _numbers(frame, pop_col, label)
    elderly_col = _column(frame, ELDERLY_COLUMNS)
    elderly = _numbers(frame, elderly_col, label) if elderly_col else pd.Series(float("nan"), index=frame.index)
    if code_col is not None:
        match = _by_code(frame, code_col, settlements)
    else:
        match = _by_name(frame, name_col, _column(frame, UNIT_COLUMNS), settlements, units_of, label)
    return _joined(frame, match, people, elderly, settlements, label, code_col or name_col)


def _by_code(frame: pd.DataFrame, code_col: str, settlements: pd.DataFrame) -> pd.Series:
    """The settlement id of each row, by its code (``""`` where none matches)."""
    given = codes(frame, code_col)
    return given.where(given.isin(settlements.index), "")


def _by_name(frame, name_col, unit_col, settlements, units_of, label: str) -> pd.Series:
    """The settlement id of each row, by its normalised name, then by the unit it names; ambiguous rows refused."""
    keys = pd.concat([settlements["name_zh"].map(normalise), settlements["name_en"].map(normalise)], axis=1)
    by_name: dict[str, list[str]] = {}
    for sid, (zh, en) in zip(settlements.index, keys.itertuples(index=False), strict=True):
        for key in {zh, en} - {""}:
            by_name.setdefault(key, []).append(sid)
    out = pd.Series("", index=frame.index, dtype=object)
    problems = []
    for i, row in frame.iterrows():
        candidates = by_name.get(normalise(row[name_col]), [])
        if len(candidates) > 1 and unit_col is not None and units_of is not None:
            unit = normalise(row[unit_col])
            candidates = [s for s in candidates if unit and _in_unit(unit, units_of.loc[s])]
        if len(candidates) == 1:
            out[i] = candidates[0]
        elif len(candidates) > 1:
            problems.append(
                Problem(
                    label,
                    row["row"],
                    name_col,
                    Msg(
                        "'{name}' fits {n} settlements ({ids}); add a unit column naming each row's township or unit.",
                        name=row[name_col],
                        n=len(candidates),
                        ids=", ".join(candidates),
                    ),
                )
            )
    if problems:
        raise InputValidationError(problems)
    return out


def _in_unit(unit: str, cells) -> bool:
    """Whether a normalised unit name or code is one of a settlement's units (cells ``code|name_zh|name_en``)."""
    return any(unit in map(normalise, cell.split("|")) for cell in cells if cell)


def units_of(settlements: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per settlement, the units that hold it (by location; its unit_code too): one column per unit, ``code|zh|en``."""
    if units is None or not len(units):
        return pd.DataFrame(index=settlements.index)
    tree = shapely.STRtree(units.geometry.to_numpy())
    pi, ui = tree.query(settlements.geometry.to_numpy(), predicate="within")
    labels = [f"{c}|{zh}|{en}" for c, zh, en in zip(units.index, units["name_zh"], units["name_en"], strict=True)]
    table: dict = {}
    for p, u in zip(pi, ui, strict=True):
        table.setdefault(settlements.index[p], []).append(labels[u])
    if "unit_code" in settlements:
        for sid, code in settlements["unit_code"].items():
            if code and code in units.index:
                table.setdefault(sid, []).append(labels[units.index.get_loc(code)])
    width = max((len(v) for v in table.values()), default=0)
    return pd.DataFrame(
        [table.get(s, []) + [""] * (width - len(table.get(s, []))) for s in settlements.index], index=settlements.index
    )


def _joined(frame, match: pd.Series, people, elderly, settlements, label: str, key_col: str) -> PopulationJoin:
    """The population of each settlement from its matched row (rows matching the same settlement are summed)."""
    matched = match != ""
    population = people[matched].groupby(match[matched]).sum(min_count=1).reindex(settlements.index)
    old = elderly[matched].groupby(match[matched]).sum(min_count=1).reindex(settlements.index)
    rows = frame.loc[matched, "row"].groupby(match[matched]).agg(", ".join).reindex(settlements.index)
    source = rows.map(lambda r: f"population table {label}, {r}" if isinstance(r, str) else "")
    unmatched = tuple(f"{r} ({v})" for r, v in zip(frame.loc[~matched, "row"], frame.loc[~matched, key_col], strict=True))
    missing = tuple(settlements.index[population.isna()])
    return PopulationJoin(population, old, source, unmatched, missing)
