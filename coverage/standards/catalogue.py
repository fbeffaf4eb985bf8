"""Standards as data: TOML catalogues loaded into frozen dataclasses.

The built-in catalogues are the national standards (``gb50180``, ``tdt1062``, in
``coverage/data/standards/``) and ``plan``, the bundled zone's plan (it lives in the
zone's folder).  A region folder names its own in ``region.toml`` (``standards``).
``load_catalogue("plan,gb50180")`` combines several.  Every
threshold carries its *basis*: ``plan`` (the plan's own number), ``reading`` (this
tool's interpretation, argued in the standard's ``reading`` text) or ``national``
(a national standard's figure, with its clause).  Each ``[[standard]]`` names its
``kind``; the kind (:mod:`coverage.standards.kinds`) checks and builds it.  Errors
name the file, the line and the standard's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import CatalogueError
from ..i18n import Msg
from ..inputs.config import FacilityType, Vocabulary, load_facility_types, load_vocabulary
from ..tables import FieldSpec, check_table, read_toml, suggest
from ._base import NotTestable, StandardBase
from ._checks import Checker
from .kinds import kind_of

__all__ = ["BUILTIN_CATALOGUES", "Catalogue", "Indicator", "IndicatorTable", "Standard", "Terms", "load_catalogue"]

#: Built-in catalogues by name: the national standards, and the bundled zone's plan (in its folder).
BUILTIN_FILES = {
    "plan": "regions/tengger/plan.toml",
    "gb50180": "standards/gb50180.toml",
    "tdt1062": "standards/tdt1062.toml",
}
BUILTIN_CATALOGUES = tuple(BUILTIN_FILES)

#: Any kind of standard (each kind's dataclass derives from it).
Standard = StandardBase


@dataclass(frozen=True)
class Indicator:
    """A row of a catalogue's indicator table: values of past years and a target, as printed; what measures it."""

    name_zh: str
    name_en: str
    values: tuple[str, ...]
    target: str
    measure: str = ""
    domain_zh: str = ""
    domain_en: str = ""
    group_zh: str = ""
    group_en: str = ""
    printed: tuple[str, ...] = ()
    note: str = ""
    note_zh: str = ""

    def name(self, lang: str = "en") -> str:
        """The indicator's name in the language (Chinese as printed; shown simplified, see :func:`coverage.text.simplified`)."""
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class IndicatorTable:
    """A catalogue's table of indicators (the plan's 二(三)): the years of its values, the target's year, the rows."""

    catalogue_zh: str
    catalogue_en: str
    years: tuple[str, ...]
    target_year: str
    rows: tuple[Indicator, ...]
    notes: tuple[str, ...] = ()


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
    indicator_tables: tuple[IndicatorTable, ...] = ()
    source_zh: str = ""

    def source_text(self, lang: str = "en") -> str:
        """Where the catalogue comes from, in the language (its ``source_zh`` in Chinese, where given)."""
        return (self.source_zh or self.source) if lang == "zh" else self.source

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
            source_zh=f"{self.source_text('zh')}；{other.source_text('zh')}",
            standards=self.standards + other.standards,
            path=f"{self.path}, {other.path}",
            not_testable=self.not_testable + other.not_testable,
            contradictions=self.contradictions + other.contradictions,
            contradictions_zh=self.contradictions_zh + other.contradictions_zh,
            indicator_tables=self.indicator_tables + other.indicator_tables,
        )


@dataclass(frozen=True)
class Terms:
    """What a catalogue's standards are checked against: facility types, profile names, classes and levels.

    A :class:`~coverage.inputs.region.Region` has the same three attributes and serves as well.
    """

    facility_types: Mapping[str, FacilityType] = field(default_factory=load_facility_types)
    profiles: Mapping | tuple = ("drive", "walk")
    vocabulary: Vocabulary = field(default_factory=load_vocabulary)


