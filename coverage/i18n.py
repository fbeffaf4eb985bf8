"""Messages in the user's language: one gettext catalogue, ``coverage/locale/<lang>/LC_MESSAGES/coverage.po``.

Message ids are the English texts.  The ``.po`` files are the source; the ``.mo``
files beside them are compiled from them with Babel (``python -m coverage.i18n``,
run by the developer and checked by a test, so an installed package needs no
compiler) and read with the standard library's :mod:`gettext`.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

__all__ = ["LANGUAGES", "N_", "compile_catalogues", "translate", "translator"]

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


if __name__ == "__main__":  # pragma: no cover
    for path in compile_catalogues():
        print(path)


KEYWORDS = ("_", "N_", "translate", "Note")


def extract_messages(package_dir: Path | None = None) -> dict[str, list[str]]:
    """Every message id the code passes to ``_``, ``N_``, ``translate`` or ``Note``, with where it is.

    Walks the syntax tree of each module (f-strings included, which token-based
    extractors miss on Python 3.11); the test suite checks each id has a translation.
    """
    import ast

    found: dict[str, list[str]] = {}
    root = package_dir or Path(__file__).resolve().parent
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if name in KEYWORDS and isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                found.setdefault(first.value, []).append(f"{path.name}:{node.lineno}")
    return found
