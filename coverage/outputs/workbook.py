"""``scorecard.xlsx``: the results as a planner pastes them into a report, in the chosen language.

One sheet per part: the scorecard, one per kind of result (settlements, units, ratios: the
kinds declare their sheet and columns), the indicator table where the catalogue has one,
and the sources.  Headers are words, verdicts are words with Excel's own colours, numbers
are rounded in the cell's format (minutes to 0.1, shares to whole percent, people whole)
with the unit in the header; headers are frozen and columns sized to their text.

The CSV and GeoPackage files beside it are for machines (English column names, codes);
this file is for people.  Written through openpyxl, then re-zipped with fixed timestamps:
the same results give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from ..i18n import translate
from ..standards._base import MET, NOT_MET, NOT_TESTED, verdict_word
from ..standards.assessment import Assessment
from ..standards.kinds import kinds
from ..text import display_name, simplified, words
from ..writing import atomic_write_bytes
from ._results import result_table
from .report import estimated_note, people_card, region_title, travel_line

__all__ = ["scorecard_workbook", "write_workbook"]

#: Excel's own fills for good, bad and neutral cells.
FILLS = {MET: "C6EFCE", NOT_MET: "FFC7CE", NOT_TESTED: "FFEB9C"}
MAX_WIDTH = 60


def _people_rows(assessment: Assessment, kind, lang: str) -> pd.DataFrame | None:
    """One kind's rows for people: the standard's title, the kind's columns in words, the verdict in words."""
    _ = words(lang)
    table = result_table(assessment, kind, lang=lang)
    if not len(table) or not kind.people:
        return None
    region = assessment.region
    standards = {r.standard.id: r.standard for r in assessment.results}
    derived = {  # the columns a kind may ask for that the exported rows hold as codes
        "name": lambda: [display_name(row, lang, "") for row in table.to_dict("records")],
        "class_name": lambda: [region.vocabulary.klass(c).name(lang) for c in table["class"]],
        "level_name": lambda: [region.vocabulary.level(lv).name(lang) for lv in table["level"]],
        "unit_words": lambda: [standards[s].unit(lang) for s in table["standard"]],
    }
    out = {_("standard"): [standards[s].title(lang) for s in table["standard"]]}
    for column, header, _fmt in kind.people:
        out[translate(header, lang)] = list(derived[column]() if column in derived else table[column])
    out[_("verdict")] = [verdict_word(v, lang) for v in table["verdict"]]
    return pd.DataFrame(out)


def scorecard_workbook(assessment: Assessment, *, lang: str = "en"):
    """The workbook (an ``openpyxl.Workbook``): scorecard, results by kind, indicators, sources."""
    from openpyxl import Workbook

    _ = words(lang)
    book = Workbook()
    book.remove(book.active)
    card = people_card(assessment, lang)
    _sheet(book, _("Scorecard"), card, {}, verdicts=[r.verdict for r in assessment.results], lang=lang)
    for kind in kinds():
        frame = _people_rows(assessment, kind, lang)
        if frame is not None:
            formats = {translate(h, lang): f for _c, h, f in kind.people}
            codes = result_table(assessment, kind, lang=lang)["verdict"].tolist()
            _sheet(book, translate(kind.sheet, lang), frame, formats, verdicts=codes, lang=lang)
    for k, (title, table) in enumerate(_indicators(assessment, lang)):
        _sheet(book, _("Indicators") + (f" {k + 1}" if k else ""), table, {}, verdicts=None, lang=lang, title=title)
    _sheet(book, _("Sources"), _sources(assessment, lang), {}, verdicts=None, lang=lang)
    return book


def _indicators(assessment: Assessment, lang: str) -> list:
    from .summary import indicator_tables

    return indicator_tables(assessment, lang=lang)


def _sources(assessment: Assessment, lang: str) -> pd.DataFrame:
    """Where every figure comes from: the region, the catalogue, the readings, the contradictions, the estimates."""
    _ = words(lang)
    cat, region = assessment.catalogue, assessment.region
    rows = [
        (_("region"), region_title(region, lang)),
        (_("standards"), cat.name_zh if lang == "zh" else cat.name_en),
        (_("source"), simplified(cat.source_text(lang))),
        (_("travel"), travel_line(assessment, lang=lang)),
        (_("estimated inputs"), estimated_note(region, lang)),
    ]
    rows += [(r.standard.title(lang), r.standard.reading_text(lang)) for r in assessment.results if r.standard.reading]
    rows += [(r.standard.title(lang), r.standard.note_text(lang)) for r in assessment.results if r.standard.note]
    rows += [(_("contradiction"), text) for text in cat.contradiction_texts(lang)]
    rows += [(n.title(lang), f"{simplified(n.wording)} ({n.section}): {n.why_text(lang)}") for n in cat.not_testable]
    return pd.DataFrame(rows, columns=[_("item"), _("text")])


def _sheet(book, name: str, frame: pd.DataFrame, formats: dict, *, verdicts, lang: str, title: str = "") -> None:
    """One sheet: an optional title row, a bold frozen header, rows with number formats and verdict colours."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(name[:31])
    start = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True)
        start = 2
    for j, header in enumerate(frame.columns, start=1):
        cell = ws.cell(row=start, column=j, value=str(header))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    for i, row in enumerate(frame.itertuples(index=False), start=start + 1):
        for j, (header, value) in enumerate(zip(frame.columns, row, strict=True), start=1):
            cell = ws.cell(row=i, column=j, value=_cell_value(value))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if header in formats and formats[header] != "@" and isinstance(cell.value, float | int):
                cell.number_format = formats[header]
        if verdicts is not None:
            fill = FILLS.get(verdicts[i - start - 1])
            if fill:
                ws.cell(row=i, column=len(frame.columns)).fill = PatternFill("solid", start_color=fill, end_color=fill)
    for j, header in enumerate(frame.columns, start=1):
        width = max([_width(header), *(_width(v) for v in frame.iloc[:, j - 1])], default=8)
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, MAX_WIDTH)


def _cell_value(value):
    """A value as Excel holds it: numbers as numbers (no -0.0, no NaN), everything else as text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if pd.isna(value) or value in (float("inf"), float("-inf")):
            return "∞" if value == float("inf") else ""
        return float(value) + 0.0 if isinstance(value, float) else value
    return "" if value is None else str(value)


def _width(value) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in str(value).splitlines()), default=0)


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every member dated 1980-01-01: identical results, identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            target.writestr(fixed, data)
    return out.getvalue()


def write_workbook(assessment: Assessment, path: Path | str, *, lang: str = "en") -> None:
    """Write ``scorecard.xlsx`` (atomically; byte-identical for identical results)."""
    import datetime as dt

    book = scorecard_workbook(assessment, lang=lang)
    fixed = dt.datetime(2000, 1, 1)
    book.properties.created = book.properties.modified = fixed
    book.properties.creator = "coverage-plan"
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write_bytes(path, _fixed_zip(buffer.getvalue()))
