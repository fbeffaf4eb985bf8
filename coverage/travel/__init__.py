"""The travel seam: every way of travelling (roads, straight lines, terrain) behind one interface.

Assessment, maps and siting read only what this package answers: travel-time tables and matrices.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "Grid": "._terrain",
    "NearestResult": "._types",
    "RoadTravel": "._road",
    "RoutingGraph": "._graph",
    "Snap": "._graph",
    "StraightTravel": "._straight",
    "TerrainTravel": "._terrain",
    "TravelModel": "._seam",
    "TravelTimeMatrix": "._types",
    "build_routing_graph": "._graph",
    "direct_pairs": "._types",
    "eligible_facilities": "._seam",
    "fastest_pairs": "._types",
    "fused_graph": "._terrain",
    "grid_graph": "._terrain",
    "isotropic_tobler_factor": "._terrain",
    "lonlat": "._seam",
    "nearest_facility": "._search",
    "nearest_facility_nodes": "._search",
    "region_grid": "._terrain",
    "segment_speeds_kmh": "._graph",
    "service_area": "._search",
    "snap_points": "._graph",
    "speed_surface": "._terrain",
    "terrain_travel": "._terrain",
    "tobler_kmh": "._terrain",
    "travel_table": "._seam",
    "travel_time_matrix": "._search",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
