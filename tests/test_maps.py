"""Gap maps and report: HTML content, escaping, determinism, and a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from coverage.cli._main import main
from coverage.outputs.areas import BAND_FACTORS, area_of
from coverage.outputs.maps._index import map_file_names, write_report_and_maps
from coverage.outputs.maps._leaflet import render_html
from coverage.outputs.maps.access import access_map
from coverage.outputs.maps.overview import overview_map
from coverage.outputs.maps.units import unit_map
from coverage.standards.assessment import assess
from coverage.standards.catalogue import load_catalogue

HOSTILE = "<img src=x onerror=alert(1)>\"'&\n\u202eRTL 🐪"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
ASSET_LINK = re.compile(r"<(?:script|link|img)[^>]+(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def catalogue(region):
    return load_catalogue(region=region)


@pytest.fixture(scope="module")
def assessment(tengger):
    return assess(tengger, catalogue(tengger))


@pytest.fixture(scope="module")
def hostile_assessment(tengger):
    s = tengger.settlements.copy()
    sid = "152921115200"  # Chalageri: fails the 2-hour standard, so it is listed in the side panel
    s.loc[sid, "name_zh"] = HOSTILE
    s.loc[sid, "name_en"] = HOSTILE
    f = tengger.facilities.copy()
    f.loc["H02", "name_zh"] = "</script><script>alert(2)</script>"
    return assess(tengger.with_layers(settlements=s, facilities=f), catalogue(tengger))


def test_access_map_layers_legend_and_offline(assessment):
    html = render_html(access_map(assessment, "medical-pastoral-2h"))
    # Layer names reach the layer control as JSON strings.
    for layer in ("boundaries", "roads", "service area 120 min", "facilities", "settlements"):
        assert f'"{layer}"' in html, layer
    assert "cp-legend" in html and "Dashed outline = estimated location" in html and "schematic" in html
    assert "Settlements not meeting the standard" in html and "Chalageri Gacha" in html
    assert "no road within 30 km; " in html and " km off road at 15 km/h takes " in html  # the reason, in plain words
    assert not ASSET_LINK.search(html), ASSET_LINK.search(html)
    assert 'L.Icon.Default.prototype.options.iconUrl="data:image/png;base64,' in html
    assert "Minutes (limit 120)" in html and "Nearest facility" in html
    assert "imperial: false" in html and "cpSpread(" in html


def test_maps_in_chinese_have_no_english_layer_names(assessment):
    html = render_html(access_map(assessment, "medical-pastoral-2h", lang="zh"))
    for layer in ("边界", "道路", "120分钟服务范围", "设施", "居民点"):
        assert json.dumps(layer) in html, layer  # the layer control writes names as JSON
    assert "未达标居民点" in html and "查拉格日嘎查" in html and "分钟（时限120）" in html
    for english in ('"boundaries"', '"settlements"', "Settlements not meeting", "Minutes (limit"):
        assert english not in html


def test_cdn_option_keeps_folium_links(assessment):
    html = render_html(access_map(assessment, "medical-town-30min", cdn=True))
    assert ASSET_LINK.search(html)


def test_render_is_deterministic(assessment):
    a = render_html(overview_map(assessment))
    b = render_html(overview_map(assessment))
    assert a == b
    assert not re.search(r"_(?=[0-9a-f]*[a-f])[0-9a-f]{32}(?![0-9a-f])", a)  # no random folium ids left


def test_hostile_strings_are_escaped(hostile_assessment):
    html = render_html(access_map(hostile_assessment, "medical-pastoral-2h"))
    assert "<img src=x" not in html and "</script><script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the side panel: escaped text
    html2 = render_html(unit_map(hostile_assessment, "presence"))
    assert "<img src=x" not in html2


def test_write_report_and_maps(tmp_path, assessment):
    written = write_report_and_maps(assessment, tmp_path, command="coverage-plan map", generated="2026-01-01")
    pages = set(map_file_names(assessment).values())
    figures = {f"{p[:-5]}.{ext}" for p in pages if p not in ("presence.html", "ratio.html") for ext in ("png", "svg")}
    figures |= {"lorenz.png", "lorenz.svg"}
    assert set(written) - {n for n in written if n.startswith(("presence-", "ratio-"))} == pages | figures | {"index.html"}
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Generated 2026-01-01 by <code>coverage-plan map</code>" in index
    assert "access-medical-pastoral-2h.html" in index and "off-road km/h" in index and "estimated" in index
    assert "Readings of the text" in index and "Items of the text that spatial data cannot test" in index
    assert "film-per-village" in index and "Where the text contradicts itself" in index
    assert not ASSET_LINK.search(index)


def test_map_cli_writes_and_never_deletes_foreign_files(tmp_path, capsys):
    out = tmp_path / "maps"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["map", "--out", str(out), "--no-cache"]) == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "index.html").exists() and (out / "overview.html").exists()
    assert not list(out.glob(".staging-*"))


def test_map_cli_rejects_gcj02_tiles(capsys, tmp_path):
    assert main(["map", "--tiles", "amap", "--out", str(tmp_path / "never"), "--no-cache"]) == 2
    assert "GCJ-02" in capsys.readouterr().err
    assert not (tmp_path / "never" / "index.html").exists()


# --- a real browser ----------------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        if os.environ.get("SERVICE_COVERAGE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (SERVICE_COVERAGE_REQUIRE_BROWSER is set) but was not found.")
        pytest.skip("no Chromium on this machine: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=exe,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def open_offline(browser, path: Path, size: tuple[int, int] = (1400, 900)):
    """Load a file with every non-file request blocked; collect failures, errors and dialogs."""
    ctx = browser.new_context(offline=True, viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    seen = {"failed": [], "errors": [], "dialogs": [], "external": []}

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            seen["external"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))

    def on_dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.as_uri())
    page.wait_for_timeout(300)
    return ctx, page, seen


@pytest.mark.slow
@pytest.mark.browser
def test_every_map_renders_offline_in_chromium(browser, assessment, tmp_path):
    write_report_and_maps(assessment, tmp_path, command="test", generated="test")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    region = assessment.region
    n_units = 1 + len(region.units)
    n_road = len({(h, s) for h, s in zip(region.network.highway, region.network.schematic, strict=True)})
    for key, fname in map_file_names(assessment).items():
        ctx, page, seen = open_offline(browser, tmp_path / fname)
        assert seen["external"] == [] and seen["failed"] == [] and seen["errors"] == [], (fname, seen)
        paths = page.locator("path.leaflet-interactive").count()
        markers = page.locator(".leaflet-marker-icon").count()
        if key in ("presence", "ratio", "overview"):
            assert paths >= n_units + n_road, fname
        else:
            r = assessment.result(key)
            std = r.standard
            f = region.facilities
            n_fac = int((f["facility_type"].isin(std.facility_types) & (f["in_region"] | std.count_outside_region)).sum())
            assert markers == n_fac, fname
            areas = area_of(assessment, std)
            shown = sum(
                1 for f, b, p in zip(BAND_FACTORS, areas.bands_min, areas.polygons, strict=True) if f <= 1 and not p.is_empty
            )
            assert paths == n_units + n_road + shown + len(r.detail), fname  # + the service areas shown at first
        assert_legend_clear_of_scale(page, fname)
        page.screenshot(path=str(SCREENSHOTS / fname.replace(".html", ".png")))
        ctx.close()
    ctx, page, seen = open_offline(browser, tmp_path / "index.html")
    assert seen["errors"] == [] and seen["external"] == []
    assert page.locator("table.card tbody tr").count() == len(assessment.results)
    ctx.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("size", [(1400, 900), (1024, 768)])
def test_panels_clear_of_each_other_and_the_failing_list_moves_the_map(browser, assessment, tmp_path, size):
    write_report_and_maps(assessment, tmp_path, command="test", generated="test")
    for fname in ("access-fitness-town-10min.html", "presence.html"):
        ctx, page, seen = open_offline(browser, tmp_path / fname, size)
        assert seen["errors"] == [], seen
        boxes = {
            sel: page.locator(sel).bounding_box()
            for sel in (".cp-title", ".cp-legend", ".cp-panel", ".leaflet-control-layers")
            if page.locator(sel).count()
        }
        names = sorted(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not boxes_overlap(boxes[a], boxes[b]), (fname, size, a, b)
        if fname.startswith("access"):
            # The layer list is folded; opening it lists every layer the legend speaks of (bands, facilities, settlements).
            page.locator(".leaflet-control-layers").hover()
            listed = page.locator(".leaflet-control-layers-list").inner_text()
            assert "service area 10 min" in listed and "settlements" in listed and "facilities" in listed
            page.mouse.move(5, size[1] // 2)
            # A click on a failing settlement moves the map to it, close enough for the names to show.
            item = page.locator(".cp-panel li[data-lat]").first
            lat, lon = float(item.get_attribute("data-lat")), float(item.get_attribute("data-lon"))
            item.click()
            page.wait_for_timeout(400)
            centre = page.evaluate(
                "(() => { for (const k in window) { if (k.startsWith('map_') && window[k].getCenter) "
                "{ const c = window[k].getCenter(); return [c.lat, c.lng, window[k].getZoom()]; } } })()"
            )
            assert abs(centre[0] - lat) < 1e-3 and abs(centre[1] - lon) < 1e-3 and centre[2] >= 13, centre
            assert page.locator(".cp-label").count() >= 1 and page.locator(".cp-label").first.is_visible()
        ctx.close()


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def assert_legend_clear_of_scale(page, name: str) -> None:
    """The legend and the (metric) scale bar never overlap, at the opening zoom and zoomed in and out."""
    scale = page.locator(".leaflet-control-scale")
    assert scale.count() == 1 and page.locator(".leaflet-control-scale-line").count() == 1, name  # metric only
    assert "mi" not in scale.inner_text().split(), name
    for zoom in (0, 2, -2):
        if zoom:
            page.evaluate(
                f"(() => {{ for (const k in window) {{ if (k.startsWith('map_') && window[k].setZoom) "
                f"window[k].setZoom(window[k].getZoom() + {zoom}, {{animate: false}}); }} }})()"
            )
            page.wait_for_timeout(150)
        legend = page.locator(".cp-legend").bounding_box()
        bar = scale.bounding_box()
        assert legend and bar and not boxes_overlap(legend, bar), (name, zoom, legend, bar)


@pytest.mark.slow
@pytest.mark.browser
def test_site_map_and_chinese_report_in_chromium(browser, tmp_path, tengger):
    """The site map: proposed stars, a before/after switch that repaints the settlements; the Chinese report."""
    from coverage.outputs.maps._leaflet import save_map
    from coverage.outputs.maps.siting import siting_map
    from coverage.siting.planning import SitingRequest, proposed_facilities, site_for_standards

    cat = catalogue(tengger)
    before = assess(tengger, cat.select(["medical-pastoral-2h"]))
    plan = site_for_standards(tengger, cat, SitingRequest(("medical-pastoral-2h",), k=2), assessment=before)
    after = assess(
        tengger.with_layers(facilities=proposed_facilities(tengger, plan, "health_centre")), cat.select(["medical-pastoral-2h"])
    )
    path = tmp_path / "site.html"
    save_map(siting_map(before, after, plan, "medical-pastoral-2h", lang="zh"), path)
    ctx, page, seen = open_offline(browser, path)
    assert seen["errors"] == [] and seen["external"] == []
    assert page.locator(".cp-new").count() == len(plan.sites) == 2
    assert_legend_clear_of_scale(page, "site.html")
    radios = page.locator(".leaflet-control-layers-base input[type=radio]")
    assert radios.count() == 2
    fills_after = page.eval_on_selector_all("path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))")
    page.locator(".leaflet-control-layers-base label", has_text="现状居民点").click()
    page.wait_for_timeout(200)
    fills_before = page.eval_on_selector_all("path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))")
    assert fills_before != fills_after  # the settlements are repainted as they are today
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "site-map-zh.png"))
    ctx.close()
    out = tmp_path / "zh"
    out.mkdir()
    write_report_and_maps(assess(tengger, cat), out, command="coverage-plan map --lang zh", generated="2026-01-01", lang="zh")
    ctx, page, seen = open_offline(browser, out / "index.html")
    assert seen["errors"] == [] and seen["external"] == []
    cell = page.locator("td.verdict", has_text="未达标").first
    lines = cell.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"
    )
    assert lines == 1  # 未达标 on one line, not stacked one character per line
    page.screenshot(path=str(SCREENSHOTS / "report-zh.png"), full_page=True)
    ctx.close()


@pytest.mark.browser
def test_hostile_names_show_as_text_in_chromium(browser, hostile_assessment, tmp_path):
    from coverage.outputs.maps._leaflet import save_map

    path = tmp_path / "hostile.html"
    save_map(access_map(hostile_assessment, "medical-pastoral-2h"), path)
    ctx, page, seen = open_offline(browser, path)
    # Open every popup and tooltip: nothing may execute.
    for el in page.locator("path.leaflet-interactive, .leaflet-marker-icon").all():
        el.dispatch_event("click")
        el.dispatch_event("mouseover")
    page.wait_for_timeout(200)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert "<img src=x onerror=alert(1)>" in page.locator(".cp-panel").inner_text()
    ctx.close()


@pytest.mark.browser
def test_default_leaflet_marker_image_resolves_offline(browser, assessment, tmp_path):
    """Leaflet's own marker (its images inlined as data URIs) still shows when Leaflet is inlined."""
    import folium

    from coverage.outputs.maps._layers import base_map
    from coverage.outputs.maps._leaflet import save_map

    m = base_map(assessment, title="marker")
    folium.Marker([37.89, 105.39]).add_to(m)
    path = tmp_path / "marker.html"
    save_map(m, path)
    ctx, page, seen = open_offline(browser, path)
    icon = page.locator("img.leaflet-marker-icon")
    assert icon.count() == 1 and seen["failed"] == [] and seen["errors"] == []
    assert icon.evaluate("img => img.complete && img.naturalWidth") == 25
    assert icon.get_attribute("src").startswith("data:image/png;base64,")
    ctx.close()
