"""A region's road network: read once per content (cached), clipped to the region, reported, and checked for GCJ-02 shifts."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..errors import CoverageError
from ..i18n import N_, Msg, Note
from ._cache import file_digest, load_cached_arrays, save_cached_arrays
from ._osmfile import read_osm_roads
from .network import RoadNetwork, build_road_network
from .osm_rules import OsmRules, exclusion_report

__all__ = ["keep_zone", "network_cache_key", "report_exclusions", "warn_if_gcj02"]

log = logging.getLogger(__name__)


CACHE_VERSION = "roads-v3"  # bump when RoadNetwork's layout or meaning changes


def network_cache_key(path: Path, boundary: shapely.Geometry, *, margin_km: float, rules: OsmRules) -> str:
    """The cache key of a road network: the road file's content, the clip, and the tags the rules read."""
    return file_digest(path, extra=f"{CACHE_VERSION}|{margin_km:g}|{','.join(rules.tag_keys())}|{boundary.wkb_hex}")


def keep_zone(boundary: shapely.Geometry, margin_km: float, crs: str) -> shapely.Geometry:
    """The region plus its margin, as a lon/lat polygon (buffered in the local metric CRS)."""
    return gpd.GeoSeries([boundary], crs="EPSG:4326").to_crs(crs).buffer(margin_km * 1000).to_crs("EPSG:4326").iloc[0]


def load_network(
    path: Path, boundary: shapely.Geometry, *, crs: str, margin_km: float, cache_dir: Path | None, rules: OsmRules
) -> RoadNetwork:
    key = network_cache_key(path, boundary, margin_km=margin_km, rules=rules)
    cached = load_cached_arrays(cache_dir, key)
    if cached is not None:
        try:
            network = RoadNetwork.from_arrays(cached)
        except (KeyError, ValueError, TypeError) as exc:
            log.warning(N_("the routing cache entry for %s is incomplete (%s); rebuilding it."), path, exc)
        else:
            log.info("road network from cache (%s)", cache_dir)
            return network
    raw = read_osm_roads(path, tag_keys=rules.tag_keys(), node_tag_keys=rules.node_tag_keys())
    network = build_road_network(raw, keep_within=keep_zone(boundary, margin_km, crs))
    if network.n_edges == 0:
        raise CoverageError(
            Msg(
                "{path}: none of its roads lies within {km} km of the region; check that the extract covers the region.",
                path=path,
                km=f"{margin_km:g}",
            )
        )
    save_cached_arrays(cache_dir, key, network.to_arrays())
    return network


