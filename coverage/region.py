"""A region: boundary, units, settlements, facilities and roads, loaded and validated.

:func:`load_region` reads a region folder (``region.toml`` names its files) or
a user's separate files, validates every layer (collecting all problems
before raising), picks a local metric CRS and builds the road network,
reusing an on-disk cache keyed by the inputs' content.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import io
from .config import FacilityType, Profile, load_facility_types, load_profiles, read_toml
from .errors import CatalogueError, CoverageError, InputValidationError, Problem
from .network import RoadNetwork, build_road_network
from .osm import OsmRules, exclusion_report, load_osm_rules
from .routing import RoutingGraph, build_routing_graph
from .travel import RoadTravel, StraightTravel, TravelModel, lonlat
from .validate import validate_facilities, validate_settlements, validate_units

__all__ = ["BUNDLED_REGION", "Region", "default_cache_dir", "load_region"]

log = logging.getLogger(__name__)

BUNDLED_REGION = Path(__file__).resolve().parent.parent / "geodata" / "tengger"
CACHE_VERSION = "roads-v2"  # bump when RoadNetwork's layout or meaning changes


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
    _graphs: dict[str, RoutingGraph] = field(default_factory=dict, repr=False)

    def lonlat(self, gdf: gpd.GeoDataFrame) -> np.ndarray:
        """Lon/lat of a point layer, shape ``(n, 2)``."""
        return lonlat(gdf)

    def routing_graph(self, profile: str | Profile) -> RoutingGraph:
        """The routing graph for a profile (built once per region and profile)."""
        if self.network is None:
            raise CoverageError("this region has no road network (give --roads); travel is a straight-line estimate.")
        prof = self.profiles[profile] if isinstance(profile, str) else profile
        key = prof.as_key()
        if key not in self._graphs:
            self._graphs[key] = build_routing_graph(self.network, prof, self.osm_rules)
        return self._graphs[key]

    def travel_model(self, profile: str | Profile) -> TravelModel:
        """How the profile travels here: on the roads, or along straight lines when there are none."""
        prof = self.profiles[profile] if isinstance(profile, str) else profile
        if self.network is None:
            return StraightTravel(prof)
        return RoadTravel(self.routing_graph(prof))

    def with_layers(
        self,
        *,
        settlements: gpd.GeoDataFrame | None = None,
        facilities: gpd.GeoDataFrame | None = None,
        network: RoadNetwork | None = None,
        profiles=None,
    ) -> Region:
        """A copy with some layers replaced (for what-if scenarios)."""
        return Region(
            self.name_zh,
            self.name_en,
            self.boundary,
            self.units,
            self.settlements if settlements is None else settlements,
            self.facilities if facilities is None else facilities,
            self.network if network is None else network,
            self.crs,
            dict(self.files),
            self.profiles if profiles is None else profiles,
            self.facility_types,
            self.osm_rules,
        )

    def estimated_summary(self) -> pd.DataFrame:
        """How much of each layer is estimated or schematic (by its source columns)."""

        def share(values: pd.Series) -> tuple[int, int]:
            flagged = values.astype(str).str.lower().str.contains("estimat|schematic|assum", regex=True)
            return int(flagged.sum()), len(values)

        rows = []
        for layer, frame, col in (
            ("settlements", self.settlements, "coord_source"),
            ("settlements", self.settlements, "pop_source"),
            ("facilities", self.facilities, "coord_source"),
            ("facilities", self.facilities, "attr_source"),
            ("units", self.units, "geom_source"),
        ):
            if col in frame:
                n, total = share(frame[col])
                rows.append({"layer": layer, "field": col, "estimated": n, "total": total})
        if self.network is not None:
            n_sch = int(self.network.schematic.sum())
            rows.append({"layer": "roads", "field": "source", "estimated": n_sch, "total": self.network.n_edges})
        return pd.DataFrame(rows)


def _utm_crs(boundary: shapely.Geometry) -> str:
    c = boundary.centroid
    zone = int((c.x + 180) // 6) + 1
    return f"EPSG:{32600 + zone if c.y >= 0 else 32700 + zone}"


_REGION_KEYS = {"name_zh", "name_en", "boundary", "units", "settlements", "facilities", "roads", "coords"}


def _region_manifest(region_dir: Path) -> dict[str, str]:
    manifest = region_dir / "region.toml"
    if not manifest.exists():
        raise CatalogueError(
            f"{region_dir}: no region.toml here; a region folder needs one naming its files "
            "(see geodata/tengger/region.toml), or give --settlements/--facilities/--roads/--boundary."
        )
    data, _text, label = read_toml(manifest, default="")
    unknown = set(data) - _REGION_KEYS
    if unknown:
        raise CatalogueError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_REGION_KEYS))}.")
    for key in ("boundary", "settlements", "facilities", "roads"):
        if key not in data:
            raise CatalogueError(f"{label}: missing key '{key}' (the file name of that layer).")
    return data


def load_region(
    region_dir: Path | str | None = None,
    *,
    settlements: Path | str | None = None,
    facilities: Path | str | None = None,
    roads: Path | str | None = None,
    boundary: Path | str | None = None,
    units: Path | str | None = None,
    coords: str | None = None,
    margin_km: float = 40.0,
    speeds: Path | str | None = None,
    facility_types: Path | str | None = None,
    osm_rules: Path | str | None = None,
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
) -> Region:
    """Load and validate a region.

    Parameters
    ----------
    region_dir
        Folder with ``region.toml``; default the bundled Tengger zone.  Files
        given separately override the folder's.
    settlements, facilities, roads, boundary, units
        Individual files (GeoPackage, GeoJSON, Shapefile, CSV; roads as
        ``.osm`` or ``.osm.pbf``).
    coords
        ``"wgs84"`` or ``"gcj02"`` for the point files' coordinates.
    margin_km
        Roads and facilities this far outside the boundary are kept (referral
        hospitals across a border, roads that leave and re-enter).
    speeds, facility_types, osm_rules
        A user's profiles TOML / extra facility types TOML / OSM tagging rules TOML.
    cache_dir
        Where to cache the road network (default :func:`default_cache_dir`).
    use_cache
        False to neither read nor write the cache.

    Returns
    -------
    Region

    Raises
    ------
    InputValidationError
        Listing every problem in the point and polygon layers.
    RoadNetworkError, CatalogueError
        For unusable road files or configuration.
    """
    manifest: dict[str, str] = {}
    base: Path | None = None
    if region_dir is not None or not any((settlements, facilities, roads, boundary)):
        base = Path(region_dir) if region_dir is not None else BUNDLED_REGION
        manifest = _region_manifest(base)

    def pick(given, key):
        if given is not None:
            return Path(given)
        if key in manifest:
            return base / manifest[key]
        return None

    files = {
        k: pick(v, k)
        for k, v in (
            ("settlements", settlements),
            ("facilities", facilities),
            ("roads", roads),
            ("boundary", boundary),
            ("units", units),
        )
    }
    missing = [k for k in ("settlements", "facilities", "roads", "boundary") if files[k] is None]
    if missing:
        raise CatalogueError(f"missing input: give --{' --'.join(missing)} (or --region DIR with a region.toml).")
    coords = coords or manifest.get("coords", "wgs84")
    ftypes = load_facility_types(facility_types)
    profiles = load_profiles(speeds)
    rules = load_osm_rules(osm_rules)
    for prof in profiles.values():
        if prof.mode not in rules.modes:
            raise CatalogueError(
                f"{prof.source}, [{prof.name}]: mode '{prof.mode}' is not a mode of the OSM rules "
                f"({rules.source}): use {', '.join(rules.modes)}."
            )

    problems: list[Problem] = []
    boundary_geom = _read_boundary(files["boundary"], problems)
    units_gdf = gpd.GeoDataFrame(
        {"name_zh": [], "name_en": [], "level": [], "parent_code": [], "geom_source": []}, geometry=[], crs="EPSG:4326"
    )
    layers = {}
    for key, fn in (
        ("settlements", lambda raw, src: validate_settlements(raw, source=src, boundary=boundary_geom)),
        (
            "facilities",
            lambda raw, src: validate_facilities(
                raw, source=src, facility_types=ftypes, boundary=boundary_geom, far_km=margin_km * 2.5
            ),
        ),
        ("units", lambda raw, src: validate_units(raw, source=src)),
    ):
        if files[key] is None:
            continue
        try:
            raw = io.read_layer(files[key], coords=coords if key != "units" else "wgs84")
            layers[key] = fn(raw, str(files[key]))
        except InputValidationError as exc:
            problems.extend(exc.problems)
    if "facilities" in layers and not layers["facilities"]["in_region"].any():
        problems.append(
            Problem(
                str(files["facilities"]),
                "",
                "geometry",
                "every facility lies outside the region's boundary; "
                "check the coordinates (WGS84 lon/lat, or --coords gcj02) and the boundary file.",
            )
        )
    if problems:
        raise InputValidationError(problems)
    if "units" in layers:
        units_gdf = layers["units"]
    crs = _utm_crs(boundary_geom)
    network = _load_network(
        files["roads"],
        boundary_geom,
        crs=crs,
        margin_km=margin_km,
        cache_dir=(cache_dir or default_cache_dir()) if use_cache else None,
        rules=rules,
    )
    report_exclusions(files["roads"], network, rules)
    if coords == "wgs84":
        warn_if_gcj02({str(files[k]): layers[k] for k in ("settlements", "facilities")}, network, crs=crs)
    return Region(
        name_zh=manifest.get("name_zh", ""),
        name_en=manifest.get("name_en", files["boundary"].stem),
        boundary=boundary_geom,
        units=units_gdf,
        settlements=layers["settlements"],
        facilities=layers["facilities"],
        network=network,
        crs=crs,
        files={k: str(v) for k, v in files.items() if v is not None},
        profiles=profiles,
        facility_types=ftypes,
        osm_rules=rules,
    )


def warn_if_gcj02(layers: dict[str, gpd.GeoDataFrame], network: RoadNetwork, *, crs: str) -> list[str]:
    """Warn when a point layer sits systematically off the roads in the way GCJ-02 coordinates do.

    Coordinates copied from Amap or Tencent are shifted 300-600 m.  The test: the
    median point lies more than 100 m from the nearest road, and undoing the GCJ-02
    shift brings it at least twice as close.  It can only fire for points that
    really sit on or near roads (facilities on streets, villages on tracks); in a
    dense street grid a shift may land on the next street and go unnoticed.

    Parameters
    ----------
    layers
        Point layers by source (file name), WGS84.
    network
        The road network.
    crs
        A local metric CRS (a heuristic's distances: projection error does not matter).

    Returns
    -------
    list of str
        The sources warned about.
    """
    if network.n_edges == 0:
        return []
    from pyproj import Transformer

    from .gcj02 import gcj02_to_wgs84

    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(network.lon, network.lat)
    xy = np.column_stack([x, y])
    lines = shapely.linestrings(np.stack([xy[network.u], xy[network.v]], axis=1))
    tree = shapely.STRtree(lines)

    def median_distance(lon, lat) -> float:
        pts = shapely.points(*to_metric.transform(lon, lat))
        _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        return float(np.median(dist))

    warned = []
    for source, points in layers.items():
        if len(points) < 4:
            continue
        lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
        if len(lon) > 2000:  # a median needs no more: a seeded sample keeps it fast on a province
            pick = np.random.default_rng(0).choice(len(lon), 2000, replace=False)
            lon, lat = lon[pick], lat[pick]
        as_given = median_distance(lon, lat)
        if as_given <= 100:
            continue
        undone = median_distance(*gcj02_to_wgs84(lon, lat))
        if undone < as_given / 2:
            log.warning(
                "%s: the points look shifted like GCJ-02 coordinates (copied from Amap/Tencent): the median point "
                "lies %.0f m from the roads, %.0f m once the shift is undone. If so, run again with --coords gcj02.",
                source,
                as_given,
                undone,
            )
            warned.append(source)
    return warned


def _read_boundary(path: Path, problems: list[Problem]) -> shapely.Geometry:
    try:
        gdf = io.read_layer(path)
    except InputValidationError as exc:
        problems.extend(exc.problems)
        return shapely.Polygon()
    polys = gdf.geometry[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        problems.append(
            Problem(str(path), "", "geometry", "no polygon in the boundary file; give the region's outline as a polygon.")
        )
        return shapely.Polygon()
    geom = shapely.union_all(polys.make_valid().to_numpy())
    return geom


def network_cache_key(path: Path, boundary: shapely.Geometry, *, margin_km: float, rules: OsmRules) -> str:
    """The cache key of a road network: the road file's content, the clip, and the tags the rules read."""
    return io.file_digest(path, extra=f"{CACHE_VERSION}|{margin_km:g}|{','.join(rules.tag_keys())}|{boundary.wkb_hex}")


def keep_zone(boundary: shapely.Geometry, margin_km: float, crs: str) -> shapely.Geometry:
    """The region plus its margin, as a lon/lat polygon (buffered in the local metric CRS)."""
    return gpd.GeoSeries([boundary], crs="EPSG:4326").to_crs(crs).buffer(margin_km * 1000).to_crs("EPSG:4326").iloc[0]


def _load_network(
    path: Path, boundary: shapely.Geometry, *, crs: str, margin_km: float, cache_dir: Path | None, rules: OsmRules
) -> RoadNetwork:
    key = network_cache_key(path, boundary, margin_km=margin_km, rules=rules)
    cached = io.load_cached_arrays(cache_dir, key)
    if cached is not None:
        try:
            network = RoadNetwork.from_arrays(cached)
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("the routing cache entry for %s is incomplete (%s); rebuilding it.", path, exc)
        else:
            log.info("road network from cache (%s)", cache_dir)
            return network
    raw = io.read_osm_roads(path, tag_keys=rules.tag_keys())
    network = build_road_network(raw, keep_within=keep_zone(boundary, margin_km, crs))
    if network.n_edges == 0:
        raise CoverageError(
            f"{path}: none of its roads lies within {margin_km:g} km of the region; check that the extract covers the region."
        )
    io.save_cached_arrays(cache_dir, key, network.to_arrays())
    return network


def report_exclusions(path: Path | str, network: RoadNetwork, rules: OsmRules) -> list[str]:
    """Warn once about ways left out or tags not understood; returns the lines warned."""
    report = exclusion_report(network, rules)
    labels = {
        "unknown": "ways with a highway value the OSM rules do not know (left out)",
        "excluded": "ways that are no road for travel (construction, platforms...; left out)",
        "area": "highway areas (squares, plazas; left out)",
        "access": "access values not understood (ignored)",
        "oneway": "oneway values not understood (ignored)",
        "maxspeed": "maxspeed values not understood (the class speed is used)",
    }
    lines = []
    for key, label in labels.items():
        counts = report[key]
        if counts:
            listed = ", ".join(f"{v} {n}" for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
            lines.append(f"{sum(counts.values())} {label}: {listed}{', ...' if len(counts) > 8 else ''}")
    if lines:
        log.warning("%s: %s. See --osm-rules to change a rule.", path, "; ".join(lines))
    return lines
