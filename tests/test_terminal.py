"""The terminal never cuts a figure: every number of the scorecard prints whole, at any width, on a tty or piped."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pandas as pd
import pytest
from rich.cells import cell_len

from coverage.outputs._wrap import atoms, wrap
from coverage.outputs.report import headline, scorecard_frame
from coverage.outputs.terminal import scorecard_text
from coverage.standards.assessment import assess
from coverage.standards.catalogue import load_catalogue

WIDTHS = (60, 80, 100, 160)
FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
ANSI = re.compile(r"\x1b\[[\d;]*m")


@pytest.fixture(scope="module")
def zone_assessment(tengger):
    return assess(tengger, load_catalogue("plan", region=tengger))


def figures(frame: pd.DataFrame, columns: list[str]) -> set[str]:
    """Every figure the scorecard's cells hold (minutes, shares, counts, limits)."""
    return {f for col in columns for cell in frame[col].astype(str) for f in FIGURE.findall(cell)}


def whole(figure: str, text: str) -> bool:
    """``figure`` appears in ``text`` with no digit glued to either side (21.3 in "21.3分钟", not "1.3" of it)."""
    return re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d]|[.,]\d)", text) is not None


def check_printed(text: str, frame: pd.DataFrame, columns: list[str], width: int) -> None:
    text = ANSI.sub("", text)
    assert "…" not in text
    missing = sorted(f for f in figures(frame, columns) if not whole(f, text))
    assert not missing, (missing, text)
    for line in text.splitlines()[1:]:  # the title line is one paragraph the terminal wraps
        if cell_len(line) > width:
            # Only a line that is a single unbreakable piece may be wider than the terminal.
            assert len(atoms(line.strip())) == 1 or line.startswith(("Sources", "来源", "Unmarked", "未标注")), line


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_figure_prints_whole_at_every_width(zone_assessment, lang, width):
    from coverage.text import words

    _ = words(lang)
    frame = scorecard_frame(zone_assessment, lang=lang)
    text = scorecard_text(zone_assessment, lang=lang, width=width, colour=False)
    table = text.split(headline(zone_assessment, lang=lang))[0]
    check_printed(table, frame, [_("target"), _("worst case")], width)


def test_narrow_terminals_get_one_block_per_standard(zone_assessment):
    text = scorecard_text(zone_assessment, lang="en", width=60, colour=False)
    assert "  worst case: " in text and "  target: " in text
    wide = scorecard_text(zone_assessment, lang="en", width=160, colour=False)
    assert "worst case" in wide.splitlines()[1] and "--wide adds the source wording" in wide


def test_wrap_breaks_between_atoms_only():
    assert wrap("孪井社区第5居住片区：21.3分钟", 10) == ["孪井社区", "第5居住片", "区：", "21.3分钟"]
    assert [a for a, _ in atoms("居民的100% [解读]；x")] == ["居", "民", "的", "100%", "[解读]；", "x"]
    assert [a for a, _ in atoms("Hakaniemi: 26.9 min; <= 15 2019-12-25 (gb50180-15min-community)")] == [
        "Hakaniemi:",
        "26.9 min;",
        "<= 15",
        "2019-12-25",
        "(gb50180-15min-community)",
    ]
    # The check itself: a figure with a digit cut off is not found whole.
    assert whole("21.3", "区：21.3分钟") and not whole("1.3", "区：21.3分钟") and not whole("21", "区：21.3分钟")
    # A piece wider than the line is printed whole on a line of its own, never cut.
    assert wrap("a (16,063/20,000) b", 5) == ["a", "(16,063/20,000)", "b"]


def _run_on_tty(argv: list[str], width: int) -> str:
    """Run the CLI with its stdout on a pseudo-terminal ``width`` columns wide (no COLUMNS in its environment)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coverage.cli", *argv], stdout=follower, stderr=subprocess.DEVNULL, env=env, close_fds=True
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=300) == 0
    os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("lang", "width", "tty"),
    [("zh", 80, True), ("en", 60, False)]
    + [pytest.param(lang, w, tty, marks=pytest.mark.slow) for lang in ("en", "zh") for w in WIDTHS for tty in (True, False)],
)
def test_the_cli_prints_every_exported_figure_whole(tmp_path, zone_assessment, lang, width, tty):
    out = tmp_path / "out"
    argv = ["check", "--lang", lang, "--out", str(out)]
    if tty:
        text = _run_on_tty(argv, width)
    else:
        env = {**os.environ, "COLUMNS": str(width)}
        text = subprocess.run(
            [sys.executable, "-m", "coverage.cli", *argv], capture_output=True, text=True, env=env, timeout=300, check=True
        ).stdout
    frame = pd.read_csv(out / "scorecard.csv", dtype=str, keep_default_na=False)
    table = text.split(headline(zone_assessment, lang=lang))[0]
    check_printed(table, frame, list(frame.columns[[4, 7]]), width)
    assert ("\x1b[" in text) == tty  # colour only on a terminal
