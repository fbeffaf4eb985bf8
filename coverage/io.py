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

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "file_digest",
    "load_cached_arrays",
    "read_layer",
    "read_road_edges",
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


def read_road_edges(path: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read roads from OSM XML (via osmnx) or ``.osm.pbf`` (via pyrosm, the ``pbf`` extra).

    Parameters
    ----------
    path
        ``.osm``/``.xml`` or ``.osm.pbf``.

    Returns
    -------
    nodes : pandas.DataFrame
        Index OSM node id; columns ``lon``, ``lat``.
    edges : pandas.DataFrame
        One row per OSM segment between graph nodes, as drawn in the file's
        direction: ``u``, ``v`` (node ids), ``length_m``, ``highway``,
        ``maxspeed`` (tag text), ``oneway`` (``"yes"``, ``"-1"`` or ``""``),
        ``name``, ``source`` (OSM ``source`` tag) and ``geometry`` (shapely line
        in WGS84, or None for a straight segment).

    Raises
    ------
    RoadNetworkError
        The file is missing, unreadable, or holds no ``highway`` way.
    """
    path = Path(path)
    if not path.exists():
        raise RoadNetworkError(f"{path}: road file not found.")
    name = path.name.lower()
    if name.endswith(".pbf"):
        nodes, edges = _read_pbf(path)
    elif name.endswith((".osm", ".xml", ".osm.xml")):
        nodes, edges = _read_osm_xml(path)
    else:
        raise RoadNetworkError(f"{path}: unknown road file type; give OpenStreetMap XML (.osm) or PBF (.osm.pbf).")
    if not edges.empty:
        edges = edges[edges["highway"].notna() & ~edges["highway"].astype(str).isin(["", "None", "nan"])]
        edges = edges.reset_index(drop=True)
    if edges.empty:
        raise RoadNetworkError(
            f"{path}: no roads (no way with a 'highway' tag) in the file; check that the extract covers the region."
        )
    return nodes, edges


def _read_osm_xml(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    import osmnx as ox

    ox.settings.use_cache = False
    ox.settings.log_console = False
    ox.settings.doh_url_template = None  # never resolve a host: reading a file needs no network
    tags = list(ox.settings.useful_tags_way)
    if "source" not in tags:
        ox.settings.useful_tags_way = [*tags, "source"]
    try:
        # simplify=False: every OSM vertex is a node, so snapping is fine-grained and
        # each edge is one straight segment. bidirectional=False: one-ways stay one-way.
        graph = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx raises ValueError/ParseError/etc. on bad files
        msg = str(exc)
        if "no" in msg.lower() and ("node" in msg.lower() or "graph" in msg.lower() or "edge" in msg.lower()):
            raise RoadNetworkError(f"{path}: no roads (no way with a 'highway' tag) in the file.") from None
        raise RoadNetworkError(f"{path}: cannot be read as OpenStreetMap XML ({exc}).") from None
    finally:
        ox.settings.useful_tags_way = tags
    if graph.number_of_edges() == 0:
        return pd.DataFrame(columns=["lon", "lat"]), pd.DataFrame()
    nodes = pd.DataFrame.from_dict(
        {n: (d["x"], d["y"]) for n, d in graph.nodes(data=True)}, orient="index", columns=["lon", "lat"]
    )
    rows = []
    for u, v, d in graph.edges(data=True):
        if d.get("reversed") is True:
            continue  # osmnx's reverse copy of a two-way segment; the two-way flag restores it
        rows.append(
            (
                u,
                v,
                float(d["length"]),
                _first(d.get("highway")),
                _first(d.get("maxspeed")) or "",
                "" if d.get("oneway") is False else "yes",
                _first(d.get("name")) or "",
                _first(d.get("source")) or "",
                None,
            )
        )
    edges = pd.DataFrame(rows, columns=["u", "v", "length_m", "highway", "maxspeed", "oneway", "name", "source", "geometry"])
    return nodes, edges


def _read_pbf(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        import pyrosm
    except ImportError:
        raise RoadNetworkError(f"{path}: reading .osm.pbf needs the 'pbf' extra: pip install 'service-coverage[pbf]'.") from None
    osm = pyrosm.OSM(str(path))
    result = osm.get_network(network_type="all", nodes=True)
    if result is None or result[1] is None or len(result[1]) == 0:
        return pd.DataFrame(columns=["lon", "lat"]), pd.DataFrame()
    pn, pe = result
    nodes = pd.DataFrame({"lon": pn["lon"].to_numpy(), "lat": pn["lat"].to_numpy()}, index=pn["id"].to_numpy())
    nodes = nodes[~nodes.index.duplicated()]
    oneway = pe["oneway"].fillna("").astype(str).str.lower().replace({"true": "yes", "1": "yes", "no": "", "false": ""})
    edges = pd.DataFrame(
        {
            "u": pe["u"].to_numpy(),
            "v": pe["v"].to_numpy(),
            "length_m": pe["length"].astype(float).to_numpy(),
            "highway": pe["highway"].fillna("").astype(str).to_numpy(),
            "maxspeed": pe["maxspeed"].fillna("").astype(str).to_numpy(),
            "oneway": oneway.to_numpy(),
            "name": pe["name"].fillna("").astype(str).to_numpy(),
            "source": pe.get("source", pd.Series("", index=pe.index)).fillna("").astype(str).to_numpy(),
            "geometry": pe.geometry.to_numpy(),
        }
    )
    return nodes, edges


def _first(value):
    """Osmnx keeps a list where merged ways disagree; use the first value."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


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
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError):
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
