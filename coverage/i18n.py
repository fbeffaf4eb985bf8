"""Messages in the user's language: one gettext catalogue, ``coverage/locale/<lang>/LC_MESSAGES/coverage.po``.

Message ids are the English texts.  The ``.po`` files are the source; the ``.mo``
files beside them are compiled from them with Babel (``python -m coverage.i18n``,
run by the developer and checked by a test, so an installed package needs no
compiler) and read with the standard library's :mod:`gettext`.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LANGUAGES", "N_", "Msg", "Names", "Note", "compile_catalogues", "names", "text_in", "translate", "translator"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "coverage"
LANGUAGES = ("en", "zh")


@functools.cache
def translator(lang: str) -> gettext.NullTranslations:
    """The catalogue of a language (English: the identity)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def N_(message: str) -> str:
    """Mark a text for the catalogue where it is defined; it is translated where it is shown."""
    return message


def translate(message: str, lang: str = "en") -> str:
    """``message`` in ``lang`` (itself where the catalogue has no entry)."""
    return translator(lang).gettext(message)


@dataclass(frozen=True)
class Note:
    """A message in words, written in the chosen language when shown (``msgid`` is the English text).

    Computation modules return Notes (why a standard was not tested, a solver's
    remark); the report writes them with :meth:`text`.  Text parameters that are
    words of the catalogue are translated too.
    """

    msgid: str
    params: Mapping = field(default_factory=dict)
    translate_params: bool = True

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``."""
        params = {k: text_in(v, lang) if self.translate_params or isinstance(v, Note) else v for k, v in self.params.items()}
        return translate(self.msgid, lang).format(**params)

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Names(Note):
    """A word that a region or a catalogue gives in both languages (a level, a class): shown in the language asked.

    A parameter of a message like any other, but chosen by language rather than translated.
    """

    zh: str = ""
    en: str = ""

    def text(self, lang: str = "en") -> str:
        """The word in ``lang`` (the other language's where one is missing)."""
        return (self.zh or self.en) if lang == "zh" else (self.en or self.zh)


def names(zh: str, en: str) -> Names:
    """A word in both languages, as a message parameter (see :class:`Names`)."""
    return Names("", zh=zh, en=en)


def Msg(msgid: str, /, **params) -> Note:
    """An error or warning message whose parameters are shown as given (file names, values, ids).

    ``Msg("{column} is missing", column="population")``: the template is translated,
    the parameters are not (unless a parameter is itself a :class:`Note`).
    """
    return Note(msgid, params, translate_params=False)


def text_in(value: object, lang: str = "en") -> object:
    """A Note or catalogue text in ``lang``; anything else unchanged."""
    if isinstance(value, Note):
        return value.text(lang)
    return translate(value, lang) if isinstance(value, str) else value


def compile_catalogues() -> list[Path]:
    """Compile every ``.po`` into its ``.mo`` with Babel (deterministic output); returns the files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        written.append(mo)
    translator.cache_clear()
    return written


def update_catalogues() -> dict[str, list[str]]:
    """Add the code's new message ids to every ``.po`` (untranslated) and drop ids no longer used.

    Returns the ids added and dropped; translate the added ones, then compile.
    """
    from babel.messages.pofile import read_po, write_po

    found = extract_messages()
    changes: dict[str, list[str]] = {"added": [], "dropped": []}
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        known = {m.id for m in catalog if m.id}
        for mid in sorted(set(found) - known):
            catalog.add(mid, "", locations=[(loc.split(":")[0], 0) for loc in found[mid][:3]])
            changes["added"].append(mid)
        for mid in sorted(known - set(found)):
            catalog.delete(mid)
            changes["dropped"].append(mid)
        with po.open("wb") as f:
            write_po(f, catalog, width=0, sort_output=True, include_lineno=False)
    return changes


KEYWORDS = ("_", "N_", "translate", "Note", "Msg")


def extract_messages(package_dir: Path | None = None) -> dict[str, list[str]]:
    """Every message id the code passes to ``_``, ``N_``, ``translate``, ``Note`` or ``Msg``, with where it is.

    Walks the syntax tree of each module (f-strings included, which token-based
    extractors miss on Python 3.11).  A message held in a local name first
    (``message = "..."; Msg(message, ...)``) is found through the string literals
    assigned to that name in the same function; the test suite checks each id has a
    translation, and that no call passes a message the extractor cannot see.
    """
    found: dict[str, list[str]] = {}
    for where, texts in _message_calls(package_dir):
        for text in texts or ():
            found.setdefault(text, []).append(where)
    return found


def _message_calls(package_dir: Path | None = None):
    """``(file:line, texts)`` for each call of a keyword; ``texts`` None where its message is not a literal the code shows."""
    import ast

    root = package_dir or Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + [tree]
        seen: set[int] = set()
        for scope in scopes:
            literals = _literal_names(scope)
            for node in ast.walk(scope):
                if id(node) in seen or not isinstance(node, ast.Call) or not node.args:
                    continue
                seen.add(id(node))
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name not in KEYWORDS:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    texts = [first.value] if first.value else []
                elif isinstance(first, ast.Name) and first.id in literals:
                    texts = literals[first.id]  # None: the name is also given a text the extractor cannot read
                else:
                    continue  # a parameter, an attribute, a loop value: a text marked where it is defined (N_)
                yield f"{path.relative_to(root).as_posix()}:{node.lineno}", texts


def _literal_names(scope) -> dict[str, list[str] | None]:
    """Names a function assigns texts to: the literals (``message = "..."``), or None when one is not a literal."""
    import ast

    out: dict[str, list[str]] = {}
    other: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.setdefault(target, []).append(value.value)
            else:
                other.add(target)
    return {k: (None if k in other else v) for k, v in out.items()} | dict.fromkeys(other - set(out), None)


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["update"]:
        for key, ids in update_catalogues().items():
            for mid in ids:
                print(f"{key}: {mid}")
    for path in compile_catalogues():
        print(path)
