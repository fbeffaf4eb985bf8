"""TOML tables checked against a spec, and "did you mean" suggestions: the base of every configuration file."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import CatalogueError
from .i18n import Msg, Note

__all__ = ["FieldSpec", "check_table", "line_of", "read_toml", "suggest", "unknown_key", "unknown_profile", "where_in"]


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> Note | str:
    """``" (did you mean 'x'?)"`` for the closest choice (a message, shown in the user's language), or ``""``."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return Msg(" (did you mean '{choice}'?)", choice=close[0]) if close else ""


def unknown_key(where: str, key: str, allowed: list[str]) -> CatalogueError:
    """The refusal of a TOML key the table does not have (naming the closest one and the keys allowed)."""
    return CatalogueError(
        Msg(
            "{where}: unknown key '{key}'{suggestion}. Allowed: {allowed}.",
            where=where,
            key=key,
            suggestion=suggest(key, allowed),
            allowed=", ".join(f"'{k}'" for k in allowed),
        )
    )


def unknown_profile(where: str, name: str, profiles) -> CatalogueError:
    """The refusal of a profile name that no profile table defines (naming the closest one)."""
    return CatalogueError(
        Msg("{where}: unknown profile '{value}'{suggestion}.", where=where, value=name, suggestion=suggest(name, list(profiles)))
    )


def line_of(text: str, table: str) -> int | None:
    """1-based line of the TOML table header ``[table]`` (or ``[[...]]``), if found."""
    pattern = re.compile(r"^\s*\[+\s*" + re.escape(table) + r"\s*\]+", re.M)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def read_toml(path: Path | str | None, *, default: str) -> tuple[dict[str, Any], str, str]:
    """Read a user's TOML file, or the packaged default ``coverage/data/<default>``.

    Returns
    -------
    tuple
        The parsed table, its text (for line numbers in messages) and a label
        naming it in messages.
    """
    if path is None:
        text = resources.files("coverage").joinpath("data", default).read_text(encoding="utf-8")
        label = f"coverage/data/{default}"  # the built-in file, named where a user finds it to copy
    else:
        path = Path(path)
        if path.is_dir():
            raise CatalogueError(Msg("{path}: is a folder; give a TOML file.", path=path))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CatalogueError(Msg("{path}: file not found.", path=path)) from None
        except UnicodeDecodeError:
            raise CatalogueError(Msg("{path}: not UTF-8 text; save it as UTF-8.", path=path)) from None
        except OSError as exc:
            raise CatalogueError(Msg("{path}: cannot be read ({reason}).", path=path, reason=exc.strerror)) from None
        label = str(path)
    try:
        return tomllib.loads(text), text, label
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(_toml_error(label, str(exc))) from None


def _toml_error(label: str, text: str):
    """A TOML syntax error as a message: where (line, column) in words, the parser's own text as its detail."""
    import re

    found = re.search(r"\s*\(at line (\d+), column (\d+)\)", text)
    if found is None:
        return Msg("{path}: not valid TOML ({reason}).", path=label, reason=text)
    reason = (text[: found.start()] + text[found.end() :]).strip()
    return Msg(
        "{path}, line {line}, column {column}: not valid TOML ({reason}); check the quotes and brackets there.",
        path=label,
        line=found.group(1),
        column=found.group(2),
        reason=reason,
    )


@dataclass(frozen=True)
class FieldSpec:
    """Expected type of one key, and whether it may be left out."""

    types: tuple[type, ...]
    required: bool = True


def check_table(table: Any, spec: dict[str, FieldSpec], *, where: str) -> None:
    """Raise :class:`CatalogueError` for unknown keys, missing keys or wrong types.

    Parameters
    ----------
    table
        The parsed TOML table.
    spec
        Allowed keys and their types.
    where
        Prefix for messages: file, line and table name.
    """
    if not isinstance(table, dict):
        raise CatalogueError(Msg("{where}: expected a table, got {kind}.", where=where, kind=type(table).__name__))
    for key in table:
        if key not in spec:
            raise unknown_key(where, key, list(spec))
    for key, fs in spec.items():
        if key not in table:
            if fs.required:
                raise CatalogueError(Msg("{where}: missing key '{key}'.", where=where, key=key))
            continue
        value = table[key]
        ok = isinstance(value, fs.types) and not (isinstance(value, bool) and bool not in fs.types)
        if not ok:
            names = [t.__name__ for t in fs.types]
            names = Msg("{a} or {b}", a=", ".join(names[:-1]), b=names[-1]) if len(names) > 1 else names[0]
            raise CatalogueError(
                Msg("{where}: key '{key}' must be {kinds}, got {value}.", where=where, key=key, kinds=names, value=repr(value))
            )


def where_in(label: str, text: str, table: str) -> str:
    """Format a message prefix naming the file, the table's line and its name."""
    line = line_of(text, table)
    return f"{label}{f', line {line}' if line else ''}, [{table}]"
