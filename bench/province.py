"""Province scale: a seeded synthetic region and a timed `coverage-plan check` on it.

Used by ``python -m bench --sections province`` (1,000,000 road nodes, 50,000 settlements,
5,000 facilities) and by the batch section (100 counties); ``python -m bench.province``
runs it alone.

The generator (seeded, deterministic):

* roads: ``bench.synthetic.grid_network`` - a jittered grid of side x side nodes
  200 m apart with 35 % of edges deleted (average degree 2.6), 5 classes, 5 % one-way;
* units: 400 towns (a 20 x 20 grid of squares) split into 25 gacha each;
* settlements: clustered around 2,000 village centres near road nodes, 20 % `town`,
  log-normal populations, 18 % elderly;
* facilities: 5,000 of 8 types (health centres, village clinics, hospitals,
  fitness trails, basketball courts, day-care centres, culture stations, libraries),
  with beds, GPs and doctors.

The files are written as GeoPackage; the road network goes straight into the
routing cache under the key of a placeholder road file, so `check` runs as a
second run on the same roads would (reading OSM files is measured by the reader
section).  `check` runs
in a subprocess under ``/usr/bin/time -v`` for its wall time and peak memory.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from bench.synthetic import grid_network
from coverage.errors import InputValidationError
from coverage.inputs._cache import save_cached_arrays
from coverage.inputs._roads import network_cache_key
from coverage.inputs.osm_rules import load_osm_rules
from coverage.inputs.region import _read_boundary

TYPES = [
    "health_centre",
    "village_clinic",
    "hospital",
    "fitness_trail",
    "sports_court",
    "elderly_daycare",
    "culture_station",
    "library",
]
SHARES = [0.04, 0.30, 0.01, 0.20, 0.15, 0.05, 0.15, 0.10]


def generate(
    folder: Path,
    *,
    side: int,
    n_settlements: int,
    n_facilities: int,
    seed: int = 7,
    towns: int = 20,
    origin: tuple[float, float] = (500_000.0, 4_000_000.0),
    cache_dir: Path | None = None,
) -> dict[str, Path]:
    """Write the synthetic region's files into ``folder``; returns them by role.

    ``towns`` per side (each of 5 x 5 gacha); ``origin`` the grid's corner in UTM 48N
    metres (counties side by side); the network goes into ``cache_dir`` (default
    ``folder/cache``).
    """
    rng = np.random.default_rng(seed)
    net = grid_network(side, seed=seed, origin=origin)
    minx, miny, maxx, maxy = net.lon.min(), net.lat.min(), net.lon.max(), net.lat.max()
    boundary = gpd.GeoDataFrame({"name": ["synthetic province"]}, geometry=[box(minx, miny, maxx, maxy)], crs="EPSG:4326")
    # Units: towns on a towns x towns grid, 5 x 5 gacha in each.
    ng = towns * 5
    tx, ty = np.linspace(minx, maxx, towns + 1), np.linspace(miny, maxy, towns + 1)
    gx, gy = np.linspace(minx, maxx, ng + 1), np.linspace(miny, maxy, ng + 1)
    units = [
        {"code": f"T{i:02d}{j:02d}", "level": "town", "parent_code": "", "geometry": box(tx[i], ty[j], tx[i + 1], ty[j + 1])}
        for i in range(towns)
        for j in range(towns)
    ]
    units += [
        {
            "code": f"G{i:03d}{j:03d}",
            "level": "gacha",
            "parent_code": f"T{i // 5:02d}{j // 5:02d}",
            "geometry": box(gx[i], gy[j], gx[i + 1], gy[j + 1]),
        }
        for i in range(ng)
        for j in range(ng)
    ]
    units = gpd.GeoDataFrame(units, crs="EPSG:4326")
    # Settlements around village centres near road nodes.
    centres = rng.integers(0, net.n_nodes, max(n_settlements // 25, 1))
    which = centres[rng.integers(0, len(centres), n_settlements)]
    dlon = rng.normal(0, 0.004, n_settlements)
    dlat = rng.normal(0, 0.003, n_settlements)
    lon = np.clip(net.lon[which] + dlon, minx, maxx)
    lat = np.clip(net.lat[which] + dlat, miny, maxy)
    pop = np.round(rng.lognormal(5.0, 0.8, n_settlements))
    gi = np.clip(((lon - minx) / (maxx - minx) * ng).astype(int), 0, ng - 1)
    gj = np.clip(((lat - miny) / (maxy - miny) * ng).astype(int), 0, ng - 1)
    settlements = gpd.GeoDataFrame(
        {
            "id": [f"S{k:06d}" for k in range(n_settlements)],
            "class": np.where(rng.random(n_settlements) < 0.2, "town", "pastoral"),
            "population": pop,
            "elderly_population": np.round(pop * 0.18),
            "unit_code": [f"G{i:03d}{j:03d}" for i, j in zip(gi, gj, strict=True)],
            "town_code": [f"T{i // 5:02d}{j // 5:02d}" for i, j in zip(gi, gj, strict=True)],
            "coord_source": "synthetic",
            "pop_source": "synthetic",
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    kinds = rng.choice(TYPES, n_facilities, p=SHARES)
    at = rng.integers(0, n_settlements, n_facilities)
    flon = np.clip(lon[at] + rng.normal(0, 0.002, n_facilities), minx, maxx)
    flat = np.clip(lat[at] + rng.normal(0, 0.002, n_facilities), miny, maxy)
    medical = np.isin(kinds, ["health_centre", "hospital"])
    facilities = gpd.GeoDataFrame(
        {
            "id": [f"F{k:05d}" for k in range(n_facilities)],
            "facility_type": kinds,
            "beds": np.where(
                np.isin(kinds, ["elderly_daycare", "health_centre", "hospital"]), rng.integers(5, 80, n_facilities), 0
            ),
            "nursing_beds": np.where(kinds == "elderly_daycare", rng.integers(0, 20, n_facilities), 0),
            "gps": np.where(medical, rng.integers(0, 4, n_facilities), 0),
            "doctors": np.where(medical, rng.integers(1, 30, n_facilities), 0),
            "coord_source": "synthetic",
            "attr_source": "synthetic",
        },
        geometry=gpd.points_from_xy(flon, flat),
        crs="EPSG:4326",
    )
    files = {k: folder / f"{k}.gpkg" for k in ("boundary", "units", "settlements", "facilities")}
    boundary.to_file(files["boundary"])
    units.to_file(files["units"])
    settlements.to_file(files["settlements"])
    facilities.to_file(files["facilities"])
    # The road network, cached under the key of a placeholder road file.
    roads = folder / "province.osm"
    roads.write_text('<?xml version="1.0"?><osm version="0.6"><!-- synthetic: the network is in the cache --></osm>\n')
    problems: list = []
    bgeom = _read_boundary(files["boundary"], problems)
    if problems:
        raise InputValidationError(problems)
    key = network_cache_key(roads, bgeom, margin_km=40.0, rules=load_osm_rules())
    save_cached_arrays(cache_dir or folder / "cache", key, net.to_arrays())
    files["roads"] = roads
    return files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=1000)
    ap.add_argument("--settlements", type=int, default=50_000)
    ap.add_argument("--facilities", type=int, default=5_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        files = generate(folder, side=a.side, n_settlements=a.settlements, n_facilities=a.facilities)
        t_gen = time.perf_counter() - t0
        cmd = [
            sys.executable,
            "-m",
            "coverage.cli",
            "check",
            "--cache-dir",
            str(folder / "cache"),
            "--out",
            str(folder / "out"),
            *[x for k, v in files.items() for x in (f"--{k}", str(v))],
        ]
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
            raise SystemExit(proc.returncode)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (.+)", proc.stderr).group(1)
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
        lines = proc.stdout.splitlines()
        print(f"generated in {t_gen:.1f} s; `coverage-plan check` wall time {wall}, peak RSS {rss_kb / 1024:,.0f} MiB")
        print("\n".join(lines[-6:]))


if __name__ == "__main__":
    main()
