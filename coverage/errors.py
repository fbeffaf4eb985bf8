"""Exceptions raised for user-correctable problems.

Every error a user can fix derives from :class:`CoverageError`; the CLI prints
its message (no traceback) and exits with status 2.  Input validation collects
every problem it finds into one :class:`InputValidationError` so a planner
sees the whole list at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .i18n import N_, Msg, Note, text_in, translate

__all__ = [
    "CatalogueError",
    "CoverageError",
    "InputValidationError",
    "NoCrsError",
    "OutputError",
    "Problem",
    "RoadNetworkError",
]


class CoverageError(Exception):
    """Base class of every error the user can act on.

    The message is a text or a :class:`~coverage.i18n.Note` (``Msg``), so the
    command line can show it in the user's language with :meth:`text`.
    """

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``."""
        return where_text(str(text_in(self.args[0], lang)), lang) if self.args else ""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    source
        The file (or layer) the problem is in.
    where
        The row, feature id or key, e.g. ``"row 4 (id=S12)"``.
    field
        The column or key concerned, or ``""`` for the whole file.
    message
        What is wrong and what to do about it.
    """

    source: str
    where: str
    field: str
    message: str | Note

    def text(self, lang: str = "en") -> str:
        """The problem in one line, in ``lang``."""
        field = self.field and Msg("field '{field}'", field=self.field).text(lang)
        location = translate(", ", lang).join(part for part in (where_text(self.where, lang), field) if part)
        colon = translate(": ", lang)
        return f"{self.source}{colon}{location + colon if location else ''}{where_text(str(text_in(self.message, lang)), lang)}"

    def __str__(self) -> str:
        return self.text("en")


_PLACES = (
    (re.compile(r"\brows ([\d, ]*\d)"), N_("rows {n}")),
    (re.compile(r"\brow (\d+)"), N_("row {n}")),
    (re.compile(r"\bfeatures ([\d, ]*\d)"), N_("features {n}")),
    (re.compile(r"\bfeature (\d+)"), N_("feature {n}")),
    (re.compile(r"\bcolumn (\d+)"), N_("column {n}")),
    (re.compile(r"\bline (\d+)"), N_("line {n}")),
    (re.compile(r"\bcell \("), N_("cell (")),
)


def where_text(where: str, lang: str = "en") -> str:
    """Locations such as ``"row 4 (id=S12)"``, ``"rows 2, 3"`` or ``"line 7"`` in ``lang`` (ids kept).

    Applied to a whole message in another language, it localises the places that
    file readers and TOML checks name in English.
    """
    if lang == "en" or not where:
        return where
    for pattern, msgid in _PLACES:
        where = pattern.sub(lambda m, msgid=msgid: Msg(msgid, n=m.group(1) if m.groups() else "").text(lang), where)
    return where


class InputValidationError(ValueError, CoverageError):
    """One or more problems in the user's input files."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """Every problem, one per line, in ``lang``."""
        lines = [Msg("{n} problem(s) in the input:", n=len(self.problems)).text(lang)]
        lines += [f"  - {p.text(lang)}" for p in self.problems]
        return "\n".join(lines)


class NoCrsError(InputValidationError):
    """A spatial file carries no coordinate reference system."""


class CatalogueError(ValueError, CoverageError):
    """A standards catalogue, speeds table or scenario file is malformed."""


class RoadNetworkError(ValueError, CoverageError):
    """The road file holds no usable road for a profile."""


class OutputError(OSError, CoverageError):
    """An output cannot be written (directory missing or not writable)."""
