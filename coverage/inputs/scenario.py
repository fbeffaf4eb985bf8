"""What-if scenarios: add, remove or move facilities, close or upgrade roads, change speeds.

A scenario is a small TOML file (examples: ``coverage/data/regions/tengger/scenarios/``)::

    name = "Winter: the track to Temowula is closed"
    description = "Snow closes the desert track; does the 2-hour circle still hold?"

    [[add]]
    id = "N1"
    facility_type = "village_clinic"
    lon = 104.6
    lat = 37.75
    name_zh = "特莫乌拉卫生室"

    [[remove]]
    id = "C03"

    [[move]]
    id = "C02"
    lon = 105.2
    lat = 37.9

    [[road]]
    action = "close"            # or "upgrade" (with highway = "secondary")
    name = "Temowula"           # matches ways whose name contains this text

    [[speed]]
    profile = "drive"
    highway = "track"
    kmh = 10.0

    [[barrier]]                 # with terrain travel: impassable lines or areas (a flood)
    file = "flood.geojson"      # relative to this file

:func:`apply_scenario` returns a new :class:`~coverage.region.Region`;
:func:`compare` sets two assessments side by side.  The scenario's name and
description appear in every output.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ..errors import CatalogueError
from ..i18n import Msg
from ..tables import FieldSpec, check_table, read_toml, suggest, unknown_key, unknown_profile
from .region import Region

__all__ = ["Scenario", "apply_scenario", "load_scenario"]


@dataclass(frozen=True)
class Scenario:
    """The changes of a what-if scenario."""

    name: str
    description: str = ""
    add: tuple[dict, ...] = ()
    remove: tuple[str, ...] = ()
    move: tuple[dict, ...] = ()
    roads: tuple[dict, ...] = ()
    speeds: tuple[dict, ...] = ()
    barriers: tuple[Path, ...] = ()
    path: str = ""
    name_zh: str = ""
    description_zh: str = ""

    def title(self, lang: str = "en") -> str:
        """The scenario's name in the language (its ``name_zh`` in Chinese, where given)."""
        return (self.name_zh or self.name) if lang == "zh" else self.name

    def about(self, lang: str = "en") -> str:
        """The scenario's description in the language (``description_zh`` in Chinese, where given)."""
        return (self.description_zh or self.description) if lang == "zh" else self.description


_NUM = (int, float)


_SPECS = {
    "add": {
        "id": FieldSpec((str,)),
        "facility_type": FieldSpec((str,)),
        "lon": FieldSpec(_NUM),
        "lat": FieldSpec(_NUM),
        "name_zh": FieldSpec((str,), required=False),
        "name_en": FieldSpec((str,), required=False),
        **{
            k: FieldSpec(_NUM, required=False)
            for k in ("quantity", "beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")
        },
    },
    "remove": {"id": FieldSpec((str,))},
    "move": {"id": FieldSpec((str,)), "lon": FieldSpec(_NUM), "lat": FieldSpec(_NUM)},
    "road": {"action": FieldSpec((str,)), "name": FieldSpec((str,)), "highway": FieldSpec((str,), required=False)},
    "speed": {"profile": FieldSpec((str,)), "highway": FieldSpec((str,)), "kmh": FieldSpec(_NUM)},
    "barrier": {"file": FieldSpec((str,))},
}


_TOP = {"name", "description", "name_zh", "description_zh", *_SPECS}


def _check_numbers(label: str, key: str, k: int, item: dict) -> None:
    """Finite, in range: coordinates in degrees, counts not negative, speeds positive."""
    where = f"{label}, [[{key}]] #{k}"
    for field, value in item.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not math.isfinite(value):
            raise CatalogueError(
                Msg("{where}: {field} = {value} is not a finite number.", where=where, field=field, value=repr(value))
            )
    if "lon" in item and not -180 <= item["lon"] <= 180:
        raise CatalogueError(
            Msg("{where}: lon = {value} is not a longitude (-180 to 180 degrees).", where=where, value=repr(item["lon"]))
        )
    if "lat" in item and not -90 <= item["lat"] <= 90:
        raise CatalogueError(
            Msg("{where}: lat = {value} is not a latitude (-90 to 90 degrees).", where=where, value=repr(item["lat"]))
        )
    if key == "speed" and item["kmh"] <= 0:
        raise CatalogueError(
            Msg(
                "{where}: speed for {highway} must be a positive number of km/h, got {value}.",
                where=where,
                highway=item["highway"],
                value=repr(item["kmh"]),
            )
        )
    for field in ("quantity", "beds", "nursing_beds", "gps", "doctors", "standardised", "pupils"):
        if field in item and item[field] < 0:
            raise CatalogueError(
                Msg("{where}: {field} must not be negative, got {value}.", where=where, field=field, value=repr(item[field]))
            )


