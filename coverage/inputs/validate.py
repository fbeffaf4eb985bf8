"""Validation of settlement, facility and unit layers: every problem, at once.

Each function takes a raw layer (as :func:`coverage.inputs.read_layer` returns it),
returns a clean frame indexed by ``id`` with typed columns, or raises
:class:`~coverage.errors.InputValidationError` listing every problem with its
file, row or feature id, field and what to do.  Ids and codes are identifiers, read
as text whatever type the file stored them as (:func:`._fields.codes`).
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
from ._fields import (
    MAX_PROBLEMS_PER_FIELD,
    check_ids,
    check_location,
    check_points,
    codes,
    either,
    finish,
    in_region,
    names,
    numbers,
    text,
    where,
)
from .config import FacilityType, Vocabulary, load_vocabulary

__all__ = [
    "NUMERIC_FACILITY_FIELDS",
    "NUMERIC_SETTLEMENT_FIELDS",
    "unit_reference_problems",
    "validate_facilities",
    "validate_settlements",
    "validate_units",
]

NUMERIC_FACILITY_FIELDS = ("quantity", "beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")
#: Optional counts per settlement that ratio standards divide (children aged 3-5, households and those
#: with a sanitary toilet, disabled people needing and receiving rehabilitation, poor disabled people
#: needing and fitted with assistive devices); absent columns read as "no value".
NUMERIC_SETTLEMENT_FIELDS = (
    "children_3_5",
    "households",
    "households_sanitary_toilet",
    "disabled_needing_rehab",
    "disabled_rehab_served",
    "poor_disabled_needing_devices",
    "poor_disabled_fitted",
)


def _refuse_empty(raw: pd.DataFrame, source: str, what: Note) -> None:
    if len(raw) == 0:
        raise InputValidationError([Problem(source, "", "", what)])


def _elderly(raw: pd.DataFrame, population: pd.Series, source: str, problems: list[Problem]) -> pd.Series:
    """The elderly counts (NaN without the column); more elderly than people is a problem."""
    if "elderly_population" not in raw:
        return pd.Series(np.nan, index=raw.index)
    elderly = numbers(raw, "elderly_population", source, problems, required=False)
    for i in np.flatnonzero((elderly > population).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            Problem(
                source,
                where(raw, i),
                "elderly_population",
                Msg(
                    "elderly_population {elderly} exceeds population {population}.",
                    elderly=f"{elderly.iloc[i]:g}",
                    population=f"{population.iloc[i]:g}",
                ),
            )
        )
    return elderly


def _classes(raw: pd.DataFrame, vocabulary: Vocabulary, source: str, problems: list[Problem]) -> pd.Series:
    """Each settlement's class, one of the region's (letter case forgiven)."""
    classes = vocabulary.class_keys
    choices = either(classes)
    if "class" not in raw:
        problems.append(
            Problem(source, "", "class", Msg("no 'class' column; add one saying {choices} for each settlement.", choices=choices))
        )
        return pd.Series("", index=raw.index)
    klass = text(raw, "class")
    klass = klass.where(klass.isin(classes), klass.str.lower())
    for i in np.flatnonzero(~klass.isin(classes).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        message = Msg(
            "class '{value}' is not {choices}{suggestion}; a region's classes are declared in its region.toml "
            "([[vocabulary.class]]: {source}).",
            value=raw["class"].iloc[i],
            choices=choices,
            suggestion=suggest(klass.iloc[i], classes),
            source=vocabulary.source,
        )
        problems.append(Problem(source, where(raw, i), "class", message))
    return klass


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
    _refuse_empty(raw, source, Msg("the layer is empty (no settlement); check the file or layer name."))
    check_ids(raw, source, problems)
    check_points(raw, source, problems)
    # A population left empty on purpose says so: pop_source "missing: ..." (as `init` writes
    # for a place without a population tag); the access standards then say "not tested".
    declared_missing = text(raw, "pop_source").str.lower().str.startswith("missing").to_numpy()
    population = numbers(raw, "population", source, problems, required=True, blank_ok=declared_missing)
    elderly = _elderly(raw, population, source, problems)
    vocabulary = vocabulary or load_vocabulary()
    klass = _classes(raw, vocabulary, source, problems)
    check_location(raw, source, problems, boundary, far_km)
    name_zh, name_en = names(raw)
    columns = {
        "name_zh": name_zh.to_numpy(),
        "name_en": name_en.to_numpy(),
        "unit_code": codes(raw, "unit_code").to_numpy(),
        **{f"{lv}_code": codes(raw, f"{lv}_code").to_numpy() for lv in vocabulary.unit_levels if f"{lv}_code" in raw},
        "class": klass.to_numpy(),
        "population": population.to_numpy(),
        "elderly_population": elderly.to_numpy(),
        "coord_source": text(raw, "coord_source", "as given in " + source).to_numpy(),
        "pop_source": text(raw, "pop_source", "as given in " + source).to_numpy(),
        **{c: numbers(raw, c, source, problems, required=False).to_numpy() for c in NUMERIC_SETTLEMENT_FIELDS},
        **_other_sources(raw),
    }
    return finish(raw, source, problems, columns)


def _other_sources(raw: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every other ``*_source`` column of a layer (``elderly_source``...), kept as text: it flags what it describes."""
    known = ("coord_source", "pop_source", "attr_source", "geom_source")
    return {c: text(raw, c).to_numpy() for c in sorted(raw.columns) if str(c).endswith("_source") and c not in known}


