"""Configuration that changes results, as data: facility types and travel profiles.

Both live in TOML files shipped in ``coverage/data/`` and load into frozen
dataclasses.  A user's file replaces (profiles) or extends (facility types) the
shipped one.  Malformed files raise :class:`~coverage.errors.CatalogueError`
naming the file, the line and the key.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import CatalogueError
from ..i18n import Msg, Names, names
from ..tables import FieldSpec, check_table, read_toml, suggest, where_in

__all__ = [
    "FacilityType",
    "Profile",
    "Term",
    "Vocabulary",
    "load_facility_types",
    "load_profiles",
    "load_vocabulary",
    "vocabulary_from_table",
]


@dataclass(frozen=True)
class FacilityType:
    """A kind of facility: names for maps, a category, and how to draw it."""

    key: str
    zh: str
    en: str
    category: str
    glyph: str
    colour: str
    measure_zh: str = "处"
    glyph_en: str = ""

    def mark(self, lang: str = "en") -> str:
        """The characters drawn in its map marker: ``glyph`` in Chinese, ``glyph_en`` in English.

        ``glyph_en`` defaults to the initials of the first two words of ``en`` ("VC", village clinic).
        """
        if lang == "zh":
            return self.glyph
        return self.glyph_en or "".join(w[0] for w in self.en.replace("-", " ").split()[:2]).upper()

    def name(self, lang: str = "en") -> str:
        """The type's name in ``"zh"`` or ``"en"``."""
        return self.zh if lang == "zh" else self.en

    def count(self, n: float, lang: str = "en") -> str:
        """A number of these, as the language says it: ``1所苏木镇卫生院`` / ``1 x township health centre``."""
        return f"{n:g}{self.measure_zh}{self.zh}" if lang == "zh" else f"{n:g} x {self.en}"


_FT_SPEC = {k: FieldSpec((str,)) for k in ("zh", "en", "category", "glyph", "colour")} | {
    "measure_zh": FieldSpec((str,), required=False),
    "glyph_en": FieldSpec((str,), required=False),
}


def load_facility_types(*paths: Path | str | None) -> MappingProxyType[str, FacilityType]:
    """Load the facility types: the built-in list, then each file given (a region's names, a user's types).

    Parameters
    ----------
    paths
        TOML files of the built-in file's shape, applied in order: a new type needs every
        key; a known type needs only the keys it changes (a region's own names).

    Returns
    -------
    mapping
        Read-only mapping from type key to :class:`FacilityType`.
    """
    types: dict[str, FacilityType] = {}
    for src in (None, *(p for p in paths if p is not None)):
        data, text, label = read_toml(src, default="facility_types.toml")
        for key, table in data.items():
            where = where_in(label, text, key)
            if key in types:
                check_table(table, {k: FieldSpec(spec.types, required=False) for k, spec in _FT_SPEC.items()}, where=where)
                types[key] = dataclasses.replace(types[key], **table)
            else:
                check_table(table, _FT_SPEC, where=where)
                types[key] = FacilityType(key=key, **table)
    return MappingProxyType(types)


@dataclass(frozen=True)
class Profile:
    """How fast one travels, on which roads and across country.

    Attributes
    ----------
    name
        ``"drive"`` or ``"walk"`` (or a user's name).
    speeds_kmh
        Speed per OSM ``highway`` class; classes not listed are not used.
    use_maxspeed
        Use a way's ``maxspeed`` tag where present (capped at ``max_kmh``).
    max_kmh
        Upper bound on any road speed.
    mode
        The travel mode of the OSM rules (``motorcar`` or ``foot``): which access
        and oneway tags bind this profile (``coverage/data/osm_rules.toml``).
    offroad_kmh
        Cross-country speed of the access legs (and of direct trips).
    max_snap_m
        Farthest a point may be from the profile's roads and still be joined.
    direct_offroad
        Also allow a straight cross-country trip from origin to facility.
    detour_factor
        Where no road network is given: travelled distance / straight distance of the
        straight-line estimate.
    """

    name: str
    description: str
    speeds_kmh: MappingProxyType[str, float]
    use_maxspeed: bool
    max_kmh: float
    mode: str
    offroad_kmh: float
    max_snap_m: float
    direct_offroad: bool = True
    detour_factor: float = 1.3
    description_zh: str = ""
    source: str = field(default="coverage/data/profiles.toml", compare=False)

    def description_text(self, lang: str = "en") -> str:
        """The description in the language (Chinese where the file gives it)."""
        return (self.description_zh or self.description) if lang == "zh" else self.description

    @property
    def offroad_m_per_s(self) -> float:
        """Cross-country speed in metres per second."""
        return self.offroad_kmh / 3.6

    def as_key(self) -> str:
        """A stable text of every setting that changes travel times (for cache keys)."""
        speeds = ",".join(f"{k}={v:g}" for k, v in sorted(self.speeds_kmh.items()))
        return (
            f"{self.name}|{speeds}|{self.use_maxspeed}|{self.max_kmh:g}|{self.mode}|"
            f"{self.offroad_kmh:g}|{self.max_snap_m:g}|{self.direct_offroad}|{self.detour_factor:g}"
        )


