"""All disk I/O: reading layers and road files, the routing cache, atomic writes.

Everything else in the package is pure computation on frames and arrays.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .config import suggest
from .errors import InputValidationError, NoCrsError, OutputError, Problem, RoadNetworkError
from .gcj02 import gcj02_to_wgs84
from .i18n import N_, Msg, Note
from .network import RawRoads

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "file_digest",
    "load_cached_arrays",
    "read_layer",
    "read_osm_features",
    "read_osm_roads",
    "read_population_raster",
    "read_raster_on_grid",
    "read_vector_geometries",
    "save_cached_arrays",
]

log = logging.getLogger(__name__)

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".zip"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def _separator(path: Path, encoding: str) -> str:
    """The column separator: the one of ``,`` ``;`` tab that the header line uses most (Excel saves ``;`` in many locales)."""
    with path.open(encoding=encoding, newline="") as f:
        header = f.readline()
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] else ","


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a CSV as text columns; UTF-8 first, then GB18030 (Chinese Excel's default)."""
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sep = _separator(path, encoding)
            frame = pd.read_csv(path, dtype=str, encoding=encoding, sep=sep, keep_default_na=False)
            return frame, encoding
        except UnicodeDecodeError as exc:
            last_error = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            reason = " ".join(str(exc).split())
            raise InputValidationError(
                [Problem(str(path), "", "", Msg("cannot be read as CSV ({reason}).", reason=reason))]
            ) from None
    raise InputValidationError(
        [
            Problem(
                str(path),
                "",
                "",
                Msg(
                    "text encoding is neither UTF-8 nor GB18030 ({reason}); save it from Excel as 'CSV UTF-8'.", reason=last_error
                ),
            )
        ]
    )


