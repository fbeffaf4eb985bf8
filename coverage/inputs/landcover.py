"""Land cover as an input of terrain travel: the speeds table per class and profile, and the terrain files."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CatalogueError
from ..i18n import Msg
from ..tables import FieldSpec, check_table, read_toml, unknown_profile
from .config import Profile

__all__ = ["LandCoverClass", "LandCoverTable", "TerrainInputs", "load_landcover_table"]


@dataclass(frozen=True)
class LandCoverClass:
    """One land-cover class: raster value, names, speed per profile (km/h; 0 = impassable)."""

    value: int
    zh: str
    en: str
    speeds_kmh: Mapping[str, float]


@dataclass(frozen=True)
class LandCoverTable:
    """Speeds per class and profile, and the slope rules (see ``coverage/data/landcover.toml``)."""

    classes: tuple[LandCoverClass, ...]
    source: str
    estimated: bool
    source_zh: str = ""
    tobler_profiles: tuple[str, ...] = ()
    max_slope_deg: Mapping[str, float] = field(default_factory=dict)
    no_exit: tuple[str, ...] = ()
    label: str = ""

    def speeds(self, profile: str) -> dict[int, float]:
        """Class value -> km/h for a profile."""
        return {c.value: c.speeds_kmh[profile] for c in self.classes}


_CLASS_SPEC = {
    "value": FieldSpec((int,)),
    "zh": FieldSpec((str,)),
    "en": FieldSpec((str,)),
    "speeds_kmh": FieldSpec((dict,)),
}


_TABLE_SPEC = {
    "source": FieldSpec((str,)),
    "source_zh": FieldSpec((str,), required=False),
    "estimated": FieldSpec((bool,), required=False),
    "class": FieldSpec((list,)),
    "slope": FieldSpec((dict,), required=False),
    "roads": FieldSpec((dict,), required=False),
}


def load_landcover_table(path: Path | str, *, profiles: Mapping[str, Profile]) -> LandCoverTable:
    """Read and check a land-cover speeds table.

    Raises
    ------
    CatalogueError
        Unknown keys, duplicate values, a profile without a speed, negative or
        non-finite speeds - naming the file and class.
    """
    data, _text, label = read_toml(path, default="")
    check_table(data, _TABLE_SPEC, where=label)
    classes, seen = [], set()
    for k, raw in enumerate(data["class"], start=1):
        where = f"{label}, [[class]] #{k}"
        check_table(raw, _CLASS_SPEC, where=where)
        if raw["value"] in seen:
            raise CatalogueError(Msg("{where}: duplicate value {value}.", where=where, value=raw["value"]))
        seen.add(raw["value"])
        for name in profiles:
            v = raw["speeds_kmh"].get(name)
            if not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise CatalogueError(
                    Msg(
                        "{where}: speeds_kmh.{profile} must be a number >= 0 (0 = impassable), got {value}.",
                        where=f"{where} ({raw['en']})",
                        profile=name,
                        value=repr(v),
                    )
                )
        for name in raw["speeds_kmh"]:
            if name not in profiles:
                raise unknown_profile(where, name, profiles)
        classes.append(LandCoverClass(raw["value"], raw["zh"], raw["en"], dict(raw["speeds_kmh"])))
    slope = data.get("slope", {})
    tobler = tuple(slope.get("tobler_profiles", []))
    max_slope = dict(slope.get("max_slope_deg", {}))
    for name in (*tobler, *max_slope):
        if name not in profiles:
            raise unknown_profile(f"{label}, [slope]", name, profiles)
    return LandCoverTable(
        classes=tuple(classes),
        source=data["source"],
        source_zh=data.get("source_zh", ""),
        estimated=bool(data.get("estimated", False)),
        tobler_profiles=tobler,
        max_slope_deg=max_slope,
        no_exit=tuple(data.get("roads", {}).get("no_exit", [])),
        label=label,
    )


@dataclass(frozen=True)
class TerrainInputs:
    """The files of a friction surface (land cover required; DEM, barriers, crossings optional)."""

    landcover: Path
    table: LandCoverTable
    dem: Path | None = None
    barriers: Path | None = None
    crossings: Path | None = None
    cell_m: float | None = None
    margin_km: float = 10.0
    extra_barriers: tuple[Path, ...] = ()


@dataclass(frozen=True)
class TerrainOptions:
    """Terrain files given beside a region folder's (or instead of them), and whether to use the folder's.

    Attributes
    ----------
    landcover, landcover_speeds, dem, barriers, crossings
        Files overriding ``region.toml``'s (a land-cover raster, its speeds table, a DEM,
        impassable lines or areas, points where they can be crossed).
    cell_m
        The grid's cell size in metres (default: automatic).
    use
        Travel across the land cover the folder names even where ``use_terrain = false``.
    """

    landcover: Path | str | None = None
    landcover_speeds: Path | str | None = None
    dem: Path | str | None = None
    barriers: Path | str | None = None
    crossings: Path | str | None = None
    cell_m: float | None = None
    use: bool = False
