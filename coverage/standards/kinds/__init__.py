"""The kinds of standard, as a registry: each kind says how it is loaded, assessed, described, exported and mapped.

Every module of this package defines one kind as ``KIND = Kind(...)``; the registry
finds them (:func:`kinds`).  Adding a kind is one module here, its catalogue entries and
its tests: the catalogue loader, the assessment, the scorecard, the exports, the maps,
the scenario comparison and the siting adapter ask the registry and never test a
standard's type.  An unknown kind is an error (:func:`kind_of`), never a silent default.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ...errors import CatalogueError
from ...i18n import Msg
from ...tables import FieldSpec, suggest
from .._base import StandardBase

__all__ = ["Kind", "kind_names", "kind_of", "kinds"]


@dataclass(frozen=True, eq=False)
class Kind:
    """One kind of standard: its data and the functions that handle it everywhere in the tool.

    Attributes
    ----------
    name
        The ``kind`` of the catalogue's tables (``access``, ``presence``...).
    order
        Its place among the kinds (exports and listings).
    standard
        The standard's dataclass (a :class:`~coverage.standards._base.StandardBase`).
    spec
        Its TOML keys besides the common ones (``id``, ``title_zh``...).
    build
        ``(raw table, common fields, Checker) -> standard``: check and build.
    assess
        ``(region, standard, cache) -> StandardResult``.
    target, meeting, meeting_short, worst
        Words for the scorecard: the target with its bases marked; who meets it (count,
        population); a short share for narrow terminals; the worst case.
    rows
        What a result's rows are: ``settlements`` (indexed by settlement id) or ``units``
        (by unit code).  Exports attach points or polygons, maps choose their family by it.
    export
        ``(result, region, lang) -> frame``: the result's rows as exported (words in ``lang``,
        figures rounded), one file and GeoPackage layer per kind (``layer``, ``file``).
    map_family
        ``gap`` (one map per standard, settlements by minutes) or ``units`` (one map per
        kind, a layer per standard, units coloured by :attr:`unit_style`).
    map_title, map_label
        For the ``units`` family: the map's title and its link in the report (catalogue words).
    unit_style
        For the ``units`` family: ``(standard, row, code, region, lang) -> (severity, popup
        lines, status)``; severity 0 (meets) to 3 (worst), None for not tested.
    failing
        ``(result, region, settlement units) -> settlement ids`` that do not meet it (the
        overview map counts them per settlement).
    measured
        ``(result, lang) -> text``: the region's value, for an indicator table (None: no value).
    settlement_measure
        The per-settlement minutes a scenario comparison sets side by side (a column of the
        result's rows, ``minutes``), or ``""`` for kinds without one.
    sited
        True when siting can serve it (new facilities change it).
    grouped
        True when the summary by group (units, classes) reports it.
    travel
        ``(standard, region, lang) -> text``: how its times were made ("road network (drive)",
        "terrain + roads ..."), for kinds that travel (None otherwise).
    reach
        ``(standard, region) -> (travel model, facilities' lon/lat, limit in minutes)``: what
        its service areas are drawn from, for kinds that travel (None otherwise).
    sheet, people
        The sheet of ``scorecard.xlsx`` for people: its name (catalogue words), and its columns
        after the standard's title - ``(column, header, number format)``; a column is one of
        the exported rows', or ``name`` (the settlement's or unit's name), ``class_name``,
        ``level_name`` or ``unit_words`` (the ratio's unit), all in the chosen language.
    """

    name: str
    order: int
    standard: type
    spec: Mapping[str, FieldSpec]
    build: Callable
    assess: Callable
    target: Callable
    meeting: Callable
    meeting_short: Callable
    worst: Callable
    rows: str
    export: Callable
    layer: str
    file: str
    map_family: str
    failing: Callable
    unit_style: Callable | None = None
    map_title: str = ""
    map_label: str = ""
    measured: Callable | None = None
    settlement_measure: str = ""
    sited: bool = False
    grouped: bool = False
    travel: Callable | None = None
    sheet: str = ""
    people: tuple[tuple[str, str, str], ...] = ()
    reach: Callable | None = None


@functools.cache
def _registry() -> dict[str, Kind]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, Kind):
            found[kind.name] = kind
    return dict(sorted(found.items(), key=lambda kv: kv[1].order))


def kinds() -> tuple[Kind, ...]:
    """Every kind, in order."""
    return tuple(_registry().values())


def kind_names() -> tuple[str, ...]:
    """The names of every kind, in order."""
    return tuple(_registry())


def kind_of(what, *, where: str = "") -> Kind:
    """The kind of a standard (or of a kind's name; a kind is itself).

    Raises
    ------
    CatalogueError
        The kind is not registered (with the closest name and the kinds known).
    """
    if isinstance(what, Kind):
        return what
    name = what.kind if isinstance(what, StandardBase) else what
    kind = _registry().get(name) if isinstance(name, str) else None
    if kind is None:
        raise CatalogueError(
            Msg(
                "{where}: unknown kind {value}{suggestion}; use one of {kinds}.",
                where=where or getattr(what, "id", "standard"),
                value=repr(name),
                suggestion=suggest(str(name), kind_names()),
                kinds=", ".join(kind_names()),
            )
        )
    return kind