def read_layer(path: Path | str, *, coords: str = "wgs84") -> gpd.GeoDataFrame:
    """Read a point or polygon layer from GeoPackage, GeoJSON, Shapefile or CSV.

    The ``row`` column says where each record is in the file (``"row 2"`` in a CSV,
    whose header is row 1; ``"feature 1"`` in a spatial file), for messages.

    CSV files need longitude/latitude columns (``lon``/``lat``, ``longitude``/``latitude``,
    ``x``/``y`` or ``经度``/``纬度``) in WGS84, or in GCJ-02 with ``coords="gcj02"``.
    Attribute columns are returned as read (text for CSV); validation converts them.

    Parameters
    ----------
    path
        The file.
    coords
        ``"wgs84"`` (default) or ``"gcj02"``: the datum of the coordinates
        (for coordinates copied from Amap, Tencent or Baidu's GCJ-02 layer).

    Returns
    -------
    geopandas.GeoDataFrame
        In WGS84 (EPSG:4326), with the ``row`` column.

    Raises
    ------
    InputValidationError
        The file is missing, unreadable or has no usable coordinates.
    NoCrsError
        A spatial file carries no CRS.
    """
    path, layer = split_layer(path)
    if not path.exists():
        raise InputValidationError([Problem(str(path), "", "", Msg("file not found."))])
    if path.is_dir():
        raise InputValidationError(
            [Problem(str(path), "", "", Msg("is a folder; give a file (GeoPackage, GeoJSON, Shapefile, CSV)."))]
        )
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame, encoding = _read_csv(path)
        if encoding != "utf-8-sig":
            log.warning(N_("%s: read as %s (not UTF-8)."), path, encoding.upper())
        lower = {c.strip().lower(): c for c in frame.columns}
        lon_col = next((lower[n] for n in LON_NAMES if n in lower), None)
        lat_col = next((lower[n] for n in LAT_NAMES if n in lower), None)
        if lon_col is None or lat_col is None:
            raise InputValidationError(
                [
                    Problem(
                        str(path),
                        "",
                        "lon/lat",
                        Msg(
                            "no longitude/latitude columns; name them 'lon' and 'lat' (WGS84 degrees). Columns found: {columns}.",
                            columns=", ".join(frame.columns),
                        ),
                    )
                ]
            )
        lon = pd.to_numeric(frame[lon_col].str.strip(), errors="coerce")
        lat = pd.to_numeric(frame[lat_col].str.strip(), errors="coerce")
        bad = lon.isna() | lat.isna()
        if bad.any():
            problems = [
                Problem(
                    str(path),
                    f"row {i + 2}",
                    f"{lon_col}/{lat_col}",
                    Msg("coordinates '{x}', '{y}' are not numbers.", x=frame.at[i, lon_col], y=frame.at[i, lat_col]),
                )
                for i in np.flatnonzero(bad.to_numpy())
            ]
            raise InputValidationError(problems)
        attrs = frame.drop(columns=[lon_col, lat_col])
        gdf = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        gdf["row"] = [f"row {i}" for i in range(2, len(gdf) + 2)]  # the header is row 1, as a spreadsheet shows it
    elif suffix in VECTOR_SUFFIXES:
        layer = _pick_layer(path, layer)
        try:
            gdf = gpd.read_file(path, layer=layer)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise InputValidationError(
                [Problem(str(path), "", "", Msg("cannot be read as a spatial file ({reason}).", reason=exc))]
            ) from None
        if gdf.crs is None:
            raise NoCrsError(
                [
                    Problem(
                        str(path),
                        "",
                        "",
                        Msg(
                            "the file has no coordinate reference system; set it in QGIS "
                            "(Layer > Set CRS) or export as GeoJSON, which is always WGS84."
                        ),
                    )
                ]
            )
        gdf["row"] = [f"feature {i}" for i in range(1, len(gdf) + 1)]
        if gdf.crs.is_geographic and len(gdf) and not gdf.geometry.is_empty.all():
            minx, miny, maxx, maxy = gdf.geometry[~gdf.geometry.is_empty].total_bounds
            if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
                raise InputValidationError(
                    [
                        Problem(
                            str(path),
                            "",
                            "geometry",
                            Msg(
                                "declared as geographic ({crs}) but coordinates reach {x}, {y}: these are projected "
                                "metres. Set the file's real CRS (e.g. the UTM zone it was made in) instead of WGS84.",
                                crs=gdf.crs.name,
                                x=f"{maxx:.0f}",
                                y=f"{maxy:.0f}",
                            ),
                        )
                    ]
                )
        gdf = gdf.to_crs("EPSG:4326")
    else:
        raise InputValidationError(
            [
                Problem(
                    str(path),
                    "",
                    "",
                    Msg(
                        "unknown file type '{suffix}'; use GeoPackage, GeoJSON, Shapefile or CSV with lon/lat columns.",
                        suffix=suffix,
                    ),
                )
            ]
        )
    if coords == "gcj02":
        gdf = gdf.copy()
        gdf.geometry = _gcj02_geometry_to_wgs84(gdf.geometry)
    elif coords != "wgs84":
        raise ValueError(f"coords must be 'wgs84' or 'gcj02', got {coords!r}")
    return gdf


def split_layer(path: Path | str) -> tuple[Path, str | None]:
    """``data.gpkg:villages`` -> (``data.gpkg``, ``villages``); a path that exists as given has no layer part."""
    path = Path(path)
    text = str(path)
    if not path.exists() and ":" in text:
        file, layer = text.rsplit(":", 1)
        if Path(file).exists() and layer and "/" not in layer and "\\" not in layer:
            return Path(file), layer
    return path, None


def _pick_layer(path: Path, layer: str | None) -> str | None:
    """The layer to read: the one named, or the only one; several unnamed is a clear error."""
    try:
        import pyogrio

        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # unreadable: read_file will say so
        return layer
    if layer is not None:
        if layer not in names:
            raise InputValidationError(
                [
                    Problem(
                        str(path),
                        "",
                        "",
                        Msg(
                            "has no layer '{layer}'{suggestion}; its layers: {layers}.",
                            layer=layer,
                            suggestion=suggest(layer, names),
                            layers=", ".join(names),
                        ),
                    )
                ]
            )
        return layer
    if len(names) > 1:
        raise InputValidationError(
            [
                Problem(
                    str(path),
                    "",
                    "",
                    Msg(
                        "has {n} layers ({layers}); name the one to read as {example}.",
                        n=len(names),
                        layers=", ".join(names),
                        example=f"{path}:{names[0]}",
                    ),
                )
            ]
        )
    return None


def _gcj02_geometry_to_wgs84(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    import shapely

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return gpd.GeoSeries(shapely.transform(geoms.values, convert), index=geoms.index, crs=geoms.crs)


OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".xml", ".osm.xml")


