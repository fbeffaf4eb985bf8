"""The plan's catalogue against the plan itself: verbatim quotes, a basis for every threshold, all 31 items accounted for.

The plan's text is read from ``../shared/seed/`` (the project's shared folder, beside
the checkout). The test is skipped only when that folder is absent; CI sets
SERVICE_COVERAGE_REQUIRE_PLAN=1, which turns the skip into a failure.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from coverage.standards._base import BASES
from coverage.standards.catalogue import load_catalogue

SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"
RAW = tomllib.loads(resources.files("coverage").joinpath("data", "regions", "tengger", "plan.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plan_text() -> str:
    files = sorted(SEED.glob("*.txt")) if SEED.is_dir() else []
    if not files:
        if os.environ.get("SERVICE_COVERAGE_REQUIRE_PLAN"):
            pytest.fail(f"the plan's text is required here (SERVICE_COVERAGE_REQUIRE_PLAN is set) but {SEED} has none")
        pytest.skip(f"the plan's text is not here ({SEED}); CI runs this test")
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


@pytest.mark.parametrize("entry", RAW["standard"] + RAW["not_testable"], ids=lambda e: e["id"])
def test_every_quote_is_the_plans_own_words(plan_text, entry):
    assert entry["wording"] in plan_text, f"{entry['id']}: not an excerpt of the plan: {entry['wording']}"


@pytest.mark.parametrize("entry", RAW["standard"] + RAW["not_testable"], ids=lambda e: e["id"])
def test_every_section_is_the_plans(plan_text, entry):
    """The section named exists in the plan, and the quote lies in it (between its heading and the next)."""
    import re

    section = entry["section"].split(";")[0].split(" ")[0]
    chapter = section.partition("(")[0]
    start = plan_text.rfind(f"\n{chapter}、")  # the chapter heading in the body (the last one: after the contents)
    assert start >= 0, f"{entry['id']}: no chapter {chapter} in the plan"
    if entry["id"] == "doctor-density" or chapter == "二":
        return  # the indicator table of 二(三)
    end = re.search(r"\n[一二三四五六七八九十]+、", plan_text[start + 2 :])
    body = plan_text[start : start + 2 + (end.start() if end else len(plan_text))]
    assert entry["wording"] in body, f"{entry['id']}: the quote is not in chapter {chapter}"


def test_every_threshold_has_a_basis_and_readings_are_argued():
    cat = load_catalogue()
    for std in cat.standards:
        for threshold in std.thresholds:
            assert std.basis_of(threshold) in BASES, (std.id, threshold)
        if std.has_reading:
            assert len(std.reading) > 40 and std.reading_zh, std.id
    # The old misreadings are fixed: referral hospitals do not count by default, and town-level
    # requirements count only the town's own facilities.
    for sid in ("medical-town-30min", "medical-pastoral-2h"):
        assert cat.get(sid).count_outside_region is False
    assert cat.get("sports-per-town").count_in_classes == ("town",)
    assert cat.get("elderly-coverage-town").basis_of("max_minutes") == "reading"


def test_every_item_of_the_plan_is_accounted_for():
    """The plan's spatial or quantitative items: each encoded (a data field where a share needs one) or listed with why."""
    cat = load_catalogue()
    encoded = {s.id for s in cat.standards}
    listed = {n.id for n in cat.not_testable}
    items = {
        **dict.fromkeys(
            [
                "medical-town-30min", "medical-pastoral-2h", "fitness-town-10min", "health-centre-per-town",
                "clinic-per-gacha", "sports-zone", "sports-per-town", "sports-per-gacha", "sports-station-per-gacha",
                "sports-organisation-per-town", "culture-zone", "culture-per-town", "culture-per-gacha",
                "reading-centre-per-town", "village-broadcast-per-gacha", "elderly-per-town", "elderly-per-gacha",
                "elderly-culture-per-town", "elderly-coverage-town", "elderly-coverage-pastoral", "elderly-beds",
                "nursing-bed-share", "five-guarantee-per-town", "social-assistance-per-town", "gp-density",
                "doctor-density", "medical-standardisation", "preschool-enrolment", "inclusive-kindergarten-share",
                "employment-per-town", "employment-per-gacha", "disability-per-town", "disability-per-gacha",
                "relief-store-zone", "cemetery-zone", "rehab-coverage", "assistive-devices", "rural-toilets",
                "elderly-beds-within-reach", "doctors-within-reach",
            ],
            encoded,
        ),
        **dict.fromkeys(["film-per-village", "fitness-area-new-estates", "kindergarten-rebuild", "disaster-plans"], listed),
    }  # fmt: skip
    missing = [k for k, where in items.items() if k not in where]
    assert missing == []
    assert encoded | listed == set(items)  # nothing encoded that this list does not name
    assert all(n.why and n.why_zh for n in cat.not_testable)
    assert len(cat.contradictions) == 4 and len(cat.contradictions_zh) == 4
    # The plan's conditions are kept: a health centre counts only when built to standard.
    (req,) = cat.get("health-centre-per-town").requirements
    assert req.where == (("standardised", 1.0),)
    assert cat.get("nursing-bed-share").denominator.facility_types == ("elderly_home",)


