"""Many regions at once: one task per region, on a local process pool or a Dask cluster.

``coverage-plan batch ROOT`` runs every region folder under ``ROOT`` (a folder holding a
``region.toml``), or every unit of a units layer cut from one large extract
(:func:`split_units`).  Each region is one task: load, assess, write its outputs into
``OUT/regions/NAME/`` (all or nothing).  Tasks run on ``concurrent.futures``'s process
pool (``--workers N``), or on an existing ``dask.distributed`` cluster
(``--scheduler ADDRESS``): no scheduler or RPC of our own.

A failing region is reported with its error and does not stop the others.  A region
whose inputs, catalogue and options are unchanged since its last successful run is
skipped: the content hash of everything that changes its answer is stored beside its
outputs (``.done.json``), so a re-run after an interruption resumes where it stopped.

The merged results: ``regions.csv`` (one row per region and standard, the same verdicts
as a single-region ``check``), ``rollup.csv`` (per higher level named in each
``region.toml``'s ``parents``, e.g. province > prefecture), ``errors.csv`` and
``overview.html`` (every region coloured by the share of its tested standards met).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CatalogueError, CoverageError
from ..i18n import Msg
from ..inputs._layers import read_layer
from ..inputs._osmfile import _check_osm_path
from ..tables import read_toml
from ..writing import atomic_output, write_csv, write_json

__all__ = [
    "BatchOptions",
    "RegionTask",
    "find_regions",
    "rollup",
    "run_batch",
    "run_region",
    "split_units",
    "task_key",
    "write_batch_outputs",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def tool_digest(package_dir: Path | None = None) -> str:
    """The package's version and the content of every file it may load: code, data, translations.

    A change to any of them may change a region's answer, so it re-runs every region.
    """
    from .. import __version__

    package_dir = Path(package_dir or PACKAGE_DIR)
    h = hashlib.sha256(__version__.encode())
    for p in sorted(q for q in Path(package_dir).rglob("*") if q.is_file() and "__pycache__" not in q.parts):
        h.update(p.relative_to(package_dir).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class RegionTask:
    """One region of a batch: its name (the folder's), folder, and the higher levels it belongs to."""

    name: str
    folder: Path
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchOptions:
    """What every task is asked (picklable: it travels to the workers)."""

    out: Path
    standards: str | None = None
    lang: str = "en"
    terrain: bool = False
    extra: tuple[str, ...] = field(default_factory=tuple)
    tool: str = ""  # :func:`tool_digest` (computed once per batch by :func:`run_batch` when empty)


def find_regions(root: Path | str) -> list[RegionTask]:
    """Every folder under ``root`` (one level down, or ``root`` itself) holding a ``region.toml``, by name.

    Raises
    ------
    CatalogueError
        ``root`` is not a folder or holds no region.
    """
    root = Path(root)
    if not root.is_dir():
        raise CatalogueError(
            Msg("{path}: not a folder; batch takes a folder of region folders (each with a region.toml).", path=root)
        )
    folders = sorted(p.parent for p in root.glob("*/region.toml"))
    if (root / "region.toml").exists():
        folders.insert(0, root)
    if not folders:
        raise CatalogueError(Msg("{path}: no region folder (a sub-folder holding a region.toml) here.", path=root))
    tasks = []
    for folder in folders:
        parents: tuple[str, ...] = ()
        try:
            data, _text, _label = read_toml(folder / "region.toml", default="")
            parents = tuple(str(p) for p in data.get("parents", []))
        except CoverageError:
            pass  # the task itself reports a broken region.toml
        tasks.append(RegionTask(folder.name, folder, parents))
    return tasks


def _files_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(folder)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def task_key(task: RegionTask, options: BatchOptions) -> str:
    """The content hash of everything that changes a region's answer.

    Its files, the catalogue files named, the options, and the tool itself (:func:`tool_digest`).
    """
    h = hashlib.sha256()
    h.update(_files_digest(task.folder).encode())
    for part in (options.standards or "").split(","):
        path = Path(part.strip())
        h.update(path.read_bytes() if path.is_file() else part.strip().encode())
    h.update(json.dumps([options.lang, options.terrain, list(options.extra)]).encode())
    h.update((options.tool or tool_digest()).encode())
    return h.hexdigest()


def _done(folder: Path) -> dict | None:
    marker = folder / ".done.json"
    if not marker.exists():
        return None
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_region(task: RegionTask, options: BatchOptions) -> dict:
    """Run one region (in a worker): assess it, write its outputs, return its rows or its error."""
    from ..inputs.landcover import TerrainOptions
    from ..inputs.region import load_region
    from ..outputs.exports import write_check_outputs
    from ..standards.assessment import assess
    from ..standards.catalogue import load_catalogue

    out = options.out / "regions" / task.name
    key = task_key(task, options)
    previous = _done(out)
    if previous is not None and previous.get("key") == key:
        return {**previous, "skipped": True}
    try:
        region = load_region(task.folder, terrain=TerrainOptions(use=options.terrain))
        cat = load_catalogue(options.standards or region.standards, region=region)
        assessment = assess(region, cat)
        rows = _rows(task, assessment, options.lang)
        with atomic_output(out) as stage:
            write_check_outputs(assessment, stage, lang=options.lang)
            result = {"region": task.name, "key": key, "rows": rows, "error": "", "boundary": region.boundary.wkt}
            write_json(stage / ".done.json", result)
        return {**result, "skipped": False}
    except (CoverageError, OSError, ValueError) as exc:
        return {"region": task.name, "key": key, "rows": [], "error": _one_line(exc), "skipped": False, "boundary": ""}
    except Exception as exc:
        trace = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {
            "region": task.name,
            "key": key,
            "rows": [],
            "error": f"internal error: {trace}",
            "skipped": False,
            "boundary": "",
        }


def _one_line(exc: Exception) -> str:
    return " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _rows(task: RegionTask, assessment, lang: str) -> list[dict]:
    rows = []
    for r in assessment.results:
        s = r.summary
        rows.append(
            {
                "region": task.name,
                "parents": list(task.parents),
                "standard": r.standard.id,
                "verdict": r.verdict,
                "demand_meeting": s.get("demand_meeting"),
                "demand_total": s.get("demand_total"),
                "why": r.why.text(lang) if r.why else "",
            }
        )
    return rows


def _executor(workers: int, scheduler: str | None):
    """A ``concurrent.futures``-like executor and its ``as_completed``: a Dask client or a process pool."""
    if scheduler:
        from distributed import Client, as_completed

        client = Client(scheduler)
        return client, as_completed, client.close
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers)
    return pool, as_completed, pool.shutdown