def read_osm_roads(path: Path | str, *, tag_keys: tuple[str, ...]) -> RawRoads:
    """Read the roads (ways with a ``highway`` tag) of an OpenStreetMap file with osmium.

    One reader for every format libosmium knows: XML (``.osm``, ``.osm.bz2``,
    ``.osm.gz``) and PBF (``.osm.pbf``), so the same data gives the same network
    whatever its format.  Every vertex is a node; each pair of consecutive vertices
    whose locations are in the file is a segment (a way cut by the extract's edge
    keeps its inside pieces).  Negative ids (objects drawn in JOSM and not uploaded)
    read like positive ones; a vertex whose coordinates lie outside the globe is
    left out with a warning.

    Parameters
    ----------
    path
        The OSM file.
    tag_keys
        Tags to keep per way (the rules' keys; see :meth:`coverage.osm.OsmRules.tag_keys`).

    Returns
    -------
    RawRoads

    Raises
    ------
    RoadNetworkError
        The file is missing, of an unknown type, unreadable (garbage, truncated,
        empty), or holds no way with a ``highway`` tag.
    """
    import osmium

    path = Path(path)
    _check_osm_path(path, N_("road file"))
    refs: list[int] = []
    xs: list[int] = []  # osmium's fixed-point coordinates (1e-7 degree); undefined where the node is not in the file
    ys: list[int] = []
    counts: list[int] = []  # vertices per way
    way_ids: list[int] = []
    wanted = set(tag_keys)
    tag_ways: dict[str, list[int]] = {k: [] for k in tag_keys}  # per key: the ways that have it...
    tag_values: dict[str, list[str]] = {k: [] for k in tag_keys}  # ...and their values
    try:
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in fp:
            if not obj.is_way():
                continue
            w = len(way_ids)
            way_ids.append(obj.id)
            for k, value in _tag_pairs(obj.tags):
                if k in wanted:
                    tag_ways[k].append(w)
                    tag_values[k].append(value)
            nodes = obj.nodes
            for nd in nodes:
                loc = nd.location
                refs.append(nd.ref)
                xs.append(loc.x)
                ys.append(loc.y)
            counts.append(len(nodes))
    except (RuntimeError, ValueError, OSError) as exc:
        raise _unreadable_osm(path, exc) from None
    if not way_ids:
        raise RoadNetworkError(
            Msg(
                "{path}: no roads (no way with a 'highway' tag) in the file; check that the extract covers the region.", path=path
            )
        )
    ref, x, y = np.asarray(refs, np.int64), np.asarray(xs, np.int64), np.asarray(ys, np.int64)
    _negative_id_locations(path, ref, x, y)
    valid = _valid_locations(path, x, y)
    vertex_way = np.repeat(np.arange(len(way_ids), dtype=np.int64), np.asarray(counts, np.int64))
    # A segment joins each vertex to the next one of the same way, when both have a valid location.
    k = np.flatnonzero((vertex_way[1:] == vertex_way[:-1]) & valid[1:] & valid[:-1]) + 1
    node_id, first, inverse = np.unique(ref[valid], return_index=True, return_inverse=True)
    position = np.full(len(ref), -1, np.int64)
    position[valid] = inverse
    return RawRoads(
        node_id=node_id,
        lon=x[valid][first] / 1e7,
        lat=y[valid][first] / 1e7,
        u=position[k - 1],
        v=position[k],
        way=vertex_way[k],
        way_id=np.asarray(way_ids, np.int64),
        tags={key: _spread(len(way_ids), tag_ways[key], tag_values[key]) for key in tag_keys},
    )


_UNDEFINED = 2**31 - 1  # osmium's undefined coordinate: the node is not in the file