_PROFILE_SPEC = {
    "description": FieldSpec((str,), required=False),
    "description_zh": FieldSpec((str,), required=False),
    "use_maxspeed": FieldSpec((bool,)),
    "max_kmh": FieldSpec((int, float)),
    "mode": FieldSpec((str,)),
    "offroad_kmh": FieldSpec((int, float)),
    "max_snap_m": FieldSpec((int, float)),
    "direct_offroad": FieldSpec((bool,), required=False),
    "detour_factor": FieldSpec((int, float), required=False),
    "speeds_kmh": FieldSpec((dict,)),
}


def load_profiles(path: Path | str | None = None) -> MappingProxyType[str, Profile]:
    """Load travel profiles from a TOML speeds table.

    Parameters
    ----------
    path
        A user's speeds file; ``None`` loads the built-in ``profiles.toml``.

    Returns
    -------
    mapping
        Read-only mapping from profile name to :class:`Profile`.
    """
    data, text, label = read_toml(path, default="profiles.toml")
    profiles = {}
    for name, table in data.items():
        where = where_in(label, text, name)
        check_table(table, _PROFILE_SPEC, where=where)
        speeds = {}
        for cls, kmh in table["speeds_kmh"].items():
            if isinstance(kmh, bool) or not isinstance(kmh, int | float) or not math.isfinite(kmh) or kmh <= 0:
                raise CatalogueError(
                    Msg(
                        "{where}.speeds_kmh: speed for '{key}' must be a positive number, got {value}.",
                        where=where,
                        key=cls,
                        value=repr(kmh),
                    )
                )
            speeds[cls] = float(kmh)
        detour = table.get("detour_factor", 1.3)
        if not math.isfinite(detour) or detour < 1:
            raise CatalogueError(
                Msg("{where}: 'detour_factor' must be a number >= 1, got {value}.", where=where, value=repr(detour))
            )
        for key in ("max_kmh", "offroad_kmh", "max_snap_m"):
            if not math.isfinite(table[key]) or table[key] <= 0:
                raise CatalogueError(
                    Msg("{where}: '{key}' must be a positive number, got {value}.", where=where, key=key, value=repr(table[key]))
                )
        profiles[name] = Profile(
            name=name,
            description=table.get("description", ""),
            description_zh=table.get("description_zh", ""),
            speeds_kmh=MappingProxyType(speeds),
            use_maxspeed=table["use_maxspeed"],
            max_kmh=float(table["max_kmh"]),
            mode=table["mode"],
            offroad_kmh=float(table["offroad_kmh"]),
            max_snap_m=float(table["max_snap_m"]),
            direct_offroad=table.get("direct_offroad", True),
            detour_factor=float(detour),
            source=label,
        )
    return MappingProxyType(profiles)


@dataclass(frozen=True)
class Term:
    """A word of a region's vocabulary: a key used in data and catalogues, and its names."""

    key: str
    zh: str
    en: str
    role: str = ""

    def name(self, lang: str = "en") -> str:
        """The name in ``"zh"`` or ``"en"``."""
        return self.zh if lang == "zh" else self.en

    def names(self) -> Names:
        """Both names, as a message parameter shown in the reader's language."""
        return names(self.zh, self.en)


