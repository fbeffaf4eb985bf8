"""Words and numbers for people: the gettext function of a language, numbers that agree with their verdicts, names."""

from __future__ import annotations

import functools
import math

from .i18n import translator

__all__ = ["display_name", "fmt_against", "fmt_count", "fmt_share", "join_list", "simplified", "words"]


def words(lang: str = "en"):
    """The gettext function of a language: ``_ = words("zh"); _("met")``."""
    return translator(lang).gettext


def fmt_against(value: float, limit: float, meets: bool, *, upper: bool = True, decimals: int = 1) -> str:
    """``value`` with enough decimals that the shown number is on the same side of ``limit`` as the verdict.

    ``upper``: the limit is a maximum (minutes); otherwise a minimum (ratios).
    """
    if not math.isfinite(value):
        return "∞"
    for d in range(decimals, 7):
        shown = round(value, d)
        ok = (shown <= limit) if upper else (shown >= limit)
        if ok == meets:
            return f"{value:,.{d}f}"
    return f"{value:,.6f}"


def fmt_share(part: float, whole: float, required: float | None = None, meets: bool | None = None) -> str:
    """A percentage that agrees with the verdict on a required share."""
    if not whole:
        return "-"
    share = part / whole
    if required is None or meets is None:
        return f"{share:.0%}"
    return fmt_against(share * 100, required * 100, meets, upper=False, decimals=0) + "%"


def fmt_count(x: float) -> str:
    """People, beds, doctors: whole numbers with thousands separators."""
    return f"{x:,.0f}" if math.isfinite(x) else "-"


def display_name(row, lang: str = "en", ident: str = "") -> str:
    """A settlement's, facility's or unit's name in the language, else in the other, else its id."""
    first, second = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    for key in (first, second):
        value = row.get(key, "") if hasattr(row, "get") else ""
        if isinstance(value, str) and value.strip():
            return value
    return str(ident or getattr(row, "name", ""))


def join_list(items, lang: str = "en", *, short: bool = False) -> str:
    """Items joined the way the language writes a list: clauses with ``; `` / ``；``, ``short`` ones with ``, `` / ``、``."""
    if short:
        return ("、" if lang == "zh" else ", ").join(items)
    return ("；" if lang == "zh" else "; ").join(items)


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Chinese text in simplified characters (OpenCC's phrase-aware conversion), for display.

    The plan's page is a mechanical conversion to traditional characters of a text written
    in simplified ones; catalogues keep its wording as shipped (a test checks it against the
    page) and every output shows it converted back.  Text without traditional characters is
    returned unchanged.
    """
    return _t2s().convert(str(text)) if text else text
