"""A region: boundary, units, settlements, facilities and roads, loaded and validated.

:func:`load_region` reads a region folder (``region.toml`` names its files) or
a user's separate files, validates every layer (collecting all problems
before raising), picks a local metric CRS and builds the road network,
reusing an on-disk cache keyed by the inputs' content.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import CatalogueError, InputValidationError, Problem
from ..i18n import Msg
from ..provenance import estimated_flags
from ._geometry import hull_boundary, utm_crs
from ._layers import read_layer
from ._manifest import _TERRAIN_KEYS, COORDS, DEFAULT_STANDARDS, Manifest, read_manifest, region_vocabulary
from ._roads import load_network, report_exclusions, warn_if_gcj02
from .config import FacilityType, Profile, Vocabulary, load_facility_types, load_profiles, load_vocabulary
from .demand import counts_settlements
from .landcover import TerrainInputs, TerrainOptions, load_landcover_table
from .network import RoadNetwork
from .osm_rules import OsmRules, load_osm_rules
from .validate import unit_reference_problems, validate_facilities, validate_settlements, validate_units

__all__ = ["BUNDLED_REGION", "Region", "default_cache_dir", "load_region"]

log = logging.getLogger(__name__)


BUNDLED_REGION = Path(__file__).resolve().parent.parent / "data" / "regions" / "tengger"


DEFAULT_LANDCOVER = Path(__file__).resolve().parent.parent / "data" / "landcover_worldcover.toml"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/service-coverage`` (``~/.cache/service-coverage`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "service-coverage"


@dataclass(eq=False)
class Region:
    """Everything known about a planning region, validated.

    Attributes
    ----------
    name_zh, name_en
        The region's names.
    boundary
        Region polygon, WGS84.
    units
        Towns and gacha/communities (may be empty), WGS84, indexed by code.
    settlements, facilities
        Validated layers, WGS84, indexed by id.
    network
        The road network clipped to the boundary plus the margin (None: no roads given,
        travel is a straight-line estimate).
    crs
        A local metric CRS (for thinning candidate grids and buffering margins; every
        distance is geodesic, see :mod:`coverage.geodesy`).
    files
        The input files, by role (for reports).
    profiles
        Travel profiles in force.
    facility_types
        Known facility types.
    osm_rules
        The OSM tagging rules the road network is read with.
    vocabulary
        The region's settlement classes and levels of units.
    complete_types
        Facility types the facility layer is declared complete for (``"*"``: all): a
        type absent from the layer then means "none exist" rather than "not mapped".
    boundary_estimated
        True when no boundary was given (the settlements' hull plus 5 km stands for it), or
        when the boundary file's ``geom_source`` flags it as estimated (an administrative
        area closed along an extract's edge).
    terrain
        Land cover (and DEM, barriers) for travel off the roads (None: straight off-road
        legs); see :mod:`coverage.inputs.landcover`.
    standards
        The catalogues the region is checked against unless told otherwise (region.toml's
        ``standards``; the national ones by default): built-in names or files.
    travel_cache
        Where the travel seam keeps the models it built for this region
        (:func:`coverage.travel.model_for`); the region never reads it.
    """

    name_zh: str
    name_en: str
    boundary: shapely.Geometry
    units: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: RoadNetwork | None
    crs: str
    files: dict[str, str]
    profiles: MappingProxyType[str, Profile]
    facility_types: MappingProxyType[str, FacilityType]
    osm_rules: OsmRules = field(default_factory=load_osm_rules)
    vocabulary: Vocabulary = field(default_factory=load_vocabulary)
    complete_types: frozenset = frozenset()
    boundary_estimated: bool = False
    terrain: TerrainInputs | None = None
    standards: tuple[str, ...] = DEFAULT_STANDARDS
    travel_cache: dict = field(default_factory=dict, repr=False)

    def with_layers(
        self,
        *,
        settlements: gpd.GeoDataFrame | None = None,
        facilities: gpd.GeoDataFrame | None = None,
        network: RoadNetwork | None = None,
        profiles=None,
        terrain: TerrainInputs | None = None,
    ) -> Region:
        """A copy with some layers replaced (for what-if scenarios); travel models are rebuilt when needed."""
        return dataclasses.replace(
            self,
            settlements=self.settlements if settlements is None else settlements,
            facilities=self.facilities if facilities is None else facilities,
            network=self.network if network is None else network,
            profiles=self.profiles if profiles is None else profiles,
            files=dict(self.files),
            terrain=self.terrain if terrain is None else terrain,
            travel_cache={} if network is not None or terrain is not None else self.travel_cache,
        )

    @property
    def counts_settlements(self) -> bool:
        """True when demand is settlements, not people: each counts as one (``init --demand settlements``)."""
        return counts_settlements(self.settlements)

    def estimated_summary(self) -> pd.DataFrame:
        """How much of each layer is estimated or schematic (by its source columns)."""

        def share(values: pd.Series) -> tuple[int, int]:
            return int(estimated_flags(values.to_numpy()).sum()), len(values)

        rows = []
        first = ("coord_source", "pop_source", "attr_source", "geom_source")
        for layer, frame in (("settlements", self.settlements), ("facilities", self.facilities), ("units", self.units)):
            extra = sorted(c for c in frame.columns if str(c).endswith("_source") and c not in first)
            for col in [c for c in first if c in frame] + extra:  # every *_source column: each flags what it describes
                n, total = share(frame[col])
                rows.append({"layer": layer, "field": col, "estimated": n, "total": total})
        if self.network is not None:
            n_sch = int(self.network.schematic.sum())
            rows.append({"layer": "roads", "field": "source", "estimated": n_sch, "total": self.network.n_edges})
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class LoadOptions:
    """How a region's files are read (everything but the files themselves and the terrain).

    Attributes
    ----------
    coords
        ``"wgs84"`` or ``"gcj02"`` for the point files' coordinates (default: ``region.toml``'s, else WGS84).
    name
        The region's name (default: ``region.toml``'s ``name_zh``/``name_en``).
    margin_km
        Roads and facilities this far outside the boundary are kept (referral
        hospitals across a border, roads that leave and re-enter).
    speeds, facility_types, osm_rules
        A user's profiles TOML / extra facility types TOML / OSM tagging rules TOML.
    cache_dir
        Where to cache the road network (default :func:`default_cache_dir`).
    use_cache
        False to neither read nor write the cache.
    population_table
        A population table (CSV or Excel) whose people replace the settlements' (by code or
        by name within the unit; :mod:`coverage.inputs._poptable`); rows that match no
        settlement, and settlements no row matches, are warned about.
    """

    coords: str | None = None
    name: str | None = None
    margin_km: float = 40.0
    speeds: Path | str | None = None
    facility_types: Path | str | None = None
    osm_rules: Path | str | None = None
    cache_dir: Path | str | None = None
    use_cache: bool = True
    population_table: Path | str | None = None


def load_region(
    region_dir: Path | str | None = None,
    *,
    settlements: Path | str | None = None,
    facilities: Path | str | None = None,
    roads: Path | str | None = None,
    boundary: Path | str | None = None,
    units: Path | str | None = None,
    options: LoadOptions | None = None,
    terrain: TerrainOptions | None = None,
) -> Region:
    """Load and validate a region: a folder with ``region.toml`` (default: the bundled zone), or files.

    Parameters
    ----------
    region_dir
        Folder with ``region.toml``; files given separately override the folder's.
    settlements, facilities, roads, boundary, units
        Files (GeoPackage - ``FILE.gpkg:LAYER`` -, GeoJSON, Shapefile, CSV, Excel; roads as
        OpenStreetMap ``.osm``, ``.osm.pbf``, ``.osm.bz2``).  Only settlements and facilities
        are required: without roads travel is a straight-line estimate; without a boundary
        the region is the settlements' hull plus 5 km (flagged as estimated).
    options, terrain
        How the files are read (:class:`LoadOptions`); terrain files overriding the folder's
        (:class:`~coverage.inputs.landcover.TerrainOptions`).

    Raises
    ------
    InputValidationError
        Listing every problem in the point and polygon layers.
    RoadNetworkError, CatalogueError
        For unusable road files or configuration.
    """
    opts = options or LoadOptions()
    given = {"settlements": settlements, "facilities": facilities, "roads": roads, "boundary": boundary, "units": units}
    manifest, files = _manifest_and_files(region_dir, given)
    coords, vocabulary, ftypes, profiles, rules = _configuration(manifest, opts)
    layers, boundary_geom, boundary_source = _read_layers(files, coords=coords, vocabulary=vocabulary, ftypes=ftypes, opts=opts)
    crs = utm_crs(boundary_geom)
    name_zh, name_en = _region_names(manifest, opts.name)
    return Region(
        name_zh=name_zh,
        name_en=name_en,
        boundary=boundary_geom,
        units=layers.get("units", _empty_units()),
        settlements=layers["settlements"],
        facilities=layers["facilities"],
        network=_road_network(files, layers, boundary_geom, crs=crs, rules=rules, coords=coords, opts=opts),
        crs=crs,
        files={k: str(v) for k, v in files.items() if v is not None},
        profiles=profiles,
        facility_types=ftypes,
        osm_rules=rules,
        vocabulary=vocabulary,
        complete_types=frozenset(manifest.data.get("complete_types", [])),
        boundary_estimated=files["boundary"] is None or bool(estimated_flags([boundary_source])[0]),
        terrain=_terrain_inputs(manifest, terrain or TerrainOptions(), profiles),
        standards=manifest.standards(),
    )


def with_population_table(settlements: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None, table: Path | str) -> gpd.GeoDataFrame:
    """The settlements with the people of a population table (warning of rows and settlements left unmatched)."""
    from ._poptable import join_population_table, units_of

    joined = join_population_table(table, settlements, units_of(settlements, units) if units is not None else None)
    out = settlements.copy()
    took = joined.population.notna()
    out.loc[took, "population"] = joined.population[took]
    out.loc[took, "pop_source"] = joined.source[took]
    if joined.elderly.notna().any():
        out.loc[took, "elderly_population"] = joined.elderly[took]
    if joined.unmatched:
        log.warning(
            "%s",
            Msg(
                "{n} rows of {file} match no settlement: {rows}.",
                n=len(joined.unmatched),
                file=table,
                rows="; ".join(joined.unmatched[:20]),
            ),
        )
    if joined.missing:
        missing = list(joined.missing)
        counted = out.loc[missing, "pop_source"].astype(str).str.startswith("counted:")
        out.loc[counted[counted].index, "population"] = float("nan")
        out.loc[counted[counted].index, "pop_source"] = f"missing: no row in {Path(table).name}"
        names = out.loc[missing[:20], "name_zh"].where(out.loc[missing[:20], "name_zh"] != "", out.loc[missing[:20], "name_en"])
        message = "{n} settlements have no row in {file} ({names}); they keep the layer's population, where it has one."
        log.warning("%s", Msg(message, n=len(missing), file=table, names=", ".join(names.where(names != "", missing[:20]))))
    return out


def _configuration(manifest: Manifest, opts: LoadOptions):
    """The points' datum, the region's vocabulary, facility types, travel profiles and OSM rules (built-in unless given)."""
    coords = opts.coords or manifest.data.get("coords", "wgs84")
    if coords not in COORDS:
        raise CatalogueError(
            Msg("--coords {value}: use {choices}.", value=coords, choices=Msg("{a} or {b}", a=COORDS[0], b=COORDS[1]))
        )
    profiles = load_profiles(opts.speeds)
    rules = load_osm_rules(opts.osm_rules)
    _check_modes(profiles, rules)
    ftypes = load_facility_types(manifest.file("facility_types"), opts.facility_types)
    return coords, region_vocabulary(manifest), ftypes, profiles, rules


def _manifest_and_files(region_dir, given: dict) -> tuple[Manifest, dict[str, Path | None]]:
    """The region folder's manifest (or none) and every layer's file: given ones first, else the folder's."""
    manifest = Manifest(None, {})
    if region_dir is not None or not (given["settlements"] or given["facilities"]):
        manifest = read_manifest(Path(region_dir) if region_dir is not None else BUNDLED_REGION)
    files = {k: Path(v) if v is not None else manifest.file(k) for k, v in given.items()}
    missing = [k for k in ("settlements", "facilities") if files[k] is None]
    if missing:
        raise CatalogueError(
            Msg(
                "missing input: give {options} (or --region DIR with a region.toml).", options=" ".join(f"--{m}" for m in missing)
            )
        )
    return manifest, files


