"""A province of counties in one `batch`: 1 and 2 local workers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Section
from bench.province import generate

MANIFEST = """name_en = "{name}"
boundary = "boundary.gpkg"
units = "units.gpkg"
settlements = "settlements.gpkg"
facilities = "facilities.gpkg"
roads = "province.osm"
parents = ["Synthetic province", "Prefecture {pref}"]
"""


def _province(root: Path, cache: Path, *, n: int, side: int, n_s: int, n_f: int) -> int:
    """``n`` counties side by side (10 per row), each ``side``^2 road nodes; returns the total road nodes."""
    for k in range(n):
        folder = root / f"county-{k:03d}"
        folder.mkdir(parents=True)
        origin = (300_000.0 + (k % 10) * side * 220.0, 4_000_000.0 + (k // 10) * side * 220.0)
        generate(folder, side=side, n_settlements=n_s, n_facilities=n_f, seed=100 + k, towns=4, origin=origin, cache_dir=cache)
        (folder / "region.toml").write_text(MANIFEST.format(name=folder.name, pref=k // 20), encoding="utf-8")
    return n * side * side


def _run(root: Path, out: Path, cache: Path, workers: int) -> tuple[float, float, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent)}
    cmd = [sys.executable, "-m", "coverage.cli", "batch", str(root), "--out", str(out), "--workers", str(workers)]
    gnu_time = shutil.which("time") or "/usr/bin/time"
    t0 = time.perf_counter()
    proc = subprocess.run([gnu_time, "-f", "%M", *cmd], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-2000:] + proc.stderr[-2000:])
    rss = int(re.findall(r"^(\d+)$", proc.stderr, re.M)[-1]) / 1024
    return wall, rss, proc.stdout


def batch(quick: bool) -> Section:
    n, side, n_s, n_f = (6, 100, 500, 50) if quick else (100, 316, 5000, 500)
    sec = Section(
        "A province in one `batch` (issue 17)",
        "python -m bench --sections batch",
        f"`bench/province.py` counties: {n} of {side * side:,} road nodes each, {n_s:,} settlements and {n_f:,} facilities "
        "each, 16 towns of 25 gacha, networks in the cache as a second run finds them. `coverage-plan batch --workers N` "
        "(plan catalogue, exports per county, roll-up, overview map); wall time, and the largest resident set of the "
        "batch process or any of its workers (GNU time).",
    )
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp) / "counties", Path(tmp) / "cache" / "service-coverage"
        t0 = time.perf_counter()
        nodes = _province(root, cache, n=n, side=side, n_s=n_s, n_f=n_f)
        sec.row("generate the counties", f"{time.perf_counter() - t0:.0f} s, {nodes:,} road nodes, {n * n_s:,} settlements")
        t1, rss1, out1 = _run(root, Path(tmp) / "out1", cache, 1)
        t2, rss2, _out2 = _run(root, Path(tmp) / "out2", cache, 2)
        assert out1.count("failed") == 0, out1
        same = (Path(tmp) / "out1" / "regions.csv").read_bytes() == (Path(tmp) / "out2" / "regions.csv").read_bytes()
        assert same
    sec.row(f"`batch`, {n} counties, 1 worker", f"{t1:.0f} s, peak {rss1:,.0f} MiB per process")
    sec.row(f"`batch`, {n} counties, 2 workers", f"{t2:.0f} s, peak {rss2:,.0f} MiB per process; regions.csv identical")
    sec.goal(">= 1.8x faster on 2 workers", t1 / t2 >= 1.8, f"{t1 / t2:.2f}x")
    sec.goal("peak memory per worker < 2 GiB", max(rss1, rss2) < 2048, f"{max(rss1, rss2):,.0f} MiB")
    return sec
