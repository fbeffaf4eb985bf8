"""The CLI's commands: each one loads, computes with the public functions, prints and writes.

Kept apart from :mod:`coverage.cli` so that ``--help`` stays fast (no geopandas import).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shlex
import sys
from pathlib import Path

from tqdm import tqdm

from . import io
from .assessment import Assessment, assess, group_summary
from .cli import region_from_args
from .report import (
    access_table,
    budget_curve_svg,
    indicator_table,
    scorecard_markdown,
    scorecard_text,
    table_text,
    unit_table,
)
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


def _region_and_assessment(args: argparse.Namespace) -> tuple[Assessment, Assessment | None]:
    """The assessment (of the scenario, if one is given) and the baseline it changes."""
    region = region_from_args(args)
    catalogue = load_catalogue(args.standards, facility_types=region.facility_types, profiles=region.profiles)
    catalogue = catalogue.select([i.strip() for i in args.only.split(",")] if args.only else None)
    if getattr(args, "scenario", None):
        from .scenario import apply_scenario, load_scenario

        scenario = load_scenario(args.scenario, region=region)
        baseline = assess(region, catalogue, progress=_progress("baseline"))
        return assess(apply_scenario(region, scenario), catalogue, progress=_progress("scenario")), baseline
    return assess(region, catalogue, progress=_progress("standards")), None


def _print_comparison(after: Assessment, baseline: Assessment) -> tuple:
    from .scenario import compare

    per_settlement, per_standard = compare(baseline, after)
    print("\nScenario versus baseline:")
    print(table_text(per_standard))
    changed = (
        per_settlement[
            (per_settlement["passes_before"] != per_settlement["passes_after"]) | (per_settlement["change_min"].abs() > 0.05)
        ]
        if len(per_settlement)
        else per_settlement
    )
    if len(changed):
        print("\nSettlements whose minutes or verdict change:")
        print(table_text(changed.reset_index().round(1)))
    return per_settlement, per_standard


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
    return [
        "scorecard.csv",
        "scorecard.md",
        "settlements_access.csv",
        "units_presence.csv",
        "units_ratio.csv",
        "summary_by_group.csv",
        "results.gpkg",
    ]


def cmd_check(args: argparse.Namespace) -> int:
    """Run every standard, print the scorecard, write exports and maps if asked."""
    assessment, baseline = _region_and_assessment(args)
    print(scorecard_text(assessment, lang=args.lang))
    comparison = _print_comparison(assessment, baseline) if baseline is not None else None
    if args.indicators:
        print()
        print(table_text(indicator_table(assessment.region, assessment.catalogue, lang=args.lang)))
    out = args.out or (Path("maps") if args.maps else None)
    if out is not None:
        with io.atomic_output(out) as stage:
            written = write_check_outputs(assessment, stage, lang=args.lang)
            if comparison is not None:
                io.write_csv(stage / "scenario_settlements.csv", comparison[0].reset_index())
                io.write_csv(stage / "scenario_standards.csv", comparison[1])
                written += ["scenario_settlements.csv", "scenario_standards.csv"]
            if args.maps:
                written += _write_maps(assessment, stage, args)
        print(f"\nWrote {len(written)} files to {out}/: {', '.join(written)}")
    return 1 if args.fail_on_gap and assessment.failing else 0


def _write_maps(assessment: Assessment, stage: Path, args: argparse.Namespace) -> list[str]:
    from .maps import write_report_and_maps

    return write_report_and_maps(
        assessment, stage, tiles=args.tiles, cdn=args.cdn, command=command_line(), generated=run_date(), lang=args.lang
    )


def run_date() -> str:
    """Today's date, or the date of ``SOURCE_DATE_EPOCH`` (reproducible builds) when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.date.today().isoformat()


