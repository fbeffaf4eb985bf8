"""``coverage-plan init``: a region folder built from an OpenStreetMap extract, ready for ``check``.

Roads are the extract itself (copied into the folder); facilities, settlements and units
come from its tags (:mod:`._osmplaces`); the region's outline from ``--boundary`` or the
administrative area ``--admin`` names (closed along the extract's edge when the extract
cuts it, and said so).  Settlements outside the region are left out of demand (and
counted); facilities outside stay, for referral.  Demand comes from one of four ways
(:mod:`.demand`); with none, and settlements without a population, ``init`` refuses and
names the four.  ``region.toml`` records the vocabulary and the catalogues that apply
(the national ones unless ``--standards`` says otherwise).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely

from ..errors import InputValidationError, Problem
from ..i18n import Msg, Note
from ..writing import atomic_output
from ._admin import read_admin_areas
from ._geometry import hull_boundary, utm_crs
from ._layers import read_layer
from ._manifest import DEFAULT_STANDARDS
from ._osmfile import read_osm_features
from ._osmplaces import (
    CLASS_NAMES,
    admin_area,
    facilities_from_osm,
    load_osm_facility_rules,
    settlements_from_osm,
    units_from_admin,
)
from ._rasters import read_population_raster
from .config import load_facility_types
from .demand import COUNTED, DemandOptions, no_demand_refusal, spread_totals
from .population import cells_as_settlements, population_from_cells

__all__ = ["InitRequest", "InitSummary", "build_region", "region_toml"]


@dataclass(frozen=True)
class InitRequest:
    """What ``init`` is asked: the extract, the outline, the units, the demand, the tables and the catalogues.

    Attributes
    ----------
    osm
        The extract (.osm, .osm.pbf, .osm.bz2); copied into the folder as its roads.
    boundary, admin
        The region's outline: a polygon file, or the name of an administrative area of the
        extract; neither: the loader estimates one (flagged).
    levels
        OSM ``admin_level`` values to read as units, from the top (e.g. ``("8", "10")``).
    demand
        How demand is given (:class:`~coverage.inputs.demand.DemandOptions`).
    tag_table, facility_types
        A user's ``osm_facilities.toml`` / extra facility types.
    name
        The region's name (default: the extract's file name).
    standards
        The catalogues the region is checked against by default (written into region.toml).
    place, cache_dir
        Instead of ``osm``: a place name whose roads and objects are downloaded through
        osmnx (:mod:`._download`; its outline from Nominatim), cached in ``cache_dir``.
    outline, given
        The region's polygon and its ``geom_source`` when known already (a download's), and
        how the user named the data (``--place 'NAME'``), for messages.
    """

    osm: Path | None = None
    boundary: Path | None = None
    admin: str | None = None
    levels: tuple[str, ...] = ()
    demand: DemandOptions = field(default_factory=DemandOptions)
    tag_table: Path | None = None
    facility_types: Path | None = None
    name: str | None = None
    standards: tuple[str, ...] = DEFAULT_STANDARDS
    place: str | None = None
    cache_dir: Path | None = None
    outline: tuple | None = None
    given: str = ""


@dataclass(frozen=True)
class InitSummary:
    """What ``init`` wrote, for the terminal; ``notes`` in words (Notes, shown in the user's language)."""

    out_dir: Path
    n_facilities: int
    n_settlements: int
    n_units: int
    n_outside: int
    notes: tuple[Note, ...]


def _refuse(option: str, field_name: str, message: Note) -> InputValidationError:
    """The one-problem error of an ``init`` option (raise it)."""
    return InputValidationError([Problem(option, "", field_name, message)])


def build_region(out_dir: Path | str, request: InitRequest) -> InitSummary:
    """Build a region folder from an OpenStreetMap extract (all or nothing).

    Raises
    ------
    InputValidationError
        An unusable option: an administrative area that is not there (or cannot be closed),
        no place to serve as settlements, no demand where settlements have no population.
    """
    if request.place is not None:
        return _downloaded(out_dir, request)
    osm = Path(request.osm)
    rules = load_osm_facility_rules(request.tag_table, facility_types=load_facility_types(request.facility_types))
    features = read_osm_features(osm, keys=(*rules.keys, "admin_level"))
    facilities = facilities_from_osm(features, rules)
    if facilities.empty:
        text = "no object matches the tag table {table}; edit a copy and pass it with --osm-facilities."
        raise _refuse("--osm", "", Msg(text, table=rules.source))
    areas = read_admin_areas(osm) if request.admin or request.levels else []
    outline, outline_source = _outline(areas, request)
    settlements, notes = _places(features, rules, request)
    settlements, n_outside = _inside(settlements, outline)
    units, unit_notes = _units(areas, request)
    settlements, demand_notes = _demand(settlements, request, outline, Path(out_dir), units)
    if n_outside:
        message = "{n} settlements outside the region were left out of demand (facilities outside stay, for referral)."
        notes.append(Msg(message, n=n_outside))
    _write(Path(out_dir), request, facilities, settlements, units, (outline, outline_source))
    n_units = 0 if units is None else len(units)
    all_notes = (*notes, *demand_notes, *unit_notes)
    return InitSummary(Path(out_dir), len(facilities), len(settlements), n_units, n_outside, all_notes)


def _downloaded(out_dir: Path | str, request: InitRequest) -> InitSummary:
    """``init --place``: the place downloaded into a temporary extract, then built like any other."""
    import tempfile

    from ._download import download_place
    from .osm_rules import load_osm_rules
    from .region import default_cache_dir

    rules = load_osm_facility_rules(request.tag_table, facility_types=load_facility_types(request.facility_types))
    keys = (*rules.keys, "building") if request.demand.total is not None or request.demand.units is not None else rules.keys
    with tempfile.TemporaryDirectory() as tmp:
        name = "".join(ch if ch.isalnum() else "-" for ch in request.place).strip("-") or "place"
        got = download_place(
            request.place,
            Path(tmp) / f"{name}.osm",
            keys=tuple(keys),
            road_keys=load_osm_rules().tag_keys(),
            cache_dir=request.cache_dir or default_cache_dir(),
        )
        source = f"OpenStreetMap (Nominatim): {got.display_name}"
        given = f"--place '{request.place}'"
        here = dataclasses.replace(
            request, osm=got.osm, place=None, outline=(got.outline, source), name=request.name or name, given=given
        )
        return build_region(out_dir, here)


def _units(areas, request: InitRequest) -> tuple[gpd.GeoDataFrame | None, list[Note]]:
    """The units at the levels asked for (None without levels, or when the extract has none), and notes."""
    if not request.levels:
        return None, []
    units, notes = units_from_admin(areas, list(request.levels))
    if units.empty:
        message = "no boundary=administrative area at admin_level {levels} in the extract: no units layer."
        return None, [*notes, Msg(message, levels=", ".join(request.levels))]
    return units, notes


def _outline(areas, request: InitRequest) -> tuple[shapely.Geometry | None, str]:
    """The region's polygon and what it is (its ``geom_source``), or (None, "") when the loader is to estimate one."""
    if request.outline is not None:
        return request.outline
    if request.admin:
        area = admin_area(areas, request.admin)
        source = f"OpenStreetMap {area.osm_id} boundary=administrative '{request.admin}'"
        if area.closed_along_edge:
            source = f"estimated: {source}, closed along the extract's edge ({area.missing} of its {area.ways} ways missing)"
        return area.polygon, source
    if request.boundary is not None:
        layer = read_layer(request.boundary)
        return shapely.union_all(layer.geometry.to_numpy()), f"as given in {request.boundary}"
    return None, ""


def _places(features, rules, request: InitRequest) -> tuple[gpd.GeoDataFrame, list[Note]]:
    """The settlements: place objects, or one demand point per populated raster cell (``--demand cells``)."""
    places = settlements_from_osm(features, rules)
    if request.demand.mode == "cells":
        if request.demand.raster is None:
            raise _refuse("--demand", "", Msg("--demand cells needs a population raster (--population FILE.tif)."))
        return cells_as_settlements(read_population_raster(request.demand.raster), places, default_class="urban"), []
    if places.empty:
        message = Msg(
            "no place=* node in the extract to serve as settlements; "
            "give --population FILE.tif to use a population raster as demand."
        )
        raise _refuse("--osm", "place", message)
    return places, []


def _inside(settlements: gpd.GeoDataFrame, outline) -> tuple[gpd.GeoDataFrame, int]:
    """The settlements inside the region (all without an outline), and how many were left out."""
    if outline is None or outline.is_empty:
        return settlements, 0
    keep = shapely.contains_xy(outline, settlements.geometry.x.to_numpy(), settlements.geometry.y.to_numpy())
    return settlements[keep].copy(), int((~keep).sum())


def _demand(settlements: gpd.GeoDataFrame, request: InitRequest, outline, out_dir: Path, units) -> tuple[gpd.GeoDataFrame, list]:
    """Populations from the demand option asked for; a refusal naming the four ways when some are still missing."""
    d, s, notes = request.demand, settlements.copy(), []
    if d.mode == "settlements":
        s["population"], s["pop_source"] = 1.0, COUNTED
        return s, notes
    if d.raster is not None and d.mode == "people":
        notes += _from_raster(s, d.raster)
    elif d.table is not None:
        notes += _from_table(s, d.table, units)
    elif d.total is not None or d.units is not None:
        zone = outline if outline is not None else hull_boundary([s])
        population, source, spread_notes = spread_totals(d, s, request.osm, zone, utm_crs(zone))
        took = population.notna()
        s.loc[took, "population"], s.loc[took, "pop_source"] = population[took], source[took]
        notes += spread_notes
    missing = int(s["population"].isna().sum())
    if missing and not d.given:
        raise no_demand_refusal(request.osm, missing, len(s), out_dir, request.given)
    if missing:
        names = ", ".join(str(v) for v in s.loc[s["population"].isna(), "name_en"].head(10))
        message = "{n} settlements still have no population ({names}): standards weighted by people will say 'not tested'."
        notes.append(Msg(message, n=missing, names=names))
    return s, notes


def _from_raster(s: gpd.GeoDataFrame, raster: Path) -> list[Note]:
    cells = read_population_raster(raster)
    assigned = population_from_cells(cells, s)
    s["population"] = assigned.population.to_numpy()
    text = "raster {source}: sum of the {n} populated cells nearer this place than any other"
    s["pop_source"] = [text.format(source=cells.source, n=n) for n in assigned.cells]
    if not assigned.cells_left_out:
        return []
    return [
        Msg(
            "{n} cells ({people} people) are over 50 km from every place and were left out.",
            n=assigned.cells_left_out,
            people=f"{assigned.people_left_out:,.0f}",
        )
    ]


def _from_table(s: gpd.GeoDataFrame, table: Path, units) -> list[Note]:
    from ._poptable import join_population_table, units_of

    indexed = s.set_index("id", drop=False)
    joined = join_population_table(table, indexed, units_of(indexed, units.set_index("code")) if units is not None else None)
    joined = dataclasses.replace(
        joined,
        population=joined.population.set_axis(s.index),
        elderly=joined.elderly.set_axis(s.index),
        source=joined.source.set_axis(s.index),
    )
    took = joined.population.notna()
    s.loc[took, "population"], s.loc[took, "pop_source"] = joined.population[took], joined.source[took]
    if joined.elderly.notna().any():
        s["elderly_population"] = joined.elderly
    notes = []
    if joined.unmatched:
        rows = "; ".join(joined.unmatched[:20])
        notes.append(Msg("{n} rows of {file} match no settlement: {rows}.", n=len(joined.unmatched), file=table, rows=rows))
    return notes


def _write(out_dir: Path, request: InitRequest, facilities, settlements, units, outline: tuple) -> None:
    """The region folder: roads, layers, outline and region.toml, all or nothing."""
    osm = Path(request.osm)
    polygon, source = outline
    suffix = "".join(x for x in osm.suffixes if x in (".osm", ".pbf", ".bz2", ".gz", ".xml")) or ".osm"
    files = {"settlements": "settlements.geojson", "facilities": "facilities.geojson", "roads": "roads" + suffix}
    if units is not None:
        files["units"] = "units.geojson"
    if polygon is not None:
        files["boundary"] = "boundary.geojson"
    classes = [k for k in CLASS_NAMES if k in set(settlements["class"])] or ["urban"]
    with atomic_output(out_dir) as stage:
        shutil.copyfile(osm, stage / files["roads"])
        settlements.to_file(stage / files["settlements"], driver="GeoJSON")
        facilities.to_file(stage / files["facilities"], driver="GeoJSON")
        if units is not None:
            units.to_file(stage / files["units"], driver="GeoJSON")
        if polygon is not None:
            gpd.GeoDataFrame({"geom_source": [source]}, geometry=[polygon], crs="EPSG:4326").to_file(
                stage / files["boundary"], driver="GeoJSON"
            )
        text = region_toml(
            name=request.name or osm.name.split(".")[0],
            files=files,
            levels=list(request.levels),
            classes=classes,
            source=osm.name,
            standards=list(request.standards),
        )
        (stage / "region.toml").write_text(text, encoding="utf-8")


def _toml(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def region_toml(
    *, name: str, files: Mapping[str, str], levels: list[str], classes: list[str], source: str, standards: list[str]
) -> str:
    """The ``region.toml`` of a folder built by ``init``: names, files, catalogues, vocabulary with roles."""
    lines = [
        f"# Built by `coverage-plan init` from {source}. Every estimated attribute is flagged in the",
        "# layers' *_source columns. Edit freely; `coverage-plan check --region THIS_FOLDER`.",
        f"name_zh = {_toml(name)}",
        f"name_en = {_toml(name)}",
        *(f"{k} = {_toml(v)}" for k, v in files.items()),
        'coords = "wgs84"',
        "# The standards this region is checked against (built-in names, or .toml files in this folder).",
        f"standards = {_toml(standards)}",
        "",
        "# Classes from the place=* values of osm_facilities.toml; `role` is what the national",
        "# catalogues read (GB 50180-2018 applies to the urban classes).",
    ]
    for klass in classes:
        zh, en = CLASS_NAMES[klass]
        lines += ["", "[[vocabulary.class]]", f"key = {_toml(klass)}", f"zh = {_toml(zh)}", f"en = {_toml(en)}"]
        lines.append(f"role = {_toml(klass)}")
    lines += ["", "[[vocabulary.level]]", 'key = "region"', 'zh = "区域"', 'en = "region"']
    for lv in levels:
        zh, en = f"行政区划（OSM第{lv}级）", f"admin level {lv} (OSM)"
        lines += ["", "[[vocabulary.level]]", f'key = "admin{lv}"', f"zh = {_toml(zh)}", f"en = {_toml(en)}"]
    return "\n".join(lines) + "\n"
