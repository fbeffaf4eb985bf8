"""Text that wraps and is never cut: atoms no line may split, lines filled to a width, tables and blocks.

A cut figure is a wrong figure ("21.3分钟" shown as "1.3分钟").  So a cell is broken only
between *atoms*: a Latin word or a number with what is glued to it ("26.3", "(16,063/20,000)",
"21.3分钟", "100%", "第5"), or one Chinese character; a space is a break too.  Closing
punctuation never begins a line and opening punctuation never ends one.  An atom wider
than its line is printed whole on a line of its own (the terminal wraps it; nothing is
lost).  Widths are terminal columns: a Chinese character counts two (``rich.cells``).

:func:`layout_table` fits columns to a width, or returns None when even the narrowest
layout would not fit (the caller then prints :func:`layout_blocks`: one block per row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.cells import cell_len

__all__ = ["atoms", "layout_blocks", "layout_table", "min_width", "wrap"]

_WIDE = r"\u2e80-\u303f\u3040-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
# A mark ([解读], [reading]) and a quoted id or field (「编号 medical-town-30min」) are one piece each.
_PIECE = re.compile(rf"\[[^\]\s]{{1,12}}\]|「[^」]{{1,60}}」|[{_WIDE}]|[^\s{_WIDE}]+")
#: Never at the start of a line: they go with the atom before.
NO_START = frozenset("，。；：、！？）」』》〉】,.;:!?)]}%…·～")
#: Never at the end of a line: they go with the atom after.
NO_END = frozenset("（「『《〈【([{")
#: Chinese units that stay with the number before them (longest first).
#: Latin unit words that stay with the number before them ("26.9 min"), and signs that stay with the number after.
EN_UNITS = frozenset({"min", "km", "m", "h", "km/h", "s"})
SIGNS = frozenset({"<=", ">=", "<", ">", "≤", "≥", "="})
UNITS = (
    "分钟",
    "公里",
    "小时",
    "万人",
    "平方米",
    "个",
    "处",
    "所",
    "人",
    "张",
    "名",
    "米",
    "床",
    "岁",
    "倍",
    "项",
    "条",
    "户",
    "座",
    "间",
)


def _digit(piece: str) -> bool:
    return any(ch.isdigit() for ch in piece)


def atoms(text: str) -> list[tuple[str, bool]]:
    """The unbreakable pieces of one line of text, each with whether a space precedes it."""
    raw: list[tuple[str, bool]] = []
    pos = 0
    for m in _PIECE.finditer(text):
        raw.append((m.group(), m.start() > pos and bool(raw)))
        pos = m.end()
    out: list[list] = []  # [text, space_before]
    for piece, spaced in _glue_units(raw):
        joined = bool(out) and not spaced
        if joined and (piece[0] in NO_START or out[-1][0][-1] in NO_END or (out[-1][0] == "第" and _digit(piece))):
            out[-1][0] += piece
        elif out and spaced and _digit(piece) and out[-1][0] in SIGNS:
            out[-1][0] += " " + piece  # "<= 15" stays together
        elif out and spaced and _digit(out[-1][0]) and piece.rstrip(";,.)") in EN_UNITS:
            out[-1][0] += " " + piece  # "26.9 min" stays together
        else:
            out.append([piece, spaced])
    return [(a, s) for a, s in out]


def _glue_units(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """A number keeps the Chinese unit written right after it: 21.3 + 分 + 钟 -> 21.3分钟."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(pieces):
        text, spaced = pieces[i]
        i += 1
        if _digit(text):
            for unit in UNITS:
                chars = pieces[i : i + len(unit)]
                if len(chars) == len(unit) and not any(s for _, s in chars) and "".join(c for c, _ in chars) == unit:
                    text, i = text + unit, i + len(unit)
                    break
        out.append((text, spaced))
    return out


def min_width(text: str) -> int:
    """The narrowest a column can be for this text without splitting an atom."""
    return max((cell_len(a) for line in str(text).split("\n") for a, _ in atoms(line)), default=0)


