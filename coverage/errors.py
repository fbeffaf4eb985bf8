"""Exceptions raised for user-correctable problems.

Every error a user can fix derives from :class:`CoverageError`; the CLI prints
its message (no traceback) and exits with status 2.  Input validation collects
every problem it finds into one :class:`InputValidationError` so a planner
sees the whole list at once.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Base class of every error the user can act on."""


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
    message: str

    def __str__(self) -> str:
        location = ", ".join(part for part in (self.where, self.field and f"field '{self.field}'") if part)
        return f"{self.source}: {location + ': ' if location else ''}{self.message}"


class InputValidationError(ValueError, CoverageError):
    """One or more problems in the user's input files."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class NoCrsError(InputValidationError):
    """A spatial file carries no coordinate reference system."""


class CatalogueError(ValueError, CoverageError):
    """A standards catalogue, speeds table or scenario file is malformed."""


class RoadNetworkError(ValueError, CoverageError):
    """The road file holds no usable road for a profile."""


class OutputError(OSError, CoverageError):
    """An output cannot be written (directory missing or not writable)."""
