"""Travel on the road network (a :class:`~coverage.travel.TravelModel`)."""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from ..inputs.config import Profile
from ._graph import RoutingGraph
from ._search import nearest_facility, service_area, travel_time_matrix
from ._types import NearestResult, TravelTimeMatrix

__all__ = ["RoadTravel"]


@dataclass(frozen=True, eq=False)
class RoadTravel:
    """Travel on the road network, with straight off-road legs at each end (see :mod:`coverage.routing`)."""

    graph: RoutingGraph
    kind: str = "road"

    @property
    def profile(self) -> Profile:
        """The profile of the routing graph."""
        return self.graph.profile

    def label(self, lang: str = "en") -> str:
        """E.g. ``road network (drive)``."""
        from ..i18n import translate

        return translate("road network ({profile})", lang).format(profile=translate(self.profile.name, lang))

    def nearest(self, origins, facilities, *, cutoff_s=None) -> NearestResult:
        """See :func:`coverage.routing.nearest_facility`."""
        return nearest_facility(self.graph, origins, facilities, cutoff_s=cutoff_s)

    def matrix(self, origins, destinations, *, cutoff_s) -> TravelTimeMatrix:
        """See :func:`coverage.routing.travel_time_matrix`."""
        return travel_time_matrix(self.graph, origins, destinations, cutoff_s=cutoff_s)

    def service_area(self, facilities, seconds) -> shapely.Geometry:
        """See :func:`coverage.routing.service_area`."""
        return service_area(self.graph, facilities, seconds)
