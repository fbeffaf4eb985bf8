"""service-coverage: test a plan's public-service access standards and site new facilities.

The import name is ``coverage`` (the distribution is ``service-coverage``); it
clashes with coverage.py, which must not be installed in the same environment.

The public API follows the data flow: load and validate a region, compute
travel times, assess the standards, draw maps, site new facilities.  Names are
imported on first use (PEP 562), so ``import coverage`` and ``coverage-plan
--help`` stay fast.
"""

from __future__ import annotations

from ._lazy import lazy_exports
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
    "Assessment": ".standards.assessment",
    "StandardResult": ".standards._base",
    "assess": ".standards.assessment",
    "group_summary": ".standards.assessment",
    "nearest_minutes": ".standards.assessment",
    "TravelModel": ".travel",
    "travel_table": ".travel",
    "travel_pairs": ".travel",
    "model_for": ".travel",
    "eligible_facilities": ".travel",
    "load_osm_rules": ".inputs.osm_rules",
    "scorecard_text": ".outputs.terminal",
    "scorecard_frame": ".outputs.report",
    "access_table": ".outputs.exports",
    "access_map": ".outputs.maps.access",
    "overview_map": ".outputs.maps.overview",
    "save_map": ".outputs.maps._leaflet",
    "siting_map": ".outputs.maps.siting",
    "unit_map": ".outputs.maps.units",
    "write_report_and_maps": ".outputs.maps._index",
    "SitingPlan": ".siting.planning",
    "candidate_sites": ".siting.planning",
    "proposed_facilities": ".siting.planning",
    "site_for_standards": ".siting.planning",
    "SitingRequest": ".siting.planning",
    "Region": ".inputs.region",
    "load_region": ".inputs.region",
    "BUNDLED_REGION": ".inputs.region",
    "LoadOptions": ".inputs.region",
    "TerrainOptions": ".inputs.landcover",
    "Scenario": ".inputs.scenario",
    "apply_scenario": ".inputs.scenario",
    "compare": ".standards.compare",
    "load_scenario": ".inputs.scenario",
    "Catalogue": ".standards.catalogue",
    "load_catalogue": ".standards.catalogue",
    "build_region": ".inputs.init_region",
    "population_from_cells": ".inputs.population",
    "read_population_raster": ".inputs._rasters",
    "TerrainTravel": ".travel._terrain",
    "run_batch": ".pipeline.batch",
    "find_regions": ".pipeline.batch",
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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
