"""Checks of one standard's TOML table: numbers, facility types, classes, levels, bases (used by every kind)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from ..errors import CatalogueError
from ..i18n import Msg, Note
from ..inputs.config import ROLES, FacilityType, Vocabulary
from ..tables import suggest
from ._base import BASES

__all__ = ["Checker"]


class Checker:
    """Checks of one standard's table, raising :class:`CatalogueError` with the file, line and id."""

    def __init__(self, where: str, types: Mapping[str, FacilityType], vocabulary: Vocabulary, profiles: list[str]):
        self.where, self.types, self.vocabulary, self.profiles = where, types, vocabulary, profiles

    def fail(self, message: Note | str):
        raise CatalogueError(Msg("{where}: {message}", where=self.where, message=message))

    def fail_vocabulary(self, message: str):
        """An unknown class or level: the built-in plan is the Tengger zone's own words."""
        hint = (
            Msg(
                " The built-in plan catalogue is written for the Tengger zone's classes and levels; for your region use "
                "--standards gb50180 or a catalogue of your own (a copy of plan.toml with your keys)."
            )
            if self.where.startswith("coverage/data/regions/tengger/plan.toml")
            else ""
        )
        self.fail(Msg("{message}{hint}", message=message, hint=hint))

    def number(self, raw: dict, key: str, *, low: float, high: float = math.inf, open_low: bool = True) -> float:
        value = raw[key]
        ok = math.isfinite(value) and (value > low if open_low else value >= low) and value <= high
        if not ok:
            bound = f"{'>' if open_low else '>='} {low:g}"
            if math.isfinite(high):
                bound = Msg("{a} and {b}", a=bound, b=f"<= {high:g}")
            self.fail(Msg("{key} must be a finite number {bound}, got {value}.", key=key, bound=bound, value=repr(value)))
        return float(value)

    def facility_types(self, values: list, ctx: str) -> tuple[str, ...]:
        if not values:
            self.fail(Msg("{where} is empty; name at least one facility type.", where=ctx))
        for t in values:
            if t not in self.types:
                self.fail(
                    Msg(
                        "{where}: unknown facility type '{value}'{suggestion}.",
                        where=ctx,
                        value=t,
                        suggestion=suggest(str(t), list(self.types)),
                    )
                )
        return tuple(values)

    def classes(self, values: list, ctx: str) -> tuple[str, ...]:
        """Class keys; ``role:urban`` stands for every class of the region with that role."""
        known = self.vocabulary.class_keys
        out: list[str] = []
        for c in values:
            if str(c).startswith("role:"):
                role = str(c)[5:]
                if role not in ROLES:
                    self.fail(
                        Msg(
                            "{where}: unknown role '{value}'{suggestion}; roles are {roles}.",
                            where=ctx,
                            value=role,
                            suggestion=suggest(role, ROLES),
                            roles=", ".join(ROLES),
                        )
                    )
                out += [k for k in self.vocabulary.with_role(role) if k not in out]
            elif c not in known:
                self.fail_vocabulary(
                    Msg(
                        "{where}: unknown settlement class '{value}'{suggestion}; the region's classes: {known}.",
                        where=ctx,
                        value=c,
                        suggestion=suggest(str(c), known),
                        known=", ".join(known),
                    )
                )
            elif c not in out:
                out.append(c)
        return tuple(out)

    @staticmethod
    def roles(values: list) -> tuple[str, ...]:
        return tuple(str(c)[5:] for c in values if str(c).startswith("role:"))

    def level(self, value: str) -> str:
        known = self.vocabulary.level_keys
        if value not in known:
            self.fail_vocabulary(
                Msg(
                    "unknown level '{value}'{suggestion}; the region's levels: {known}.",
                    value=value,
                    suggestion=suggest(value, known),
                    known=", ".join(known),
                )
            )
        return value

    def basis(self, raw: dict, thresholds: tuple[str, ...]) -> MappingProxyType:
        basis = raw["basis"]
        for key in thresholds:
            if key not in basis:
                self.fail(
                    Msg('basis: no basis for \'{key}\'; write basis = {{ {key} = "plan" }} (or "reading", "national").', key=key)
                )
        for key, value in basis.items():
            if key not in thresholds:
                self.fail(
                    Msg("basis: '{key}' is not a threshold of this standard ({keys}).", key=key, keys=", ".join(thresholds))
                )
            if value not in BASES:
                self.fail(
                    Msg(
                        "basis: {key} = '{value}' is not one of {bases}{suggestion}.",
                        key=key,
                        value=value,
                        bases=", ".join(BASES),
                        suggestion=suggest(str(value), BASES),
                    )
                )
        if "reading" in basis.values() and not raw.get("reading", "").strip():
            self.fail(Msg('a threshold is a reading: add reading = "..." with the one-line argument and its source.'))
        if "national" in basis.values() and not raw.get("clause", "").strip():
            self.fail(Msg('a threshold is national: add clause = "..." naming the standard and its clause.'))
        return MappingProxyType(dict(basis))