def run_batch(
    tasks: Iterable[RegionTask],
    options: BatchOptions,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[dict]:
    """Run every task; results in the tasks' (name) order, failures included.

    Parameters
    ----------
    tasks
        The regions.
    options
        What each task does and where it writes.
    workers
        Local processes (ignored with ``scheduler``); 1 runs in this process.
    scheduler
        Address of a running ``dask.distributed`` scheduler (e.g. ``tcp://10.0.0.5:8786``).
    progress
        Called with (done, total, region name) after each region.
    """
    tasks = list(tasks)
    if not options.tool:
        options = dataclasses.replace(options, tool=tool_digest())
    results: dict[str, dict] = {}
    if workers == 1 and not scheduler:
        for k, t in enumerate(tasks, start=1):
            results[t.name] = run_region(t, options)
            if progress:
                progress(k, len(tasks), t.name)
    else:
        executor, as_completed, close = _executor(workers, scheduler)
        try:
            futures = {executor.submit(run_region, t, options): t for t in tasks}
            for k, fut in enumerate(as_completed(futures), start=1):
                t = futures[fut]
                try:
                    results[t.name] = fut.result()
                except Exception as exc:
                    results[t.name] = {
                        "region": t.name,
                        "rows": [],
                        "error": f"worker failed: {exc}",
                        "skipped": False,
                        "boundary": "",
                    }
                if progress:
                    progress(k, len(tasks), t.name)
        finally:
            close()
    return [results[t.name] for t in tasks]


def rollup(results: list[dict]) -> pd.DataFrame:
    """Per higher level (each ``parents`` prefix) and standard: regions met / not met / not tested, and demand."""
    rows = [row for res in results for row in res["rows"]]
    if not rows:
        return pd.DataFrame(
            columns=[
                "level",
                "group",
                "standard",
                "regions",
                "met",
                "not_met",
                "not_tested",
                "demand_meeting",
                "demand_total",
                "share",
            ]
        )
    frame = pd.DataFrame(rows)
    out = []
    depth = max(len(p) for p in frame["parents"])
    for level in range(depth + 1):
        groups = frame["parents"].map(lambda p, n=level: " / ".join(p[:n]) if len(p) >= n else None)
        for (group, std), part in frame.assign(group=groups).dropna(subset=["group"]).groupby(["group", "standard"], sort=True):
            met, not_met = int((part["verdict"] == "met").sum()), int((part["verdict"] == "not met").sum())
            tested = part[part["verdict"] != "not tested"]
            dm, dt = tested["demand_meeting"].sum(min_count=1), tested["demand_total"].sum(min_count=1)
            out.append(
                {
                    "level": level,
                    "group": group or "(all)",
                    "standard": std,
                    "regions": len(part),
                    "met": met,
                    "not_met": not_met,
                    "not_tested": len(part) - met - not_met,
                    "demand_meeting": dm,
                    "demand_total": dt,
                    "share": dm / dt if pd.notna(dt) and dt > 0 else None,
                }
            )
    return pd.DataFrame(out)


def write_batch_outputs(results: list[dict], out: Path, *, lang: str = "en") -> list[str]:
    """``regions.csv``, ``rollup.csv``, ``errors.csv`` and ``overview.html`` into ``out`` (beside ``regions/``)."""
    from ..outputs.maps._leaflet import save_map
    from ..outputs.maps.overview import batch_overview_map

    rows = [{**row, "parents": " / ".join(row["parents"])} for res in results for row in res["rows"]]
    columns = ["region", "parents", "standard", "verdict", "demand_meeting", "demand_total", "why"]
    write_csv(out / "regions.csv", pd.DataFrame(rows, columns=columns))
    write_csv(out / "rollup.csv", rollup(results))
    errors = pd.DataFrame(
        [{"region": r["region"], "error": r["error"]} for r in results if r["error"]], columns=["region", "error"]
    )
    write_csv(out / "errors.csv", errors)
    save_map(batch_overview_map(results, lang=lang), out / "overview.html")
    return ["regions.csv", "rollup.csv", "errors.csv", "overview.html"]


def _bbox_hits(boxes, lon, lat) -> list[int]:
    """Units whose box (minx, miny, maxx, maxy, with the margin) meets the way's box."""
    x0, y0, x1, y1 = min(lon), min(lat), max(lon), max(lat)
    return [k for k, (a, b, c, d) in enumerate(boxes) if x0 <= c and x1 >= a and y0 <= d and y1 >= b]


def _split_roads(osm: Path, folders: list[Path], boxes: list[tuple]) -> None:
    """One pass over the extract: each road way (and its nodes) goes to every unit whose box it meets."""
    import osmium

    _check_osm_path(osm)
    writers = [osmium.SimpleWriter(str(f / "roads.osm.pbf")) for f in folders]
    written: list[set] = [set() for _ in folders]
    try:
        fp = osmium.FileProcessor(str(osm), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in fp.with_filter(osmium.filter.KeyFilter("highway")):
            if not obj.is_way():
                continue
            nodes = [(n.ref, n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            if len(nodes) < 2:
                continue
            for k in _bbox_hits(boxes, [n[1] for n in nodes], [n[2] for n in nodes]):
                for ref, lon, lat in nodes:
                    if ref not in written[k]:
                        writers[k].add_node(osmium.osm.mutable.Node(id=ref, location=(lon, lat)))
                        written[k].add(ref)
                writers[k].add_way(obj)
    finally:
        for w in writers:
            w.close()


def split_units(
    inputs: Path,
    *,
    osm: Path,
    units: Path,
    settlements: Path,
    facilities: Path,
    margin_km: float = 40.0,
    template: Path | None = None,
) -> list[RegionTask]:
    """Cut one region folder per unit (a polygon with a ``code``) from a large extract and two point layers.

    Each unit's folder holds its boundary, its settlements (those inside it), the
    facilities within the margin (hospitals across the border count), and the roads
    of the extract that come within the margin (``roads.osm.pbf``).  A ``parents``
    column (``"Province / Prefecture"``) gives the roll-up levels; ``template`` is a
    ``region.toml`` whose vocabulary and other keys every unit's manifest copies.
    """
    import geopandas as gpd
    import shapely

    layer = read_layer(units)
    if "code" not in layer:
        raise CatalogueError(Msg("{path}: no 'code' column; each unit needs one (it names the region folder).", path=units))
    s_all, f_all = read_layer(settlements), read_layer(facilities)
    extra = ""
    if template is not None:
        text = Path(template).read_text(encoding="utf-8")
        extra = "\n".join(line for line in text.splitlines() if line.split("=")[0].strip() not in _FILE_KEYS)
    folders, boxes, tasks = [], [], []
    metric = layer.estimate_utm_crs()
    for _i, unit in layer.sort_values("code").iterrows():
        code = str(unit["code"]).strip()
        folder = inputs / code
        folder.mkdir(parents=True, exist_ok=True)
        geom = unit.geometry
        reach = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(metric).buffer(margin_km * 1000).to_crs("EPSG:4326").iloc[0]
        gpd.GeoDataFrame({"code": [code]}, geometry=[geom], crs="EPSG:4326").to_file(folder / "boundary.geojson")
        s_all[s_all.within(geom)].to_file(folder / "settlements.geojson")
        f_all[f_all.within(reach)].to_file(folder / "facilities.geojson")
        parents = [p.strip() for p in str(unit.get("parents", "") or "").split("/") if p.strip()]
        name = str(unit.get("name_en", "") or unit.get("name", "") or code)
        manifest = [
            f"name_en = {json.dumps(name, ensure_ascii=False)}",
            f"name_zh = {json.dumps(str(unit.get('name_zh', '') or name), ensure_ascii=False)}",
            'boundary = "boundary.geojson"',
            'settlements = "settlements.geojson"',
            'facilities = "facilities.geojson"',
            'roads = "roads.osm.pbf"',
            f"parents = {json.dumps(parents, ensure_ascii=False)}",
            extra,
        ]
        (folder / "region.toml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
        folders.append(folder)
        boxes.append(shapely.bounds(reach))
        tasks.append(RegionTask(code, folder, tuple(parents)))
    _split_roads(Path(osm), folders, boxes)
    return tasks


_FILE_KEYS = {"name_en", "name_zh", "boundary", "settlements", "facilities", "roads", "units", "parents"}
