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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputValidationError, NoCrsError, OutputError, Problem, RoadNetworkError
from .gcj02 import gcj02_to_wgs84
from .network import RawRoads

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "file_digest",
    "load_cached_arrays",
    "read_layer",
    "read_osm_roads",
    "save_cached_arrays",
]

log = logging.getLogger(__name__)

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".zip"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a CSV as text columns; UTF-8 first, then GB18030 (Chinese Excel's default)."""
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            frame = pd.read_csv(path, dtype=str, encoding=encoding, sep=sep, keep_default_na=False)
            return frame, encoding
        except UnicodeDecodeError as exc:
            last_error = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputValidationError([Problem(str(path), "", "", f"cannot be read as CSV ({exc}).")]) from None
    raise InputValidationError(
        [
            Problem(
                str(path),
                "",
                "",
                f"text encoding is neither UTF-8 nor GB18030 ({last_error}); save it from Excel as 'CSV UTF-8'.",
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
    path = Path(path)
    if not path.exists():
        raise InputValidationError([Problem(str(path), "", "", "file not found.")])
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame, encoding = _read_csv(path)
        if encoding != "utf-8-sig":
            log.warning("%s: read as %s (not UTF-8).", path, encoding.upper())
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
                        "no longitude/latitude columns; name them 'lon' and "
                        f"'lat' (WGS84 degrees). Columns found: {', '.join(frame.columns)}.",
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
                    f"coordinates '{frame.at[i, lon_col]}', '{frame.at[i, lat_col]}' are not numbers.",
                )
                for i in np.flatnonzero(bad.to_numpy())
            ]
            raise InputValidationError(problems)
        attrs = frame.drop(columns=[lon_col, lat_col])
        gdf = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        gdf["row"] = [f"row {i}" for i in range(2, len(gdf) + 2)]  # the header is row 1, as a spreadsheet shows it
    elif suffix in VECTOR_SUFFIXES:
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise InputValidationError([Problem(str(path), "", "", f"cannot be read as a spatial file ({exc}).")]) from None
        if gdf.crs is None:
            raise NoCrsError(
                [
                    Problem(
                        str(path),
                        "",
                        "",
                        "the file has no coordinate reference system; set it in QGIS "
                        "(Layer > Set CRS) or export as GeoJSON, which is always WGS84.",
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
                            f"declared as geographic ({gdf.crs.name}) but coordinates reach "
                            f"{maxx:.0f}, {maxy:.0f}: these are projected metres. Set the file's real "
                            "CRS (e.g. the UTM zone it was made in) instead of WGS84.",
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
                    f"unknown file type '{suffix}'; use GeoPackage, GeoJSON, Shapefile or CSV with lon/lat columns.",
                )
            ]
        )
    if coords == "gcj02":
        gdf = gdf.copy()
        gdf.geometry = _gcj02_geometry_to_wgs84(gdf.geometry)
    elif coords != "wgs84":
        raise ValueError(f"coords must be 'wgs84' or 'gcj02', got {coords!r}")
    return gdf


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
    keeps its inside pieces).

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
    if not path.exists():
        raise RoadNetworkError(f"{path}: road file not found.")
    if path.is_dir():
        raise RoadNetworkError(f"{path}: is a folder; give an OpenStreetMap file (.osm, .osm.pbf, .osm.bz2).")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise RoadNetworkError(f"{path}: unknown road file type; give OpenStreetMap XML (.osm, .osm.bz2) or PBF (.osm.pbf).")
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    starts: list[int] = []  # 1 where a vertex starts a new piece (first of a way, or after a missing node)
    way_of: list[int] = []
    way_ids: list[int] = []
    tags: dict[str, list[str]] = {k: [] for k in tag_keys}
    n_missing = 0
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
            t = obj.tags
            for k in tag_keys:
                tags[k].append(t.get(k, ""))
            new_piece = 1
            for nd in obj.nodes:
                loc = nd.location
                if not loc.valid():
                    n_missing += 1
                    new_piece = 1
                    continue
                refs.append(nd.ref)
                lons.append(loc.lon)
                lats.append(loc.lat)
                starts.append(new_piece)
                way_of.append(w)
                new_piece = 0
    except (RuntimeError, ValueError, OSError) as exc:
        raise RoadNetworkError(
            f"{path}: cannot be read as OpenStreetMap data ({exc}); the file may be truncated or not an OSM extract."
        ) from None
    if not way_ids:
        raise RoadNetworkError(
            f"{path}: no roads (no way with a 'highway' tag) in the file; check that the extract covers the region."
        )
    if n_missing:
        log.info("%s: %d way vertices lie outside the extract; their segments are left out.", path, n_missing)
    ref = np.asarray(refs, np.int64)
    node_id, first, inverse = np.unique(ref, return_index=True, return_inverse=True)
    vertex_way = np.asarray(way_of, np.int64)
    # A segment joins each vertex to the next one of the same piece.
    follows = np.flatnonzero(np.asarray(starts, bool)[1:] == 0) + 1 if len(ref) > 1 else np.empty(0, np.int64)
    return RawRoads(
        node_id=node_id,
        lon=np.asarray(lons, float)[first],
        lat=np.asarray(lats, float)[first],
        u=inverse[follows - 1],
        v=inverse[follows],
        way=vertex_way[follows],
        way_id=np.asarray(way_ids, np.int64),
        tags=tags,
    )


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
        log.warning("the routing cache file %s is damaged (%s); rebuilding it.", path, type(exc).__name__)
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
        log.warning("could not write the routing cache in %s: %s", cache_dir, exc)


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


@contextlib.contextmanager
def atomic_output(out_dir: Path | str) -> Iterator[Path]:
    """Stage outputs in a temporary folder and move them into ``out_dir`` at the end.

    If the block raises, nothing in ``out_dir`` changes.  Files are moved one by one
    with :func:`os.replace`, so each output is either the previous or the new
    version; files in ``out_dir`` that this run does not write are left alone.

    Yields
    ------
    pathlib.Path
        The staging folder to write into.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=".staging-"))
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write here ({exc.strerror}); choose another folder with --out.") from None
    try:
        yield stage
        for src in sorted(stage.rglob("*")):
            if src.is_file():
                dest = out_dir / src.relative_to(stage)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_json(path: Path | str, obj) -> None:
    """Write JSON deterministically (sorted keys, UTF-8)."""
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1) + "\n")


def write_csv(path: Path | str, frame: pd.DataFrame) -> None:
    """Write a table as CSV for Excel and QGIS: UTF-8 with BOM (so Excel shows Chinese), Unix line ends.

    A geometry column of points becomes ``lon``/``lat``; other geometries are dropped.
    """
    frame = pd.DataFrame(frame)
    if "geometry" in frame:
        geoms = gpd.GeoSeries(frame["geometry"])
        if len(geoms) and (geoms.geom_type == "Point").all():
            frame = frame.assign(lon=geoms.x.round(6), lat=geoms.y.round(6))
        frame = frame.drop(columns="geometry")
    atomic_write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))


def write_gpkg(path: Path | str, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write layers into one GeoPackage (written beside, then moved into place)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.gpkg")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        for name, gdf in layers.items():
            if len(gdf):
                gdf.to_file(tmp, layer=name, driver="GPKG")
        if tmp.exists():
            os.replace(tmp, path)
    finally:
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
