"""Static figures (PNG, SVG) beside every map: drawn, not blank, the legend's words in the SVG, the same bytes twice."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from coverage.cli._main import main
from coverage.outputs.figures import cjk_font


def _run(*argv) -> int:
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return int(exc.code)


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    assert cjk_font() is not None, "a CJK font (fonts-wqy-zenhei) is needed; .ci/run installs it"
    out = {}
    for lang in ("en", "zh"):
        out[lang] = tmp_path_factory.mktemp(lang)
        assert _run("map", "--lang", lang, "--figures", "all", "--out", out[lang]) == 0
    return out


def test_every_map_has_a_png_and_an_svg_and_the_report_links_them(maps):
    for lang, folder in maps.items():
        pages = sorted(p.stem for p in folder.glob("*.html") if p.name != "index.html")
        index = (folder / "index.html").read_text(encoding="utf-8")
        for stem in pages:
            if stem in ("presence", "ratio"):  # radio maps of many standards: a figure per standard not met instead
                continue
            for ext in ("png", "svg"):
                assert (folder / f"{stem}.{ext}").exists(), (lang, stem, ext)
                assert f"href='{stem}.{ext}'" in index, (lang, stem, ext)
        assert list(folder.glob("presence-*.svg")), lang  # the plan has unit standards not met


def test_a_figure_is_not_blank(maps):
    for png in maps["en"].glob("*.png"):
        pixels = np.asarray(Image.open(png).convert("RGB"), float)
        assert pixels.std() > 5.0, png  # more than a flat page
        assert (pixels.sum(axis=2) < 200).mean() > 0.001, png  # dark ink: outlines, text


def test_the_svg_holds_the_legend_title_scale_and_source_as_text(maps):
    en = (maps["en"] / "access-medical-pastoral-2h.svg").read_text(encoding="utf-8")
    for word in ("within the limit", "unreachable", "service area 120 min", "Source:", " km", "village clinic"):
        assert word in en, word
    zh = (maps["zh"] / "access-medical-pastoral-2h.svg").read_text(encoding="utf-8")
    for word in ("不可达", "服务范围", "依据", "公里", "北"):
        assert word in zh, word
    assert "WenQuanYi" in zh or "Noto Sans CJK" in zh or "Source Han" in zh  # a font that holds the words


def test_figures_are_the_same_bytes_twice(maps, tmp_path):
    assert _run("map", "--lang", "en", "--figures", "all", "--out", tmp_path / "again") == 0
    for f in maps["en"].glob("*.[ps][nv]g"):
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes(), f.name


def test_figures_none_writes_no_figure_and_maps_leaves_out_the_unit_standards(tmp_path):
    assert _run("map", "--figures", "none", "--out", tmp_path / "none") == 0
    assert not list((tmp_path / "none").glob("*.png")) and not list((tmp_path / "none").glob("*.svg"))
    index = (tmp_path / "none" / "index.html").read_text(encoding="utf-8")
    assert ".png'" not in index and "lorenz.svg" not in index
    assert _run("map", "--out", tmp_path / "maps") == 0
    names = {p.name for p in (tmp_path / "maps").glob("*.svg")}
    assert "overview.svg" in names and "lorenz.svg" in names and not any(n.startswith("presence-") for n in names)