def _road_network(files: dict, layers: dict, boundary, *, crs: str, rules: OsmRules, coords: str, opts: LoadOptions):
    """The road network of the roads file (None without one), its exclusions reported, GCJ-02 shifts checked."""
    if files["roads"] is None:
        return None
    cache = (opts.cache_dir or default_cache_dir()) if opts.use_cache else None
    network = load_network(files["roads"], boundary, crs=crs, margin_km=opts.margin_km, cache_dir=cache, rules=rules)
    report_exclusions(files["roads"], network, rules)
    if coords == "wgs84":
        warn_if_gcj02({str(files[k]): layers[k] for k in ("settlements", "facilities")}, network, crs=crs)
    return network


def _terrain_inputs(manifest: Manifest, given: TerrainOptions, profiles) -> TerrainInputs | None:
    """The terrain files: given on the command line, else named in region.toml; None without a land cover."""
    paths = {k: Path(getattr(given, k)) if getattr(given, k) else manifest.file(k) for k in _TERRAIN_KEYS}
    cell_m = given.cell_m or manifest.data.get("terrain_cell_m")
    wanted = given.use or any(getattr(given, k) for k in _TERRAIN_KEYS) or manifest.data.get("use_terrain", True)
    if given.use and paths["landcover"] is None:
        raise CatalogueError(Msg("--terrain: this region names no land cover; give --landcover FILE.tif."))
    if paths["landcover"] is None or not wanted:
        extra = [k for k in ("dem", "barriers", "crossings") if paths[k] is not None]
        if extra and paths["landcover"] is None:
            raise CatalogueError(
                Msg("--{option} needs a land-cover raster (--landcover FILE.tif) for the speeds off the roads.", option=extra[0])
            )
        return None
    if cell_m is not None and not (isinstance(cell_m, int | float) and 10 <= cell_m <= 10_000):
        raise CatalogueError(
            Msg("terrain cell size {value} m: give a number of metres between 10 and 10,000.", value=repr(cell_m))
        )
    table = load_landcover_table(paths["landcover_speeds"] or DEFAULT_LANDCOVER, profiles=profiles)
    return TerrainInputs(
        landcover=paths["landcover"],
        table=table,
        dem=paths["dem"],
        barriers=paths["barriers"],
        crossings=paths["crossings"],
        cell_m=float(cell_m) if cell_m is not None else None,
    )