def _facility_types(raw: pd.DataFrame, facility_types: Mapping[str, FacilityType], source: str, problems: list) -> pd.Series:
    """Each facility's type, one of the known types."""
    if "facility_type" not in raw:
        message = Msg(
            "no 'facility_type' column; add one naming each facility's type ({types}).", types=", ".join(facility_types)
        )
        problems.append(Problem(source, "", "facility_type", message))
        return pd.Series("", index=raw.index)
    ftype = text(raw, "facility_type")
    known = list(facility_types)
    for i in np.flatnonzero(~ftype.isin(known).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        message = Msg(
            "unknown facility type '{value}'{suggestion}; "
            "known types are listed by `coverage-plan info --types`, or add yours with --facility-types.",
            value=ftype.iloc[i],
            suggestion=suggest(ftype.iloc[i], known),
        )
        problems.append(Problem(source, where(raw, i), "facility_type", message))
    return ftype


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
    _refuse_empty(raw, source, Msg("the layer is empty (no facility); check the file or layer name."))
    raw = raw.rename(columns={"type": "facility_type"}) if "facility_type" not in raw and "type" in raw else raw
    check_ids(raw, source, problems)
    check_points(raw, source, problems)
    ftype = _facility_types(raw, facility_types, source, problems)
    values = {
        c: numbers(raw, c, source, problems, required=False, default=1.0 if c == "quantity" else None)
        for c in NUMERIC_FACILITY_FIELDS
    }
    check_location(raw, source, problems, boundary, far_km)
    inside = in_region(raw, boundary, source, problems)
    name_zh, name_en = names(raw)
    columns = {
        "facility_type": ftype.to_numpy(),
        "name_zh": name_zh.to_numpy(),
        "name_en": name_en.to_numpy(),
        "unit_code": codes(raw, "unit_code").to_numpy(),
        **{c: s.to_numpy() for c, s in values.items()},
        "in_region": np.asarray(inside, bool),
        "coord_source": text(raw, "coord_source", "as given in " + source).to_numpy(),
        "attr_source": text(raw, "attr_source", "as given in " + source).to_numpy(),
        **_other_sources(raw),
    }
    return finish(raw, source, problems, columns)


def _unit_levels(raw: pd.DataFrame, vocabulary: Vocabulary, source: str, problems: list[Problem]) -> pd.Series:
    """Each unit's level, one of the region's levels below the region itself."""
    levels = vocabulary.unit_levels
    level = text(raw, "level")
    level = level.where(level.isin(levels), level.str.lower())
    for i in np.flatnonzero(~level.isin(levels).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        message = Msg(
            "level '{value}' is not {choices}{suggestion} (the region's levels "
            "below the region itself; declare yours in region.toml [vocabulary]).",
            value=level.iloc[i],
            choices=either(levels),
            suggestion=suggest(level.iloc[i], levels),
        )
        problems.append(Problem(source, where(raw, i), "level", message))
    return level


def _polygons(raw: gpd.GeoDataFrame, source: str, problems: list[Problem]) -> None:
    """Every geometry a valid polygon."""
    kinds = raw.geometry.geom_type.fillna("None")
    for i in np.flatnonzero(~kinds.isin(["Polygon", "MultiPolygon"]).to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(Problem(source, where(raw, i), "geometry", Msg("is a {kind}, expected a polygon.", kind=kinds.iloc[i])))
    geoms = raw.geometry
    invalid = geoms.notna() & ~geoms.is_empty & ~geoms.is_valid
    for i in np.flatnonzero(invalid.to_numpy())[:MAX_PROBLEMS_PER_FIELD]:
        message = Msg(
            "invalid polygon ({reason}); repair it (QGIS: Vector > Geometry Tools > Fix Geometries) and load it again.",
            reason=shapely.is_valid_reason(geoms.iloc[i]),
        )
        problems.append(Problem(source, where(raw, i), "geometry", message))


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
        raise InputValidationError([Problem(source, "", "code", Msg("no 'code' column (the unit's statistical code)."))])
    raw["id"] = raw["code"]
    check_ids(raw, source, problems)
    _polygons(raw, source, problems)
    level = _unit_levels(raw, vocabulary or load_vocabulary(), source, problems)
    if problems:
        raise InputValidationError(problems)
    name_zh, name_en = names(raw)
    out = gpd.GeoDataFrame(
        {
            "name_zh": name_zh.to_numpy(),
            "name_en": name_en.to_numpy(),
            "level": level.to_numpy(),
            "parent_code": codes(raw, "parent_code").to_numpy(),
            "geom_source": text(raw, "geom_source", "as given in " + source).to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    out.index = pd.Index(codes(raw, "code").to_numpy(), name="code")
    return out


def _parent_problems(units: pd.DataFrame, vocabulary: Vocabulary, units_source: str) -> list[Problem]:
    """Parent codes naming no unit, or a unit of another level than the one above."""
    levels = list(vocabulary.unit_levels)
    codes_known = set(units.index)
    above = dict(zip(levels[1:], levels[:-1], strict=True))  # each level's parent level
    parent = units["parent_code"]
    named = parent != ""
    unknown = named & ~parent.isin(codes_known)
    wrong = (named & ~unknown) & (parent.map(units["level"]) != units["level"].map(above))
    problems = []
    for code, value in parent[unknown].iloc[:MAX_PROBLEMS_PER_FIELD].items():
        message = Msg(
            "parent_code '{value}' names no unit of this layer{suggestion}.",
            value=value,
            suggestion=suggest(value, sorted(codes_known)),
        )
        problems.append(Problem(units_source, f"code={code}", "parent_code", message))
    for code, value in parent[wrong & units["level"].isin(list(above))].iloc[:MAX_PROBLEMS_PER_FIELD].items():
        level = units.at[code, "level"]
        message = Msg(
            "the parent of a {level} unit is a {expected} unit, but '{value}' is a {found} unit.",
            level=vocabulary.level(level).names(),
            expected=vocabulary.level(above[level]).names(),
            value=value,
            found=vocabulary.level(units.at[value, "level"]).names(),
        )
        problems.append(Problem(units_source, f"code={code}", "parent_code", message))
    return problems


def unit_reference_problems(
    units: pd.DataFrame, points: dict[str, pd.DataFrame], *, units_source: str, vocabulary: Vocabulary
) -> list[Problem]:
    """Codes that name no unit: units' ``parent_code``, points' ``unit_code`` and ``<level>_code``.

    A wrong code is not ignored in silence (the unit would then be found by location,
    perhaps not the one meant): each is listed with the codes the units layer has.
    """
    levels = list(vocabulary.unit_levels)
    problems = _parent_problems(units, vocabulary, units_source)
    known = sorted(set(units.index))
    for source, frame in points.items():
        for col in ["unit_code", *[f"{lv}_code" for lv in levels]]:
            if col not in frame:
                continue
            values = frame[col].astype(str)
            bad = values[(values != "") & ~values.isin(known)]
            for value, rows in list(bad.groupby(bad, sort=True))[:MAX_PROBLEMS_PER_FIELD]:
                ids = [str(i) for i in rows.index]
                message = Msg(
                    "'{value}' names no unit of {units}{suggestion}; correct it, or leave it empty to find the unit by location.",
                    value=value,
                    units=units_source,
                    suggestion=suggest(value, known),
                )
                problems.append(
                    Problem(source, "id=" + ", ".join(ids[:5]) + (f", ... ({len(ids)})" if len(ids) > 5 else ""), col, message)
                )
    return problems
