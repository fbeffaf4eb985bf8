"""What-if scenarios: add, remove or move facilities, close or upgrade roads, change speeds.

A scenario is a small TOML file::

    name = "Winter: Temowula track closed, clinic moved"

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
    name = "track to Temowula"  # matches ways whose name contains this text

    [[speed]]
    profile = "drive"
    highway = "track"
    kmh = 10.0

:func:`apply_scenario` returns a new :class:`~coverage.region.Region`;
:func:`compare` sets two assessments side by side.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from .assessment import Assessment
from .config import FieldSpec, check_table, read_toml, suggest
from .errors import CatalogueError
from .region import Region
from .standards import AccessStandard

__all__ = ["Scenario", "apply_scenario", "compare", "load_scenario"]


@dataclass(frozen=True)
class Scenario:
    """The changes of a what-if scenario."""

    name: str
    add: tuple[dict, ...] = ()
    remove: tuple[str, ...] = ()
    move: tuple[dict, ...] = ()
    roads: tuple[dict, ...] = ()
    speeds: tuple[dict, ...] = ()
    path: str = ""


_SPECS = {
    "add": {
        "id": FieldSpec((str,)),
        "facility_type": FieldSpec((str,)),
        "lon": FieldSpec((int, float)),
        "lat": FieldSpec((int, float)),
        "name_zh": FieldSpec((str,), required=False),
        "name_en": FieldSpec((str,), required=False),
        "quantity": FieldSpec((int, float), required=False),
        "beds": FieldSpec((int, float), required=False),
        "nursing_beds": FieldSpec((int, float), required=False),
        "gps": FieldSpec((int, float), required=False),
        "doctors": FieldSpec((int, float), required=False),
    },
    "remove": {"id": FieldSpec((str,))},
    "move": {"id": FieldSpec((str,)), "lon": FieldSpec((int, float)), "lat": FieldSpec((int, float))},
    "road": {"action": FieldSpec((str,)), "name": FieldSpec((str,)), "highway": FieldSpec((str,), required=False)},
    "speed": {"profile": FieldSpec((str,)), "highway": FieldSpec((str,)), "kmh": FieldSpec((int, float))},
}


def load_scenario(path: Path | str, *, region: Region | None = None) -> Scenario:
    """Read and check a scenario file (against the region's ids and types when given)."""
    data, _text, label = read_toml(path, default="")
    allowed = {"name", *_SPECS}
    for key in data:
        if key not in allowed:
            raise CatalogueError(
                f"{label}: unknown key '{key}'{suggest(key, sorted(allowed))}; allowed: {', '.join(sorted(allowed))}."
            )
    parts: dict[str, list] = {}
    for key, spec in _SPECS.items():
        items = data.get(key, [])
        if not isinstance(items, list):
            raise CatalogueError(f"{label}: '{key}' must be written [[{key}]] (a list of tables).")
        for k, item in enumerate(items, start=1):
            check_table(item, spec, where=f"{label}, [[{key}]] #{k}")
        parts[key] = items
    for item in parts["road"]:
        if item["action"] not in ("close", "upgrade"):
            raise CatalogueError(f"{label}: road action '{item['action']}' is not 'close' or 'upgrade'.")
        if item["action"] == "upgrade" and "highway" not in item:
            raise CatalogueError(f"{label}: road upgrade of '{item['name']}' needs highway = \"...\" (the new class).")
    for item in parts["speed"]:
        if item["kmh"] <= 0:
            raise CatalogueError(f"{label}: speed for {item['highway']} must be positive.")
    if region is not None:
        ids = set(region.facilities.index)
        for key in ("remove", "move"):
            for item in parts[key]:
                if item["id"] not in ids:
                    raise CatalogueError(
                        f"{label}: [[{key}]] id '{item['id']}' is not a facility{suggest(item['id'], sorted(ids))}."
                    )
        for item in parts["add"]:
            if item["facility_type"] not in region.facility_types:
                raise CatalogueError(
                    f"{label}: [[add]] '{item['id']}': unknown facility type '{item['facility_type']}'"
                    f"{suggest(item['facility_type'], list(region.facility_types))}."
                )
            if item["id"] in ids:
                raise CatalogueError(f"{label}: [[add]] id '{item['id']}' already exists.")
        for item in parts["speed"]:
            if item["profile"] not in region.profiles:
                raise CatalogueError(f"{label}: unknown profile '{item['profile']}'.")
        names = region.network.name
        for item in parts["road"]:
            if not (np.char.find(names.astype(str), item["name"]) >= 0).any():
                raise CatalogueError(f"{label}: no road whose name contains '{item['name']}'.")
    return Scenario(
        name=str(data.get("name", Path(path).stem)),
        add=tuple(parts["add"]),
        remove=tuple(i["id"] for i in parts["remove"]),
        move=tuple(parts["move"]),
        roads=tuple(parts["road"]),
        speeds=tuple(parts["speed"]),
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
                "name_zh": [a.get("name_zh", a["id"]) for a in scenario.add],
                "name_en": [a.get("name_en", a["id"]) for a in scenario.add],
                "unit_code": "",
                "quantity": [float(a.get("quantity", 1)) for a in scenario.add],
                **{
                    c: [float(a[c]) if c in a else np.nan for a in scenario.add]
                    for c in ("beds", "nursing_beds", "gps", "doctors")
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
    return region.with_layers(facilities=f, network=network, profiles=MappingProxyType(profiles))


def compare(before: Assessment, after: Assessment) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two runs side by side.

    Returns
    -------
    per_settlement : DataFrame
        For each access standard and settlement: minutes and verdict before and after.
    per_standard : DataFrame
        For each standard: verdict and demand meeting it before and after, and the change.
    """
    rows = []
    for rb in before.results:
        if not isinstance(rb.standard, AccessStandard):
            continue
        ra = after.result(rb.standard.id)
        both = rb.detail[["name_zh", "demand", "minutes", "passes"]].merge(
            ra.detail[["minutes", "passes"]], left_index=True, right_index=True, how="left", suffixes=("", "_after")
        )
        both = both.rename(columns={"minutes": "minutes_before", "passes": "passes_before"})
        both.insert(0, "standard", rb.standard.id)
        both["change_min"] = both["minutes_after"] - both["minutes_before"]
        rows.append(both)
    per_settlement = pd.concat(rows) if rows else pd.DataFrame()
    summary = []
    for rb in before.results:
        ra = after.result(rb.standard.id)
        summary.append(
            {
                "standard": rb.standard.id,
                "verdict_before": rb.verdict,
                "verdict_after": ra.verdict,
                "meeting_before": rb.summary.get("n_meeting"),
                "meeting_after": ra.summary.get("n_meeting"),
                "demand_meeting_before": rb.summary.get("demand_meeting"),
                "demand_meeting_after": ra.summary.get("demand_meeting"),
                "change": (ra.summary.get("demand_meeting") or 0) - (rb.summary.get("demand_meeting") or 0)
                if rb.summary.get("demand_meeting") is not None
                else None,
            }
        )
    return per_settlement, pd.DataFrame(summary)
