"""The command line's options: typed values, messages in the user's language, one parser per command."""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ..i18n import N_, Msg, Note

__all__ = ["Parser", "build_parser", "positive_float", "positive_int", "workers_int"]


class _BadValue(argparse.ArgumentTypeError):
    """A bad option value, with its message as a Note (shown in the user's language by :class:`Parser`)."""

    def __init__(self, note: Note):
        super().__init__(str(note))
        self.note = note


def _number(text: str, *, kind=float, low: float | None = None, low_open: bool = False, high: float | None = None) -> float:
    try:
        value = kind(text)
    except ValueError:
        if kind is int:
            raise _BadValue(Msg("'{text}' is not a whole number", text=text)) from None
        raise _BadValue(Msg("'{text}' is not a number", text=text)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _BadValue(Msg("'{text}' is not a finite number", text=text))
    if low is not None and (value <= low if low_open else value < low):
        raise _BadValue(Msg("{text} must be {bound}", text=text, bound=f"{'>' if low_open else '>='} {low:g}"))
    if high is not None and value > high:
        raise _BadValue(Msg("{text} must be {bound}", text=text, bound=f"<= {high:g}"))
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    return int(_number(text, kind=int, low=1))


def positive_float(text: str) -> float:
    """A finite number > 0."""
    return _number(text, low=0, low_open=True)


def workers_int(text: str) -> int:
    """A whole number of worker processes, 1 to 256."""
    return int(_number(text, kind=int, low=1, high=256))


_ARGPARSE_MESSAGES = (  # argparse's own messages (Python 3.11), as templates of the catalogue
    (
        re.compile(r"argument (?P<option>\S+): invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)$"),
        N_("argument {option}: invalid choice: {value} (choose from {choices})"),
    ),
    (re.compile(r"argument (?P<option>\S+): expected one argument$"), N_("argument {option}: expected one argument")),
    (
        re.compile(r"the following arguments are required: (?P<options>.+)$"),
        N_("the following arguments are required: {options}"),
    ),
    (re.compile(r"unrecognized arguments: (?P<arguments>.+)$"), N_("unrecognized arguments: {arguments}")),
)


def _argument_message(message: str, lang: str) -> str:
    """An argparse error in ``lang``: our validators' Notes, argparse's common messages; else as argparse wrote it."""
    exc = sys.exc_info()[1]
    cause = getattr(exc, "__context__", None)
    if isinstance(exc, argparse.ArgumentError) and isinstance(cause, _BadValue):
        return Msg("argument {option}: {message}", option=exc.argument_name, message=cause.note).text(lang)
    for pattern, msgid in _ARGPARSE_MESSAGES:
        m = pattern.match(message)
        if m:
            return Msg(msgid, **m.groupdict()).text(lang)
    return message


class Parser(argparse.ArgumentParser):
    """argparse, with a bad option reported in one line (not the whole usage) and exit status 2."""

    lang = "en"  # set from the command line before parsing, so that errors are in the user's language

    def error(self, message: str):
        """Print one line naming the option and what is wrong, and exit with status 2."""
        text = Msg("{prog}: error: {message} (see {prog} --help)", prog=self.prog, message=_argument_message(message, self.lang))
        self.exit(2, text.text(self.lang) + "\n")


def _lang_in(argv: Sequence[str]) -> str:
    """The language asked for on a command line, before it is parsed (for argparse's own errors)."""
    for k, arg in enumerate(argv):
        if arg == "--lang" and k + 1 < len(argv) and argv[k + 1] == "zh":
            return "zh"
        if arg == "--lang=zh":
            return "zh"
    return "en"


def _region_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("region (default: the bundled Tengger zone)")
    g.add_argument("--region", type=Path, metavar="DIR", help="folder with a region.toml naming its files")
    g.add_argument(
        "--settlements",
        type=Path,
        metavar="FILE",
        help="settlement points (GeoPackage [FILE.gpkg:LAYER], GeoJSON, Shapefile, CSV)",
    )
    g.add_argument("--facilities", type=Path, metavar="FILE", help="facility points")
    g.add_argument("--roads", type=Path, metavar="FILE", help="roads as OpenStreetMap .osm, .osm.pbf or .osm.bz2 (optional)")
    g.add_argument("--boundary", type=Path, metavar="FILE", help="region outline (polygon; optional)")
    g.add_argument("--units", type=Path, metavar="FILE", help="administrative units (polygons with code, level; optional)")
    g.add_argument(
        "--population-table",
        type=Path,
        metavar="FILE",
        help="people per settlement (CSV or Excel, by code or by name), replacing the settlements' populations",
    )
    g.add_argument("--name", metavar="TEXT", help="the region's name (default: region.toml's)")
    g.add_argument("--coords", choices=["wgs84", "gcj02"], help="datum of point coordinates (gcj02: copied from Amap/Tencent)")
    g.add_argument("--speeds", type=Path, metavar="FILE", help="travel profiles TOML (copy coverage/data/profiles.toml)")
    g.add_argument("--osm-rules", type=Path, metavar="FILE", help="OSM tagging rules TOML (copy coverage/data/osm_rules.toml)")
    g.add_argument("--facility-types", type=Path, metavar="FILE", help="extra facility types TOML")
    t = p.add_argument_group("terrain (travel off the roads across land cover; default: straight off-road legs)")
    t.add_argument("--terrain", action="store_true", help="travel across the land cover the region.toml names")
    t.add_argument("--landcover", type=Path, metavar="FILE.tif", help="land-cover raster (classes; ESA WorldCover by default)")
    t.add_argument("--landcover-speeds", type=Path, metavar="FILE", help="speeds per land-cover class and profile (TOML)")
    t.add_argument("--dem", type=Path, metavar="FILE.tif", help="elevation raster: Tobler's walking speed, driving slope limit")
    t.add_argument("--barriers", type=Path, metavar="FILE", help="impassable lines or areas (rivers, fences, borders)")
    t.add_argument("--crossings", type=Path, metavar="FILE", help="points where the barriers can be crossed (bridges, fords)")
    t.add_argument("--cell-m", type=positive_float, metavar="M", help="terrain grid cell size in metres (default: automatic)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the road-network cache")
    g.add_argument("--cache-dir", type=Path, metavar="DIR", help="road-network cache folder")


def _lang_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=["zh", "en"], default="en", help="language of everything printed and written")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = Parser(
        prog="coverage-plan", description="Test a plan's public-service standards on settlements, facilities and roads."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is being done")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("info", help="summarise a region: counts, population, extent, what is estimated")
    _region_options(p)
    _lang_option(p)
    p.add_argument("--types", action="store_true", help="list the known facility types")

    p = sub.add_parser("check", help="test every standard and print the scorecard")
    _region_options(p)
    _check_options(p)

    p = sub.add_parser("map", help="write HTML gap maps and the report")
    _region_options(p)
    _check_options(p, maps=True)

    p = sub.add_parser("site", help="recommend sites for new facilities")
    _region_options(p)
    _site_options(p)

    p = sub.add_parser("init", help="build a region folder from an OpenStreetMap extract (and a population raster)")
    _init_options(p)

    p = sub.add_parser("batch", help="check many regions at once (a folder of regions, or an extract cut by units)")
    _batch_options(p)
    return parser


def _batch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", nargs="?", type=Path, metavar="ROOT", help="folder of region folders (each with a region.toml)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the per-region results and the roll-up go")
    p.add_argument(
        "--standards", metavar="NAME|FILE[,...]", help="standards catalogue(s) (default: each region's, from its region.toml)"
    )
    _lang_option(p)
    p.add_argument("--workers", type=positive_int, default=1, metavar="N", help="local processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running dask.distributed scheduler, e.g. tcp://host:8786")
    p.add_argument("--terrain", action="store_true", help="travel across each region's land cover")
    g = p.add_argument_group("one large extract cut by a units layer (instead of ROOT)")
    g.add_argument("--osm", type=Path, metavar="EXTRACT", help="OpenStreetMap extract covering every unit")
    g.add_argument("--units", type=Path, metavar="FILE", help="unit polygons with code (and parents, name_en, name_zh)")
    g.add_argument("--settlements", type=Path, metavar="FILE", help="settlement points of every unit")
    g.add_argument("--facilities", type=Path, metavar="FILE", help="facility points of every unit")
    g.add_argument("--margin-km", type=positive_float, default=40.0, help="roads and facilities kept around each unit")
    g.add_argument("--template", type=Path, metavar="FILE", help="a region.toml whose vocabulary every unit copies")


def _levels(text: str) -> list[str]:
    levels = [t.strip() for t in text.split(",") if t.strip()]
    if not levels or not all(t.isdigit() and 1 <= int(t) <= 12 for t in levels):
        raise _BadValue(Msg("'{text}' is not a list of OSM admin levels (numbers 1-12, e.g. 6,8)", text=text))
    return levels


def _init_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, metavar="DIR", help="the region folder to write (replaced as a whole)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--osm", type=Path, metavar="EXTRACT", help="OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2)")
    where.add_argument(
        "--place",
        metavar="NAME",
        help="download the place's roads and objects through osmnx (Nominatim, Overpass; needs internet, cached)",
    )
    p.add_argument("--cache-dir", type=Path, metavar="DIR", help="where downloads are cached (with --place)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--boundary", type=Path, metavar="FILE", help="the region's boundary polygon")
    g.add_argument("--admin", metavar="NAME", help="the boundary=administrative area of the extract with this name")
    p.add_argument("--levels", type=_levels, metavar="N,N", help="OSM admin_level values to read as units, from the top")
    d = p.add_argument_group("demand (one of these; without one, every place needs a population tag)")
    source = d.add_mutually_exclusive_group()
    source.add_argument("--population", type=Path, metavar="FILE.tif", help="population raster (WorldPop, GHS-POP...)")
    source.add_argument("--population-table", type=Path, metavar="FILE", help="population per settlement (CSV or Excel)")
    source.add_argument(
        "--population-total", type=positive_float, metavar="N", help="the region's people, spread by building footprints"
    )
    source.add_argument(
        "--population-units", type=Path, metavar="FILE", help="polygons with a population column, each spread by footprints"
    )
    d.add_argument(
        "--spread",
        choices=["buildings", "area"],
        default="buildings",
        help="how a total is spread: by the floor area of homes (default) or by each place's area",
    )
    d.add_argument(
        "--demand",
        choices=["people", "cells", "settlements"],
        default="people",
        help="people (default); cells: one demand point per raster cell; settlements: each counts as one, not people",
    )
    p.add_argument("--osm-facilities", type=Path, metavar="FILE", help="your copy of the OSM tag table (osm_facilities.toml)")
    p.add_argument("--facility-types", type=Path, metavar="FILE", help="extra facility types TOML")
    p.add_argument("--name", metavar="NAME", help="the region's name (default: the extract's file name)")
    p.add_argument(
        "--standards",
        metavar="NAME[,...]",
        default="gb50180,tdt1062",
        help="catalogues the region is checked against by default (written into region.toml; default: the national ones)",
    )
    _lang_option(p)