def _closest(word: str, choices, n: int = 5) -> str:
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.3)
    pool = close or sorted(choices)[:n]
    return ", ".join(f"'{c}'" for c in pool)


def _check_against_region(label: str, parts: dict, region: Region) -> None:
    ids = set(region.facilities.index)
    for key in ("remove", "move"):
        for item in parts[key]:
            if item["id"] not in ids:
                raise CatalogueError(
                    Msg(
                        "{path}: [[{table}]] id '{id}' is not a facility; closest ids: {closest}.",
                        path=label,
                        table=key,
                        id=item["id"],
                        closest=_closest(item["id"], ids),
                    )
                )
    for item in parts["add"]:
        if item["facility_type"] not in region.facility_types:
            raise CatalogueError(
                Msg(
                    "{path}: [[add]] '{id}': unknown facility type '{value}'{suggestion}.",
                    path=label,
                    id=item["id"],
                    value=item["facility_type"],
                    suggestion=suggest(item["facility_type"], list(region.facility_types)),
                )
            )
        if item["id"] in ids:
            raise CatalogueError(Msg("{path}: [[add]] id '{id}' already exists.", path=label, id=item["id"]))
    for item in parts["speed"]:
        if item["profile"] not in region.profiles:
            raise unknown_profile(label, item["profile"], region.profiles)
        _check_highway(label, "speed", item["highway"], sorted(region.profiles[item["profile"]].speeds_kmh))
    roads = sorted(region.osm_rules.known_highways - region.osm_rules.excluded_highways)
    for item in parts["road"]:
        if item["action"] == "upgrade":
            _check_highway(label, "road", item["highway"], roads)
    if parts["road"]:
        if region.network is None:
            raise CatalogueError(Msg("{path}: [[road]] changes need a road network (give --roads).", path=label))
        names = sorted(set(region.network.name.tolist()) - {""})
        for item in parts["road"]:
            if not any(item["name"] in n for n in names):
                raise CatalogueError(
                    Msg(
                        "{path}: no road whose name contains '{name}'; road names like it: {closest}.",
                        path=label,
                        name=item["name"],
                        closest=_closest(item["name"], names),
                    )
                )


def _check_highway(label: str, table: str, value: str, known: list[str]) -> None:
    """A road class a scenario names must be one the speeds or the OSM rules know (a typo would change nothing, or drop roads)."""
    if value not in known:
        raise CatalogueError(
            Msg(
                "{path}: [[{table}]] highway = '{value}' is not a road class here{suggestion}; classes: {known}.",
                path=label,
                table=table,
                value=value,
                suggestion=suggest(value, known),
                known=", ".join(known),
            )
        )


