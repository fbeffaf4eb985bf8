"""Validation of settlement, facility and unit layers: every problem, at once.

Each function takes a raw layer (as :func:`coverage.io.read_layer` returns it),
returns a clean frame indexed by ``id`` with typed columns, or raises
:class:`~coverage.errors.InputValidationError` listing every problem with its
file, row or feature id, field and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputValidationError, Problem
from ..i18n import Msg, Note
from ..tables import suggest
from .config import FacilityType, Vocabulary, load_vocabulary

__all__ = ["NUMERIC_FACILITY_FIELDS", "unit_reference_problems", "validate_facilities", "validate_settlements", "validate_units"]

NUMERIC_FACILITY_FIELDS = ("quantity", "beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")


MAX_PROBLEMS_PER_FIELD = 20


def _where(gdf: pd.DataFrame, i: int) -> str:
    where = str(gdf["row"].iloc[i]) if "row" in gdf else f"row {i + 1}"
    ident = gdf["id"].iloc[i] if "id" in gdf else ""
    return where + (f" (id={ident})" if ident not in ("", None) and not pd.isna(ident) else "")


def _plural(labels: list[str]) -> str:
    """``["row 2", "row 3"]`` -> ``"rows 2, 3"``."""
    words = {label.split(" ", 1)[0] for label in labels}
    if len(words) == 1:
        word = words.pop()
        return f"{word}s " + ", ".join(label.split(" ", 1)[1] for label in labels)
    return ", ".join(labels)


def _ids(gdf: pd.DataFrame, source: str, problems: list[Problem]) -> None:
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
    ids = gdf["id"].astype(str).str.strip()
    blank = (ids == "") | gdf["id"].isna() | (ids.str.lower() == "nan")
    for i in np.flatnonzero(blank.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(Problem(source, _where(gdf, i), "id", Msg("id is empty; give every row a unique id.")))
    dup = ids.duplicated(keep=False) & ~blank
    for ident in sorted(set(ids[dup])):
        labels = [_where(gdf.drop(columns="id"), j) for j in np.flatnonzero((ids == ident).to_numpy())]
        problems.append(Problem(source, _plural(labels), "id", Msg("duplicate id '{id}'; ids must be unique.", id=ident)))


def _points(gdf: gpd.GeoDataFrame, source: str, problems: list[Problem]) -> None:
    geoms = gdf.geometry
    kinds = geoms.geom_type.fillna("None")
    missing = geoms.isna() | geoms.is_empty
    for i in np.flatnonzero(missing.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(source, _where(gdf, i), "geometry", Msg("empty geometry; give the point's coordinates or delete the row."))
        )
    wrong = ~missing & (kinds != "Point")
    if wrong.any():
        found = ", ".join(sorted(set(kinds[wrong])))
        mixed = Msg(" (the layer mixes geometry types)") if (kinds == "Point").any() else ""
        for i in np.flatnonzero(wrong.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
            problems.append(
                Problem(
                    source,
                    _where(gdf, i),
                    "geometry",
                    Msg(
                        "is a {kind}, expected a Point{mixed}; found {found}. Convert to points (e.g. QGIS 'Centroids') first.",
                        kind=kinds.iloc[i],
                        mixed=mixed,
                        found=found,
                    ),
                )
            )


def _location(gdf: gpd.GeoDataFrame, source: str, problems: list[Problem], boundary, far_km: float) -> None:
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
        problems.append(Problem(source, _where(gdf, i), "geometry", msg))


def _numbers(
    gdf: pd.DataFrame,
    column: str,
    source: str,
    problems: list[Problem],
    *,
    required: bool,
    default: float | None = None,
    blank_ok: np.ndarray | None = None,
) -> pd.Series:
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
                Problem(source, _where(gdf, i), column, Msg("{column} is missing; give a number (0 if none).", column=column))
            )
        elif infinite[i]:
            problems.append(
                Problem(
                    source,
                    _where(gdf, i),
                    column,
                    Msg("{column} '{value}' is not a finite number.", column=column, value=raw.iloc[i]),
                )
            )
        elif np.isnan(v[i]):
            problems.append(
                Problem(
                    source, _where(gdf, i), column, Msg("{column} '{value}' is not a number.", column=column, value=raw.iloc[i])
                )
            )
        else:
            problems.append(
                Problem(source, _where(gdf, i), column, Msg("{column} {value} is negative.", column=column, value=f"{v[i]:g}"))
            )
    return values


def _text(gdf: pd.DataFrame, column: str, default: pd.Series | str = "") -> pd.Series:
    if column in gdf:
        return gdf[column].astype(object).where(gdf[column].notna(), "").astype(str).str.strip()
    return pd.Series(default, index=gdf.index, dtype=str) if isinstance(default, str) else default.astype(str)


def _either(words) -> str:
    """``'a' or 'b'`` / ``one of 'a', 'b', 'c'``."""
    quoted = [f"'{w}'" for w in words]
    if len(quoted) <= 2:
        return Msg("{a} or {b}", a=quoted[0], b=quoted[-1]) if len(quoted) == 2 else "".join(quoted)
    return Msg("one of {items}", items=", ".join(quoted))


def _names(raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Chinese and English names: ``name_zh``/``name_en``, or a ``name`` column for whichever is missing.

    A name is never made up from the id: a row without a name has an empty name
    (reports show the id where a name is missing).
    """
    name = _text(raw, "name")
    has_cjk = name.str.contains(r"[\u3400-\u9fff]", regex=True)
    name_zh = _text(raw, "name_zh", name.where(has_cjk, "")) if "name_zh" in raw else name.where(has_cjk, "")
    name_en = _text(raw, "name_en", name.where(~has_cjk, "")) if "name_en" in raw else name.where(~has_cjk, "")
    return name_zh, name_en


