"""The plan's standards as data: a TOML catalogue loaded into frozen dataclasses.

The built-in catalogue (``coverage/data/standards.toml``) encodes every spatial
standard of the Tengger zone's plan.  Errors name the file, the line and the
standard's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import FacilityType, FieldSpec, check_table, load_facility_types, read_toml, suggest
from .errors import CatalogueError
from .validate import SETTLEMENT_CLASSES

__all__ = [
    "AccessStandard",
    "Catalogue",
    "PresenceStandard",
    "Quantity",
    "RatioStandard",
    "Requirement",
    "Standard",
    "load_catalogue",
]

KINDS = ("access", "presence", "ratio")
LEVELS = ("zone", "town", "gacha")


@dataclass(frozen=True)
class _Common:
    id: str
    title_zh: str
    title_en: str
    wording: str
    section: str

    def title(self, lang: str = "en") -> str:
        """Title in ``"zh"`` or ``"en"``."""
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class AccessStandard(_Common):
    """Every applicable settlement within ``max_minutes`` of an eligible facility."""

    facility_types: tuple[str, ...]
    applies_to: tuple[str, ...]
    profile: str
    max_minutes: float
    required_share: float = 1.0
    demand: str = "population"
    count_outside_region: bool = False
    kind: str = "access"

    def target_text(self, lang: str = "en") -> str:
        """E.g. ``"<= 30 min, 100 % of population"``."""
        who = {"population": ("人口", "population"), "elderly_population": ("老年人口", "elderly")}[self.demand]
        if lang == "zh":
            return f"≤{self.max_minutes:g}分钟, {who[0]}的{self.required_share:.0%}"
        return f"<= {self.max_minutes:g} min ({self.profile}), {self.required_share:.0%} of {who[1]}"


@dataclass(frozen=True)
class Requirement:
    """At least ``min_count`` facilities of any of ``facility_types`` in a unit."""

    facility_types: tuple[str, ...]
    min_count: float

    def text(self, types: Mapping[str, FacilityType], lang: str = "en") -> str:
        """E.g. ``"2 x table-tennis table"``."""
        names = "/".join(types[t].zh if lang == "zh" else types[t].en for t in self.facility_types)
        return f"{self.min_count:g} x {names}"


@dataclass(frozen=True)
class PresenceStandard(_Common):
    """Each unit of ``level`` holds the required facilities."""

    level: str
    requirements: tuple[Requirement, ...]
    min_unit_population: float = 0.0
    exclude_classes: tuple[str, ...] = ()
    kind: str = "presence"

    def target_text(self, lang: str = "en", types: Mapping[str, FacilityType] | None = None) -> str:
        """E.g. ``"1 x township health centre in each town"``."""
        per = {"zone": ("全区", "the zone"), "town": ("每镇", "each town"), "gacha": ("每嘎查", "each gacha")}[self.level]
        if types is None:
            needs = " + ".join(f"{r.min_count:g}" for r in self.requirements)
        else:
            needs = " + ".join(r.text(types, lang) for r in self.requirements)
        return f"{per[0]}: {needs}" if lang == "zh" else f"{needs} in {per[1]}"


@dataclass(frozen=True)
class Quantity:
    """A sum over a layer: a facility attribute (of some types) or a settlement attribute."""

    layer: str
    field: str
    facility_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatioStandard(_Common):
    """``numerator / denominator * per >= min_value`` per unit of ``level``."""

    level: str
    numerator: Quantity
    denominator: Quantity
    per: float
    min_value: float
    unit: str = ""
    kind: str = "ratio"

    def target_text(self, lang: str = "en") -> str:
        """E.g. ``">= 60 beds per 1,000 elderly"``."""
        return f"≥ {self.min_value:g} {self.unit}" if lang == "zh" else f">= {self.min_value:g} {self.unit}"


Standard = AccessStandard | PresenceStandard | RatioStandard


@dataclass(frozen=True)
class Catalogue:
    """A set of standards with its provenance."""

    name_zh: str
    name_en: str
    source: str
    standards: tuple[Standard, ...]
    path: str

    def select(self, ids: list[str] | None) -> Catalogue:
        """Only the given standard ids (in catalogue order); unknown ids are an error."""
        if not ids:
            return self
        known = [s.id for s in self.standards]
        for i in ids:
            if i not in known:
                raise CatalogueError(f"{self.path}: no standard '{i}'{suggest(i, known)}. Known: {', '.join(known)}.")
        return Catalogue(self.name_zh, self.name_en, self.source, tuple(s for s in self.standards if s.id in ids), self.path)

    def get(self, std_id: str) -> Standard:
        """The standard with this id."""
        return self.select([std_id]).standards[0]


_COMMON = {
    "id": FieldSpec((str,)),
    "kind": FieldSpec((str,)),
    "title_zh": FieldSpec((str,)),
    "title_en": FieldSpec((str,)),
    "wording": FieldSpec((str,)),
    "section": FieldSpec((str,)),
    "note": FieldSpec((str,), required=False),
}
_NUM = (int, float)
_SPECS = {
    "access": {
        **_COMMON,
        "facility_types": FieldSpec((list,)),
        "applies_to": FieldSpec((list,)),
        "profile": FieldSpec((str,)),
        "max_minutes": FieldSpec(_NUM),
        "required_share": FieldSpec(_NUM, required=False),
        "demand": FieldSpec((str,), required=False),
        "count_outside_region": FieldSpec((bool,), required=False),
    },
    "presence": {
        **_COMMON,
        "level": FieldSpec((str,)),
        "require": FieldSpec((list,)),
        "min_unit_population": FieldSpec(_NUM, required=False),
        "exclude_classes": FieldSpec((list,), required=False),
    },
    "ratio": {
        **_COMMON,
        "level": FieldSpec((str,)),
        "numerator": FieldSpec((dict,)),
        "denominator": FieldSpec((dict,)),
        "per": FieldSpec(_NUM),
        "min_value": FieldSpec(_NUM),
        "unit": FieldSpec((str,), required=False),
    },
}
_REQ_SPEC = {"facility_types": FieldSpec((list,)), "min_count": FieldSpec(_NUM)}
_QTY_SPEC = {"layer": FieldSpec((str,)), "field": FieldSpec((str,)), "facility_types": FieldSpec((list,), required=False)}
_FACILITY_FIELDS = ("quantity", "beds", "nursing_beds", "gps", "doctors")
_SETTLEMENT_FIELDS = ("population", "elderly_population")


def _line_of_id(text: str, std_id: str) -> str:
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().replace(" ", "")
        if stripped in (f'id="{std_id}"', f"id='{std_id}'"):
            return f", line {n}"
    return ""


def load_catalogue(
    path: Path | str | None = None,
    *,
    facility_types: Mapping[str, FacilityType] | None = None,
    profiles: Mapping[str, Any] | None = None,
) -> Catalogue:
    """Load a standards catalogue.

    Parameters
    ----------
    path
        A TOML catalogue; ``None`` for the plan's built-in one.
    facility_types
        Known facility types (default: the built-in list).
    profiles
        Known profile names (default: ``drive`` and ``walk``).

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Unknown keys, wrong types, missing fields, unknown facility types,
        negative times, unknown kinds - naming the file, line and standard.
    """
    data, text, label = read_toml(path, default="standards.toml")
    types = facility_types if facility_types is not None else load_facility_types()
    profile_names = list(profiles) if profiles is not None else ["drive", "walk"]
    for key in data:
        if key not in ("catalogue", "standard"):
            raise CatalogueError(
                f"{label}: unknown top-level key '{key}'{suggest(key, ['catalogue', 'standard'])}; "
                "a catalogue has [catalogue] and [[standard]] tables."
            )
    meta = data.get("catalogue", {})
    raw_standards = data.get("standard", [])
    if not isinstance(raw_standards, list) or not raw_standards:
        raise CatalogueError(f"{label}: no [[standard]] table; add at least one standard.")
    standards: list[Standard] = []
    seen: set[str] = set()
    for k, raw in enumerate(raw_standards, start=1):
        std_id = raw.get("id", f"#{k}") if isinstance(raw, dict) else f"#{k}"
        where = f"{label}{_line_of_id(text, std_id)}, standard '{std_id}'"
        if not isinstance(raw, dict):
            raise CatalogueError(f"{where}: expected a table.")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise CatalogueError(f"{where}: unknown kind {kind!r}{suggest(str(kind), KINDS)}; use one of {', '.join(KINDS)}.")
        check_table(raw, _SPECS[kind], where=where)
        if std_id in seen:
            raise CatalogueError(f"{where}: duplicate id '{std_id}'.")
        seen.add(std_id)
        common = {f: raw[f] for f in ("id", "title_zh", "title_en", "wording", "section")}

        def ftypes(values: list, ctx: str, where: str = where) -> tuple[str, ...]:
            if not values:
                raise CatalogueError(f"{where}: {ctx} is empty; name at least one facility type.")
            for t in values:
                if t not in types:
                    raise CatalogueError(f"{where}: {ctx}: unknown facility type '{t}'{suggest(str(t), list(types))}.")
            return tuple(values)

        if kind == "access":
            if raw["max_minutes"] <= 0:
                raise CatalogueError(f"{where}: max_minutes must be positive, got {raw['max_minutes']!r}.")
            share = raw.get("required_share", 1.0)
            if not 0 < share <= 1:
                raise CatalogueError(f"{where}: required_share must be in (0, 1], got {share!r} (write 0.9 for 90 %).")
            for c in raw["applies_to"]:
                if c not in SETTLEMENT_CLASSES:
                    raise CatalogueError(
                        f"{where}: applies_to: unknown settlement class '{c}'{suggest(str(c), SETTLEMENT_CLASSES)}."
                    )
            if raw["profile"] not in profile_names:
                raise CatalogueError(f"{where}: unknown profile '{raw['profile']}'{suggest(raw['profile'], profile_names)}.")
            demand = raw.get("demand", "population")
            if demand not in _SETTLEMENT_FIELDS:
                raise CatalogueError(f"{where}: demand must be one of {', '.join(_SETTLEMENT_FIELDS)}, got '{demand}'.")
            standards.append(
                AccessStandard(
                    **common,
                    facility_types=ftypes(raw["facility_types"], "facility_types"),
                    applies_to=tuple(raw["applies_to"]),
                    profile=raw["profile"],
                    max_minutes=float(raw["max_minutes"]),
                    required_share=float(share),
                    demand=demand,
                    count_outside_region=raw.get("count_outside_region", False),
                )
            )
        elif kind == "presence":
            if raw["level"] not in LEVELS:
                raise CatalogueError(
                    f"{where}: unknown level '{raw['level']}'{suggest(raw['level'], LEVELS)}; use {', '.join(LEVELS)}."
                )
            reqs = []
            for j, req in enumerate(raw["require"], start=1):
                check_table(req, _REQ_SPEC, where=f"{where}, require #{j}")
                if req["min_count"] <= 0:
                    raise CatalogueError(f"{where}, require #{j}: min_count must be positive, got {req['min_count']!r}.")
                reqs.append(Requirement(ftypes(req["facility_types"], f"require #{j}"), float(req["min_count"])))
            if not reqs:
                raise CatalogueError(f"{where}: add at least one [[standard.require]].")
            standards.append(
                PresenceStandard(
                    **common,
                    level=raw["level"],
                    requirements=tuple(reqs),
                    min_unit_population=float(raw.get("min_unit_population", 0)),
                    exclude_classes=tuple(raw.get("exclude_classes", ())),
                )
            )
        else:
            if raw["level"] not in ("zone", "town"):
                raise CatalogueError(f"{where}: ratio level must be 'zone' or 'town', got '{raw['level']}'.")
            qty = {}
            for part in ("numerator", "denominator"):
                q = raw[part]
                check_table(q, _QTY_SPEC, where=f"{where}, {part}")
                allowed = (
                    _FACILITY_FIELDS
                    if q["layer"] == "facilities"
                    else _SETTLEMENT_FIELDS
                    if q["layer"] == "settlements"
                    else None
                )
                if allowed is None:
                    raise CatalogueError(f"{where}, {part}: layer must be 'facilities' or 'settlements', got '{q['layer']}'.")
                if q["field"] not in allowed:
                    raise CatalogueError(f"{where}, {part}: field '{q['field']}' is not one of {', '.join(allowed)}.")
                qty[part] = Quantity(
                    q["layer"], q["field"], ftypes(q["facility_types"], f"{part}.facility_types") if "facility_types" in q else ()
                )
            if raw["per"] <= 0 or raw["min_value"] < 0:
                raise CatalogueError(f"{where}: 'per' must be positive and 'min_value' not negative.")
            standards.append(
                RatioStandard(
                    **common,
                    level=raw["level"],
                    numerator=qty["numerator"],
                    denominator=qty["denominator"],
                    per=float(raw["per"]),
                    min_value=float(raw["min_value"]),
                    unit=raw.get("unit", ""),
                )
            )
    return Catalogue(
        name_zh=meta.get("name_zh", ""),
        name_en=meta.get("name_en", label),
        source=meta.get("source", ""),
        standards=tuple(standards),
        path=label,
    )
