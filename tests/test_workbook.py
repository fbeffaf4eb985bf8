"""``scorecard.xlsx``: the results for a report, in the chosen language, read back with openpyxl."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from coverage.cli._main import main
from coverage.standards._base import MET, NOT_MET

from .test_zh_output import latin_words


@pytest.fixture(scope="module")
def zh_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("wb") / "out"
    assert main(["check", "--lang", "zh", "--no-cache", "--out", str(out)]) == 0
    return out


def test_the_chinese_workbook_has_no_english_header(zh_out):
    book = openpyxl.load_workbook(zh_out / "scorecard.xlsx")
    assert book.sheetnames == ["达标情况", "居民点", "单元", "比例指标", "可达范围内供给", "指标表", "依据"]
    for ws in book:
        header_row = 2 if ws.title == "指标表" else 1  # the indicator table has its title above the header
        headers = [c.value for c in ws[header_row] if c.value]
        assert headers and not latin_words(" ".join(headers)), (ws.title, headers)
        assert ws.freeze_panes == f"A{header_row + 1}"


def test_verdicts_are_coloured_and_numbers_rounded_in_their_format(zh_out):
    book = openpyxl.load_workbook(zh_out / "scorecard.xlsx")
    ws = book["居民点"]
    headers = [c.value for c in ws[1]]
    minutes, verdict = headers.index("分钟") + 1, headers.index("结论") + 1
    rows = list(ws.iter_rows(min_row=2))
    assert all(r[minutes - 1].number_format == "0.0" for r in rows if isinstance(r[minutes - 1].value, float))
    colours = {r[verdict - 1].value: r[verdict - 1].fill.start_color.rgb[-6:] for r in rows}
    assert colours["达标"] == "C6EFCE" and colours["未达标"] == "FFC7CE"
    # The same figures as the machine file, row for row.
    csv = pd.read_csv(zh_out / "settlements_access.csv", encoding="utf-8-sig")
    sheet = pd.DataFrame([[c.value for c in r] for r in rows], columns=headers)
    finite = csv["minutes"].replace([float("inf")], pd.NA).astype(float)
    got = pd.to_numeric(sheet["分钟"], errors="coerce")
    assert (got.isna() == finite.isna()).all() and ((got - finite).abs().fillna(0) < 1e-6).all()
    assert set(csv["verdict"]) <= {MET, NOT_MET, "not tested"}  # the machine file keeps codes


def test_the_workbook_is_byte_identical_for_the_same_results(zh_out, tmp_path):
    again = tmp_path / "again"
    assert main(["check", "--lang", "zh", "--no-cache", "--out", str(again)]) == 0
    assert (again / "scorecard.xlsx").read_bytes() == (zh_out / "scorecard.xlsx").read_bytes()


def test_the_english_workbook_reads_in_english(tmp_path):
    out = tmp_path / "en"
    assert main(["check", "--no-cache", "--out", str(out), "--only", "medical-town-30min,elderly-beds"]) == 0
    book = openpyxl.load_workbook(out / "scorecard.xlsx")
    assert book.sheetnames == ["Scorecard", "Settlements", "Ratios", "Indicators", "Sources"]
    assert [c.value for c in book["Ratios"][1]][:3] == ["standard", "unit", "value"]