def _default_terms(path) -> Terms:
    """Without a region: the bundled zone's words for its own plan, the neutral built-in ones otherwise."""
    if path is None or str(path) == "plan":
        from ..inputs._manifest import read_manifest, region_vocabulary
        from ..inputs.config import load_facility_types
        from ..inputs.region import BUNDLED_REGION

        manifest = read_manifest(BUNDLED_REGION)
        return Terms(load_facility_types(manifest.file("facility_types")), vocabulary=region_vocabulary(manifest))
    return Terms()


COMMON_SPEC = {
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
    "source_zh": FieldSpec((str,), required=False),
    "contradictions": FieldSpec((list,), required=False),
    "contradictions_zh": FieldSpec((list,), required=False),
    "indicator_years": FieldSpec((list,), required=False),
    "indicator_target": FieldSpec((str,), required=False),
    "indicator_notes": FieldSpec((list,), required=False),
}
_INDICATOR_SPEC = {
    "name_zh": FieldSpec((str,)),
    "name_en": FieldSpec((str,)),
    "values": FieldSpec((list,)),
    "target": FieldSpec((str,)),
    "measure": FieldSpec((str,), required=False),
    **{k: FieldSpec((str,), required=False) for k in ("domain_zh", "domain_en", "group_zh", "group_en", "note", "note_zh")},
    "printed": FieldSpec((list,), required=False),
}
_TOP = ("catalogue", "standard", "not_testable", "indicator")


def _line_of_id(text: str, std_id: str) -> str:
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().replace(" ", "")
        if stripped in (f'id="{std_id}"', f"id='{std_id}'"):
            return f", line {n}"
    return ""


def _resolve(path: Path | str | None) -> tuple[Path | None, str]:
    """A catalogue name (``plan``, ``gb50180``...) or a file; the packaged file for a name."""
    if path is None:
        return None, BUILTIN_FILES["plan"]
    text = str(path)
    if text in BUILTIN_FILES:
        return None, BUILTIN_FILES[text]
    return Path(path), ""


def _standard(raw, k: int, text: str, label: str, meta: dict, terms, seen: set[str]) -> Standard:
    """One ``[[standard]]`` table, checked by its kind and built."""
    std_id = raw.get("id", f"#{k}") if isinstance(raw, dict) else f"#{k}"
    where = f"{label}{_line_of_id(text, std_id)}, standard '{std_id}'"
    if not isinstance(raw, dict):
        raise CatalogueError(Msg("{where}: expected a table.", where=where))
    kind = kind_of(raw.get("kind"), where=where)
    check_table(raw, {**COMMON_SPEC, **kind.spec}, where=where)
    if std_id in seen:
        raise CatalogueError(Msg("{where}: duplicate id '{id}'.", where=where, id=std_id))
    seen.add(std_id)
    common = {f: raw[f] for f in ("id", "title_zh", "title_en", "wording", "section")}
    common.update({f: raw.get(f, "") for f in ("reading", "reading_zh", "clause", "note", "note_zh")}, catalogue=meta["name_en"])
    return kind.build(raw, common, Checker(where, terms.facility_types, terms.vocabulary, list(terms.profiles)))


def _read(path: Path | str | None) -> tuple[dict, str, str, dict]:
    """The catalogue's parsed table, text, label and ``[catalogue]`` metadata (with defaults); checked at the top."""
    file, default = _resolve(path)
    data, text, label = read_toml(file, default=default)
    for key in data:
        if key not in _TOP:
            raise CatalogueError(
                Msg(
                    "{path}: unknown top-level key '{key}'{suggestion}; a catalogue has [catalogue] and [[standard]] tables.",
                    path=label,
                    key=key,
                    suggestion=suggest(key, list(_TOP)),
                )
            )
    meta = data.get("catalogue", {})
    check_table(meta, _META_SPEC, where=f"{label}, [catalogue]")
    meta = {"name_zh": "", "name_en": Path(label).stem if file is not None else label, "source": label, **meta}
    raw_standards = data.get("standard", [])
    if not isinstance(raw_standards, list) or not (raw_standards or data.get("not_testable")):
        raise CatalogueError(Msg("{path}: no [[standard]] table; add at least one standard.", path=label))
    return data, text, label, meta


