"""Standards as data: TOML catalogues loaded into frozen dataclasses.

The built-in catalogues live in ``coverage/data/standards/``: ``plan`` (the
Tengger zone's plan, the default), and national standards (``gb50180``,
``tdt1062``).  ``load_catalogue("plan,gb50180")`` combines several.  Every
threshold carries its *basis*: ``plan`` (the plan's own number), ``reading`` (this
tool's interpretation, argued in the standard's ``reading`` text) or ``national``
(a national standard's figure, with its clause).  Errors name the file, the line
and the standard's id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import CatalogueError
from ..i18n import Msg
from ..inputs.config import FacilityType, Vocabulary, load_facility_types, load_vocabulary
from ..tables import FieldSpec, check_table, read_toml, suggest
from ._base import NotTestable, _Common
from ._checks import _Checker

__all__ = [
    "BUILTIN_CATALOGUES",
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


BUILTIN_CATALOGUES = ("plan", "gb50180", "tdt1062")


FACILITY_FIELDS = ("quantity", "beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")


SETTLEMENT_FIELDS = ("population", "elderly_population")


@dataclass(frozen=True)
class AccessStandard(_Common):
    """Every applicable settlement within ``max_minutes`` of an eligible facility."""

    facility_types: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()
    applies_to_roles: tuple[str, ...] = ()
    profile: str = "drive"
    max_minutes: float = 30.0
    required_share: float = 1.0
    demand: str = "population"
    count_outside_region: bool = False
    kind: str = "access"
    thresholds: tuple[str, ...] = ("max_minutes", "required_share")


@dataclass(frozen=True)
class Requirement:
    """At least ``min_count`` facilities of any of ``facility_types`` in a unit."""

    facility_types: tuple[str, ...]
    min_count: float


@dataclass(frozen=True)
class PresenceStandard(_Common):
    """Each unit of ``level`` holds the required facilities.

    ``count_in_classes``: when given, only facilities in units that hold settlements
    of these classes count (a town's own facilities are in its town area, not a
    gacha's pitch); empty counts every facility inside the unit.
    """

    level: str = ""
    requirements: tuple[Requirement, ...] = ()
    min_unit_population: float = 0.0
    exclude_classes: tuple[str, ...] = ()
    count_in_classes: tuple[str, ...] = ()
    kind: str = "presence"

    @property
    def thresholds(self) -> tuple[str, ...]:
        """Thresholds needing a basis."""
        return ("min_count", "min_unit_population") if self.min_unit_population > 0 else ("min_count",)


@dataclass(frozen=True)
class Quantity:
    """A sum over a layer: a facility attribute (of some types) or a settlement attribute."""

    layer: str
    field: str
    facility_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatioStandard(_Common):
    """``numerator / denominator * per >= min_value`` per unit of ``level``."""

    level: str = ""
    numerator: Quantity = Quantity("facilities", "quantity")
    denominator: Quantity = Quantity("settlements", "population")
    per: float = 1.0
    min_value: float = 0.0
    unit_zh: str = ""
    unit_en: str = ""
    kind: str = "ratio"
    thresholds: tuple[str, ...] = ("min_value",)

    def unit(self, lang: str = "en") -> str:
        """The unit of the value in a language."""
        return self.unit_zh if lang == "zh" else self.unit_en


Standard = AccessStandard | PresenceStandard | RatioStandard


@dataclass(frozen=True)
class Catalogue:
    """A set of standards with its provenance (one file, or several combined)."""

    name_zh: str
    name_en: str
    source: str
    standards: tuple[Standard, ...]
    path: str
    not_testable: tuple[NotTestable, ...] = ()
    contradictions: tuple[str, ...] = ()
    contradictions_zh: tuple[str, ...] = ()

    def contradiction_texts(self, lang: str = "en") -> tuple[str, ...]:
        """Where the source text contradicts itself, in the language."""
        return (self.contradictions_zh or self.contradictions) if lang == "zh" else self.contradictions

    def select(self, ids: list[str] | None) -> Catalogue:
        """Only the given standard ids (in catalogue order); unknown ids are an error."""
        if not ids:
            return self
        known = [s.id for s in self.standards]
        for i in ids:
            if i not in known:
                raise CatalogueError(
                    Msg(
                        "{path}: no standard '{id}'{suggestion}. Known: {known}.",
                        path=self.path,
                        id=i,
                        suggestion=suggest(i, known),
                        known=", ".join(known),
                    )
                )
        return replace(self, standards=tuple(s for s in self.standards if s.id in ids))

    def get(self, std_id: str) -> Standard:
        """The standard with this id."""
        return self.select([std_id]).standards[0]

    def combined(self, other: Catalogue) -> Catalogue:
        """Both catalogues' standards (ids must not clash)."""
        clash = sorted({s.id for s in self.standards} & {s.id for s in other.standards})
        if clash:
            raise CatalogueError(
                Msg(
                    "{path}: standard id(s) {ids} already in {other}; rename them.",
                    path=other.path,
                    ids=", ".join(clash),
                    other=self.path,
                )
            )
        return Catalogue(
            name_zh="；".join(a.name_zh or a.name_en for a in (self, other)),
            name_en="; ".join(a.name_en or a.name_zh for a in (self, other)),
            source=f"{self.source}; {other.source}",
            standards=self.standards + other.standards,
            path=f"{self.path}, {other.path}",
            not_testable=self.not_testable + other.not_testable,
            contradictions=self.contradictions + other.contradictions,
            contradictions_zh=self.contradictions_zh + other.contradictions_zh,
        )


_COMMON = {
    "id": FieldSpec((str,)),
    "kind": FieldSpec((str,)),
    "title_zh": FieldSpec((str,)),
    "title_en": FieldSpec((str,)),
    "wording": FieldSpec((str,)),
    "section": FieldSpec((str,)),
    "basis": FieldSpec((dict,)),
    "reading": FieldSpec((str,), required=False),
    "reading_zh": FieldSpec((str,), required=False),
    "clause": FieldSpec((str,), required=False),
    "note": FieldSpec((str,), required=False),
    "note_zh": FieldSpec((str,), required=False),
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
        "count_in_classes": FieldSpec((list,), required=False),
    },
    "ratio": {
        **_COMMON,
        "level": FieldSpec((str,)),
        "numerator": FieldSpec((dict,)),
        "denominator": FieldSpec((dict,)),
        "per": FieldSpec(_NUM),
        "min_value": FieldSpec(_NUM),
        "unit_zh": FieldSpec((str,)),
        "unit_en": FieldSpec((str,)),
    },
}


