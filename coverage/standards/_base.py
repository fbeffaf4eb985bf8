"""What every standard has: common fields and bases, verdicts, results, and the words for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from ..i18n import N_, Note
from ..inputs.validate import NUMERIC_SETTLEMENT_FIELDS
from ..text import words

__all__ = [
    "BASES",
    "FACILITY_FIELDS",
    "MET",
    "NOT_MET",
    "NOT_TESTED",
    "SETTLEMENT_FIELDS",
    "VERDICTS",
    "NotTestable",
    "StandardBase",
    "StandardResult",
    "field_label",
    "level_name",
    "mark",
    "verdict_word",
]

BASES = ("plan", "reading", "national")
FACILITY_FIELDS = ("quantity", "beds", "nursing_beds", "gps", "doctors", "standardised", "pupils")
SETTLEMENT_FIELDS = ("population", "elderly_population", *NUMERIC_SETTLEMENT_FIELDS)

MET, NOT_MET, NOT_TESTED = "met", "not met", "not tested"
VERDICTS = (MET, NOT_MET, NOT_TESTED)
# Relative tolerance for "exactly at the threshold" (floating point of sums, divisions, speeds).
RTOL = 1e-9


@dataclass(frozen=True)
class StandardBase:
    """The fields every kind of standard has; a kind's dataclass adds its own and sets ``kind``."""

    id: str
    title_zh: str
    title_en: str
    wording: str
    section: str
    basis: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    reading: str = ""
    reading_zh: str = ""
    clause: str = ""
    note: str = ""
    note_zh: str = ""
    catalogue: str = ""

    def title(self, lang: str = "en") -> str:
        """Title in ``"zh"`` or ``"en"``."""
        return self.title_zh if lang == "zh" else self.title_en

    def reading_text(self, lang: str = "en") -> str:
        """The argument for the reading, in the language (Chinese where the catalogue gives it)."""
        return (self.reading_zh or self.reading) if lang == "zh" else self.reading

    def note_text(self, lang: str = "en") -> str:
        """The note, in the language (Chinese where the catalogue gives it)."""
        return (self.note_zh or self.note) if lang == "zh" else self.note

    def basis_of(self, threshold: str) -> str:
        """``plan``, ``reading`` or ``national`` for one threshold of the standard."""
        return self.basis.get(threshold, "")

    @property
    def has_reading(self) -> bool:
        """True when any threshold is the tool's reading rather than the text's number."""
        return "reading" in self.basis.values()


@dataclass(frozen=True)
class NotTestable:
    """An item of the source text that is about places or quantities but cannot be tested from spatial data."""

    id: str
    title_zh: str
    title_en: str
    wording: str
    section: str
    why: str
    why_zh: str = ""
    catalogue: str = ""

    def title(self, lang: str = "en") -> str:
        """Title in the language."""
        return self.title_zh if lang == "zh" else self.title_en

    def why_text(self, lang: str = "en") -> str:
        """Why it cannot be tested, in the language."""
        return (self.why_zh or self.why) if lang == "zh" else self.why


@dataclass(frozen=True)
class StandardResult:
    """The outcome of one standard.

    Attributes
    ----------
    standard
        The standard tested.
    detail
        One row per settlement or unit (its kind says which), with a ``verdict`` each.
    summary
        Numbers for the scorecard (see each kind's ``assess``).
    verdict
        :data:`MET`, :data:`NOT_MET` or :data:`NOT_TESTED`.
    why
        Why it was not tested (None when it was).
    """

    standard: StandardBase
    detail: pd.DataFrame
    summary: dict
    verdict: str
    why: Note | None = None

    @property
    def passes(self) -> bool:
        """True when met (not tested is not met)."""
        return self.verdict == MET


VERDICT_WORDS = {MET: N_("MET"), NOT_MET: N_("NOT MET"), NOT_TESTED: N_("NOT TESTED")}


def verdict_word(verdict: str, lang: str = "en") -> str:
    """MET / NOT MET / NOT TESTED in the language."""
    return words(lang)(VERDICT_WORDS[verdict])


BASIS_MARK = {"plan": "", "reading": N_("reading"), "national": N_("national")}


def mark(std: StandardBase, threshold: str, lang: str) -> str:
    """``" [reading]"``/``" [解读]"`` after a figure that is not the source text's own number."""
    basis = std.basis_of(threshold)
    return f" [{words(lang)(BASIS_MARK[basis])}]" if BASIS_MARK.get(basis) else ""


FIELD_LABELS = {
    "beds": N_("beds"),
    "nursing_beds": N_("nursing beds"),
    "gps": N_("GPs"),
    "doctors": N_("practising doctors"),
    "quantity": N_("facilities"),
    "standardised": N_("standardised institutions"),
    "pupils": N_("children"),
    "population": N_("residents"),
    "elderly_population": N_("elderly residents"),
}


def field_label(name: str, lang: str) -> str:
    """A data field in words (``nursing_beds`` -> "nursing beds" / 护理型床位)."""
    return words(lang)(FIELD_LABELS.get(name, name))


def level_name(region, level: str, lang: str) -> str:
    """A level of the region's vocabulary in the language."""
    return region.vocabulary.level(level).name(lang)