def _finish(gdf: gpd.GeoDataFrame, source: str, problems: list[Problem], columns: dict) -> gpd.GeoDataFrame:
    if problems:
        raise InputValidationError(problems)
    out = gpd.GeoDataFrame(columns, geometry=gdf.geometry.to_numpy(), crs="EPSG:4326")
    out.index = pd.Index(gdf["id"].astype(str).str.strip().to_numpy(), name="id")
    out.attrs["source"] = source
    return out


def validate_settlements(
    raw: gpd.GeoDataFrame, *, source: str, boundary=None, far_km: float = 50.0, vocabulary: Vocabulary | None = None
) -> gpd.GeoDataFrame:
    """Check and type a settlement layer.

    Required columns: ``id``, ``population``, ``class`` (one of the region's classes)
    and Point geometry.  Optional: ``name_zh``, ``name_en`` (or ``name``),
    ``unit_code``, ``<level>_code`` (e.g. ``town_code``), ``elderly_population``,
    ``coord_source``, ``pop_source``.

    Parameters
    ----------
    raw
        The layer as read.
    source
        The file name, for messages.
    boundary
        Region boundary (WGS84) for the far-outside check.
    far_km
        Points farther than this outside the boundary are errors.
    vocabulary
        The region's settlement classes and levels (default: the built-in vocabulary).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``id``.
    """
    problems: list[Problem] = []
    if len(raw) == 0:
        raise InputValidationError(
            [Problem(source, "", "", Msg("the layer is empty (no settlement); check the file or layer name."))]
        )
    _ids(raw, source, problems)
    _points(raw, source, problems)
    # A population left empty on purpose says so: pop_source "missing: ..." (as `init` writes
    # for a place without a population tag); the access standards then say "not tested".
    declared_missing = _text(raw, "pop_source").str.lower().str.startswith("missing").to_numpy()
    population = _numbers(raw, "population", source, problems, required=True, blank_ok=declared_missing)
    elderly = (
        _numbers(raw, "elderly_population", source, problems, required=False)
        if "elderly_population" in raw
        else pd.Series(np.nan, index=raw.index)
    )
    over = (elderly > population).to_numpy()
    for i in np.flatnonzero(over)[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(
                source,
                _where(raw, i),
                "elderly_population",
                Msg(
                    "elderly_population {elderly} exceeds population {population}.",
                    elderly=f"{elderly.iloc[i]:g}",
                    population=f"{population.iloc[i]:g}",
                ),
            )
        )
    vocabulary = vocabulary or load_vocabulary()
    classes = vocabulary.class_keys
    choices = _either(classes)
    if "class" not in raw:
        problems.append(
            Problem(source, "", "class", Msg("no 'class' column; add one saying {choices} for each settlement.", choices=choices))
        )
        klass = pd.Series("", index=raw.index)
    else:
        klass = _text(raw, "class")
        klass = klass.where(klass.isin(classes), klass.str.lower())
        for i in np.flatnonzero(~klass.isin(classes).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
            problems.append(
                Problem(
                    source,
                    _where(raw, i),
                    "class",
                    Msg(
                        "class '{value}' is not {choices}{suggestion}.",
                        value=raw["class"].iloc[i],
                        choices=choices,
                        suggestion=suggest(klass.iloc[i], classes),
                    ),
                )
            )
    _location(raw, source, problems, boundary, far_km)
    name_zh, name_en = _names(raw)
    columns = {
        "name_zh": name_zh.to_numpy(),
        "name_en": name_en.to_numpy(),
        "unit_code": _text(raw, "unit_code").to_numpy(),
        **{f"{lv}_code": _text(raw, f"{lv}_code").to_numpy() for lv in vocabulary.unit_levels if f"{lv}_code" in raw},
        "class": klass.to_numpy(),
        "population": population.to_numpy(),
        "elderly_population": elderly.to_numpy(),
        "coord_source": _text(raw, "coord_source", "as given in " + source).to_numpy(),
        "pop_source": _text(raw, "pop_source", "as given in " + source).to_numpy(),
    }
    return _finish(raw, source, problems, columns)


def validate_facilities(
    raw: gpd.GeoDataFrame, *, source: str, facility_types: Mapping[str, FacilityType], boundary=None, far_km: float = 150.0
) -> gpd.GeoDataFrame:
    """Check and type a facility layer.

    Required columns: ``id``, ``facility_type`` (or ``type``) and Point geometry.
    Optional: ``name_zh``, ``name_en`` (or ``name``), ``unit_code``, ``quantity``
    (default 1), ``beds``, ``nursing_beds``, ``gps``, ``doctors``, ``in_region``
    (default: inside the boundary), ``coord_source``, ``attr_source``.

    Parameters
    ----------
    raw
        The layer as read.
    source
        The file name, for messages.
    facility_types
        Known types; others are errors with a suggestion.
    boundary
        Region boundary (WGS84).
    far_km
        Facilities farther than this outside the boundary are errors (referral
        hospitals across a border are fine within it).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``id``.
    """
    problems: list[Problem] = []
    if len(raw) == 0:
        raise InputValidationError(
            [Problem(source, "", "", Msg("the layer is empty (no facility); check the file or layer name."))]
        )
    raw = raw.rename(columns={"type": "facility_type"}) if "facility_type" not in raw and "type" in raw else raw
    _ids(raw, source, problems)
    _points(raw, source, problems)
    if "facility_type" not in raw:
        problems.append(
            Problem(
                source,
                "",
                "facility_type",
                Msg(
                    "no 'facility_type' column; add one naming each facility's type ({types}).",
                    types=", ".join(facility_types),
                ),
            )
        )
        ftype = pd.Series("", index=raw.index)
    else:
        ftype = _text(raw, "facility_type")
        known = list(facility_types)
        for i in np.flatnonzero(~ftype.isin(known).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
            problems.append(
                Problem(
                    source,
                    _where(raw, i),
                    "facility_type",
                    Msg(
                        "unknown facility type '{value}'{suggestion}; "
                        "known types are listed by `coverage-plan info --types`, or add yours with --facility-types.",
                        value=ftype.iloc[i],
                        suggestion=suggest(ftype.iloc[i], known),
                    ),
                )
            )
    numbers = {
        c: _numbers(raw, c, source, problems, required=False, default=1.0 if c == "quantity" else None)
        for c in NUMERIC_FACILITY_FIELDS
    }
    _location(raw, source, problems, boundary, far_km)
    in_region = _in_region(raw, boundary, source, problems)
    name_zh, name_en = _names(raw)
    columns = {
        "facility_type": ftype.to_numpy(),
        "name_zh": name_zh.to_numpy(),
        "name_en": name_en.to_numpy(),
        "unit_code": _text(raw, "unit_code").to_numpy(),
        **{c: s.to_numpy() for c, s in numbers.items()},
        "in_region": np.asarray(in_region, bool),
        "coord_source": _text(raw, "coord_source", "as given in " + source).to_numpy(),
        "attr_source": _text(raw, "attr_source", "as given in " + source).to_numpy(),
    }
    return _finish(raw, source, problems, columns)


YES = ("true", "1", "1.0", "yes", "y", "t", "是")


NO = ("false", "0", "0.0", "no", "n", "f", "否")


def _in_region(raw: gpd.GeoDataFrame, boundary, source: str, problems: list[Problem]) -> np.ndarray:
    """Whether each facility is the region's own: the ``in_region`` column where it says so, else its location."""
    if boundary is not None and (raw.geometry.geom_type == "Point").all():
        located = shapely.contains_xy(boundary, raw.geometry.x.to_numpy(), raw.geometry.y.to_numpy())
    else:
        located = np.ones(len(raw), bool)
    if "in_region" not in raw:
        return located
    text = _text(raw, "in_region").str.lower()
    bad = ~text.isin([*YES, *NO, ""])
    for i in np.flatnonzero(bad.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(
                source,
                _where(raw, i),
                "in_region",
                Msg(
                    "in_region '{value}' is neither true nor false; write true or false (or leave it empty).",
                    value=raw["in_region"].iloc[i],
                ),
            )
        )
    return np.where(text == "", located, text.isin(YES).to_numpy())


def validate_units(raw: gpd.GeoDataFrame, *, source: str, vocabulary: Vocabulary | None = None) -> gpd.GeoDataFrame:
    """Check and type a layer of administrative units (e.g. towns, gacha/communities).

    Required: ``code``, ``level`` (one of the region's unit levels, below the region
    itself), polygon geometry.  Optional: ``name_zh``, ``name_en``, ``parent_code``
    (the unit one level up), ``geom_source``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code``.
    """
    problems: list[Problem] = []
    raw = raw.copy()
    if "code" not in raw:
        problems.append(Problem(source, "", "code", Msg("no 'code' column (the unit's statistical code).")))
        raise InputValidationError(problems)
    raw["id"] = raw["code"]
    _ids(raw, source, problems)
    kinds = raw.geometry.geom_type.fillna("None")
    for i in np.flatnonzero(~kinds.isin(["Polygon", "MultiPolygon"]).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(Problem(source, _where(raw, i), "geometry", Msg("is a {kind}, expected a polygon.", kind=kinds.iloc[i])))
    vocabulary = vocabulary or load_vocabulary()
    levels = vocabulary.unit_levels
    level = _text(raw, "level")
    level = level.where(level.isin(levels), level.str.lower())
    for i in np.flatnonzero(~level.isin(levels).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(
                source,
                _where(raw, i),
                "level",
                Msg(
                    "level '{value}' is not {choices}{suggestion} (the region's levels "
                    "below the region itself; declare yours in region.toml [vocabulary]).",
                    value=level.iloc[i],
                    choices=_either(levels),
                    suggestion=suggest(level.iloc[i], levels),
                ),
            )
        )
    geoms = raw.geometry
    invalid = geoms.notna() & ~geoms.is_empty & ~geoms.is_valid
    for i in np.flatnonzero(invalid.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        reason = shapely.is_valid_reason(geoms.iloc[i])
        problems.append(
            Problem(
                source,
                _where(raw, i),
                "geometry",
                Msg(
                    "invalid polygon ({reason}); repair it (QGIS: Vector > Geometry Tools > Fix Geometries) and load it again.",
                    reason=reason,
                ),
            )
        )
    if problems:
        raise InputValidationError(problems)
    name_zh, name_en = _names(raw)
    out = gpd.GeoDataFrame(
        {
            "name_zh": name_zh.to_numpy(),
            "name_en": name_en.to_numpy(),
            "level": level.to_numpy(),
            "parent_code": _text(raw, "parent_code").to_numpy(),
            "geom_source": _text(raw, "geom_source", "as given in " + source).to_numpy(),
        },
        geometry=geoms.to_numpy(),
        crs="EPSG:4326",
    )
    out.index = pd.Index(raw["code"].astype(str).str.strip().to_numpy(), name="code")
    return out


def unit_reference_problems(
    units: pd.DataFrame, points: dict[str, pd.DataFrame], *, units_source: str, vocabulary: Vocabulary
) -> list[Problem]:
    """Codes that name no unit: units' ``parent_code``, points' ``unit_code`` and ``<level>_code``.

    A wrong code is not ignored in silence (the unit would then be found by location,
    perhaps not the one meant): each is listed with the codes the units layer has.
    """
    problems: list[Problem] = []
    codes = set(units.index)
    levels = list(vocabulary.unit_levels)
    above = dict(zip(levels[1:], levels[:-1], strict=True))  # each level's parent level
    parent = units["parent_code"]
    named = parent != ""
    unknown = named & ~parent.isin(codes)
    wrong = (named & ~unknown) & (parent.map(units["level"]) != units["level"].map(above))

    def problem(code, message: Note) -> Problem:
        return Problem(units_source, f"code={code}", "parent_code", message)

    for code, value in parent[unknown].iloc[:MAX_PROBLEMS_PER_FIELD].items():
        suggestion = suggest(value, sorted(codes))
        problems.append(
            problem(
                code, Msg("parent_code '{value}' names no unit of this layer{suggestion}.", value=value, suggestion=suggestion)
            )
        )
    for code, value in parent[wrong & units["level"].isin(list(above))].iloc[:MAX_PROBLEMS_PER_FIELD].items():
        level = units.at[code, "level"]
        msg = Msg(
            "the parent of a {level} unit is a {expected} unit, but '{value}' is a {found} unit.",
            level=level,
            expected=above[level],
            value=value,
            found=units.at[value, "level"],
        )
        problems.append(problem(code, msg))
    for source, frame in points.items():
        for col in ["unit_code", *[f"{lv}_code" for lv in levels]]:
            if col not in frame:
                continue
            values = frame[col].astype(str)
            bad = values[(values != "") & ~values.isin(codes)]
            for value, rows in list(bad.groupby(bad, sort=True))[:MAX_PROBLEMS_PER_FIELD]:
                ids = [str(i) for i in rows.index]
                problems.append(
                    Problem(
                        source,
                        "id=" + ", ".join(ids[:5]) + (f", ... ({len(ids)})" if len(ids) > 5 else ""),
                        col,
                        Msg(
                            "'{value}' names no unit of {units}{suggestion}; correct it, "
                            "or leave it empty to find the unit by location.",
                            value=value,
                            units=units_source,
                            suggestion=suggest(value, sorted(codes)),
                        ),
                    )
                )
    return problems