def _negative_id_locations(path: Path, ref: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Fill in the locations of nodes with negative ids (files edited in JOSM and not uploaded).

    osmium's location index keeps positive ids only; the few files with negative ids
    are small, so a second pass reads their nodes directly.
    """
    missing = (ref < 0) & (x == _UNDEFINED)
    if not missing.any():
        return
    import osmium

    wanted = set(np.unique(ref[missing]).tolist())
    found: dict[int, tuple[int, int]] = {}
    try:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if node.id < 0 and node.id in wanted:
                found[node.id] = (node.location.x, node.location.y)
    except (RuntimeError, ValueError, OSError) as exc:
        raise _unreadable_osm(path, exc) from None
    for i in np.flatnonzero(missing):
        x[i], y[i] = found.get(int(ref[i]), (_UNDEFINED, _UNDEFINED))


def _valid_locations(path: Path, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Vertices with a usable location; the others are counted and reported (their segments are left out)."""
    absent = x == _UNDEFINED
    valid = ~absent & (np.abs(x) <= 1_800_000_000) & (np.abs(y) <= 900_000_000)
    if absent.any():
        log.info("%s: %d way vertices lie outside the extract; their segments are left out.", path, int(absent.sum()))
    if (~valid & ~absent).any():
        log.warning(
            N_("%s: %d way vertices have coordinates outside -180..180 / -90..90 degrees; their segments are left out."),
            path,
            int((~valid & ~absent).sum()),
        )
    return valid


def _tag_pairs(tags) -> list[tuple[str, str]]:
    """An OSM object's tags as (key, value) pairs, in exactly ``len(tags)`` steps.

    osmium's tag iterator ends by raising StopIteration from C++, which costs more
    than reading the tags themselves (it halved the reader's time to avoid it).
    """
    it = iter(tags)
    return [next(it) for _ in range(len(tags))]


def _unreadable_osm(path: Path, exc: Exception) -> RoadNetworkError:
    return RoadNetworkError(
        Msg(
            "{path}: cannot be read as OpenStreetMap data ({reason}); the file may be truncated or not an OSM extract.",
            path=path,
            reason=exc,
        )
    )


def _spread(n: int, where: list[int], values: list[str]) -> np.ndarray:
    """``n`` texts, ``""`` except ``values`` at positions ``where``."""
    out = np.full(n, "", dtype=object)
    out[np.asarray(where, np.int64)] = values
    return out


@dataclass(frozen=True)
class OsmFeature:
    """One tagged OpenStreetMap object: a node, or an area (closed way or multipolygon).

    ``osm_id`` is ``n123`` for a node, ``w123`` / ``r123`` for an area built from a
    way / relation; ``lon``/``lat`` is the node, or a point inside the area (its
    representative point); ``polygon`` is the area's geometry (None for nodes).
    """

    osm_id: str
    lon: float
    lat: float
    tags: dict
    polygon: object = None


def _check_osm_path(path: Path, what: str = N_("OpenStreetMap file")) -> None:
    """Refuse a missing path, a folder, or a file that is not OSM data by its name."""
    if not path.exists():
        raise RoadNetworkError(Msg("{path}: {what} not found.", path=path, what=Note(what)))
    if path.is_dir():
        raise RoadNetworkError(Msg("{path}: is a folder; give an OpenStreetMap file (.osm, .osm.pbf, .osm.bz2).", path=path))
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise RoadNetworkError(
            Msg("{path}: unknown file type; give OpenStreetMap XML (.osm, .osm.bz2) or PBF (.osm.pbf).", path=path)
        )


def read_osm_features(path: Path | str, *, keys: tuple[str, ...]) -> list[OsmFeature]:
    """The nodes and areas of an OpenStreetMap file that carry any of ``keys``.

    Areas are assembled by osmium (closed ways and multipolygon/boundary relations
    whose member ways are all in the file; a relation cut by the extract's edge is
    left out, as osmium cannot close it).

    Parameters
    ----------
    path
        The OSM file (XML, PBF, bz2).
    keys
        Tag keys of interest (e.g. ``amenity``, ``place``, ``boundary``).

    Returns
    -------
    list of OsmFeature
        In file order: nodes, then areas.

    Raises
    ------
    RoadNetworkError
        The file is missing, of an unknown type or unreadable.
    """
    import osmium
    import shapely

    path = Path(path)
    _check_osm_path(path)
    wkb = osmium.geom.WKBFactory()
    out: list[OsmFeature] = []
    try:
        fp = (
            osmium.FileProcessor(str(path)).with_areas(osmium.filter.KeyFilter(*keys)).with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in fp:
            if obj.is_node() and obj.location.valid():
                out.append(OsmFeature(f"n{obj.id}", obj.location.lon, obj.location.lat, dict(_tag_pairs(obj.tags))))
            elif obj.is_area():
                try:
                    poly = shapely.from_wkb(wkb.create_multipolygon(obj))
                except RuntimeError:
                    continue  # osmium could not build a valid polygon (broken ring)
                if poly.is_empty:
                    continue
                pt = poly.representative_point()
                kind = "w" if obj.from_way() else "r"
                out.append(OsmFeature(f"{kind}{obj.orig_id()}", pt.x, pt.y, dict(_tag_pairs(obj.tags)), poly))
    except (RuntimeError, ValueError, OSError) as exc:
        raise _unreadable_osm(path, exc) from None
    return out


@dataclass(frozen=True)
class RasterCells:
    """The populated cells of a population raster: centres in WGS84 lon/lat and values.

    ``row``/``col`` are the cells' positions in the raster (for ids); ``source`` names the file.
    """

    lon: np.ndarray
    lat: np.ndarray
    value: np.ndarray
    row: np.ndarray
    col: np.ndarray
    source: str


def read_population_raster(path: Path | str) -> RasterCells:
    """Read a population GeoTIFF (WorldPop, GHS-POP...) with rasterio: every cell with people.

    No-data cells, NaN and cells of 0 people are dropped; cell centres are transformed
    to WGS84 lon/lat from the raster's CRS (geographic or projected).

    Raises
    ------
    InputValidationError
        The file is missing, unreadable, has no CRS, or holds negative counts.
    """
    import rasterio
    from pyproj import Transformer

    path = Path(path)
    label = path.name
    if not path.is_file():
        raise InputValidationError(
            [Problem(label, "", "", Msg("population raster not found (or is a folder); give a GeoTIFF file."))]
        )
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioError as exc:
        raise InputValidationError([Problem(label, "", "", Msg("cannot be read as a raster ({reason}).", reason=exc))]) from None
    if crs is None:
        raise NoCrsError(
            [
                Problem(
                    label,
                    "",
                    "",
                    Msg("the raster has no coordinate reference system; assign one (gdal_edit.py -a_srs EPSG:4326)."),
                )
            ]
        )
    values = np.ma.filled(band.astype(float), np.nan)
    negative = np.argwhere(values < 0)
    if len(negative):
        r, c = negative[0]
        raise InputValidationError(
            [
                Problem(
                    label,
                    f"cell (row {r}, column {c})",
                    "",
                    Msg("{n} cell(s) hold negative people; a population raster counts people per cell.", n=len(negative)),
                )
            ]
        )
    rows, cols = np.nonzero(np.isfinite(values) & (values > 0))
    if len(rows) == 0:
        return RasterCells(np.empty(0), np.empty(0), np.empty(0), rows, cols, label)
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    xs, ys = np.asarray(xs, float).reshape(-1), np.asarray(ys, float).reshape(-1)
    if not crs.is_geographic or crs.to_epsg() != 4326:
        xs, ys = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    return RasterCells(np.asarray(xs), np.asarray(ys), values[rows, cols], rows, cols, label)


def read_raster_on_grid(path: Path | str, *, crs: str, transform, shape: tuple[int, int], categorical: bool) -> np.ndarray:
    """Band 1 of a GeoTIFF reprojected onto a grid (nearest for classes, bilinear for heights).

    Cells the raster does not cover, or its no-data, are NaN.

    Raises
    ------
    InputValidationError
        The file is missing, unreadable or has no CRS.
    """
    import rasterio
    from rasterio.warp import Resampling, reproject

    path = Path(path)
    label = path.name
    if not path.is_file():
        raise InputValidationError([Problem(label, "", "", Msg("raster not found (or is a folder); give a GeoTIFF file."))])
    out = np.full(shape, np.nan, dtype="float64")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise NoCrsError(
                    [
                        Problem(
                            label,
                            "",
                            "",
                            Msg("the raster has no coordinate reference system; assign one (gdal_edit.py -a_srs ...)."),
                        )
                    ]
                )
            reproject(
                source=rasterio.band(src, 1),
                destination=out,
                src_nodata=src.nodata,
                dst_transform=transform,
                dst_crs=crs,
                dst_nodata=np.nan,
                resampling=Resampling.nearest if categorical else Resampling.bilinear,
            )
    except rasterio.errors.RasterioError as exc:
        raise InputValidationError([Problem(label, "", "", Msg("cannot be read as a raster ({reason}).", reason=exc))]) from None
    return out


def read_vector_geometries(path: Path | str, *, crs: str) -> list:
    """The geometries of a vector file (any CRS it declares), in ``crs``."""
    gdf = read_layer(path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return list(gdf.to_crs(crs).geometry) if len(gdf) else []


# --- cache -------------------------------------------------------------------


def file_digest(*paths: Path | str | None, extra: str = "") -> str:
    """SHA-256 over the contents of files (and an extra text), for cache keys."""
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(b"\0")
        if p is not None:
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def load_cached_arrays(cache_dir: Path | str | None, key: str) -> dict[str, np.ndarray] | None:
    """Return the arrays stored under ``key``, or None (absent, unreadable, or another key)."""
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"{key[:32]}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as exc:  # a damaged file raises zipfile, zlib, OS or value errors: rebuild it
        log.warning(N_("the routing cache file %s is damaged (%s); rebuilding it."), path, type(exc).__name__)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    # The full key is stored inside: a truncated-name collision never serves other data.
    if str(arrays.pop("__key__", "")) != key:
        return None
    return arrays


def save_cached_arrays(cache_dir: Path | str | None, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Store arrays under ``key`` (atomically; a failure to cache is logged, not raised)."""
    if cache_dir is None:
        return
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        path = Path(cache_dir) / f"{key[:32]}.npz"
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, __key__=np.array(key), **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning(N_("could not write the routing cache in %s: %s"), cache_dir, exc)


# --- atomic output -----------------------------------------------------------


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a part."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path | str, text: str) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _owner_pid(folder: Path) -> int | None:
    """The pid written in a ``.staging-PID-...`` or ``.swap-PID-...`` folder name."""
    parts = folder.name.split("-")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def recover_interrupted(out_dir: Path) -> list[str]:
    """Undo what a killed run left in ``out_dir``: roll back a half-done swap, remove its staging folder.

    Only folders of processes that are no longer running are touched.  Returns what was done.
    """
    done = []
    for folder in sorted(out_dir.glob(".swap-*")):
        pid = _owner_pid(folder)
        if pid is None or _pid_alive(pid) or not folder.is_dir():
            continue
        _roll_back(out_dir, folder)
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"rolled back the outputs of an interrupted run ({folder.name})")
    for folder in sorted(out_dir.glob(".staging-*")):
        pid = _owner_pid(folder)
        if pid is not None and not _pid_alive(pid) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"removed the staging folder of an interrupted run ({folder.name})")
    for line in done:
        log.warning("%s: %s", out_dir, line)
    return done


def _roll_back(out_dir: Path, swap: Path) -> None:
    """Restore the previous outputs from a swap folder's journal (each step is one atomic rename)."""
    try:
        journal = json.loads((swap / "journal.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # the journal is written before anything moves: no journal, nothing moved
    for name, existed in journal:
        dest, old = out_dir / name, swap / "old" / name
        if old.exists():
            os.replace(old, dest)
        elif not existed and dest.exists() and dest.is_file():
            dest.unlink()


def _swap_in(stage: Path, out_dir: Path) -> None:
    """Move every staged file into ``out_dir``, all or nothing: on any failure the previous files are restored."""
    names = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
    in_the_way = [out_dir / n for n in names if (out_dir / n).is_dir()]
    if in_the_way:
        raise OutputError(
            Msg(
                "{path}: a folder is in the way of an output file; move it or choose another folder with --out. "
                "Nothing was written.",
                path=in_the_way[0],
            )
        )
    swap = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".swap-{os.getpid()}-"))
    try:
        journal = [(n, (out_dir / n).exists()) for n in names]
        with open(swap / "journal.json", "w", encoding="utf-8") as f:
            json.dump(journal, f)
            f.flush()
            os.fsync(f.fileno())
        for name, existed in journal:
            dest = out_dir / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if existed:
                (swap / "old" / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, swap / "old" / name)
            os.replace(stage / name, dest)
    except BaseException as exc:
        _roll_back(out_dir, swap)
        shutil.rmtree(swap, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(
                Msg("{path}: cannot write the outputs ({reason}); nothing was changed.", path=out_dir, reason=exc)
            ) from None
        raise
    shutil.rmtree(swap, ignore_errors=True)


@contextlib.contextmanager
def atomic_output(out_dir: Path | str) -> Iterator[Path]:
    """Stage outputs in a temporary folder and swap them into ``out_dir`` all at once at the end.

    If the block raises (or the run is interrupted), nothing in ``out_dir`` changes.  The
    swap moves each file with :func:`os.replace`, the previous version kept aside in a
    journalled folder; a failure halfway restores every previous file, and a run killed
    halfway is rolled back by the next run in the same folder.  Files in ``out_dir``
    that this run does not write are left alone.

    Yields
    ------
    pathlib.Path
        The staging folder to write into.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        recover_interrupted(out_dir)
        stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".staging-{os.getpid()}-"))
    except OSError as exc:
        raise OutputError(
            Msg("{path}: cannot write here ({reason}); choose another folder with --out.", path=out_dir, reason=exc.strerror)
        ) from None
    try:
        yield stage
        _swap_in(stage, out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_json(path: Path | str, obj) -> None:
    """Write JSON deterministically (sorted keys, UTF-8)."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1) + "\n")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP CSV injection).

    Cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed,
    unless they are a plain number (``-5``); numeric columns are untouched.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object and not pd.api.types.is_string_dtype(out[col]):
            continue
        text = out[col]
        # Decide once per distinct value (ids, verdicts and sources repeat across many rows).
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        flags = np.array([isinstance(v, str) and v.startswith(_FORMULA_START) for v in uniques], dtype=bool)
        if not flags.any():
            continue
        risky = pd.Series(np.where(codes >= 0, flags[np.maximum(codes, 0)], False), index=text.index)
        if risky.any():
            numeric = pd.to_numeric(text.where(risky), errors="coerce").notna()
            fix = risky & ~numeric
            out.loc[fix, col] = "'" + text[fix].astype(str)
    return out


def write_csv(path: Path | str, frame: pd.DataFrame) -> None:
    """Write a table as CSV for Excel and QGIS: UTF-8 with BOM (so Excel shows Chinese), Unix line ends.

    A geometry column of points becomes ``lon``/``lat``; other geometries are dropped.
    Text cells that a spreadsheet would run as a formula are neutralised.
    """
    frame = pd.DataFrame(frame)
    if "geometry" in frame:
        geoms = gpd.GeoSeries(frame["geometry"])
        if len(geoms) and (geoms.geom_type == "Point").all():
            frame = frame.assign(lon=geoms.x.round(6), lat=geoms.y.round(6))
        frame = frame.drop(columns="geometry")
    atomic_write_bytes(path, neutralise_formulas(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))


def gpkg_date() -> str:
    """The date GDAL writes into GeoPackage metadata: ``SOURCE_DATE_EPOCH``'s, else a fixed one (identical bytes)."""
    import datetime as dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else 0
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_gpkg(path: Path | str, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write layers into one GeoPackage (written beside, then moved into place), byte-identical for identical input."""
    import pyogrio

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.gpkg")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": gpkg_date()})
    try:
        for name, gdf in layers.items():
            if len(gdf):
                gdf.to_file(tmp, layer=name, driver="GPKG")
        if tmp.exists():
            os.replace(tmp, path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def read_leaflet_assets() -> dict[str, str]:
    """Leaflet's JS and CSS from the ``xstatic-leaflet`` package, images as data URIs.

    Returns
    -------
    dict
        ``js``, ``css`` (with its image URLs inlined), and ``icon``, ``icon_2x``,
        ``shadow`` (data URIs of the default marker images).
    """
    import base64

    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)

    def data_uri(name: str) -> str:
        return "data:image/png;base64," + base64.b64encode((base / "images" / name).read_bytes()).decode()

    css = (base / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers.png", "layers-2x.png", "marker-icon.png"):
        css = css.replace(f"url(images/{name})", f"url({data_uri(name)})")
    return {
        "js": (base / "leaflet.js").read_text(encoding="utf-8"),
        "css": css,
        "version": xl.VERSION,
        "icon": data_uri("marker-icon.png"),
        "icon_2x": data_uri("marker-icon-2x.png"),
        "shadow": data_uri("marker-shadow.png"),
    }
