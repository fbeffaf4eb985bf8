"""service-coverage: test a plan's public-service access standards and site new facilities.

The import name is ``coverage`` (the distribution is ``service-coverage``); it
clashes with coverage.py, which must not be installed in the same environment.
"""

from .errors import (
    CatalogueError,
    CoverageError,
    InputValidationError,
    NoCrsError,
    OutputError,
    Problem,
    RoadNetworkError,
)
from .region import Region, load_region

__version__ = "0.1.0"

__all__ = [
    "CatalogueError",
    "CoverageError",
    "InputValidationError",
    "NoCrsError",
    "OutputError",
    "Problem",
    "Region",
    "RoadNetworkError",
    "load_region",
]
