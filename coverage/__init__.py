"""service-coverage: test a plan's public-service access standards and site new facilities.

The import name is ``coverage`` (the distribution is ``service-coverage``); it
clashes with coverage.py, which must not be installed in the same environment.

The public API follows the data flow: load and validate a region, compute
travel times, assess the standards, draw maps, site new facilities.
"""

from .assess import Assessment, StandardResult, assess, group_summary, nearest_minutes
from .errors import (
    CatalogueError,
    CoverageError,
    InputValidationError,
    NoCrsError,
    OutputError,
    Problem,
    RoadNetworkError,
)
from .maps import access_map, overview_map, save_map, siting_map, unit_map, write_report_and_maps
from .planning import SitingPlan, candidate_sites, proposed_facilities, site_for_standards
from .region import Region, load_region
from .scenario import Scenario, apply_scenario, compare, load_scenario
from .standards import Catalogue, load_catalogue

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Catalogue",
    "CatalogueError",
    "CoverageError",
    "InputValidationError",
    "NoCrsError",
    "OutputError",
    "Problem",
    "Region",
    "RoadNetworkError",
    "Scenario",
    "SitingPlan",
    "StandardResult",
    "access_map",
    "apply_scenario",
    "assess",
    "candidate_sites",
    "compare",
    "group_summary",
    "load_catalogue",
    "load_region",
    "load_scenario",
    "nearest_minutes",
    "overview_map",
    "proposed_facilities",
    "save_map",
    "site_for_standards",
    "siting_map",
    "unit_map",
    "write_report_and_maps",
]
