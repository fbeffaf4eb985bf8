"""The travel seam: every way of travelling (roads, straight lines, terrain) behind one interface.

:func:`model_for` chooses the model a region's inputs call for (:data:`MODELS`, a
registry); every model answers :class:`TravelModel`'s questions, and the tables built on
them (:func:`travel_table`, one row per origin; :func:`travel_pairs`, one row per origin
and destination within a cutoff) are what assessment, maps and siting read.  The models'
insides (routing graphs, grids) are private modules.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "MODELS": "._models",
    "ModelChoice": "._models",
    "NearestResult": "._types",
    "RoadTravel": "._road",
    "StraightTravel": "._straight",
    "ServiceAreas": "._areas",
    "SurfaceModel": "._seam",
    "TerrainTravel": "._terrain",
    "TravelModel": "._seam",
    "TravelSurface": "._seam",
    "TravelTimeMatrix": "._types",
    "eligible_facilities": "._seam",
    "lonlat": "._seam",
    "model_for": "._models",
    "road_graph": "._models",
    "road_points": "._models",
    "service_areas": "._areas",
    "travel_pairs": "._seam",
    "travel_table": "._seam",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