_REQ_SPEC = {"facility_types": FieldSpec((list,)), "min_count": FieldSpec(_NUM)}


_QTY_SPEC = {"layer": FieldSpec((str,)), "field": FieldSpec((str,)), "facility_types": FieldSpec((list,), required=False)}


_NT_SPEC = {
    "id": FieldSpec((str,)),
    "title_zh": FieldSpec((str,)),
    "title_en": FieldSpec((str,)),
    "wording": FieldSpec((str,)),
    "section": FieldSpec((str,)),
    "why": FieldSpec((str,)),
    "why_zh": FieldSpec((str,), required=False),
}


_META_SPEC = {
    "name_zh": FieldSpec((str,), required=False),
    "name_en": FieldSpec((str,), required=False),
    "source": FieldSpec((str,), required=False),
    "contradictions": FieldSpec((list,), required=False),
    "contradictions_zh": FieldSpec((list,), required=False),
}


def _line_of_id(text: str, std_id: str) -> str:
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().replace(" ", "")
        if stripped in (f'id="{std_id}"', f"id='{std_id}'"):
            return f", line {n}"
    return ""


def _access(raw: dict, common: dict, c: _Checker) -> AccessStandard:
    max_minutes = c.number(raw, "max_minutes", low=0)
    share_raw = raw.get("required_share", 1.0)
    if math.isfinite(share_raw) and 1 < share_raw <= 100:
        c.fail(Msg("required_share must be in (0, 1], got {value} (write 0.9 for 90 %).", value=repr(share_raw)))
    share = c.number({"required_share": share_raw}, "required_share", low=0, high=1)
    if raw["profile"] not in c.profiles:
        c.fail(
            Msg("unknown profile '{value}'{suggestion}.", value=raw["profile"], suggestion=suggest(raw["profile"], c.profiles))
        )
    demand = raw.get("demand", "population")
    if demand not in SETTLEMENT_FIELDS:
        c.fail(Msg("demand must be one of {fields}, got '{value}'.", fields=", ".join(SETTLEMENT_FIELDS), value=demand))
    std = AccessStandard(
        **common,
        facility_types=c.facility_types(raw["facility_types"], "facility_types"),
        applies_to=c.classes(raw["applies_to"], "applies_to"),
        applies_to_roles=c.roles(raw["applies_to"]),
        profile=raw["profile"],
        max_minutes=max_minutes,
        required_share=share,
        demand=demand,
        count_outside_region=raw.get("count_outside_region", False),
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


def _presence(raw: dict, common: dict, c: _Checker) -> PresenceStandard:
    reqs = []
    for j, req in enumerate(raw["require"], start=1):
        check_table(req, _REQ_SPEC, where=f"{c.where}, require #{j}")
        count = c.number(req, "min_count", low=0)
        reqs.append(Requirement(c.facility_types(req["facility_types"], f"require #{j}"), count))
    if not reqs:
        c.fail(Msg("add at least one [[standard.require]]."))
    pop = c.number({"min_unit_population": raw.get("min_unit_population", 0)}, "min_unit_population", low=0, open_low=False)
    std = PresenceStandard(
        **common,
        level=c.level(raw["level"]),
        requirements=tuple(reqs),
        min_unit_population=pop,
        exclude_classes=c.classes(raw.get("exclude_classes", []), "exclude_classes"),
        count_in_classes=c.classes(raw.get("count_in_classes", []), "count_in_classes"),
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


def _quantity(raw: dict, part: str, c: _Checker) -> Quantity:
    q = raw[part]
    check_table(q, _QTY_SPEC, where=f"{c.where}, {part}")
    allowed = {"facilities": FACILITY_FIELDS, "settlements": SETTLEMENT_FIELDS}.get(q["layer"])
    if allowed is None:
        c.fail(Msg("{where}: layer must be 'facilities' or 'settlements', got '{value}'.", where=part, value=q["layer"]))
    if q["field"] not in allowed:
        c.fail(Msg("{where}: field '{value}' is not one of {fields}.", where=part, value=q["field"], fields=", ".join(allowed)))
    types = c.facility_types(q["facility_types"], f"{part}.facility_types") if "facility_types" in q else ()
    return Quantity(q["layer"], q["field"], types)


def _ratio(raw: dict, common: dict, c: _Checker) -> RatioStandard:
    std = RatioStandard(
        **common,
        level=c.level(raw["level"]),
        numerator=_quantity(raw, "numerator", c),
        denominator=_quantity(raw, "denominator", c),
        per=c.number(raw, "per", low=0),
        min_value=c.number(raw, "min_value", low=0, open_low=False),
        unit_zh=raw["unit_zh"],
        unit_en=raw["unit_en"],
    )
    return replace(std, basis=c.basis(raw, std.thresholds))


_BUILDERS = {"access": _access, "presence": _presence, "ratio": _ratio}


def _resolve(path: Path | str | None) -> tuple[Path | None, str]:
    """A catalogue name (``plan``, ``gb50180``...) or a file; the packaged file for a name."""
    if path is None:
        return None, "standards/plan.toml"
    text = str(path)
    if text in BUILTIN_CATALOGUES:
        return None, f"standards/{text}.toml"
    return Path(path), ""


def load_catalogue(
    path: Path | str | None = None,
    *,
    facility_types: Mapping[str, FacilityType] | None = None,
    profiles: Mapping[str, Any] | None = None,
    vocabulary: Vocabulary | None = None,
) -> Catalogue:
    """Load a standards catalogue, or several combined (``"plan,gb50180"``).

    Parameters
    ----------
    path
        A TOML file, a built-in name (``plan``, ``gb50180``, ``tdt1062``) or several,
        separated by commas; ``None`` for the plan's.
    facility_types
        Known facility types (default: the built-in list).
    profiles
        Known profile names (default: ``drive`` and ``walk``).
    vocabulary
        The region's settlement classes and levels (default: the built-in vocabulary).

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Unknown keys, wrong types, missing fields or bases, unknown facility types,
        classes or levels, non-finite or out-of-range numbers - naming the file, line
        and standard.
    """
    if path is not None and "," in str(path) and not Path(path).exists():
        parts = [p.strip() for p in str(path).split(",") if p.strip()]
        cat = load_catalogue(parts[0], facility_types=facility_types, profiles=profiles, vocabulary=vocabulary)
        for p in parts[1:]:
            cat = cat.combined(load_catalogue(p, facility_types=facility_types, profiles=profiles, vocabulary=vocabulary))
        return cat
    file, default = _resolve(path)
    data, text, label = read_toml(file, default=default)
    types = facility_types if facility_types is not None else load_facility_types()
    profile_names = list(profiles) if profiles is not None else ["drive", "walk"]
    vocab = vocabulary if vocabulary is not None else load_vocabulary()
    for key in data:
        if key not in ("catalogue", "standard", "not_testable"):
            raise CatalogueError(
                Msg(
                    "{path}: unknown top-level key '{key}'{suggestion}; a catalogue has [catalogue] and [[standard]] tables.",
                    path=label,
                    key=key,
                    suggestion=suggest(key, ["catalogue", "standard", "not_testable"]),
                )
            )
    meta = data.get("catalogue", {})
    check_table(meta, _META_SPEC, where=f"{label}, [catalogue]")
    meta = {"name_zh": "", "name_en": Path(label).stem if file is not None else label, "source": label, **meta}
    raw_standards = data.get("standard", [])
    if not isinstance(raw_standards, list) or not (raw_standards or data.get("not_testable")):
        raise CatalogueError(Msg("{path}: no [[standard]] table; add at least one standard.", path=label))
    standards: list[Standard] = []
    seen: set[str] = set()
    for k, raw in enumerate(raw_standards, start=1):
        std_id = raw.get("id", f"#{k}") if isinstance(raw, dict) else f"#{k}"
        where = f"{label}{_line_of_id(text, std_id)}, standard '{std_id}'"
        if not isinstance(raw, dict):
            raise CatalogueError(Msg("{where}: expected a table.", where=where))
        kind = raw.get("kind")
        if kind not in KINDS:
            raise CatalogueError(
                Msg(
                    "{where}: unknown kind {value}{suggestion}; use one of {kinds}.",
                    where=where,
                    value=repr(kind),
                    suggestion=suggest(str(kind), KINDS),
                    kinds=", ".join(KINDS),
                )
            )
        check_table(raw, _SPECS[kind], where=where)
        if std_id in seen:
            raise CatalogueError(Msg("{where}: duplicate id '{id}'.", where=where, id=std_id))
        seen.add(std_id)
        common = {f: raw[f] for f in ("id", "title_zh", "title_en", "wording", "section")}
        common.update(
            {f: raw.get(f, "") for f in ("reading", "reading_zh", "clause", "note", "note_zh")}, catalogue=meta["name_en"]
        )
        standards.append(_BUILDERS[kind](raw, common, _Checker(where, types, vocab, profile_names)))
    not_testable = []
    for k, raw in enumerate(data.get("not_testable", []), start=1):
        check_table(raw, _NT_SPEC, where=f"{label}, [[not_testable]] #{k}")
        not_testable.append(NotTestable(**raw, catalogue=meta["name_en"]))
    return Catalogue(
        name_zh=meta["name_zh"],
        name_en=meta["name_en"],
        source=meta["source"],
        standards=tuple(standards),
        path=label,
        not_testable=tuple(not_testable),
        contradictions=tuple(meta.get("contradictions", [])),
        contradictions_zh=tuple(meta.get("contradictions_zh", [])),
    )