@dataclass(frozen=True)
class Vocabulary:
    """A region's settlement classes and its hierarchy of unit levels (the region itself first).

    The bundled zone declares classes ``town`` (镇区) and ``pastoral`` (农村牧区), levels
    ``zone`` > ``town`` (苏木镇) > ``gacha`` (嘎查); a county may declare 城镇/农村 and
    县 > 乡镇/街道 > 村/社区.  Standards refer to these keys; validation accepts only them.
    """

    classes: tuple[Term, ...]
    levels: tuple[Term, ...]
    source: str = "coverage/data/vocabulary.toml"

    @property
    def class_keys(self) -> tuple[str, ...]:
        """The settlement class keys."""
        return tuple(t.key for t in self.classes)

    @property
    def level_keys(self) -> tuple[str, ...]:
        """The level keys, the region's own level first."""
        return tuple(t.key for t in self.levels)

    @property
    def region_level(self) -> str:
        """The level of the whole region (the first)."""
        return self.levels[0].key

    @property
    def unit_levels(self) -> tuple[str, ...]:
        """The levels of the units layer (every level below the region's), from the top."""
        return self.level_keys[1:]

    def with_role(self, role: str) -> tuple[str, ...]:
        """The class keys of this role (``urban`` or ``rural``)."""
        return tuple(t.key for t in self.classes if t.role == role)

    def klass(self, key: str) -> Term:
        """The settlement class with this key."""
        for t in self.classes:
            if t.key == key:
                return t
        raise KeyError(key)

    def level(self, key: str) -> Term:
        """The level with this key."""
        for t in self.levels:
            if t.key == key:
                return t
        raise KeyError(key)


_TERM_SPEC = {
    "key": FieldSpec((str,)),
    "zh": FieldSpec((str,)),
    "en": FieldSpec((str,)),
    "role": FieldSpec((str,), required=False),
}


# What a settlement class is, for national catalogues (GB 50180-2018 is about urban
# residential areas; TD/T 1062-2021 has town and rural life circles).
ROLES = ("urban", "rural")


def vocabulary_from_table(table: Any, *, where: str) -> Vocabulary:
    """A :class:`Vocabulary` from a parsed ``[vocabulary]`` table (``class`` and ``level`` lists).

    Raises
    ------
    CatalogueError
        Missing lists, duplicate or empty keys, fewer than two levels.
    """
    check_table(table, {"class": FieldSpec((list,)), "level": FieldSpec((list,))}, where=where)
    parts = {}
    for name in ("class", "level"):
        terms = []
        for k, item in enumerate(table[name], start=1):
            check_table(item, _TERM_SPEC, where=f"{where}, [[vocabulary.{name}]] #{k}")
            if not item["key"].strip() or item["key"] != item["key"].strip():
                raise CatalogueError(
                    Msg(
                        "{where}: key must be a non-empty word without spaces around it.",
                        where=f"{where}, [[vocabulary.{name}]] #{k}",
                    )
                )
            role = item.get("role", "")
            if role and (name != "class" or role not in ROLES):
                place = f"{where}, [[vocabulary.{name}]] #{k}"
                if name == "class":
                    raise CatalogueError(
                        Msg(
                            "{where}: role '{role}' is not one of {roles}{suggestion}.",
                            where=place,
                            role=role,
                            roles=", ".join(ROLES),
                            suggestion=suggest(role, ROLES),
                        )
                    )
                raise CatalogueError(Msg("{where}: role '{role}' applies to classes only.", where=place, role=role))
            terms.append(Term(item["key"], item["zh"], item["en"], role))
        keys = [t.key for t in terms]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise CatalogueError(Msg("{where}: duplicate {table} key(s) {keys}.", where=where, table=name, keys=", ".join(dup)))
        parts[name] = tuple(terms)
    if not parts["class"]:
        raise CatalogueError(Msg("{where}: declare at least one settlement class ([[vocabulary.class]]).", where=where))
    if not parts["level"]:
        raise CatalogueError(Msg("{where}: declare the levels, the whole region first ([[vocabulary.level]]).", where=where))
    return Vocabulary(classes=parts["class"], levels=parts["level"], source=where)


def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """The default vocabulary (``coverage/data/vocabulary.toml``) or a TOML file's ``[vocabulary]``."""
    data, text, label = read_toml(path, default="vocabulary.toml")
    if "vocabulary" not in data:
        raise CatalogueError(Msg("{path}: no [vocabulary] table.", path=label))
    return vocabulary_from_table(data["vocabulary"], where=where_in(label, text, "vocabulary"))
