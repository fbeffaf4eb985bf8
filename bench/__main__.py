"""Run the benchmarks and write bench/RESULTS.md from what they print.

Usage (repository root, the project's environment with the dev extra)::

    python -m bench                      # every section, full sizes (about half an hour)
    python -m bench --quick              # small sizes (a smoke test; RESULTS.md is not written)
    python -m bench --sections reader,terrain   # re-run these sections, replacing them in RESULTS.md

Every figure in RESULTS.md comes from this run; goals are stated and checked by the code.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

from bench import sec_batch, sec_capacity, sec_cli, sec_roads, sec_siting, sec_terrain

SECTIONS = {
    "reader": sec_roads.reader,
    "nearest": sec_roads.nearest,
    "bounded": sec_roads.bounded,
    "check": sec_cli.check_cold,
    "init": sec_cli.init_helsinki,
    "province": sec_cli.province,
    "siting": sec_siting.siting,
    "terrain": sec_terrain.terrain,
    "batch": sec_batch.batch,
    "capacity": sec_capacity.capacity,
    "kernel": sec_roads.kernel,
}


def machine() -> str:
    mem = next(
        (int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0
    )
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("numpy", "scipy", "pandas", "geopandas", "networkx", "osmium", "scikit-image", "spopt")
    )
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{os.cpu_count()} cores, {mem / 2**20:.0f} GiB, {python}; {versions}"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--quick", action="store_true", help="small sizes; RESULTS.md is not written")
    ap.add_argument("--sections", help=f"comma-separated, of: {', '.join(SECTIONS)}")
    a = ap.parse_args()
    names = a.sections.split(",") if a.sections else list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section(s): {', '.join(unknown)}")
    results = []
    for name in names:
        print(f"[{name}]", flush=True)
        t0 = time.perf_counter()
        results.append(SECTIONS[name](a.quick))
        print(f"[{name}] {time.perf_counter() - t0:.0f} s", flush=True)
    if a.quick:
        return
    results_path = Path(__file__).with_name("RESULTS.md")
    header = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (bench/__main__.py); every figure and every goal verdict below is",
        "printed by that run, nothing is typed by hand. Ratios compare two computations in the same run;",
        "`--sections` re-runs some sections and replaces them here.",
        "",
        f"Machine: {machine()}.",
        "",
        "",
    ]
    if a.sections and results_path.exists():
        # Replace only the sections run now; the others stay as their last run printed them.
        text = results_path.read_text(encoding="utf-8")
        for sec in results:
            start = text.find(f"## {sec.title}")
            if start < 0:
                text = text.rstrip("\n") + "\n\n" + sec.markdown()
                continue
            end = text.find("\n## ", start + 3)
            text = text[:start] + sec.markdown() + ("\n" + text[end + 1 :] if end >= 0 else "")
        results_path.write_text("\n".join(header) + text[text.find("## ") :], encoding="utf-8")
        print(f"updated {len(results)} section(s) of bench/RESULTS.md")
        return
    Path(__file__).with_name("RESULTS.md").write_text(
        "\n".join(header) + "\n".join(s.markdown() for s in results), encoding="utf-8"
    )
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
