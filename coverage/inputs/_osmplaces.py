"""What ``init`` reads of an OpenStreetMap extract: facilities by the tag table, settlements from places, units.

Facilities come from tags by the editable table ``coverage/data/osm_facilities.toml``;
settlements from ``place=*`` objects and their ``population`` tags; units from
``boundary=administrative`` areas (:mod:`._admin`, which closes relations the extract
cuts where it can).  Every attribute that is not the data's own says so in its
``*_source`` column.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import CatalogueError, InputValidationError, Problem
from ..i18n import Msg, Note
from ..tables import FieldSpec, check_table, read_toml, suggest
from ._admin import AdminArea
from ._osmfile import OsmFeature
from .config import FacilityType, load_facility_types

__all__ = [
    "CLASS_NAMES",
    "OsmFacilityRules",
    "admin_area",
    "facilities_from_osm",
    "load_osm_facility_rules",
    "parse_population",
    "settlements_from_osm",
    "units_from_admin",
]

CLASS_NAMES = {"urban": ("城镇", "urban"), "rural": ("乡村", "rural")}


_RULE_SPEC = {"type": FieldSpec((str,)), "match": FieldSpec((dict,))}


@dataclass(frozen=True)
class OsmFacilityRules:
    """Tag rules: ``rules`` as (facility type, {key: values}) in order; place values by class."""

    rules: tuple[tuple[str, Mapping[str, tuple[str, ...]]], ...]
    places: Mapping[str, tuple[str, ...]]
    source: str

    @property
    def keys(self) -> tuple[str, ...]:
        """Every tag key the rules read (to filter the extract)."""
        keys = {k for _, match in self.rules for k in match}
        return tuple(sorted(keys | {"place", "boundary"}))

    def type_of(self, tags: Mapping[str, str]) -> tuple[str, str] | None:
        """The facility type of an object and the tag that gave it, or None."""
        for ftype, match in self.rules:
            if all(k in tags and (values == ("*",) or tags[k] in values) for k, values in match.items()):
                k0 = next(iter(match))
                return ftype, f"{k0}={tags[k0]}"
        return None


def load_osm_facility_rules(
    path: Path | str | None = None, *, facility_types: Mapping[str, FacilityType] | None = None
) -> OsmFacilityRules:
    """The tag table (default ``coverage/data/osm_facilities.toml``), checked.

    Raises
    ------
    CatalogueError
        Unknown keys, an unknown facility type (with a suggestion), an empty match.
    """
    data, _text, label = read_toml(path, default="osm_facilities.toml")
    types = facility_types if facility_types is not None else load_facility_types()
    check_table(data, {"rule": FieldSpec((list,)), "settlements": FieldSpec((dict,))}, where=label)
    rules = []
    for k, raw in enumerate(data["rule"], start=1):
        where = f"{label}, [[rule]] #{k}"
        check_table(raw, _RULE_SPEC, where=where)
        if raw["type"] not in types:
            raise CatalogueError(
                Msg(
                    "{where}: unknown facility type '{value}'{suggestion}.",
                    where=where,
                    value=raw["type"],
                    suggestion=suggest(raw["type"], list(types)),
                )
            )
        if not raw["match"]:
            raise CatalogueError(
                Msg('{where}: match is empty; give at least one tag, e.g. match = {{ amenity = ["clinic"] }}.', where=where)
            )
        match = {}
        for key, values in raw["match"].items():
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise CatalogueError(Msg('{where}: match.{key} must be a list of tag values (or ["*"]).', where=where, key=key))
            match[key] = tuple(values)
        rules.append((raw["type"], match))
    places = data["settlements"]
    for klass, values in places.items():
        if klass not in CLASS_NAMES:
            raise CatalogueError(
                Msg(
                    "{where}: unknown class '{value}'{suggestion}.",
                    where=f"{label}, [settlements]",
                    value=klass,
                    suggestion=suggest(klass, list(CLASS_NAMES)),
                )
            )
        if not isinstance(values, list):
            raise CatalogueError(
                Msg("{where}: {key} must be a list of place=* values.", where=f"{label}, [settlements]", key=klass)
            )
    return OsmFacilityRules(tuple(rules), {k: tuple(v) for k, v in places.items()}, label)


def _names(tags: Mapping[str, str]) -> tuple[str, str]:
    """``name:zh`` / ``name:en``, else ``name`` for the language its script says."""
    name = tags.get("name", "")
    cjk = bool(re.search(r"[\u3400-\u9fff]", name))
    return tags.get("name:zh", name if cjk else ""), tags.get("name:en", "" if cjk else name)


def _frame(rows: list[dict], columns: list[str]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=[*columns, "lon", "lat"])
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )


def facilities_from_osm(features: list[OsmFeature], rules: OsmFacilityRules) -> gpd.GeoDataFrame:
    """Facilities: every node or area a rule types, at the node or a point inside the area."""
    rows = []
    for f in features:
        typed = rules.type_of(f.tags)
        if typed is None:
            continue
        ftype, tag = typed
        zh, en = _names(f.tags)
        where = "node" if f.polygon is None else "point inside the mapped area"
        rows.append(
            {
                "id": f"osm-{f.osm_id}",
                "name_zh": zh,
                "name_en": en,
                "facility_type": ftype,
                "coord_source": f"OpenStreetMap {f.osm_id} ({where})",
                "attr_source": f"OpenStreetMap {f.osm_id}: {tag} -> {ftype}, by {Path(rules.source).name}",
                "lon": f.lon,
                "lat": f.lat,
            }
        )
    return _frame(rows, ["id", "name_zh", "name_en", "facility_type", "coord_source", "attr_source"])


def parse_population(value: str) -> float | None:
    """An OSM ``population`` tag as a number: ``12345``, ``12 345``, ``12,345``; else None."""
    text = re.sub(r"[\s,\u00a0]", "", value or "")
    return float(text) if re.fullmatch(r"\d+(\.\d+)?", text) else None


def settlements_from_osm(features: list[OsmFeature], rules: OsmFacilityRules) -> gpd.GeoDataFrame:
    """Settlements: ``place=*`` objects of the table's classes, with their ``population`` tag.

    A place without a usable ``population`` tag keeps an empty population and a
    ``pop_source`` saying so (the access standards then say "not tested" rather than
    weighting by a guess); a tag's date (``population:date``) and source are kept.
    """
    klass_of = {v: k for k, values in rules.places.items() for v in values}
    rows = []
    for f in features:
        klass = klass_of.get(f.tags.get("place", ""))
        if klass is None:
            continue
        zh, en = _names(f.tags)
        raw = f.tags.get("population", "")
        pop = parse_population(raw)
        if pop is None:
            pop_source = "missing: no population tag" if not raw else f"missing: population tag '{raw}' is not a number"
        else:
            date = f.tags.get("population:date", "")
            pop_source = f"OpenStreetMap {f.osm_id} population tag" + (f" ({date})" if date else "")
        rows.append(
            {
                "id": f"osm-{f.osm_id}",
                "name_zh": zh,
                "name_en": en,
                "class": klass,
                "population": np.nan if pop is None else pop,
                "pop_source": pop_source,
                "coord_source": f"OpenStreetMap {f.osm_id} place={f.tags['place']}",
                "lon": f.lon,
                "lat": f.lat,
            }
        )
    return _frame(rows, ["id", "name_zh", "name_en", "class", "population", "pop_source", "coord_source"])


def units_from_admin(areas: list[AdminArea], levels: list[str]) -> tuple[gpd.GeoDataFrame, list[Note]]:
    """Units: the administrative areas at the admin levels given, as ``admin<N>``; and a note for each left out.

    A unit's parent is the unit of the next level up that holds its inside point.  An area
    closed along the extract's edge is flagged as estimated in ``geom_source``.
    """
    rows, notes = [], []
    for a in areas:
        if a.level not in levels:
            continue
        if a.polygon is None:
            notes.append(_left_out(a))
            continue
        zh, en = _names(a.tags)
        source = f"OpenStreetMap {a.osm_id} boundary=administrative admin_level={a.level}"
        if a.closed_along_edge:
            source = f"estimated: {source}, closed along the extract's edge ({a.missing} of its {a.ways} ways missing)"
        rows.append(
            {
                "code": a.tags.get("ref") or f"osm-{a.osm_id}",
                "name_zh": zh,
                "name_en": en,
                "level": f"admin{a.level}",
                "geom_source": source,
                "geometry": a.polygon,
            }
        )
    units = gpd.GeoDataFrame(rows, columns=["code", "name_zh", "name_en", "level", "geom_source", "geometry"], crs="EPSG:4326")
    units["parent_code"] = ""
    inside = shapely.point_on_surface(units.geometry.to_numpy()) if len(units) else np.empty(0, object)
    for upper, lower in itertools.pairwise(levels):
        top = units[units["level"] == f"admin{upper}"]
        for i in np.flatnonzero((units["level"] == f"admin{lower}").to_numpy()):
            holders = top[top.geometry.contains(inside[i])]
            if len(holders):
                units.iloc[i, units.columns.get_loc("parent_code")] = holders["code"].iloc[0]
    return units, notes


def _left_out(a: AdminArea) -> Note:
    return Msg(
        "admin_level {level} area '{name}' ({id}) left out: {missing} of its {ways} ways are not in the extract and {why}.",
        level=a.level,
        name=a.name,
        id=a.osm_id,
        missing=a.missing,
        ways=a.ways,
        why=a.why,
    )


def admin_area(areas: list[AdminArea], name: str) -> AdminArea:
    """The administrative area named ``name`` (any name tag), with a polygon.

    Raises
    ------
    InputValidationError
        No area of that name (the closest names listed), or one the extract cuts and that
        cannot be closed along its edge (how many ways are missing, and why; give --boundary).
    """
    for a in areas:
        if name in a.names():
            if a.polygon is None:
                message = Msg(
                    "the administrative area '{name}' ({id}) misses {missing} of its {ways} ways: the extract cuts it, "
                    "and it cannot be closed along the extract's edge because {why}. Give its outline with --boundary FILE.",
                    name=name,
                    id=a.osm_id,
                    missing=a.missing,
                    ways=a.ways,
                    why=a.why,
                )
                raise InputValidationError([Problem("--admin", "", "", message)])
            return a
    known = sorted({a.name for a in areas} - {""})
    listing = ", ".join(f"'{k}'" for k in known[:20]) if known else Msg("none: the extract holds no boundary=administrative area")
    message = Msg(
        "no administrative area named '{name}'{suggestion}; areas in the extract: {listing}.",
        name=name,
        suggestion=suggest(name, known),
        listing=listing,
    )
    raise InputValidationError([Problem("--admin", "", "", message)])