def _check_options(p: argparse.ArgumentParser, *, maps: bool = False) -> None:
    p.add_argument(
        "--standards",
        metavar="NAME|FILE[,...]",
        help="standards catalogue(s): gb50180, tdt1062, plan (the bundled zone's) or a TOML file, several separated by "
        "commas (default: the region's, from its region.toml; the national ones for files given without one)",
    )
    p.add_argument("--only", metavar="ID,...", help="run only these standards")
    _lang_option(p)
    p.add_argument("--wide", action="store_true", help="print the full scorecard (wording, section, counts), whatever the width")
    p.add_argument("--scenario", type=Path, metavar="FILE", help="what-if scenario TOML applied before checking")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=Path("maps") if maps else None,
        help="write exports (CSV, GeoPackage, Markdown)" + (" and maps" if maps else ""),
    )
    p.add_argument(
        "--indicators", action="store_true", help="also show the catalogues' indicator tables (the plan's), measured vs target"
    )
    p.add_argument("--fail-on-gap", action="store_true", help="exit 1 when a standard is not met")
    if not maps:
        p.add_argument("--maps", action="store_true", help="also write the HTML maps and report into --out (default maps/)")
    p.add_argument("--tiles", metavar="NAME|URL", help="add an online basemap (osm, tianditu, or a tile URL); default none")
    p.add_argument(
        "--cdn", action="store_true", help="link Leaflet from CDNs instead of inlining it (smaller files, needs internet)"
    )
    p.add_argument(
        "--figures",
        choices=["maps", "all", "none"],
        default="maps",
        help="static PNG/SVG figures: of each map and the Lorenz curves (maps, default), also of each unit standard not met "
        "(all), or none",
    )


