"""Every map of an assessment and the report, written into a folder."""

from __future__ import annotations

import re
from pathlib import Path

from ...standards.assessment import Assessment
from ...standards.kinds import kind_names, kind_of, kinds
from ...writing import atomic_write_text
from ._leaflet import save_map
from .access import access_map
from .overview import overview_map
from .units import unit_map

__all__ = ["map_file_names", "write_report_and_maps"]


def map_file_names(assessment: Assessment) -> dict[str, str]:
    """Stable file names: ``access-<id>.html``, ``overview.html``, ``presence.html``, ``ratio.html``."""
    names = {"overview": "overview.html"}
    for r in assessment.results:
        kind = kind_of(r.standard)
        if kind.map_family == "gap":
            names[r.standard.id] = f"{kind.name}-{re.sub(r'[^A-Za-z0-9_.-]', '_', r.standard.id)}.html"
    for kind in kinds():
        if kind.map_family == "units" and any(kind_of(r.standard) is kind for r in assessment.results):
            names[kind.name] = f"{kind.name}.html"
    return names


def write_report_and_maps(
    assessment: Assessment,
    out_dir: Path,
    *,
    tiles: str | None = None,
    cdn: bool = False,
    command: str = "",
    generated: str = "",
    lang: str = "en",
    scenario=None,
    figures: str = "maps",
) -> list[str]:
    """Write every map and ``index.html`` into ``out_dir``; returns the file names written."""
    from ..figures import write_figures
    from ..html_report import report_html

    names = map_file_names(assessment)
    for key, fname in names.items():
        if key == "overview":
            m = overview_map(assessment, lang=lang, tiles=tiles, cdn=cdn)
        elif key in kind_names():
            m = unit_map(assessment, key, lang=lang, tiles=tiles, cdn=cdn)
        else:
            m = access_map(assessment, key, lang=lang, tiles=tiles, cdn=cdn)
        save_map(m, Path(out_dir) / fname)
    figures = write_figures(assessment, Path(out_dir), names, lang=lang, generated=generated, which=figures)
    page = report_html(
        assessment, maps=names, figures=figures, command=command, generated=generated, lang=lang, scenario=scenario
    )
    atomic_write_text(Path(out_dir) / "index.html", page)
    return [*names.values(), *figures, "index.html"]