def _indicator_table(data: dict, label: str, meta: dict, standards: list) -> tuple[IndicatorTable, ...]:
    """The ``[[indicator]]`` rows, checked: as many values as ``indicator_years``, a ``measure`` naming a standard."""
    raw_rows = data.get("indicator", [])
    if not raw_rows:
        return ()
    years = tuple(str(y) for y in meta.get("indicator_years", []))
    ids = [s.id for s in standards]
    rows = []
    for k, raw in enumerate(raw_rows, start=1):
        where = f"{label}, [[indicator]] #{k}"
        check_table(raw, _INDICATOR_SPEC, where=where)
        if len(raw["values"]) != len(years):
            raise CatalogueError(
                Msg("{where}: {n} values, but indicator_years has {m}.", where=where, n=len(raw["values"]), m=len(years))
            )
        if raw.get("measure") and raw["measure"] not in ids:
            raise CatalogueError(
                Msg(
                    "{where}: measure '{value}' is no standard of this catalogue{suggestion}.",
                    where=where,
                    value=raw["measure"],
                    suggestion=suggest(raw["measure"], ids),
                )
            )
        extra = {k: raw.get(k, "") for k in ("domain_zh", "domain_en", "group_zh", "group_en", "note", "note_zh")}
        values = tuple(map(str, raw["values"]))
        printed = tuple(map(str, raw.get("printed", ())))
        rows.append(
            Indicator(raw["name_zh"], raw["name_en"], values, raw["target"], raw.get("measure", ""), printed=printed, **extra)
        )
    notes = tuple(map(str, meta.get("indicator_notes", ())))
    table = IndicatorTable(meta["name_zh"], meta["name_en"], years, str(meta.get("indicator_target", "")), tuple(rows), notes)
    return (table,)


def load_catalogue(path: Path | str | None = None, *, region=None) -> Catalogue:
    """Load a standards catalogue, or several combined (``"plan,gb50180"``).

    Parameters
    ----------
    path
        A TOML file, a built-in name (``plan``, ``gb50180``, ``tdt1062``) or several,
        separated by commas or as a list; ``None`` for the bundled zone's plan.
    region
        What the standards are checked against: a :class:`~coverage.inputs.region.Region`
        or :class:`Terms` (its facility types, profile names, settlement classes and
        levels); default: the built-in types, ``drive`` and ``walk``, the built-in vocabulary.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Unknown keys or kinds, wrong types, missing fields or bases, unknown facility types,
        classes or levels, non-finite or out-of-range numbers - naming the file, line
        and standard.
    """
    terms = region if region is not None else _default_terms(path)
    if isinstance(path, list | tuple):
        path = ",".join(str(p) for p in path)
    if path is not None and "," in str(path) and not Path(path).exists():
        parts = [p.strip() for p in str(path).split(",") if p.strip()]
        cat = load_catalogue(parts[0], region=terms)
        for p in parts[1:]:
            cat = cat.combined(load_catalogue(p, region=terms))
        return cat
    data, text, label, meta = _read(path)
    seen: set[str] = set()
    standards = [_standard(raw, k, text, label, meta, terms, seen) for k, raw in enumerate(data.get("standard", []), start=1)]
    not_testable = []
    for k, raw in enumerate(data.get("not_testable", []), start=1):
        check_table(raw, _NT_SPEC, where=f"{label}, [[not_testable]] #{k}")
        not_testable.append(NotTestable(**raw, catalogue=meta["name_en"]))
    return Catalogue(
        name_zh=meta["name_zh"],
        name_en=meta["name_en"],
        source=meta["source"],
        source_zh=meta.get("source_zh", ""),
        standards=tuple(standards),
        path=label,
        not_testable=tuple(not_testable),
        contradictions=tuple(meta.get("contradictions", [])),
        contradictions_zh=tuple(meta.get("contradictions_zh", [])),
        indicator_tables=_indicator_table(data, label, meta, standards),
    )