def _region_names(manifest: Manifest, name: str | None) -> tuple[str, str]:
    """The region's Chinese and English names: ``--name``, else the manifest's; never a file name."""
    if name:
        has_cjk = any("\u3400" <= ch <= "\u9fff" for ch in name)
        return (name, manifest.data.get("name_en", "")) if has_cjk else (manifest.data.get("name_zh", ""), name)
    return manifest.data.get("name_zh", ""), manifest.data.get("name_en", "")


def _check_modes(profiles, rules: OsmRules) -> None:
    for prof in profiles.values():
        if prof.mode not in rules.modes:
            raise CatalogueError(
                Msg(
                    "{where}: mode '{mode}' is not a mode of the OSM rules ({rules}): use {modes}.",
                    where=f"{prof.source}, [{prof.name}]",
                    mode=prof.mode,
                    rules=rules.source,
                    modes=", ".join(rules.modes),
                )
            )


def _empty_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name_zh": [], "name_en": [], "level": [], "parent_code": [], "geom_source": []},
        geometry=[],
        crs="EPSG:4326",
        index=pd.Index([], name="code", dtype=str),
    )


def _read_layers(
    files: dict, *, coords: str, vocabulary: Vocabulary, ftypes, opts: LoadOptions
) -> tuple[dict, shapely.Geometry, str]:
    """Read and validate every point and polygon layer, collecting every problem before raising once.

    Returns the layers (the settlements with the people of ``opts.population_table``), the
    region's outline and the outline's ``geom_source`` (``""`` when its file has none).
    """
    layers, boundary, source = _validated_layers(
        files, coords=coords, vocabulary=vocabulary, ftypes=ftypes, margin_km=opts.margin_km
    )
    if opts.population_table is not None:
        layers["settlements"] = with_population_table(layers["settlements"], layers.get("units"), opts.population_table)
    return layers, boundary, source


