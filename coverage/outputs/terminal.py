"""Text for a terminal: tables that fit the window, the scorecard, progress bars (rich).

rich measures East Asian wide characters as two columns and wraps cells within
their column, so a Chinese scorecard lines up and fits the terminal.  Colour is
used only when the output is a terminal; piped output is plain text.
"""

from __future__ import annotations

import io
import os
import shutil
import sys

import pandas as pd

from ..standards._base import NOT_MET, NOT_TESTED
from ..standards.kinds import kind_of
from ..text import words
from .report import basis_legend, headline, not_joined_line, region_title, scorecard_frame, sources_line, travel_line

__all__ = ["cut", "progress", "scorecard_text", "table_text", "terminal_width"]

DEFAULT_WIDTH = 100


def terminal_width() -> int:
    """The terminal's width; 100 columns when unknown (piped, CI) or set by ``COLUMNS``."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


def _console(width: int, colour: bool):
    from rich.console import Console

    return Console(file=io.StringIO(), width=width, color_system="standard" if colour else None, highlight=False, soft_wrap=False)


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns (wide characters count two) with an ellipsis."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def table_text(
    frame: pd.DataFrame,
    *,
    width: int | None = None,
    colour: bool = False,
    styles: dict | None = None,
    no_wrap: tuple[str, ...] = (),
    ratios: dict | None = None,
    style_column: str | None = None,
    min_widths: dict | None = None,
) -> str:
    """A table for the terminal, at most ``width`` columns wide (cells wrap inside their column).

    ``no_wrap`` columns never wrap (ids, verdicts); ``ratios`` share the remaining width.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = width or terminal_width()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False, header_style="bold" if colour else "")
    for col in frame.columns:
        keep = str(col) in no_wrap
        table.add_column(
            str(col),
            overflow="fold",
            no_wrap=keep,
            ratio=None if keep else (ratios or {}).get(str(col)),
            min_width=(min_widths or {}).get(str(col)),
        )
    for row in frame.astype(object).itertuples(index=False):
        cells = ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in row]
        key = cells[list(frame.columns).index(style_column)] if style_column in frame.columns else cells[-1]
        style = (styles or {}).get(key, "") if colour else ""
        # Text objects: a "[reading]" in a cell is text, not rich markup.
        table.add_row(*(Text(c) for c in cells), style=style)
    console = _console(width, colour)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.file.getvalue().rstrip("\n").splitlines())


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
        card, no_wrap, ratios, mins = full, (_("Id"), _("verdict")), None, None
    else:
        card, no_wrap, ratios, mins = _narrow_card(assessment, full, width, lang)
    styles = {words(lang)(w): s for w, s in (("MET", "green"), ("NOT MET", "bold red"), ("NOT TESTED", "yellow"))}
    cat = assessment.catalogue
    lines = [
        f"{region_title(assessment.region, lang)} — {cat.name_zh if lang == 'zh' else cat.name_en}",
        table_text(
            card,
            width=width,
            colour=colour,
            styles=styles,
            no_wrap=no_wrap,
            ratios=ratios,
            style_column=_("verdict"),
            min_widths=mins,
        ),
        "",
        headline(assessment, lang=lang),
    ]
    not_met = assessment.ids(NOT_MET)
    if not_met:
        lines.append(_("Not met: {ids}.").format(ids=", ".join(not_met)))
    for r in assessment.results:
        if r.verdict == NOT_TESTED:
            lines.append(_("Not tested: {id} — {why}.").format(id=r.standard.id, why=r.why.text(lang) if r.why else ""))
    if cat.not_testable:
        lines.append(
            _("Not testable from spatial data ({n} items of the catalogue, listed in the report): {ids}.").format(
                n=len(cat.not_testable), ids=", ".join(n.id for n in cat.not_testable)
            )
        )
    for line in (
        not_joined_line(assessment, lang=lang),
        travel_line(assessment, lang=lang),
        basis_legend(lang),
        sources_line(assessment, lang=lang),
    ):
        if line:
            lines.append(line)
    return "\n".join(lines)


NARROW_RATIOS = {"standard": 4, "target": 3, "meeting": 2, "worst case": 3}


def _meeting_short(r, lang: str) -> str:
    """E.g. ``95% (4,233/4,472)`` for an access standard, ``1/2`` units otherwise (the kind's words)."""
    return kind_of(r.standard).meeting_short(r, lang)


def _narrow_card(assessment, full: pd.DataFrame, width: int, lang: str):
    """The scorecard for a terminal: verdict, title with its id, share meeting, worst case (cut to a few lines)."""
    from rich.cells import cell_len

    _ = words(lang)
    verdicts = full[_("verdict")].tolist()
    worst = [w if r.verdict != NOT_TESTED else "—" for w, r in zip(full[_("worst case")], assessment.results, strict=True)]
    fixed = max(cell_len(str(v)) for v in [*verdicts, _("verdict")])
    id_width = max((cell_len(f"({r.standard.id})") for r in assessment.results), default=4)
    free = max(width - fixed - 2 * len(NARROW_RATIOS), len(NARROW_RATIOS) * 10)
    total = sum(NARROW_RATIOS.values())
    cells = {k: max(10, free * v // total) for k, v in NARROW_RATIOS.items()}
    cells["standard"] = max(cells["standard"], id_width)
    rest = max(free - cells["standard"], 30)
    others = {k: v for k, v in NARROW_RATIOS.items() if k != "standard"}
    cells.update({k: max(10, rest * v // sum(others.values())) for k, v in others.items()})
    card = pd.DataFrame(
        {
            _("verdict"): verdicts,
            _("standard"): [f"{r.standard.title(lang)}\n({r.standard.id})" for r in assessment.results],
            _("target"): [cut(t, 3 * cells["target"] - 3) for t in full[_("target")]],
            _("meeting"): [_meeting_short(r, lang) for r in assessment.results],
            _("worst case"): [cut(w, 2 * cells["worst case"] - 2) for w in worst],
        }
    )
    ratios = {_(k): v for k, v in NARROW_RATIOS.items()}
    # The title wraps but never splits the id: the column is at least as wide as "(id)".
    return card, (_("verdict"),), ratios, {_("standard"): id_width}


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