def load_scenario(path: Path | str, *, region: Region | None = None) -> Scenario:
    """Read and check a scenario file (against the region's ids, types, profiles and road names when given)."""
    data, _text, label = read_toml(path, default="")
    for key in data:
        if key not in _TOP:
            raise unknown_key(label, key, sorted(_TOP))
    for key in ("name", "description", "name_zh", "description_zh"):
        if key in data and not isinstance(data[key], str):
            raise CatalogueError(Msg("{path}: '{key}' must be a text.", path=label, key=key))
    parts: dict[str, list] = {}
    for key, spec in _SPECS.items():
        items = data.get(key, [])
        if not isinstance(items, list):
            raise CatalogueError(Msg("{path}: '{key}' must be written [[{key}]] (a list of tables).", path=label, key=key))
        for k, item in enumerate(items, start=1):
            check_table(item, spec, where=f"{label}, [[{key}]] #{k}")
            _check_numbers(label, key, k, item)
        parts[key] = items
    for item in parts["road"]:
        if item["action"] not in ("close", "upgrade"):
            raise CatalogueError(
                Msg("{path}: road action '{action}' is not 'close' or 'upgrade'.", path=label, action=item["action"])
            )
        if item["action"] == "upgrade" and "highway" not in item:
            raise CatalogueError(
                Msg("{path}: road upgrade of '{name}' needs highway = \"...\" (the new class).", path=label, name=item["name"])
            )
    barriers = tuple(Path(path).parent / b["file"] for b in parts["barrier"])
    for b in barriers:
        if not b.is_file():
            raise CatalogueError(
                Msg("{path}: barrier file {file} not found (paths are relative to the scenario file).", path=label, file=b)
            )
    if region is not None:
        _check_against_region(label, parts, region)
        if barriers and region.terrain is None:
            raise CatalogueError(
                Msg("{path}: [[barrier]] needs travel across terrain; run with --terrain or --landcover FILE.tif.", path=label)
            )
    return Scenario(
        name=str(data.get("name", Path(path).stem)),
        description=str(data.get("description", "")),
        name_zh=str(data.get("name_zh", "")),
        description_zh=str(data.get("description_zh", "")),
        add=tuple(parts["add"]),
        remove=tuple(i["id"] for i in parts["remove"]),
        move=tuple(parts["move"]),
        roads=tuple(parts["road"]),
        speeds=tuple(parts["speed"]),
        barriers=barriers,
        path=label,
    )


def apply_scenario(region: Region, scenario: Scenario) -> Region:
    """A new region with the scenario's changes applied (the input is not modified)."""
    f = region.facilities.copy()
    f = f.drop(index=list(scenario.remove))
    for item in scenario.move:
        f.loc[item["id"], "geometry"] = Point(item["lon"], item["lat"])
        f.loc[item["id"], "coord_source"] = f"moved by scenario '{scenario.name}'"
        f.loc[item["id"], "in_region"] = bool(region.boundary.contains(Point(item["lon"], item["lat"])))
    if scenario.add:
        new = gpd.GeoDataFrame(
            {
                "facility_type": [a["facility_type"] for a in scenario.add],
                "name_zh": [a.get("name_zh", "") for a in scenario.add],
                "name_en": [a.get("name_en", "") for a in scenario.add],
                "unit_code": "",
                "quantity": [float(a.get("quantity", 1)) for a in scenario.add],
                **{
                    c: [float(a[c]) if c in a else np.nan for a in scenario.add]
                    for c in ("beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")
                    if c in f
                },
                "in_region": [bool(region.boundary.contains(Point(a["lon"], a["lat"]))) for a in scenario.add],
                "coord_source": f"added by scenario '{scenario.name}'",
                "attr_source": f"added by scenario '{scenario.name}'",
            },
            geometry=[Point(a["lon"], a["lat"]) for a in scenario.add],
            crs="EPSG:4326",
            index=pd.Index([a["id"] for a in scenario.add], name="id"),
        )
        f = pd.concat([f, new])
    network = region.network
    for item in scenario.roads:
        match = np.char.find(network.name.astype(str), item["name"]) >= 0
        if item["action"] == "close":
            network = network.without_segments(match)
        else:
            network = network.with_tag("highway", np.unique(network.way[match]), item["highway"])
    profiles = dict(region.profiles)
    for item in scenario.speeds:
        p = profiles[item["profile"]]
        speeds = dict(p.speeds_kmh)
        speeds[item["highway"]] = float(item["kmh"])
        profiles[item["profile"]] = dataclasses.replace(p, speeds_kmh=MappingProxyType(speeds))
    terrain = None
    if scenario.barriers and region.terrain is not None:
        terrain = dataclasses.replace(region.terrain, extra_barriers=region.terrain.extra_barriers + scenario.barriers)
    return region.with_layers(
        facilities=f, network=network if scenario.roads else None, profiles=MappingProxyType(profiles), terrain=terrain
    )
