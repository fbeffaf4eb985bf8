"""``coverage-plan init``: a region folder built from an OpenStreetMap extract.

Roads are the extract itself (copied into the folder); facilities come from tags by the
editable table ``coverage/data/osm_facilities.toml``; settlements from ``place=*`` nodes
and their ``population`` tags (or from a population raster); units from
``boundary=administrative`` areas at the admin levels asked for.  Every attribute that
is not the data's own says so in its ``*_source`` column.
"""

from __future__ import annotations

import itertools
import re
import shutil
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
from ..writing import atomic_output
from ._layers import read_layer
from ._osmfile import OsmFeature, read_osm_features
from ._rasters import RasterCells, read_population_raster
from .config import FacilityType, load_facility_types
from .population import cells_as_settlements, population_from_cells

__all__ = [
    "InitSummary",
    "OsmFacilityRules",
    "admin_boundary",
    "build_region",
    "facilities_from_osm",
    "load_osm_facility_rules",
    "parse_population",
    "region_toml",
    "settlements_from_osm",
    "units_from_osm",
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


def _refuse(option: str, field: str, message: Note) -> InputValidationError:
    """The one-problem error of an ``init`` option (raise it)."""
    return InputValidationError([Problem(option, "", field, message)])


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


def units_from_osm(features: list[OsmFeature], levels: list[str]) -> gpd.GeoDataFrame:
    """Units: ``boundary=administrative`` areas at the admin levels given, as ``admin<N>``.

    A unit's parent is the unit of the next level up that holds its inside point.
    """
    rows = []
    for f in features:
        lv = f.tags.get("admin_level", "")
        if f.polygon is None or f.tags.get("boundary") != "administrative" or lv not in levels:
            continue
        zh, en = _names(f.tags)
        rows.append(
            {
                "code": f.tags.get("ref") or f"osm-{f.osm_id}",
                "name_zh": zh,
                "name_en": en,
                "level": f"admin{lv}",
                "geom_source": f"OpenStreetMap {f.osm_id} boundary=administrative admin_level={lv}",
                "geometry": f.polygon,
                "point": shapely.Point(f.lon, f.lat),
            }
        )
    units = gpd.GeoDataFrame(
        rows, columns=["code", "name_zh", "name_en", "level", "geom_source", "geometry", "point"], crs="EPSG:4326"
    )
    units["parent_code"] = ""
    for upper, lower in itertools.pairwise(levels):
        top = units[units["level"] == f"admin{upper}"]
        for i in units.index[units["level"] == f"admin{lower}"]:
            holders = top[top.geometry.contains(units.at[i, "point"])]
            if len(holders):
                units.at[i, "parent_code"] = holders["code"].iloc[0]
    return units.drop(columns="point")


def admin_boundary(features: list[OsmFeature], name: str) -> shapely.Geometry:
    """The polygon of the ``boundary=administrative`` area named ``name`` (any name tag)."""
    admin = [f for f in features if f.polygon is not None and f.tags.get("boundary") == "administrative"]
    for f in admin:
        if name in {v for k, v in f.tags.items() if k == "name" or k.startswith("name:")}:
            return f.polygon
    known = sorted({f.tags.get("name", "") for f in admin} - {""})
    listing = ", ".join(known[:20]) if known else Msg("none: the extract holds no complete boundary=administrative area")
    raise _refuse(
        "--admin",
        "",
        Msg(
            "no administrative area named '{name}'{suggestion}; areas in the extract: {listing}.",
            name=name,
            suggestion=suggest(name, known),
            listing=listing,
        ),
    )


@dataclass(frozen=True)
class InitSummary:
    """What ``init`` wrote, for the terminal."""

    out_dir: Path
    n_facilities: int
    n_settlements: int
    n_units: int
    n_missing_population: int
    notes: tuple[str, ...]


def _toml(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def region_toml(*, name: str, files: Mapping[str, str], levels: list[str], classes: list[str], source: str) -> str:
    """The ``region.toml`` of a folder built by ``init``: names, files, vocabulary with roles."""
    lines = [
        f"# Built by `coverage-plan init` from {source}. Every estimated attribute is flagged in the",
        "# layers' *_source columns. Edit freely; `coverage-plan check --region THIS_FOLDER`.",
        f"name_zh = {_toml(name)}",
        f"name_en = {_toml(name)}",
        *(f"{k} = {_toml(v)}" for k, v in files.items()),
        'coords = "wgs84"',
        "",
        "# Classes from the place=* values of osm_facilities.toml; `role` is what the national",
        "# catalogues read (GB 50180-2018 applies to the urban classes).",
    ]
    for klass in classes:
        zh, en = CLASS_NAMES[klass]
        lines += [
            "",
            "[[vocabulary.class]]",
            f"key = {_toml(klass)}",
            f"zh = {_toml(zh)}",
            f"en = {_toml(en)}",
            f"role = {_toml(klass)}",
        ]
    lines += ["", "[[vocabulary.level]]", 'key = "region"', 'zh = "区域"', 'en = "region"']
    for lv in levels:
        lines += [
            "",
            "[[vocabulary.level]]",
            f'key = "admin{lv}"',
            f"zh = {_toml(f'行政区划（OSM第{lv}级）')}",
            f"en = {_toml(f'admin level {lv} (OSM)')}",
        ]
    return "\n".join(lines) + "\n"


def _settlements(
    features: list[OsmFeature], rules: OsmFacilityRules, cells: RasterCells | None, demand: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    places = settlements_from_osm(features, rules)
    notes: list[str] = []
    if cells is None:
        if places.empty:
            raise _refuse(
                "--osm",
                "place",
                Msg(
                    "no place=* node in the extract to serve as settlements; "
                    "give --population FILE.tif to use a population raster as demand."
                ),
            )
        return places, notes
    if demand == "cells":
        return cells_as_settlements(cells, places, default_class="urban"), notes
    if places.empty:
        raise _refuse(
            "--osm",
            "place",
            Msg("no place=* node to sum the raster onto; use --demand cells (one demand point per populated cell)."),
        )
    assigned = population_from_cells(cells, places)
    places["population"] = assigned.population.to_numpy()
    places["pop_source"] = [
        f"raster {cells.source}: sum of the {n} populated cells nearer this place than any other" for n in assigned.cells
    ]
    if assigned.cells_left_out:
        notes.append(
            f"{assigned.cells_left_out} cells ({assigned.people_left_out:,.0f} people) are over 50 km "
            "from every place and were left out."
        )
    return places, notes


def _boundary(features: list[OsmFeature], boundary: Path | None, admin: str | None) -> shapely.Geometry | None:
    if admin:
        return admin_boundary(features, admin)
    if boundary is not None:
        layer = read_layer(boundary)
        return shapely.union_all(layer.geometry.to_numpy())
    return None


def build_region(
    out_dir: Path | str,
    *,
    osm: Path | str,
    boundary: Path | str | None = None,
    admin: str | None = None,
    levels: list[str] | None = None,
    population: Path | str | None = None,
    demand: str = "settlements",
    tag_table: Path | str | None = None,
    facility_types: Path | str | None = None,
    name: str | None = None,
) -> InitSummary:
    """Build a region folder from an OpenStreetMap extract (all or nothing).

    Parameters
    ----------
    out_dir
        The folder to write (replaced as a whole if it exists).
    osm
        The extract (.osm, .osm.pbf, .osm.bz2); copied into the folder as its roads.
    boundary, admin
        The region's boundary: a polygon file, or the name of a ``boundary=administrative``
        area of the extract; neither: the loader estimates one (flagged).
    levels
        OSM ``admin_level`` values to read as units, from the top (e.g. ``["8", "10"]``).
    population
        A population GeoTIFF; ``demand`` says how it is used (see :mod:`coverage.population`).
    tag_table, facility_types
        A user's ``osm_facilities.toml`` / extra facility types.
    name
        The region's name (default: the extract's file name).

    Returns
    -------
    InitSummary
    """
    osm = Path(osm)
    levels = list(levels or [])
    ftypes = load_facility_types(facility_types)
    rules = load_osm_facility_rules(tag_table, facility_types=ftypes)
    cells = read_population_raster(population) if population is not None else None
    features = read_osm_features(osm, keys=(*rules.keys, "admin_level"))
    facilities = facilities_from_osm(features, rules)
    if facilities.empty:
        raise _refuse(
            "--osm",
            "",
            Msg("no object matches the tag table {table}; edit a copy and pass it with --osm-facilities.", table=rules.source),
        )
    settlements, notes = _settlements(features, rules, cells, demand)
    units = units_from_osm(features, levels) if levels else None
    if levels and units is not None and units.empty:
        notes.append(
            f"no complete boundary=administrative area at admin_level {', '.join(levels)} in the extract: no units layer."
        )
        units = None
    region_boundary = _boundary(features, Path(boundary) if boundary else None, admin)
    suffix = "".join(s for s in osm.suffixes if s in (".osm", ".pbf", ".bz2", ".gz", ".xml")) or ".osm"
    files = {"settlements": "settlements.geojson", "facilities": "facilities.geojson", "roads": "roads" + suffix}
    if units is not None:
        files["units"] = "units.geojson"
    if region_boundary is not None:
        files["boundary"] = "boundary.geojson"
    classes = [k for k in CLASS_NAMES if k in set(settlements["class"])] or ["urban"]
    for k in CLASS_NAMES:
        if k not in classes and k in rules.places:
            classes.append(k)
    with atomic_output(out_dir) as stage:
        shutil.copyfile(osm, stage / files["roads"])
        settlements.to_file(stage / files["settlements"], driver="GeoJSON")
        facilities.to_file(stage / files["facilities"], driver="GeoJSON")
        if units is not None:
            units.to_file(stage / files["units"], driver="GeoJSON")
        if region_boundary is not None:
            gpd.GeoDataFrame({"source": [admin or str(boundary)]}, geometry=[region_boundary], crs="EPSG:4326").to_file(
                stage / files["boundary"], driver="GeoJSON"
            )
        (stage / "region.toml").write_text(
            region_toml(name=name or osm.name.split(".")[0], files=files, levels=levels, classes=classes, source=osm.name),
            encoding="utf-8",
        )
    missing = int(settlements["population"].isna().sum())
    return InitSummary(
        Path(out_dir), len(facilities), len(settlements), 0 if units is None else len(units), missing, tuple(notes)
    )
