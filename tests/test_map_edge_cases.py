"""Maps never crash and never write NaN or infinity: every map kind on regions at the edges.

The cases: populations missing (a region ``init`` builds without a demand source),
every settlement unreachable, a single settlement, no facility of the standards' types.
Every page is written, and its scripts hold no ``NaN``/``Infinity`` (JSON has neither;
Leaflet would stop drawing at the first).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from coverage.outputs.maps import write_report_and_maps
from coverage.outputs.maps._leaflet import finite, js_json, render_html
from coverage.outputs.maps.overview import batch_overview_map
from coverage.standards.assessment import assess
from coverage.standards.catalogue import load_catalogue

from .helpers import at, make_region, star_network

NON_FINITE = re.compile(r"(?<![\w\"'])(NaN|-?Infinity)(?![\w\"'])")
UNITS = [
    {"code": "T1", "level": "town", "bounds_m": (-50_000, -50_000, 0, 50_000)},
    {"code": "G1", "level": "gacha", "parent_code": "T1", "bounds_m": (-50_000, -50_000, 0, 0)},
]


def region(case: str):
    net, _coords = star_network({1: 3000.0, 2: 5000.0})
    settlements = [
        {"id": "A", "lonlat": at(-1000, -1000), "class": "pastoral", "population": 300, "unit_code": "G1"},
        {"id": "B", "lonlat": at(-20_000, -5_000), "class": "town", "population": 800, "unit_code": "G1"},
    ]
    facilities = [{"id": "H", "lonlat": at(0, 0), "type": "health_centre", "beds": 10}]
    network = net
    if case == "one-settlement":
        settlements = settlements[:1]
    elif case == "unreachable":
        facilities = [{"id": "H", "lonlat": at(190_000, 190_000), "type": "health_centre", "in_region": False}]
        network = None
    elif case == "no-facility-of-the-types":
        facilities = [{"id": "L", "lonlat": at(0, 0), "type": "library"}]
    r = make_region(settlements, facilities, network, units=UNITS)
    if case == "missing-population":
        s = r.settlements.copy()
        s["population"] = np.nan
        s["elderly_population"] = np.nan
        s["pop_source"] = "missing: no population tag"
        r = r.with_layers(settlements=s)
    return r


@pytest.mark.parametrize("case", ["missing-population", "unreachable", "one-settlement", "no-facility-of-the-types"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_map_kind_is_written_without_nan(case, lang, tmp_path):
    r = region(case)
    assessment = assess(r, load_catalogue(region=r))
    written = write_report_and_maps(assessment, tmp_path, lang=lang)
    kinds = {"overview.html", "presence.html", "ratio.html", "index.html"}
    assert kinds <= set(written) and any(name.startswith("access-") for name in written)
    for name in (n for n in written if n.endswith(".html")):
        html = (tmp_path / name).read_text(encoding="utf-8")
        scripts = "".join(re.findall(r"<script>(.*?)</script>", html, flags=re.S))
        assert not NON_FINITE.search(scripts), (case, name, NON_FINITE.search(scripts))


def test_batch_overview_with_a_failed_region_and_no_boundary():
    m = batch_overview_map([{"region": "x", "rows": [], "error": "broken", "boundary": ""}])
    assert not NON_FINITE.search(render_html(m))


def test_the_one_place_turns_non_finite_numbers_into_null():
    data = {"a": float("nan"), "b": [np.inf, -np.inf, np.float32("nan"), 1.5, np.int64(3)], "c": {"d": (np.nan,)}}
    assert finite(data) == {"a": None, "b": [None, None, None, 1.5, 3], "c": {"d": [None]}}
    assert js_json(data) == '{"a":null,"b":[null,null,null,1.5,3],"c":{"d":[null]}}'
