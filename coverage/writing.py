"""All disk I/O: reading layers and road files, the routing cache, atomic writes.

Everything else in the package is pure computation on frames and arrays.
"""

from __future__ import annotations

import contextlib
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

from .errors import OutputError
from .i18n import Msg

log = logging.getLogger(__name__)

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "gpkg_date",
    "neutralise_formulas",
    "recover_interrupted",
    "write_csv",
    "write_gpkg",
    "write_json",
]


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
    atomic_write_bytes(
        path, neutralise_formulas(tidy_numbers(frame)).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    )


#: Decimals kept in machine files: a micro-unit (minutes, shares, ratios) - beyond any input's precision.
CSV_DECIMALS = 6


def tidy_numbers(frame: pd.DataFrame, decimals: int = CSV_DECIMALS) -> pd.DataFrame:
    """Float columns rounded to ``decimals`` and without negative zeros (``-0.0`` reads as a sign error)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


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