def cmd_map(args: argparse.Namespace) -> int:
    """Write the gap maps and the HTML report (and the check exports beside them)."""
    assessment, _baseline = _region_and_assessment(args)
    print(scorecard_text(assessment, lang=args.lang))
    with io.atomic_output(args.out) as stage:
        written = write_check_outputs(assessment, stage, lang=args.lang) + _write_maps(assessment, stage, args)
    print(f"\nWrote {len(written)} files to {args.out}/; open {args.out / 'index.html'} in a browser.")
    return 1 if args.fail_on_gap and assessment.failing else 0


def cmd_site(args: argparse.Namespace) -> int:
    """Recommend sites for new facilities, print them, write the sites and a before/after map."""
    from .maps import save_map, siting_map
    from .planning import proposed_facilities, site_for_standards
    from .scenario import compare

    region = region_from_args(args)
    catalogue = load_catalogue(args.standards, facility_types=region.facility_types, profiles=region.profiles)
    ids = [i.strip() for i in args.standard.split(",") if i.strip()]
    if args.candidates in ("settlements", "roads"):
        candidates = args.candidates
    else:
        candidates = io.read_layer(args.candidates, coords=args.coords or "wgs84")
    exclude = io.read_layer(args.exclude) if args.exclude else None
    before = assess(region, catalogue.select(ids))
    plan = site_for_standards(
        region,
        catalogue,
        ids,
        facility_type=args.facility_type,
        k=args.add,
        model=args.model,
        candidates=candidates,
        spacing_km=args.spacing_km,
        exclude=exclude,
        allow_relocate=args.allow_relocate,
        budget_k=args.budget_curve,
        assessment=before,
    )
    r = plan.result
    ftype = args.facility_type or plan.standards[0].facility_types[0]
    print(
        f"Siting {len(plan.sites)} new {ftype} for {', '.join(ids)} ({r.model}, {len(plan.candidates)} candidates from "
        f"{args.candidates}):"
    )
    status = "proven optimal" if r.proven_optimal else f"not proven optimal, gap {r.gap:.1%} to the bound {r.bound:,.1f}"
    print(f"  objective {r.objective:,.1f} ({status}; {r.method}, {r.seconds:.2f} s)")
    for note in r.notes:
        print(f"  note: {note}")
    if r.uncoverable:
        rows = plan.demand.iloc[list(r.uncoverable)]
        names = ", ".join(
            f"{region.settlements.loc[s, 'name_zh']} ({s}, {t})"
            for s, t in zip(rows["settlement_id"], rows["standard"], strict=True)
        )
        print(f"  cannot be reached within the standard from any candidate: {names}")
    print()
    print(table_text(plan.sites.drop(columns="geometry")))
    after_region = region.with_layers(facilities=proposed_facilities(region, plan, ftype))
    after = assess(after_region, catalogue.select(ids))
    per_settlement, per_standard = compare(before, after)
    print("\nBefore / after:")
    print(table_text(per_standard))
    if plan.curve is not None:
        print("\nBudget curve (coverage versus new facilities):")
        print(table_text(plan.curve.round(3)))
    tag = "-".join(ids)
    with io.atomic_output(args.out) as stage:
        written = [f"sites-{tag}.csv", f"sites-{tag}.gpkg", f"site-{tag}.html", f"site-{tag}-before-after.csv"]
        io.write_csv(stage / written[0], plan.sites)
        io.write_gpkg(stage / written[1], {"sites": plan.sites, "candidates": plan.candidates.reset_index()})
        save_map(siting_map(before, after, plan, ids[0], tiles=args.tiles, cdn=args.cdn), stage / written[2])
        io.write_csv(stage / written[3], per_settlement.reset_index())
        if plan.curve is not None:
            io.write_csv(stage / f"budget-curve-{tag}.csv", plan.curve)
            io.atomic_write_text(stage / f"budget-curve-{tag}.svg", budget_curve_svg(plan.curve, title=", ".join(ids)))
            written += [f"budget-curve-{tag}.csv", f"budget-curve-{tag}.svg"]
    print(f"\nWrote {', '.join(written)} to {args.out}/")
    return 0
