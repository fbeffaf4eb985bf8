"""The ``coverage-plan`` command: a thin layer over the public functions.

Exit status: 0 when the command ran, 1 with ``--fail-on-gap`` when a standard is
not met, 2 for a user error (bad input, bad option) - with a message, never a
traceback - and 130 when interrupted (Ctrl-C or SIGTERM; no output is half-written).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shlex
import sys
from pathlib import Path

from ..i18n import Msg
from ..inputs._layers import read_layer
from ..outputs.charts import budget_curve_svg
from ..outputs.exports import write_check_outputs
from ..outputs.report import standard_label
from ..outputs.summary import indicator_tables
from ..outputs.terminal import progress, scorecard_text, table_text
from ..standards.assessment import Assessment, assess
from ..standards.catalogue import load_catalogue
from ..text import simplified, words
from ..writing import atomic_output, atomic_write_text, write_csv, write_gpkg

__all__ = [
    "cmd_batch",
    "cmd_check",
    "cmd_info",
    "cmd_init",
    "cmd_map",
    "cmd_site",
    "command_line",
    "region_from_args",
    "run_date",
]


def region_from_args(args: argparse.Namespace):
    """Load the region the command-line options name (the bundled zone by default)."""
    from ..inputs.landcover import TerrainOptions
    from ..inputs.region import LoadOptions, load_region

    options = LoadOptions(
        coords=args.coords,
        name=args.name,
        speeds=args.speeds,
        facility_types=args.facility_types,
        osm_rules=args.osm_rules,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        population_table=getattr(args, "population_table", None),
    )
    terrain = TerrainOptions(
        landcover=args.landcover,
        landcover_speeds=args.landcover_speeds,
        dem=args.dem,
        barriers=args.barriers,
        crossings=args.crossings,
        cell_m=args.cell_m,
        use=args.terrain,
    )
    files = {k: getattr(args, k) for k in ("settlements", "facilities", "roads", "boundary", "units")}
    return load_region(args.region, **files, options=options, terrain=terrain)


def cmd_info(args: argparse.Namespace) -> int:
    """Print the region summary (or the facility types)."""
    from ..outputs.summary import region_summary_text

    if args.types:
        from ..inputs.config import load_facility_types

        for key, ft in load_facility_types(args.facility_types).items():
            print(f"{key:<26} {ft.category:<10} {ft.name(args.lang)}")
        return 0
    region = region_from_args(args)
    print(region_summary_text(region, lang=args.lang))
    return 0


def command_line() -> str:
    """The command as typed (for reports: every figure traces back to how it was made)."""
    return "coverage-plan " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _catalogue(args: argparse.Namespace, region):
    """The catalogues asked for (--standards), else the region's own (region.toml; the national ones by default)."""
    return load_catalogue(args.standards or region.standards, region=region)


def _region_and_assessment(args: argparse.Namespace):
    """The assessment (of the scenario, if one is given), the baseline it changes, and the scenario."""
    region = region_from_args(args)
    catalogue = _catalogue(args, region)
    catalogue = catalogue.select([i.strip() for i in args.only.split(",")] if args.only else None)
    if getattr(args, "scenario", None):
        from ..inputs.scenario import apply_scenario, load_scenario

        scenario = load_scenario(args.scenario, region=region)
        baseline = assess(region, catalogue, progress=progress("baseline"))
        after = assess(apply_scenario(region, scenario), catalogue, progress=progress(scenario.name))
        return after, baseline, scenario
    return assess(region, catalogue, progress=progress("standards")), None, None


def _print_comparison(after: Assessment, baseline: Assessment, scenario, lang: str):
    from ..outputs.tables import comparison_tables
    from ..standards.compare import compare

    _ = words(lang)
    per_settlement, per_standard = compare(baseline, after)
    labels = {r.standard.id: standard_label(r.standard, lang) for r in after.results}
    standards_table, settlements_table = comparison_tables(per_settlement, per_standard, lang=lang, labels=labels)
    print("\n" + _("Scenario '{name}' versus the current state:").format(name=scenario.title(lang)))
    print(table_text(standards_table))
    if len(settlements_table):
        print("\n" + _("Settlements whose minutes or verdict change:"))
        print(table_text(settlements_table))
    return per_settlement, per_standard


def cmd_check(args: argparse.Namespace) -> int:
    """Run every standard, print the scorecard, write exports and maps if asked."""
    _ = words(args.lang)
    assessment, baseline, scenario = _region_and_assessment(args)
    if scenario is not None:
        print(
            _("Scenario '{name}': {description}").format(
                name=scenario.title(args.lang), description=scenario.about(args.lang) or "-"
            )
        )
    print(scorecard_text(assessment, lang=args.lang, wide=args.wide))
    comparison = _print_comparison(assessment, baseline, scenario, args.lang) if baseline is not None else None
    if args.indicators:
        _print_indicators(assessment, args.lang)
    out = args.out or (Path("maps") if args.maps else None)
    if out is not None:
        with atomic_output(out) as stage:
            written = write_check_outputs(assessment, stage, lang=args.lang)
            if comparison is not None:
                write_csv(stage / "scenario_settlements.csv", comparison[0].reset_index())
                write_csv(stage / "scenario_standards.csv", comparison[1])
                written += ["scenario_settlements.csv", "scenario_standards.csv"]
            if args.maps:
                written += _write_maps(assessment, stage, args, scenario=scenario)
        print("\n" + _("Wrote {n} files to {out}/: {files}").format(n=len(written), out=out, files=", ".join(written)))
    return 1 if args.fail_on_gap and assessment.failing else 0