def test_the_indicator_table_is_complete_and_verbatim(plan_text):
    """Every row of 二(三) in the plan's order, its name as printed, its figures as printed and in the table's order."""
    start = plan_text.index("主要指標表")
    table_text = plan_text[start : plan_text.index("三、基本公共服務制度", start)]
    lines = [line.strip() for line in table_text.splitlines() if line.strip()]
    rows = RAW["indicator"]
    assert len(rows) == 25
    at = 0
    for row in rows:
        at = lines.index(row["name_zh"], at)  # in the plan's order, the name exactly as printed
        figures = [v for v in row["values"] if v] + ([row["target"]] if row["target"] else []) + row.get("printed", [])
        following = lines[at + 1 : at + 1 + len(figures)]
        assert following == figures, (row["name_zh"], following, figures)
    for note in RAW["catalogue"]["indicator_notes"]:
        assert note.split("、", 1)[1] in plan_text.replace("\n", "")


def test_displayed_quotes_are_the_catalogues_in_simplified_characters(tengger):
    """The scorecard shows each quote converted to simplified characters, and only converted: the same text otherwise."""
    from coverage.outputs.report import scorecard_frame
    from coverage.standards.assessment import assess
    from coverage.text import simplified

    cat = load_catalogue("plan", region=tengger)
    card = scorecard_frame(assess(tengger, cat), lang="zh").set_index("编号")
    for std in cat.standards:
        shown = card.loc[std.id, "规划原文"]
        assert shown == simplified(std.wording) and len(shown) == len(std.wording)
        # Only traditional characters changed, each to a simplified one; nothing else.
        changed = [(a, b) for a, b in zip(std.wording, shown, strict=True) if a != b]
        assert all(simplified(a) != a for a, _b in changed), (std.id, changed)
        assert simplified(shown) == shown  # no traditional character left
    assert card.loc["medical-town-30min", "规划原文"] == "打造30分钟镇区、2小时农村牧区医疗服务圈"


def test_the_readme_lists_every_item_of_the_bundled_catalogues():
    """Each standard and each not-testable item of plan, gb50180 and tdt1062 has its row in the README, with its kind."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in readme.splitlines() if line.startswith("| `")}
    cat = load_catalogue("plan")
    for std in cat.standards:
        assert rows.get(f"`{std.id}`") == std.kind, std.id
    for item in cat.not_testable:
        assert rows.get(f"`{item.id}`") == "not testable", item.id
    for name in ("gb50180", "tdt1062"):
        national = load_catalogue(name)
        for std in national.standards:
            assert rows.get(f"`{std.id}`") == std.kind, std.id
        for item in national.not_testable:
            assert any(f"`{item.id}`" in key for key in rows), item.id
