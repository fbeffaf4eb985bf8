"""Point and polygon layers from GeoPackage, GeoJSON, Shapefile and CSV files, in WGS84."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputValidationError, NoCrsError, Problem
from ..gcj02 import gcj02_to_wgs84
from ..i18n import N_, Msg
from ..tables import suggest

__all__ = ["read_layer", "split_layer"]

log = logging.getLogger(__name__)


LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")


LAT_NAMES = ("lat", "latitude", "y", "纬度")


VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".zip"}


CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


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
        raise _refuse(path, Msg("file not found."))
    if path.is_dir():
        raise _refuse(path, Msg("is a folder; give a file (GeoPackage, GeoJSON, Shapefile, CSV)."))
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        gdf = _points_from_table(path, _read_csv_logged(path), first_row=2)
    elif suffix in EXCEL_SUFFIXES:
        gdf = _points_from_table(path, _read_excel(path, layer), first_row=2)
    elif suffix in VECTOR_SUFFIXES:
        gdf = _read_spatial(path, layer)
    else:
        raise _refuse(
            path,
            Msg(
                "unknown file type '{suffix}'; use GeoPackage, GeoJSON, Shapefile, or CSV or Excel with lon/lat columns.",
                suffix=suffix,
            ),
        )
    if coords == "gcj02":
        gdf = gdf.copy()
        gdf.geometry = _gcj02_geometry_to_wgs84(gdf.geometry)
    elif coords != "wgs84":
        raise ValueError(f"coords must be 'wgs84' or 'gcj02', got {coords!r}")
    return gdf


def _refuse(path: Path, message, field: str = "") -> InputValidationError:
    """The one-problem refusal of a file (raise it)."""
    return InputValidationError([Problem(str(path), "", field, message)])


def _read_csv_logged(path: Path) -> pd.DataFrame:
    """A CSV as text columns, with a warning when it is not UTF-8."""
    frame, encoding = _read_csv(path)
    if encoding != "utf-8-sig":
        log.warning(N_("%s: read as %s (not UTF-8)."), path, encoding.upper())
    return frame


def _points_from_table(path: Path, frame: pd.DataFrame, *, first_row: int) -> gpd.GeoDataFrame:
    """Points from a table's longitude/latitude columns; ``row`` counts from ``first_row`` (the header is row 1)."""
    lower = {c.strip().lower(): c for c in frame.columns}
    lon_col = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat_col = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if lon_col is None or lat_col is None:
        raise _refuse(
            path,
            Msg(
                "no longitude/latitude columns; name them 'lon' and 'lat' (WGS84 degrees). Columns found: {columns}.",
                columns=", ".join(frame.columns),
            ),
            "lon/lat",
        )
    lon = pd.to_numeric(frame[lon_col].str.strip(), errors="coerce")
    lat = pd.to_numeric(frame[lat_col].str.strip(), errors="coerce")
    bad = lon.isna() | lat.isna()
    if bad.any():
        raise InputValidationError(
            [
                Problem(
                    str(path),
                    f"row {i + first_row}",
                    f"{lon_col}/{lat_col}",
                    Msg("coordinates '{x}', '{y}' are not numbers.", x=frame.at[i, lon_col], y=frame.at[i, lat_col]),
                )
                for i in np.flatnonzero(bad.to_numpy())
            ]
        )
    attrs = frame.drop(columns=[lon_col, lat_col])
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    gdf["row"] = [f"row {i}" for i in range(first_row, len(gdf) + first_row)]  # as a spreadsheet numbers them
    return gdf


#: Column names the validators read; a Shapefile cuts names to 10 characters (facility_type -> facility_t).
KNOWN_COLUMNS = (
    "facility_type",
    "elderly_population",
    "parent_code",
    "coord_source",
    "attr_source",
    "geom_source",
    "nursing_beds",
    "standardised",
    "population",
    "unit_code",
)