def natural_width(text: str) -> int:
    """The text's width unwrapped (its widest line)."""
    return max((cell_len(line) for line in str(text).split("\n")), default=0)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken only between atoms (explicit newlines kept)."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for atom, spaced in atoms(paragraph):
            joined = line + (" " if spaced and line else "") + atom
            if not line or cell_len(joined) <= width:
                line = joined
            else:
                lines.append(line)
                line = atom
        lines.append(line)
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_len(text), 0)


@dataclass(frozen=True)
class Column:
    """A column of a table: its header, and how it shares the width (``ratio``; ``no_wrap`` keeps it whole)."""

    header: str
    ratio: float = 1.0
    no_wrap: bool = False


def _widths(columns: list[Column], rows: list[list[str]], width: int, gap: int) -> list[int] | None:
    """Each column's width: at least its widest atom, then the rest shared by ratio up to its natural width."""
    cells = [[c.header, *(r[i] for r in rows)] for i, c in enumerate(columns)]
    natural = [max(natural_width(v) for v in col) for col in cells]
    low = [n if c.no_wrap else max(min_width(v) for v in col) for c, col, n in zip(columns, cells, natural, strict=True)]
    spare = width - sum(low) - gap * (len(columns) - 1)
    if spare < 0:
        return None
    widths = list(low)
    while spare > 0:
        hungry = [i for i in range(len(columns)) if widths[i] < natural[i]]
        if not hungry:
            break
        total = sum(columns[i].ratio for i in hungry)
        given = 0
        for i in hungry:
            share = min(max(int(spare * columns[i].ratio / total), 1), natural[i] - widths[i], spare - given)
            widths[i] += share
            given += share
        spare -= given
        if given == 0:
            break
    return widths


def layout_table(columns: list[Column], rows: list[list[str]], width: int, *, paint=None, gap: int = 2) -> str | None:
    """A table at most ``width`` columns wide with every cell wrapped, never cut; None when it cannot fit.

    ``paint(row_index, text)`` may colour a row's lines (terminal escape codes are not counted).
    """
    widths = _widths(columns, rows, width, gap)
    if widths is None:
        return None
    sep = " " * gap
    header = sep.join(_pad(c.header, w) for c, w in zip(columns, widths, strict=True)).rstrip()
    out = [header, "─" * min(width, sum(widths) + gap * (len(columns) - 1))]
    for k, row in enumerate(rows):
        wrapped = [wrap(cell, w) for cell, w in zip(row, widths, strict=True)]
        for j in range(max(len(w) for w in wrapped)):
            parts = [_pad(w[j] if j < len(w) else "", wd) for w, wd in zip(wrapped, widths, strict=True)]
            line = sep.join(parts).rstrip()
            out.append(paint(k, line) if paint else line)
    return "\n".join(out)


def layout_blocks(columns: list[Column], rows: list[list[str]], width: int, *, paint=None, indent: int = 2) -> str:
    """One block per row, for a terminal too narrow for the table: the first two cells as a heading, then ``header: value``."""
    out: list[str] = []
    pad = " " * indent
    for k, row in enumerate(rows):
        lead = f"{row[0]}  "
        rest = width - cell_len(lead)
        body = wrap(row[1], rest) if rest >= 12 else ["", *wrap(row[1], width)]
        heading = [lead + body[0], *((" " * cell_len(lead) if rest >= 12 else "") + line for line in body[1:])]
        out.extend(paint(k, line.rstrip()) if paint else line.rstrip() for line in heading)
        for column, cell in zip(columns[2:], row[2:], strict=True):
            if not str(cell).strip():
                continue
            label = f"{pad}{column.header}: "
            body = wrap(cell, max(width - cell_len(label), 1))
            out.append(label + body[0])
            out.extend(" " * cell_len(label) + line for line in body[1:])
        out.append("")
    return "\n".join(out).rstrip("\n")