def _print_indicators(assessment: Assessment, lang: str) -> None:
    """The indicator tables of the catalogues, or a line saying they have none."""
    _ = words(lang)
    tables = indicator_tables(assessment, lang=lang)
    if not tables:
        cat = assessment.catalogue
        print("\n" + _("No indicator table in {catalogue}.").format(catalogue=cat.name_zh if lang == "zh" else cat.name_en))
    for (title, table), source in zip(tables, assessment.catalogue.indicator_tables, strict=True):
        print("\n" + _("Indicators: {catalogue}").format(catalogue=title))
        print(table_text(table))
        for note in source.notes:  # the table's own notes, as printed (in simplified characters)
            print(_("Note {text}").format(text=simplified(note)))


def _write_maps(assessment: Assessment, stage: Path, args: argparse.Namespace, *, scenario=None) -> list[str]:
    from ..outputs.maps._index import write_report_and_maps

    return write_report_and_maps(
        assessment,
        stage,
        tiles=args.tiles,
        cdn=args.cdn,
        command=command_line(),
        generated=run_date(),
        lang=args.lang,
        scenario=scenario,
        figures=getattr(args, "figures", "maps"),
    )


def run_date() -> str:
    """Today's date, or the date of ``SOURCE_DATE_EPOCH`` (reproducible builds) when set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.date.today().isoformat()


def cmd_map(args: argparse.Namespace) -> int:
    """Write the gap maps and the HTML report (and the check exports beside them)."""
    _ = words(args.lang)
    assessment, _baseline, scenario = _region_and_assessment(args)
    if scenario is not None:
        print(
            _("Scenario '{name}': {description}").format(
                name=scenario.title(args.lang), description=scenario.about(args.lang) or "-"
            )
        )
    print(scorecard_text(assessment, lang=args.lang, wide=args.wide))
    with atomic_output(args.out) as stage:
        written = write_check_outputs(assessment, stage, lang=args.lang) + _write_maps(assessment, stage, args, scenario=scenario)
    print(
        "\n"
        + _("Wrote {n} files to {out}/; open {index} in a browser.").format(
            n=len(written), out=args.out, index=args.out / "index.html"
        )
    )
    return 1 if args.fail_on_gap and assessment.failing else 0


def cmd_site(args: argparse.Namespace) -> int:
    """Recommend sites for new facilities, print them, write the sites and a before/after map."""
    from ..outputs.tables import comparison_tables, curve_table, sites_table, siting_summary
    from ..siting.planning import SitingRequest, proposed_facilities, site_for_standards
    from ..standards.compare import compare

    _ = words(args.lang)
    region = region_from_args(args)
    catalogue = _catalogue(args, region)
    ids = [i.strip() for i in args.standard.split(",") if i.strip()]
    if args.candidates in ("settlements", "roads"):
        candidates = args.candidates
    else:
        candidates = read_layer(args.candidates, coords=args.coords or "wgs84")
    exclude = read_layer(args.exclude) if args.exclude else None
    before = assess(region, catalogue.select(ids))
    request = SitingRequest(
        tuple(ids),
        facility_type=args.facility_type,
        k=args.add,
        model=args.model,
        candidates=candidates,
        spacing_km=args.spacing_km,
        exclude=exclude,
        allow_relocate=args.allow_relocate,
        budget_k=args.budget_curve,
        time_limit_s=args.time_limit,
    )
    plan = site_for_standards(region, catalogue, request, assessment=before)
    ftype = args.facility_type or plan.standards[0].facility_types[0]
    print(siting_summary(plan, region, ftype=ftype, source=str(args.candidates), lang=args.lang))
    if not plan.result.solved:
        return 0
    print()
    print(table_text(sites_table(plan, lang=args.lang)))
    after_region = region.with_layers(facilities=proposed_facilities(region, plan, ftype))
    after = assess(after_region, catalogue.select(ids))
    per_settlement, per_standard = compare(before, after)
    labels = {r.standard.id: standard_label(r.standard, args.lang) for r in after.results}
    standards_table, _settlements = comparison_tables(per_settlement, per_standard, lang=args.lang, scenario=False, labels=labels)
    print("\n" + _("Before / after:"))
    print(table_text(standards_table))
    if plan.curve is not None:
        print("\n" + _("Budget curve (coverage versus new facilities):"))
        names = dict(zip(plan.candidates.index, plan.candidates["name"].astype(str), strict=True))
        print(table_text(curve_table(plan.curve, lang=args.lang, names=names)))
    written = _write_site_outputs(args, ids, plan, before, after, per_settlement)
    print("\n" + _("Wrote {files} to {out}/").format(files=", ".join(written), out=args.out))
    return 0


def _write_site_outputs(args: argparse.Namespace, ids: list[str], plan, before, after, per_settlement) -> list[str]:
    """The sites (CSV, GeoPackage), the before/after map and table, and the budget curve (CSV, SVG)."""
    from ..outputs.maps._leaflet import save_map
    from ..outputs.maps.siting import siting_map

    tag = "-".join(ids)
    with atomic_output(args.out) as stage:
        written = [f"sites-{tag}.csv", f"sites-{tag}.gpkg", f"site-{tag}.html", f"site-{tag}-before-after.csv"]
        write_csv(stage / written[0], plan.sites)
        write_gpkg(stage / written[1], {"sites": plan.sites, "candidates": plan.candidates.reset_index()})
        save_map(siting_map(before, after, plan, ids[0], tiles=args.tiles, cdn=args.cdn, lang=args.lang), stage / written[2])
        write_csv(stage / written[3], per_settlement.reset_index())
        if plan.curve is not None:
            write_csv(stage / f"budget-curve-{tag}.csv", plan.curve)
            svg = budget_curve_svg(plan.curve, title=", ".join(ids), lang=args.lang)
            atomic_write_text(stage / f"budget-curve-{tag}.svg", svg)
            written += [f"budget-curve-{tag}.csv", f"budget-curve-{tag}.svg"]
    return written


def cmd_init(args: argparse.Namespace) -> int:
    """Build a region folder from an OpenStreetMap extract and print what it holds."""
    from ..inputs.demand import DemandOptions
    from ..inputs.init_region import InitRequest, build_region

    _ = words(args.lang)
    demand = DemandOptions(
        raster=args.population,
        table=args.population_table,
        total=args.population_total,
        units=args.population_units,
        spread=args.spread,
        mode=args.demand,
    )
    request = InitRequest(
        osm=args.osm,
        boundary=args.boundary,
        admin=args.admin,
        levels=tuple(args.levels or ()),
        demand=demand,
        tag_table=args.osm_facilities,
        facility_types=args.facility_types,
        name=args.name,
        standards=tuple(p.strip() for p in args.standards.split(",") if p.strip()),
        place=args.place,
        cache_dir=args.cache_dir,
    )
    summary = build_region(args.dir, request)
    source = args.osm.name if args.osm is not None else args.place
    print(
        _("Wrote {dir}: {f} facilities, {s} settlements, {u} units, roads from {osm}.").format(
            dir=summary.out_dir, f=summary.n_facilities, s=summary.n_settlements, u=summary.n_units, osm=source
        )
    )
    for note in summary.notes:
        print(note.text(args.lang))
    print(_("Next: coverage-plan check --region {dir}").format(dir=summary.out_dir))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """Run many regions as tasks; print one line per region and the files written."""
    from ..errors import CatalogueError
    from ..pipeline.batch import BatchOptions, find_regions, run_batch, split_units, write_batch_outputs

    _ = words(args.lang)
    split = [args.osm, args.units, args.settlements, args.facilities]
    if args.root is None and not all(split):
        raise CatalogueError(
            Msg("batch: give ROOT (a folder of region folders), or --osm, --units, --settlements and --facilities.")
        )
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.root is not None:
        tasks = find_regions(args.root)
    else:
        tasks = split_units(
            out / "inputs",
            osm=args.osm,
            units=args.units,
            settlements=args.settlements,
            facilities=args.facilities,
            margin_km=args.margin_km,
            template=args.template,
        )
    options = BatchOptions(out=out, standards=args.standards, lang=args.lang, terrain=args.terrain)

    def report(done: int, total: int, name: str) -> None:
        print(f"[{done}/{total}] {name}", file=sys.stderr, flush=True)

    results = run_batch(tasks, options, workers=args.workers, scheduler=args.scheduler, progress=report)
    for r in results:
        if r["error"]:
            print(_("{region}: failed - {error}").format(region=r["region"], error=r["error"]))
            continue
        verdicts = [row["verdict"] for row in r["rows"]]
        line = _("{region}: {met} met, {not_met} not met, {not_tested} not tested").format(
            region=r["region"],
            met=verdicts.count("met"),
            not_met=verdicts.count("not met"),
            not_tested=verdicts.count("not tested"),
        )
        print(line + (_(" (unchanged, skipped)") if r.get("skipped") else ""))
    written = write_batch_outputs(results, out, lang=args.lang)
    print(_("Wrote {n} files to {out}/: {files}").format(n=len(written), out=out, files=", ".join(written)))
    return 1 if any(r["error"] for r in results) else 0