def report_exclusions(path: Path | str, network: RoadNetwork, rules: OsmRules) -> list[str]:
    """Warn once about ways left out or tags not understood; returns the lines warned."""
    report = exclusion_report(network, rules)
    labels = {
        "unknown": N_("ways with a highway value the OSM rules do not know (left out)"),
        "excluded": N_("ways that are no road for travel (construction, platforms...; left out)"),
        "area": N_("highway areas (squares, plazas; left out)"),
        "access": N_("access values not understood (ignored)"),
        "oneway": N_("oneway values not understood (ignored)"),
        "maxspeed": N_("maxspeed values not understood (the class speed is used)"),
        "barrier": N_("barrier nodes closing a mode (the ways through them are cut for it)"),
    }
    notes = []
    for key, label in labels.items():
        counts = report[key]
        if counts:
            listed = ", ".join(f"`{v}` {n}" for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
            more = ", ..." if len(counts) > 8 else ""
            notes.append(Msg("{n} {label}: {listed}", n=sum(counts.values()), label=Note(label), listed=listed + more))
    if notes:
        joined = functools.reduce(lambda a, b: Msg("{a}; {b}", a=a, b=b), notes)
        log.warning(N_("%s: %s. See --osm-rules to change a rule."), path, joined)  # the CLI shows Notes translated
    return [str(note) for note in notes]


class _SegmentDistance:
    """Exact planar distance from points to the nearest of many segments, through a KD-tree.

    Each segment is cut into pieces of at most ``piece_m`` and the pieces' centres are
    indexed.  A point's nearest centre bounds its distance ``D`` to the nearest
    segment from above; the piece holding the nearest point on that segment has its
    centre within ``D + piece_m / 2``, so the segments of every centre within that
    radius include the nearest one, and the exact distance is their minimum.  (A
    province's million segments index in a fraction of the time an R-tree of
    line geometries takes to build.)
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, piece_m: float = 200.0):
        from scipy.spatial import cKDTree

        self.a, self.b, self.piece_m = a, b, piece_m
        pieces = np.maximum(1, np.ceil(np.hypot(*(b - a).T) / piece_m)).astype(np.int64)
        self.segment = np.repeat(np.arange(len(a)), pieces)
        first = np.repeat(np.cumsum(pieces) - pieces, pieces)
        t = (np.arange(len(self.segment)) - first + 0.5) / pieces[self.segment]
        self.tree = cKDTree(a[self.segment] + t[:, None] * (b - a)[self.segment])

    def __call__(self, points: np.ndarray) -> np.ndarray:
        bound, _ = self.tree.query(points)
        out = np.empty(len(points))
        for i, near in enumerate(self.tree.query_ball_point(points, bound + self.piece_m / 2)):
            seg = np.unique(self.segment[near])
            out[i] = _point_segment_distance(points[i], self.a[seg], self.b[seg]).min()
        return out


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    denom = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
    return np.hypot(*(a + t[:, None] * ab - p).T)


def warn_if_gcj02(layers: dict[str, gpd.GeoDataFrame], network: RoadNetwork, *, crs: str) -> list[str]:
    """Warn when a point layer sits systematically off the roads in the way GCJ-02 coordinates do.

    Coordinates copied from Amap or Tencent are shifted 300-600 m.  The test: the
    median point lies more than 100 m from the nearest road, and undoing the GCJ-02
    shift brings it at least twice as close.  It can only fire for points that
    really sit on or near roads (facilities on streets, villages on tracks); in a
    dense street grid a shift may land on the next street and go unnoticed.

    Parameters
    ----------
    layers
        Point layers by source (file name), WGS84.
    network
        The road network.
    crs
        A local metric CRS (a heuristic's distances: projection error does not matter).

    Returns
    -------
    list of str
        The sources warned about.
    """
    if network.n_edges == 0:
        return []
    from pyproj import Transformer

    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_metric.transform(network.lon, network.lat)
    xy = np.column_stack([x, y])
    nearest = _SegmentDistance(xy[network.u], xy[network.v])

    def median_distance(lon, lat) -> float:
        return float(np.median(nearest(np.column_stack(to_metric.transform(lon, lat)))))

    warned = []
    for source, points in layers.items():
        shift = _gcj02_shift(points, median_distance)
        if shift is not None:
            log.warning(
                N_(
                    "%s: the points look shifted like GCJ-02 coordinates (copied from Amap/Tencent): the median point "
                    "lies %.0f m from the roads, %.0f m once the shift is undone. If so, run again with --coords gcj02."
                ),
                source,
                *shift,
            )
            warned.append(source)
    return warned


def _gcj02_shift(points, median_distance) -> tuple[float, float] | None:
    """(median metres to the roads as given, once the GCJ-02 shift is undone) when undoing it halves it; else None."""
    from ..gcj02 import gcj02_to_wgs84

    if len(points) < 4:
        return None
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    if len(lon) > 2000:  # a median needs no more: a seeded sample keeps it fast on a province
        pick = np.random.default_rng(0).choice(len(lon), 2000, replace=False)
        lon, lat = lon[pick], lat[pick]
    as_given = median_distance(lon, lat)
    if as_given <= 100:
        return None
    undone = median_distance(*gcj02_to_wgs84(lon, lat))
    return (as_given, undone) if undone < as_given / 2 else None