def _untruncated(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns a Shapefile cut to 10 characters renamed back to the names the validators read (when unambiguous)."""
    rename = {}
    for col in gdf.columns:
        full = [k for k in KNOWN_COLUMNS if len(col) == 10 and k != col and k.startswith(col)]
        if len(full) == 1 and full[0] not in gdf.columns:
            rename[col] = full[0]
    return gdf.rename(columns=rename) if rename else gdf


def _read_spatial(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """A GeoPackage, GeoJSON or Shapefile layer in WGS84, refused without a CRS or with metres declared as degrees."""
    layer = _pick_layer(path, layer)
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise _refuse(path, Msg("cannot be read as a spatial file ({reason}).", reason=exc)) from None
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
    gdf = _untruncated(gdf)
    gdf["row"] = [f"feature {i}" for i in range(1, len(gdf) + 1)]
    if gdf.crs.is_geographic and len(gdf) and not gdf.geometry.is_empty.all():
        minx, miny, maxx, maxy = gdf.geometry[~gdf.geometry.is_empty].total_bounds
        if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
            message = Msg(
                "declared as geographic ({crs}) but coordinates reach {x}, {y}: these are projected "
                "metres. Set the file's real CRS (e.g. the UTM zone it was made in) instead of WGS84.",
                crs=gdf.crs.name,
                x=f"{maxx:.0f}",
                y=f"{maxy:.0f}",
            )
            raise _refuse(path, message, "geometry")
    return gdf.to_crs("EPSG:4326")


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
    return _choose(path, layer, names)


def _choose(path: Path, layer: str | None, names: list[str]) -> str | None:
    """The layer (or sheet) named, checked against the file's; the only one; or a refusal naming them."""
    if layer is not None:
        if layer not in names:
            raise _refuse(
                path,
                Msg(
                    "has no layer '{layer}'{suggestion}; its layers: {layers}.",
                    layer=layer,
                    suggestion=suggest(layer, names),
                    layers=", ".join(names),
                ),
            )
        return layer
    if len(names) > 1:
        raise _refuse(
            path,
            Msg(
                "has {n} layers ({layers}); name the one to read as {example}.",
                n=len(names),
                layers=", ".join(names),
                example=f"{path}:{names[0]}",
            ),
        )
    return names[0] if names else None


def read_table(path: Path | str) -> pd.DataFrame:
    """A CSV or Excel table as text columns (``""`` where empty), with a ``row`` column as a spreadsheet numbers it.

    ``FILE.xlsx:SHEET`` picks a sheet (the only one by default).  Cells are read as
    text: codes stay codes (a number Excel stored as ``152921111`` is ``"152921111"``).

    Raises
    ------
    InputValidationError
        Missing or unreadable, an unknown suffix, several sheets and none named.
    """
    path, sheet = split_layer(path)
    if not path.is_file():
        raise _refuse(
            path,
            Msg("file not found.")
            if not path.exists()
            else Msg("is a folder; give a file (GeoPackage, GeoJSON, Shapefile, CSV)."),
        )
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = _read_csv_logged(path)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path, sheet)
    else:
        raise _refuse(path, Msg("unknown table type '{suffix}'; give a CSV or Excel (.xlsx) file.", suffix=suffix))
    frame = frame.copy()
    frame["row"] = [f"row {i}" for i in range(2, len(frame) + 2)]  # the header is row 1
    return frame


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of an Excel workbook (openpyxl), every cell as text."""
    try:
        names = [str(n) for n in pd.ExcelFile(path, engine="openpyxl").sheet_names]
        frame = pd.read_excel(path, sheet_name=_choose(path, sheet, names), dtype=str, engine="openpyxl")
    except InputValidationError:
        raise
    except Exception as exc:  # openpyxl raises several types for files that are not workbooks
        raise _refuse(path, Msg("cannot be read as an Excel workbook ({reason}).", reason=" ".join(str(exc).split()))) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.where(frame.notna(), "").astype(str)


def _gcj02_geometry_to_wgs84(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    import shapely

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return gpd.GeoSeries(shapely.transform(geoms.values, convert), index=geoms.index, crs=geoms.crs)
