"""Checks of one field of a layer, shared by the validators: ids, codes, geometry, numbers, names.

Every function appends :class:`~coverage.errors.Problem` objects to a list (one per
bad row, at most :data:`MAX_PROBLEMS_PER_FIELD` per field) and returns the clean values,
so that a validator reports every problem of every field at once.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputValidationError, Problem
from ..i18n import Msg

__all__ = [
    "MAX_PROBLEMS_PER_FIELD",
    "NO",
    "YES",
    "check_ids",
    "check_location",
    "check_points",
    "codes",
    "either",
    "finish",
    "in_region",
    "names",
    "numbers",
    "plural",
    "text",
    "where",
]

MAX_PROBLEMS_PER_FIELD = 20
YES = ("true", "1", "1.0", "yes", "y", "t", "是")
NO = ("false", "0", "0.0", "no", "n", "f", "否")
_INTEGRAL = re.compile(r"^(-?\d+)\.0+$")


def codes(gdf: pd.DataFrame, column: str) -> pd.Series:
    """An identifier column (an id, a unit code, a parent code) as text, ``""`` where empty.

    Codes are identifiers, not numbers: GeoPackage, Shapefile and spreadsheet columns of
    codes with an empty cell arrive as floats (``152921111.0``); an integral value is
    restored (``152921111``), so the code is the one the user typed.  Exact up to 2**53
    (every 12-digit statistical code).
    """
    out = pd.Series("", index=gdf.index, dtype=object)
    if column not in gdf:
        return out
    raw = gdf[column]
    ok = raw.notna().to_numpy()
    if pd.api.types.is_float_dtype(raw):
        vals = raw.to_numpy(float)[ok]
        integral = np.isfinite(vals) & (vals == np.floor(vals)) & (np.abs(vals) < 2**53)
        as_text = np.array([str(v) for v in vals], dtype=object)
        as_text[integral] = [str(int(v)) for v in vals[integral]]
        out[ok] = as_text
        return out
    values = raw[ok].astype(str).str.strip()
    out[ok] = values.str.replace(_INTEGRAL, r"\1", regex=True).where(~values.str.lower().isin(["nan", "none", "<na>"]), "")
    return out


def where(gdf: pd.DataFrame, i: int) -> str:
    """``row 4 (id=S12)``: where row ``i`` is in its file, and its id."""
    place = str(gdf["row"].iloc[i]) if "row" in gdf else f"row {i + 1}"
    ident = codes(gdf.iloc[[i]], "id").iloc[0] if "id" in gdf else ""
    return place + (f" (id={ident})" if ident else "")


def plural(labels: list[str]) -> str:
    """``["row 2", "row 3"]`` -> ``"rows 2, 3"``."""
    words = {label.split(" ", 1)[0] for label in labels}
    if len(words) == 1:
        word = words.pop()
        return f"{word}s " + ", ".join(label.split(" ", 1)[1] for label in labels)
    return ", ".join(labels)


def check_ids(gdf: pd.DataFrame, source: str, problems: list[Problem]) -> None:
    """Every row has an id, and no two the same."""
    if "id" not in gdf:
        problems.append(
            Problem(
                source,
                "",
                "id",
                Msg(
                    "no 'id' column; add one with a unique text per row. Columns found: {columns}.",
                    columns=", ".join(c for c in gdf.columns if c not in ("geometry", "row")),
                ),
            )
        )
        return
    ids = codes(gdf, "id")
    blank = ids == ""
    for i in np.flatnonzero(blank.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(Problem(source, where(gdf, i), "id", Msg("id is empty; give every row a unique id.")))
    dup = ids.duplicated(keep=False) & ~blank
    for ident in sorted(set(ids[dup])):
        labels = [where(gdf.drop(columns="id"), j) for j in np.flatnonzero((ids == ident).to_numpy())]
        problems.append(Problem(source, plural(labels), "id", Msg("duplicate id '{id}'; ids must be unique.", id=ident)))


def check_points(gdf: gpd.GeoDataFrame, source: str, problems: list[Problem]) -> None:
    """Every geometry is a point."""
    geoms = gdf.geometry
    kinds = geoms.geom_type.fillna("None")
    missing = geoms.isna() | geoms.is_empty
    for i in np.flatnonzero(missing.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(source, where(gdf, i), "geometry", Msg("empty geometry; give the point's coordinates or delete the row."))
        )
    wrong = ~missing & (kinds != "Point")
    if wrong.any():
        found = ", ".join(sorted(set(kinds[wrong])))
        mixed = Msg(" (the layer mixes geometry types)") if (kinds == "Point").any() else ""
        for i in np.flatnonzero(wrong.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
            problems.append(
                Problem(
                    source,
                    where(gdf, i),
                    "geometry",
                    Msg(
                        "is a {kind}, expected a Point{mixed}; found {found}. Convert to points (e.g. QGIS 'Centroids') first.",
                        kind=kinds.iloc[i],
                        mixed=mixed,
                        found=found,
                    ),
                )
            )


def check_location(gdf: gpd.GeoDataFrame, source: str, problems: list[Problem], boundary, far_km: float) -> None:
    """Points far outside the region: say whether swapping lon/lat would put them in."""
    if boundary is None or boundary.is_empty:
        return
    ok = gdf.geometry.notna() & ~gdf.geometry.is_empty & (gdf.geometry.geom_type == "Point")
    if not ok.any():
        return
    from pyproj import Geod

    pts = gdf.geometry[ok]
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    c = boundary.centroid
    zone = boundary.buffer(far_km / 111.0)  # degrees, generous near 38 N
    outside = ~shapely.contains_xy(zone, x, y)
    swapped_in = shapely.contains_xy(zone, y, x)
    geod = Geod(ellps="WGS84")
    positions = np.flatnonzero(ok.to_numpy())
    for j in np.flatnonzero(outside)[:MAX_PROBLEMS_PER_FIELD]:
        i = positions[j]
        if swapped_in[j]:
            msg = Msg(
                "point ({x}, {y}) lies outside the region, but swapped it falls inside: "
                "longitude and latitude are exchanged. Put longitude in 'lon' (x) and latitude in 'lat' (y).",
                x=f"{x[j]:.5f}",
                y=f"{y[j]:.5f}",
            )
        else:
            _, _, dist = geod.inv(c.x, c.y, x[j], y[j])
            msg = Msg(
                "point ({x}, {y}) is {km} km from the region's centre, more than {far} km outside its boundary; "
                "check the coordinates (WGS84 longitude, latitude).",
                x=f"{x[j]:.5f}",
                y=f"{y[j]:.5f}",
                km=f"{dist / 1000:.0f}",
                far=f"{far_km:g}",
            )
        problems.append(Problem(source, where(gdf, i), "geometry", msg))


def numbers(
    gdf: pd.DataFrame,
    column: str,
    source: str,
    problems: list[Problem],
    *,
    required: bool,
    default: float | None = None,
    blank_ok: np.ndarray | None = None,
) -> pd.Series:
    """A column of numbers (finite, not negative); blanks take ``default``, or are a problem where ``required``."""
    if column not in gdf:
        if required:
            problems.append(Problem(source, "", column, Msg("no '{column}' column; add it (a number per row).", column=column)))
        return pd.Series(default if default is not None else np.nan, index=gdf.index, dtype=float)
    raw = gdf[column]
    text = raw.astype(str).str.strip().str.replace(",", "", regex=False)
    blank = raw.isna() | (text == "") | (text.str.lower().isin(["nan", "none", "null", "<na>"]))
    values = pd.to_numeric(text.where(~blank, ""), errors="coerce").astype(float)
    if not required and default is not None:
        values = values.where(~blank, default)
    is_blank = blank.to_numpy()
    v = values.to_numpy()
    infinite = ~is_blank & np.isinf(v)
    missing_ok = np.zeros(len(v), bool) if blank_ok is None else blank_ok
    bad = (is_blank & required & ~missing_ok) | (~is_blank & (np.isnan(v) | infinite | (v < 0)))
    # Only the bad rows are visited (the rest is vectorised); at most MAX_PROBLEMS_PER_FIELD are listed.
    for i in np.flatnonzero(bad)[:MAX_PROBLEMS_PER_FIELD]:
        if is_blank[i]:
            problems.append(
                Problem(source, where(gdf, i), column, Msg("{column} is missing; give a number (0 if none).", column=column))
            )
        elif infinite[i]:
            problems.append(
                Problem(
                    source,
                    where(gdf, i),
                    column,
                    Msg("{column} '{value}' is not a finite number.", column=column, value=raw.iloc[i]),
                )
            )
        elif np.isnan(v[i]):
            problems.append(
                Problem(
                    source, where(gdf, i), column, Msg("{column} '{value}' is not a number.", column=column, value=raw.iloc[i])
                )
            )
        else:
            problems.append(
                Problem(source, where(gdf, i), column, Msg("{column} {value} is negative.", column=column, value=f"{v[i]:g}"))
            )
    return values


def text(gdf: pd.DataFrame, column: str, default: pd.Series | str = "") -> pd.Series:
    """A column as stripped text (``""`` where empty), or ``default`` without the column."""
    if column in gdf:
        return gdf[column].astype(object).where(gdf[column].notna(), "").astype(str).str.strip()
    return pd.Series(default, index=gdf.index, dtype=str) if isinstance(default, str) else default.astype(str)


def either(words) -> str:
    """``'a' or 'b'`` / ``one of 'a', 'b', 'c'``."""
    quoted = [f"'{w}'" for w in words]
    if len(quoted) <= 2:
        return Msg("{a} or {b}", a=quoted[0], b=quoted[-1]) if len(quoted) == 2 else "".join(quoted)
    return Msg("one of {items}", items=", ".join(quoted))


def names(raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Chinese and English names: ``name_zh``/``name_en``, or a ``name`` column for whichever is missing.

    A name is never made up from the id: a row without a name has an empty name
    (reports show the id where a name is missing).
    """
    name = text(raw, "name")
    has_cjk = name.str.contains(r"[\u3400-\u9fff]", regex=True)
    name_zh = text(raw, "name_zh", name.where(has_cjk, "")) if "name_zh" in raw else name.where(has_cjk, "")
    name_en = text(raw, "name_en", name.where(~has_cjk, "")) if "name_en" in raw else name.where(~has_cjk, "")
    return name_zh, name_en


