"""Chinese throughout: the catalogue covers every message, compiles to what is committed, and zh outputs read as Chinese."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from coverage.i18n import LOCALE_DIR, extract_messages

PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "coverage.po"
MO = PO.with_suffix(".mo")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def catalogue():
    with PO.open("rb") as f:
        return read_po(f)


def test_every_message_of_the_code_has_a_chinese_translation():
    cat = catalogue()
    translated = {m.id: m.string for m in cat if m.id}
    missing = [mid for mid in extract_messages() if not translated.get(mid)]
    assert missing == [], "run `python -m coverage.i18n update`, translate, then `python -m coverage.i18n`"


def test_translations_keep_the_placeholders():
    for m in catalogue():
        if m.id:
            assert fields(m.id) == fields(m.string), m.id


def test_compiled_catalogue_is_up_to_date(tmp_path):
    """The committed .mo is exactly what Babel compiles from the .po."""
    out = tmp_path / "coverage.mo"
    with out.open("wb") as f:
        write_mo(f, catalogue(), use_fuzzy=False)
    assert out.read_bytes() == MO.read_bytes(), "run `python -m coverage.i18n` to compile the catalogue"


# English allowed in Chinese output: ids (with - _ or digits), file names and paths, units and a few proper names.
ALLOWED_WORDS = {"km", "km2", "min", "WGS84", "OpenStreetMap", "HiGHS", "GB", "GPs", "CN", "xls", "x", "s", "m", "E", "N"}
# Model and method ids of the siting output.
ALLOWED_WORDS |= {"mclp", "lscp", "pmedian", "pcenter", "milp", "greedy", "trivial"}
# The Latin words the glossary allows in Chinese (file formats, names of data and tools).
_GLOSSARY = Path(__file__).parents[1] / "coverage/locale/zh/glossary.toml"
ALLOWED_WORDS |= set(__import__("tomllib").loads(_GLOSSARY.read_text("utf-8"))["latin"])


def _keys() -> set[str]:
    """Facility type keys, class and level keys, profile names: ids, allowed in any language."""
    from coverage.inputs.config import load_facility_types, load_profiles, load_vocabulary
    from coverage.standards._base import FACILITY_FIELDS, SETTLEMENT_FIELDS

    vocab = load_vocabulary()
    from coverage.inputs.osm_rules import load_osm_rules

    fields = {*FACILITY_FIELDS, *SETTLEMENT_FIELDS, "source"}  # column names of the data
    highways = load_osm_rules().known_highways  # OSM tag values
    return {*load_facility_types(), *vocab.class_keys, *vocab.level_keys, *load_profiles(), *fields, *highways}


def english_words(text: str) -> list[str]:
    text = re.sub(r"(?:[\w.\-]*/)+[\w.\-]+", " ", text)  # paths (absolute or relative)
    text = re.sub(r"--[a-z][a-z-]*", " ", text)  # command-line options, typed as they are
    out = []
    for token in re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text):
        token = token.rstrip(".-")
        if re.search(r"[-_0-9]", token) or re.search(r"\.(csv|md|gpkg|html|toml|osm|geojson|svg|pbf|xlsx)$", token):
            continue  # an id, a code or a file name
        if token in ALLOWED_WORDS or token in _keys() or len(token) < 2:
            continue
        out.append(token)
    return out


def test_chinese_scorecard_has_no_english_words(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage.cli",
            "check",
            "--lang",
            "zh",
            "--no-cache",
            "--indicators",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    words = english_words(proc.stdout)
    assert words == [], words[:40]
    assert "镇区" in proc.stdout and "农村牧区" in proc.stdout and "未达标" in proc.stdout and "[解读]" in proc.stdout


def test_chinese_report_and_maps_have_no_english_words(tmp_path):
    out = tmp_path / "maps"
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "map", "--lang", "zh", "--no-cache", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("script", "style", "code")  # code: the command line and file paths

        def handle_endtag(self, tag):
            self.skip -= tag in ("script", "style", "code")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    page = Text()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    words = english_words(" ".join(page.parts))
    assert words == [], words[:40]
    # One map: its title, legend, side panel, popup labels and tooltips - the tool's words. Data values (names,
    # the bundled data's source notes) are the data's own and are not scanned.
    html = (out / "access-medical-pastoral-2h.html").read_text(encoding="utf-8")
    labels = re.findall(r"\\u003cth\\u003e(.*?)\\u003c/th\\u003e", html)
    tooltips = re.findall(r'"_tooltip":"((?:[^"\\]|\\.)*)"', html)
    boxes = re.findall(r"<div class='cp-(?:legend|panel|title)'>(.*?)</div>\n", html, flags=re.S)
    assert labels and tooltips and boxes
    texts = re.sub(r"<[^>]+>", " ", " ".join([*labels, *tooltips, *boxes]))
    assert english_words(texts) == [], english_words(texts)[:40]


@pytest.mark.parametrize("command", [["info"], ["site", "--standard", "medical-pastoral-2h"]])
def test_info_and_site_take_lang(command, tmp_path):
    argv = [sys.executable, "-m", "coverage.cli", *command, "--lang", "zh", "--no-cache"]
    if command[0] == "site":
        argv += ["--out", str(tmp_path)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    words = english_words(proc.stdout)
    assert words == [], words[:40]


def test_package_data_includes_the_catalogue():
    text = Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text(encoding="utf-8")
    assert "locale/*/LC_MESSAGES/*.mo" in text


def test_warnings_are_shown_in_chinese_without_changing_the_record():
    """The CLI's log formatter translates a copy: other handlers (a notebook's, pytest's) still see the English record."""
    import logging

    from coverage.cli._main import _InLanguage

    record = logging.LogRecord(
        "coverage.io",
        logging.WARNING,
        __file__,
        1,
        "the routing cache file %s is damaged (%s); rebuilding it.",
        ("c.npz", "x"),
        None,
    )
    zh = _InLanguage("zh").format(record)
    assert zh == "警告：路径缓存文件 c.npz 已损坏（x）；正在重建。"
    assert record.getMessage() == "the routing cache file c.npz is damaged (x); rebuilding it." and record.levelname == "WARNING"
    assert _InLanguage("en").format(record) == "WARNING: the routing cache file c.npz is damaged (x); rebuilding it."