def _validated_layers(files: dict, *, coords: str, vocabulary: Vocabulary, ftypes, margin_km: float):
    """The layers read and validated (every problem collected, raised once), the outline and its ``geom_source``."""
    problems: list[Problem] = []
    raw: dict[str, gpd.GeoDataFrame] = {}
    for key in ("settlements", "facilities", "units"):
        if files[key] is not None:
            try:
                raw[key] = read_layer(files[key], coords=coords if key != "units" else "wgs84")
            except InputValidationError as exc:
                problems.extend(exc.problems)
    boundary_source = ""
    if files["boundary"] is not None:
        boundary_geom, boundary_source = _read_boundary(files["boundary"], problems)
    else:
        boundary_geom = hull_boundary([raw[k] for k in ("settlements", "facilities") if k in raw])
    validators = {
        "settlements": lambda r, src: validate_settlements(r, source=src, boundary=boundary_geom, vocabulary=vocabulary),
        "facilities": lambda r, src: validate_facilities(
            r, source=src, facility_types=ftypes, boundary=boundary_geom, far_km=margin_km * 2.5
        ),
        "units": lambda r, src: validate_units(r, source=src, vocabulary=vocabulary),
    }
    layers = {}
    for key, layer in raw.items():
        try:
            layers[key] = validators[key](layer, str(files[key]))
        except InputValidationError as exc:
            problems.extend(exc.problems)
    if "units" in layers:
        points = {str(files[k]): layers[k] for k in ("settlements", "facilities") if k in layers}
        problems += unit_reference_problems(layers["units"], points, units_source=str(files["units"]), vocabulary=vocabulary)
    if "facilities" in layers and not _any_near(layers["facilities"], boundary_geom, margin_km):
        # A county whose only clinic is across its border is fine (within the margin);
        # nothing inside or near it means the coordinates or the boundary are wrong.
        problems.append(
            Problem(
                str(files["facilities"]),
                "",
                "geometry",
                Msg(
                    "every facility lies outside the region's boundary and its {km} km margin; "
                    "check the coordinates (WGS84 lon/lat, or --coords gcj02) and the boundary file.",
                    km=f"{margin_km:g}",
                ),
            )
        )
    if problems:
        raise InputValidationError(problems)
    return layers, boundary_geom, boundary_source


def _any_near(facilities: gpd.GeoDataFrame, boundary: shapely.Geometry, margin_km: float) -> bool:
    """Any facility inside the region, or within the margin around it."""
    if facilities["in_region"].any():
        return True
    zone = boundary.buffer(margin_km / 111.0)
    return bool(shapely.contains_xy(zone, facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy()).any())


def _read_boundary(path: Path, problems: list[Problem]) -> tuple[shapely.Geometry, str]:
    """The union of the boundary file's polygons, and their ``geom_source`` texts (joined; "" without the column)."""
    try:
        gdf = read_layer(path)
    except InputValidationError as exc:
        problems.extend(exc.problems)
        return shapely.Polygon(), ""
    polys = gdf.geometry[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        problems.append(
            Problem(str(path), "", "geometry", Msg("no polygon in the boundary file; give the region's outline as a polygon."))
        )
        return shapely.Polygon(), ""
    source = "; ".join(sorted(set(gdf["geom_source"].astype(str)))) if "geom_source" in gdf else ""
    return shapely.union_all(polys.make_valid().to_numpy()), source