def finish(gdf: gpd.GeoDataFrame, source: str, problems: list[Problem], columns: dict) -> gpd.GeoDataFrame:
    """The clean layer indexed by id, or every problem found raised at once."""
    if problems:
        raise InputValidationError(problems)
    out = gpd.GeoDataFrame(columns, geometry=gdf.geometry.to_numpy(), crs="EPSG:4326")
    out.index = pd.Index(codes(gdf, "id").to_numpy(), name="id")
    out.attrs["source"] = source
    return out


def in_region(raw: gpd.GeoDataFrame, boundary, source: str, problems: list[Problem]) -> np.ndarray:
    """Whether each facility is the region's own: the ``in_region`` column where it says so, else its location."""
    if boundary is not None and (raw.geometry.geom_type == "Point").all():
        located = shapely.contains_xy(boundary, raw.geometry.x.to_numpy(), raw.geometry.y.to_numpy())
    else:
        located = np.ones(len(raw), bool)
    if "in_region" not in raw:
        return located
    said = text(raw, "in_region").str.lower()
    bad = ~said.isin([*YES, *NO, ""])
    for i in np.flatnonzero(bad.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(
                source,
                where(raw, i),
                "in_region",
                Msg(
                    "in_region '{value}' is neither true nor false; write true or false (or leave it empty).",
                    value=raw["in_region"].iloc[i],
                ),
            )
        )
    return np.where(said == "", located, said.isin(YES).to_numpy())