def test_every_shown_text_is_extracted():
    """A text shown through ``words(lang)("...")`` escapes the extractor (it looks for ``_("...")``): never write it so."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "coverage"
    direct = [
        f"{p.relative_to(package)}:{n}"
        for p in sorted(package.rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"words\([^)]*\)\(\s*[\"']", line)
    ]
    assert not direct, direct


def test_no_message_escapes_the_extractor():
    """A ``Msg``/``Note``/``_`` call given a local name passes a name holding only literals: else its text is never translated."""
    import textwrap

    from coverage.i18n import _message_calls

    blind = [where for where, texts in _message_calls() if texts is None]
    assert not blind, blind
    # The check itself can fail: a message built by an f-string and passed through a name is caught.
    bad = textwrap.dedent(
        """
        def f(n):
            message = f"{n} things"
            return Msg(message)
        def g(n):
            message = "{n} things"
            return Msg(message, n=n)
        """
    )
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "m.py").write_text(bad, encoding="utf-8")
        calls = dict(_message_calls(Path(d)))
    assert calls == {"m.py:4": None, "m.py:7": ["{n} things"]}


GLOSSARY = LOCALE_DIR / "zh" / "glossary.toml"


def test_the_translations_follow_the_glossary():
    """Every message holding a glossary term says it with the term's Chinese; no translation uses a word to avoid."""
    import tomllib

    glossary = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))
    terms = glossary["term"]
    wrong, avoided = [], []
    for m in catalogue():
        if not m.id or not m.string:
            continue
        text = re.sub(r"\{[^}]*\}|'[^']*'|\"[^\"]*\"", " ", m.id)  # placeholders and quoted values are not words
        for term in terms:
            said = [term["zh"], *term.get("also", [])]
            found = re.search(rf"(?<![\w-]){re.escape(term['en'])}(?![\w-])", text, re.IGNORECASE)
            if found and not any(z in m.string for z in said):
                wrong.append((term["en"], m.id, m.string))
            avoided += [(w, m.string) for w in term.get("avoid", []) if w in m.string]
        avoided += [(w, m.string) for w in glossary["avoid"] if w in m.string]
    assert not wrong, wrong[:10]
    assert not avoided, avoided[:10]
