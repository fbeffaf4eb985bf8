"""A first answer without roads: straight lines at the off-road speed (a :class:`~coverage.travel.TravelModel`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ..inputs.config import Profile
from ._types import NearestResult, TravelTimeMatrix, direct_pairs, fastest_pairs

__all__ = ["StraightTravel"]


@dataclass(frozen=True, eq=False)
class StraightTravel:
    """A first answer without roads: straight-line distance x a detour factor, at the profile's off-road speed.

    The detour factor (network distance over straight distance) stands for the
    roads that are not known; see ``detour_factor`` in ``profiles.toml``.
    """

    profile: Profile
    kind: str = "straight"

    @property
    def speed_m_per_s(self) -> float:
        """Effective speed along the straight line (off-road speed / detour factor)."""
        return self.profile.offroad_m_per_s / self.profile.detour_factor

    def label(self, lang: str = "en") -> str:
        """E.g. ``straight-line estimate, no road network``."""
        from ..i18n import translate

        return translate("straight-line estimate, no road network (x{detour:g} detour, {kmh:g} km/h)", lang).format(
            detour=self.profile.detour_factor, kmh=self.profile.offroad_kmh
        )

    def nearest(self, origins, facilities, *, cutoff_s=None) -> NearestResult:
        """Nearest facility along straight lines."""
        from ..geodesy import PointIndex

        origins = np.asarray(origins, float).reshape(-1, 2)
        facilities = np.asarray(facilities, float).reshape(-1, 2)
        n = len(origins)
        snap = np.zeros(n)
        if len(facilities) == 0 or n == 0:
            inf = np.full(n, np.inf)
            return NearestResult(inf, np.full(n, -1, np.int64), np.full(n, "", "<U8"), snap, inf.copy(), inf.copy())
        f, d = PointIndex(facilities[:, 0], facilities[:, 1]).nearest(origins[:, 0], origins[:, 1])
        t = d / self.speed_m_per_s
        if cutoff_s is not None:
            t = np.where(t <= cutoff_s, t, np.inf)
        reach = np.isfinite(t)
        return NearestResult(
            t,
            np.where(reach, f, -1),
            np.where(reach, "direct", "").astype("<U8"),
            snap,
            np.where(reach, t, np.inf),
            np.where(reach, 0.0, np.inf),
        )

    def matrix(self, origins, destinations, *, cutoff_s) -> TravelTimeMatrix:
        """Every pair within ``cutoff_s`` along straight lines."""
        o = np.asarray(origins, float).reshape(-1, 2)
        d = np.asarray(destinations, float).reshape(-1, 2)
        q, p, t = direct_pairs(o, d, cutoff_s, self.speed_m_per_s) if len(o) and len(d) else ([], [], [])
        t = np.asarray(t, float)
        pairs = [np.asarray(q, np.int64)], [np.asarray(p, np.int64)], [t]
        return fastest_pairs(*pairs, (len(o), len(d)), cutoff_s, legs=([t], [np.zeros(len(t))]))

    def service_area(self, facilities, seconds) -> shapely.Geometry:
        """Circles of radius ``seconds`` x the effective speed."""
        from ..geodesy import circle_polygons

        f = np.asarray(facilities, float).reshape(-1, 2)
        if len(f) == 0:
            return shapely.Polygon()
        return shapely.union_all(circle_polygons(f[:, 0], f[:, 1], seconds * self.speed_m_per_s, n_vertices=64))
