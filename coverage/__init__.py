"""service-coverage: test a plan's public-service access standards and site new facilities.

The import name is ``coverage`` (the distribution is ``service-coverage``); it
clashes with coverage.py, which must not be installed in the same environment.

The public API follows the data flow: load and validate a region, compute
travel times, assess the standards, draw maps, site new facilities.  Names are
imported on first use (PEP 562), so ``import coverage`` and ``coverage-plan
--help`` stay fast.
"""

from __future__ import annotations

import importlib

from .errors import (
    CatalogueError,
    CoverageError,
    InputValidationError,
    NoCrsError,
    OutputError,
    Problem,
    RoadNetworkError,
)

__version__ = "0.1.0"

_LAZY = {
    "Assessment": "assessment",
    "StandardResult": "assessment",
    "assess": "assessment",
    "group_summary": "assessment",
    "nearest_minutes": "assessment",
    "TravelModel": "travel",
    "travel_table": "travel",
    "eligible_facilities": "travel",
    "load_osm_rules": "osm",
    "scorecard_text": "terminal",
    "access_map": "maps",
    "overview_map": "maps",
    "save_map": "maps",
    "siting_map": "maps",
    "unit_map": "maps",
    "write_report_and_maps": "maps",
    "SitingPlan": "planning",
    "candidate_sites": "planning",
    "proposed_facilities": "planning",
    "site_for_standards": "planning",
    "Region": "region",
    "load_region": "region",
    "Scenario": "scenario",
    "apply_scenario": "scenario",
    "compare": "scenario",
    "load_scenario": "scenario",
    "Catalogue": "standards",
    "load_catalogue": "standards",
    "build_region": "init_region",
    "population_from_cells": "population",
    "read_population_raster": "io",
    "TerrainTravel": "terrain",
    "run_batch": "batch",
    "find_regions": "batch",
}

__all__ = [
    "CatalogueError",
    "CoverageError",
    "InputValidationError",
    "NoCrsError",
    "OutputError",
    "Problem",
    "RoadNetworkError",
    *sorted(_LAZY),
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'coverage' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
