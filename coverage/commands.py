"""The CLI's commands: each one loads, computes with the public functions, prints and writes.

Kept apart from :mod:`coverage.cli` so that ``--help`` stays fast (no geopandas import).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import shlex
import sys
from pathlib import Path

from tqdm import tqdm

from . import io
from .assess import Assessment, assess, group_summary
from .cli import _load
from .report import access_table, indicator_table, scorecard_markdown, scorecard_text, table_text, unit_table
from .standards import load_catalogue

__all__ = ["cmd_check", "cmd_map", "cmd_site", "write_check_outputs"]


def _progress(desc: str):
    # A bar on a terminal; nothing when output is piped, in CI or in tests.
    def wrap(items):
        return tqdm(items, desc=desc, leave=False, disable=None, file=sys.stderr)

    return wrap


def command_line() -> str:
    """The command as typed (for reports: every figure traces back to how it was made)."""
    return "coverage-plan " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _region_and_assessment(args: argparse.Namespace) -> Assessment:
    region = _load(args)
    if getattr(args, "scenario", None):
        from .scenario import apply_scenario, load_scenario

        region = apply_scenario(region, load_scenario(args.scenario, region=region))
    catalogue = load_catalogue(args.standards, facility_types=region.facility_types, profiles=region.profiles)
    catalogue = catalogue.select([i.strip() for i in args.only.split(",")] if args.only else None)
    return assess(region, catalogue, progress=_progress("standards"))


def write_check_outputs(assessment: Assessment, stage: Path, *, lang: str = "en") -> list[str]:
    """Write the scorecard and per-settlement / per-unit results into a folder; returns file names."""
    access = access_table(assessment)
    presence = unit_table(assessment, "presence")
    ratio = unit_table(assessment, "ratio")
    io.write_csv(stage / "scorecard.csv", assessment.scorecard(lang))
    io.atomic_write_text(stage / "scorecard.md", scorecard_markdown(assessment, lang=lang))
    io.write_csv(stage / "settlements_access.csv", access)
    io.write_csv(stage / "units_presence.csv", presence)
    io.write_csv(stage / "units_ratio.csv", ratio)
    io.write_csv(stage / "summary_by_group.csv", group_summary(assessment))
    io.write_gpkg(stage / "results.gpkg", {"access": access, "presence": presence, "ratio": ratio})
    return ["scorecard.csv", "scorecard.md", "settlements_access.csv", "units_presence.csv", "units_ratio.csv",
            "summary_by_group.csv", "results.gpkg"]


def cmd_check(args: argparse.Namespace) -> int:
    """Run every standard, print the scorecard, write exports and maps if asked."""
    assessment = _region_and_assessment(args)
    print(scorecard_text(assessment, lang=args.lang))
    if args.indicators:
        print()
        print(table_text(indicator_table(assessment.region, lang=args.lang)))
    out = args.out or (Path("maps") if args.maps else None)
    if out is not None:
        with io.atomic_output(out) as stage:
            written = write_check_outputs(assessment, stage, lang=args.lang)
            if args.maps:
                written += _write_maps(assessment, stage, args)
        print(f"\nWrote {len(written)} files to {out}/: {', '.join(written)}")
    return 1 if args.fail_on_gap and assessment.failing else 0


def _write_maps(assessment: Assessment, stage: Path, args: argparse.Namespace) -> list[str]:
    from .maps import write_report_and_maps

    return write_report_and_maps(assessment, stage, tiles=args.tiles, cdn=args.cdn, command=command_line(),
                                 generated=_dt.date.today().isoformat(), lang=args.lang)


def cmd_map(args: argparse.Namespace) -> int:
    """Write the gap maps and the HTML report (and the check exports beside them)."""
    assessment = _region_and_assessment(args)
    print(scorecard_text(assessment, lang=args.lang))
    with io.atomic_output(args.out) as stage:
        written = write_check_outputs(assessment, stage, lang=args.lang) + _write_maps(assessment, stage, args)
    print(f"\nWrote {len(written)} files to {args.out}/; open {args.out / 'index.html'} in a browser.")
    return 1 if args.fail_on_gap and assessment.failing else 0


def cmd_site(args: argparse.Namespace) -> int:
    """Recommend sites for new facilities."""
    from .siting_cli import run_site

    return run_site(args)