def _site_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--standards", metavar="NAME|FILE[,...]", help="standards catalogue(s) (default: the region's)")
    p.add_argument("--standard", required=True, metavar="ID[,ID...]", help="access standard(s) to site for")
    _lang_option(p)
    p.add_argument(
        "--type", dest="facility_type", metavar="TYPE", help="type of the new facility (default: the standard's first)"
    )
    p.add_argument(
        "--add", type=positive_int, default=1, metavar="K", help="number of new facilities (>= 1; mclp, pmedian, pcenter)"
    )
    p.add_argument("--model", choices=["mclp", "lscp", "pmedian", "pcenter"], default="mclp")
    p.add_argument(
        "--candidates",
        metavar="FILE|settlements|roads",
        default="settlements",
        help="candidate sites: settlements (default), roads (road nodes), or a point file",
    )
    p.add_argument("--spacing-km", type=positive_float, default=5.0, help="thin road-node candidates to this spacing (> 0)")
    p.add_argument("--exclude", type=Path, metavar="FILE", help="polygons where no new facility may go")
    p.add_argument("--allow-relocate", action="store_true", help="existing facilities of the type may move (K = total sites)")
    p.add_argument("--budget-curve", type=positive_int, metavar="K", help="coverage for 1..K new facilities (>= 1)")
    p.add_argument("--time-limit", type=positive_float, default=60.0, metavar="SECONDS", help="solver time limit per solve (> 0)")
    p.add_argument("--out", type=Path, metavar="DIR", default=Path("maps"), help="where to write the sites and the map")
    p.add_argument("--tiles", metavar="NAME|URL")
    p.add_argument("--cdn", action="store_true")
