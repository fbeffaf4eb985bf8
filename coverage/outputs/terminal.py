"""Text for a terminal: tables that fit the window, the scorecard, progress bars (rich).

rich measures East Asian wide characters as two columns and wraps cells within
their column, so a Chinese scorecard lines up and fits the terminal.  Colour is
used only when the output is a terminal; piped output is plain text.
"""

from __future__ import annotations

import os
import shutil
import sys

import pandas as pd

from ..standards._base import NOT_MET, NOT_TESTED
from ..standards.kinds import kind_of
from ..text import words
from ._wrap import Column, layout_blocks, layout_table
from .report import (
    basis_legend,
    headline,
    label_list,
    not_joined_line,
    region_title,
    scorecard_frame,
    sources_line,
    standard_label,
    travel_line,
)

__all__ = ["progress", "scorecard_text", "table_text", "terminal_width"]

DEFAULT_WIDTH = 100


def terminal_width() -> int:
    """The terminal's width; 100 columns when unknown (piped, CI) or set by ``COLUMNS``."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


#: ANSI colours of the row styles used here (a terminal only).
_ANSI = {"green": "32", "bold red": "1;31", "yellow": "33"}


def _cells(frame: pd.DataFrame) -> list[list[str]]:
    """Every cell as text (an empty cell for a missing value)."""
    return [
        ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in row]
        for row in frame.astype(object).itertuples(index=False)
    ]


def table_text(
    frame: pd.DataFrame,
    *,
    width: int | None = None,
    colour: bool = False,
    styles: dict | None = None,
    no_wrap: tuple[str, ...] = (),
    ratios: dict | None = None,
    style_column: str | None = None,
) -> str:
    """A table for the terminal, at most ``width`` columns wide: cells wrap between words and numbers, never cut.

    ``no_wrap`` columns never wrap (ids, verdicts); ``ratios`` share the remaining width.  When
    the terminal is too narrow for the table, each row becomes a block (``header: value`` lines).
    """
    width = width or terminal_width()
    columns = [Column(str(c), (ratios or {}).get(str(c), 1.0), str(c) in no_wrap) for c in frame.columns]
    rows = _cells(frame)
    key_at = list(map(str, frame.columns)).index(style_column) if style_column in frame.columns else len(columns) - 1

    def paint(k: int, line: str) -> str:
        code = _ANSI.get((styles or {}).get(rows[k][key_at], ""), "") if colour else ""
        return f"\x1b[{code}m{line}\x1b[0m" if code else line

    text = layout_table(columns, rows, width, paint=paint)
    return text if text is not None else layout_blocks(columns, rows, width, paint=paint)


def scorecard_text(
    assessment, *, lang: str = "en", wide: bool = False, width: int | None = None, colour: bool | None = None
) -> str:
    """What ``coverage-plan check`` prints: a title, the scorecard table, the headline and the notes.

    The table fits the terminal (``width``, default the terminal's or 100): it shows the
    standard, its target (bases marked), the population meeting it, the worst case and
    the verdict; ``wide`` adds the source wording, section and counts (full width).
    """
    _ = words(lang)
    colour = sys.stdout.isatty() if colour is None else colour
    full = scorecard_frame(assessment, lang=lang)
    width = width or (10_000 if wide else terminal_width())
    if wide:
        card, no_wrap, ratios = full, (_("Id"), _("verdict")), None
    else:
        card, no_wrap, ratios = _narrow_card(assessment, full, lang)
    styles = {words(lang)(w): s for w, s in (("MET", "green"), ("NOT MET", "bold red"), ("NOT TESTED", "yellow"))}
    cat = assessment.catalogue
    lines = [
        f"{region_title(assessment.region, lang)} — {cat.name_zh if lang == 'zh' else cat.name_en}",
        table_text(card, width=width, colour=colour, styles=styles, no_wrap=no_wrap, ratios=ratios, style_column=_("verdict")),
        "",
        headline(assessment, lang=lang),
    ]
    not_met = [r.standard for r in assessment.results if r.verdict == NOT_MET]
    if not_met:
        lines.append(_("Not met: {ids}.").format(ids=label_list(not_met, lang)))
    for r in assessment.results:
        if r.verdict == NOT_TESTED:
            why = r.why.text(lang) if r.why else ""
            lines.append(_("Not tested: {id} — {why}.").format(id=standard_label(r.standard, lang), why=why))
    if cat.not_testable:
        lines.append(
            _("Not testable from spatial data ({n} items of the catalogue, listed in the report): {ids}.").format(
                n=len(cat.not_testable), ids=label_list(cat.not_testable, lang)
            )
        )
    for line in (
        not_joined_line(assessment, lang=lang),
        travel_line(assessment, lang=lang),
        fairness_line(assessment, lang=lang),
        basis_legend(lang),
        sources_line(assessment, lang=lang),
    ):
        if line:
            lines.append(line)
    if not wide:
        lines.append(_("--wide adds the source wording, its section and the counts to the table."))
    return "\n".join(lines)


def fairness_line(assessment, *, lang: str = "en") -> str:
    """The most unequal standard (Gini over its settlements, weighted by people), and where the rest are."""
    from .fairness import fairness_table

    _ = words(lang)
    table = fairness_table(assessment)
    table = table[(table["group"] == "all") & table["gini"].notna()]
    if table.empty:
        return ""
    top = table.sort_values(["gini", "standard"], ascending=[False, True], kind="stable").iloc[0]
    std = assessment.result(top["standard"]).standard
    return _(
        "Fairness: the most unequal is {title} (Gini {gini}, Palma {palma}, weighted by people; 0 = equal); "
        "every standard's Gini, Theil, Palma and concentration index, over all settlements and by class, are in fairness.csv."
    ).format(title=standard_label(std, lang), gini=f"{top['gini']:.2f}", palma=f"{top['palma']:.1f}")


NARROW_RATIOS = {"standard": 3, "target": 4, "meeting": 2, "worst case": 3}


def _meeting_short(r, lang: str) -> str:
    """E.g. ``95% (4,233/4,472)`` for an access standard, ``1/2`` units otherwise (the kind's words)."""
    return kind_of(r.standard).meeting_short(r, lang)


def _standard_cell(std, lang: str) -> str:
    """A standard's title, and its id on a line of its own (to type into ``site --standard``), marked as an id in Chinese."""
    return f"{std.title(lang)}\n「编号 {std.id}」" if lang == "zh" else f"{std.title(lang)}\n({std.id})"


def _narrow_card(assessment, full: pd.DataFrame, lang: str):
    """The scorecard for a terminal: verdict, title with its id, target, share meeting, worst case (wrapped, never cut)."""
    _ = words(lang)
    worst = [w if r.verdict != NOT_TESTED else "—" for w, r in zip(full[_("worst case")], assessment.results, strict=True)]
    card = pd.DataFrame(
        {
            _("verdict"): full[_("verdict")].tolist(),
            _("standard"): [_standard_cell(r.standard, lang) for r in assessment.results],
            _("target"): full[_("target")].tolist(),
            _("meeting"): [_meeting_short(r, lang) for r in assessment.results],
            _("worst case"): worst,
        }
    )
    ratios = {_(k): v for k, v in NARROW_RATIOS.items()}
    return card, (_("verdict"),), ratios


def progress(desc: str):
    """An iterable wrapper showing a progress bar on a terminal (nothing when piped, in CI or in tests)."""

    def wrap(items):
        items = list(items)
        if not sys.stderr.isatty() or len(items) < 2:
            yield from items
            return
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(desc, total=len(items))
            for item in items:
                yield item
                bar.advance(task)

    return wrap
