"""Travel across real terrain: a friction surface from land cover, slope and barriers, fused with the roads.

The surface is a grid in the region's metric CRS.  Each cell has a speed per profile:
its land-cover class's speed (``landcover.toml``), times Tobler's hiking factor of its
slope for walking, zero above a maximum slope for driving, zero on barriers (rivers,
fences) except at named crossings.  Moving between neighbouring cells (8 directions)
takes the distance between their centres times the mean of their paces (seconds per
metre), as scikit-image's ``MCP_Geometric`` does; a diagonal step is not allowed past
the corner of an impassable cell (a one-cell barrier drawn diagonally stays closed).

Fusion with roads: every road node the profile may use is joined to the cell it lies
in (both ways, at the cell's speed over the distance from the cell centre), except
nodes whose every segment is of a class in ``no_exit`` (motorways can be left only at
junctions with other roads).  Grid and roads form one sparse graph, and one Dijkstra
search (scipy) from the facilities gives every cell and node its time to the nearest
facility: a trip may mix off-road and road legs in any order.

Why scipy and not ``MCP_Geometric``: MCP starts every source at cost 0, so it cannot
seed road nodes with their times (the fusion), and it lets diagonal steps cut barrier
corners; on the raster alone the two give identical times (``bench/`` measures both).

Discretisation: an origin or facility stands at the centre of its cell (an error of
at most half a cell diagonal at the cell's speed), and 8-direction moves make
straight-line travel up to 8 % longer than the true distance in the worst direction
(22.5°); ``tests/test_terrain.py`` states and checks the bounds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import shapely.ops
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from ..errors import InputValidationError, Problem
from ..i18n import Msg, Note
from ..inputs.config import Profile
from ..inputs.landcover import LandCoverTable, TerrainInputs
from ._graph import RoutingGraph
from ._seam import TravelSurface
from ._types import NearestResult, TravelTimeMatrix, fastest_pairs

log = logging.getLogger(__name__)

__all__ = [
    "Grid",
    "TerrainTravel",
    "fused_graph",
    "grid_graph",
    "isotropic_tobler_factor",
    "region_grid",
    "speed_surface",
    "terrain_travel",
    "tobler_kmh",
]

# Tobler (1993): W = 6 exp(-3.5 |tan(slope) + 0.05|) km/h.
TOBLER_MAX_KMH, TOBLER_DECAY, TOBLER_OFFSET = 6.0, 3.5, 0.05


# Tobler (1993): W = 6 exp(-3.5 |tan(slope) + 0.05|) km/h.
TOBLER_MAX_KMH, TOBLER_DECAY, TOBLER_OFFSET = 6.0, 3.5, 0.05


# Tobler (1993): W = 6 exp(-3.5 |tan(slope) + 0.05|) km/h.
TOBLER_MAX_KMH, TOBLER_DECAY, TOBLER_OFFSET = 6.0, 3.5, 0.05


DEFAULT_MAX_CELLS = 2_000_000


CELL_SIZES_M = (100.0, 250.0, 500.0, 1000.0, 2000.0)


def tobler_kmh(tan_slope: np.ndarray | float) -> np.ndarray:
    """Tobler's hiking speed (km/h) on a slope given as rise over run (negative = downhill)."""
    return TOBLER_MAX_KMH * np.exp(-TOBLER_DECAY * np.abs(np.asarray(tan_slope, float) + TOBLER_OFFSET))


def isotropic_tobler_factor(tan_slope: np.ndarray) -> np.ndarray:
    """Walking speed on a slope over the speed on the flat, the same both ways: the mean of up and down."""
    flat = tobler_kmh(0.0)
    return (tobler_kmh(tan_slope) + tobler_kmh(-np.asarray(tan_slope))) / (2.0 * flat)


@dataclass(frozen=True)
class Grid:
    """A raster grid in a metric CRS: ``x0``/``y0`` the top-left corner, square cells of ``cell_m``."""

    crs: str
    x0: float
    y0: float
    cell_m: float
    height: int
    width: int

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.height, self.width

    @property
    def transform(self):
        """The rasterio affine transform."""
        from rasterio.transform import from_origin

        return from_origin(self.x0, self.y0, self.cell_m, self.cell_m)

    def to_grid(self, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projected x, y of lon/lat points."""
        tr = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        x, y = tr.transform(lonlat[:, 0], lonlat[:, 1])
        return np.asarray(x, float), np.asarray(y, float)

    def cells(self, lonlat: np.ndarray) -> np.ndarray:
        """Flat index of the cell holding each point (-1 outside the grid)."""
        lonlat = np.asarray(lonlat, float).reshape(-1, 2)
        x, y = self.to_grid(lonlat)
        col = np.floor((x - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((self.y0 - y) / self.cell_m).astype(np.int64)
        inside = (row >= 0) & (row < self.height) & (col >= 0) & (col < self.width)
        return np.where(inside, row * self.width + col, -1)

    def centres(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projected x, y of cell centres."""
        row, col = np.divmod(np.asarray(flat, np.int64), self.width)
        return self.x0 + (col + 0.5) * self.cell_m, self.y0 - (row + 0.5) * self.cell_m


def region_grid(boundary: shapely.Geometry, crs: str, *, margin_km: float = 10.0, cell_m: float | None = None) -> Grid:
    """The grid over the boundary plus a margin, in square cells.

    The cell size given, or the smallest of 100, 250, 500, 1,000, 2,000 m that keeps the
    grid under 2 million cells.
    """
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    projected = shapely.ops.transform(tr.transform, boundary)
    minx, miny, maxx, maxy = projected.buffer(margin_km * 1000.0).bounds
    if cell_m is None:
        area = (maxx - minx) * (maxy - miny)
        cell_m = next((c for c in CELL_SIZES_M if area / c**2 <= DEFAULT_MAX_CELLS), CELL_SIZES_M[-1])
    x0, y1 = math.floor(minx / cell_m) * cell_m, math.ceil(maxy / cell_m) * cell_m
    width = math.ceil((maxx - x0) / cell_m)
    height = math.ceil((y1 - miny) / cell_m)
    return Grid(crs, float(x0), float(y1), float(cell_m), height, width)


def _classes_to_speed(classes: np.ndarray, table: LandCoverTable, profile: str, source: str) -> np.ndarray:
    speeds = table.speeds(profile)
    found = np.unique(classes[np.isfinite(classes)]).astype(np.int64)
    unknown = [int(v) for v in found if int(v) not in speeds]
    if unknown:
        raise InputValidationError(
            [
                Problem(
                    source,
                    "",
                    "",
                    Msg(
                        "land-cover value(s) {values} are not in {table}; "
                        "add a [[class]] for each (its speeds per profile), or 0 km/h to make it impassable.",
                        values=", ".join(map(str, unknown[:10])),
                        table=table.label,
                    ),
                )
            ]
        )
    lut_values = np.array(sorted(speeds), dtype=np.int64)
    lut_speeds = np.array([speeds[v] for v in lut_values], float)
    out = np.zeros(classes.shape)
    ok = np.isfinite(classes)
    out[ok] = lut_speeds[np.searchsorted(lut_values, classes[ok].astype(np.int64))]
    return out / 3.6


def _slope_tan(dem: np.ndarray, cell_m: float) -> np.ndarray:
    dzdy, dzdx = np.gradient(dem, cell_m)
    return np.hypot(dzdx, dzdy)


def _burn(grid: Grid, geoms: list) -> np.ndarray:
    from rasterio.features import rasterize

    if not geoms:
        return np.zeros(grid.shape, bool)
    return rasterize(((g, 1) for g in geoms), out_shape=grid.shape, transform=grid.transform, all_touched=True, dtype="uint8") > 0


def landcover_classes(grid: Grid, inputs: TerrainInputs) -> np.ndarray:
    """The land-cover class of every cell (NaN where the raster does not reach or is no-data)."""
    from ..inputs._rasters import read_raster_on_grid

    return read_raster_on_grid(inputs.landcover, crs=grid.crs, transform=grid.transform, shape=grid.shape, categorical=True)


def speed_surface(grid: Grid, inputs: TerrainInputs, profile: str, classes: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Speed (m/s) of every cell for a profile, and counts for the notes (``classes``: :func:`landcover_classes`, read once).

    Returns
    -------
    speed : numpy.ndarray
        Shape ``grid.shape``; 0 where impassable (no land cover, impassable class,
        too steep, barrier).
    counts : dict
        ``no_landcover``, ``too_steep``, ``barrier`` cells, ``crossings`` used.
    """
    from ..inputs._rasters import LINES_AND_AREAS, POINTS, read_raster_on_grid, read_vector_geometries

    classes = landcover_classes(grid, inputs) if classes is None else classes
    speed = _classes_to_speed(classes, inputs.table, profile, inputs.landcover.name)
    counts = {"no_landcover": int(np.isnan(classes).sum()), "too_steep": 0, "barrier": 0, "crossings": 0}
    if inputs.dem is not None:
        dem = read_raster_on_grid(inputs.dem, crs=grid.crs, transform=grid.transform, shape=grid.shape, categorical=False)
        tan = _slope_tan(dem, grid.cell_m)
        if profile in inputs.table.tobler_profiles:
            speed = speed * np.where(np.isfinite(tan), isotropic_tobler_factor(np.nan_to_num(tan)), 1.0)
        if profile in inputs.table.max_slope_deg:
            steep = np.isfinite(tan) & (tan > math.tan(math.radians(inputs.table.max_slope_deg[profile])))
            counts["too_steep"] = int((steep & (speed > 0)).sum())
            speed = np.where(steep, 0.0, speed)
    barrier_files = [p for p in (inputs.barriers, *inputs.extra_barriers) if p is not None]
    if barrier_files:
        lines = [g for p in barrier_files for g in read_vector_geometries(p, crs=grid.crs, allowed=LINES_AND_AREAS)]
        wall = _burn(grid, lines)
        if inputs.crossings is not None:
            points = [
                pt for g in read_vector_geometries(inputs.crossings, crs=grid.crs, allowed=POINTS) for pt in shapely.get_parts(g)
            ]
            # A crossing opens the barrier cells around it (3 x 3: a line burnt with all_touched is up to 2 cells wide).
            for p in points:
                col, row = int((p.x - grid.x0) // grid.cell_m), int((grid.y0 - p.y) // grid.cell_m)
                r0, c0 = max(row - 1, 0), max(col - 1, 0)
                wall[r0 : row + 2, c0 : col + 2] = False
            counts["crossings"] = len(points)
        counts["barrier"] = int((wall & (speed > 0)).sum())
        speed = np.where(wall, 0.0, speed)
    return speed, counts


_STEPS = ((0, 1), (1, 0), (1, 1), (1, -1), (0, -1), (-1, 0), (-1, -1), (-1, 1))  # the 8 neighbours of a cell


def grid_graph(speed: np.ndarray, cell_m: float) -> sp.csr_array:
    """Seconds between neighbouring passable cells (8 directions, no corner cutting), as a CSR matrix.

    Built directly in CSR form with one slot per neighbour (8 per cell, no sorting or
    COO copies: a 25M-cell grid needs 2.4 GB instead of three times that).  A slot
    with no step (the grid's edge, a barrier, an impassable cell) points back to its
    own cell at an infinite time: scipy's Dijkstra never takes it.
    """
    h, w = speed.shape
    n = h * w
    ok = speed > 0
    pace = np.where(ok, 1.0 / np.where(ok, speed, 1.0), 0.0)
    itype = np.int32 if 8 * n < 2**31 else np.int64  # half the index memory on every grid that fits
    idx = np.arange(n, dtype=itype).reshape(h, w)
    indices = np.repeat(idx.reshape(n, 1), 8, axis=1).reshape(h, w, 8)
    data = np.full((h, w, 8), np.inf)
    for slot, (dy, dx) in enumerate(_STEPS):
        a = (slice(max(0, -dy), h - max(0, dy)), slice(max(0, -dx), w - max(0, dx)))  # cells with that neighbour...
        b = (slice(max(0, dy), h + min(0, dy)), slice(max(0, dx), w + min(0, dx)))  # ...and the neighbours
        keep = ok[a] & ok[b]
        if dy and dx:  # a diagonal step needs both cells it passes between open
            keep &= ok[a[0], b[1]] & ok[b[0], a[1]]
        sec = np.add(pace[a], pace[b])
        sec *= math.hypot(dx, dy) * cell_m * 0.5
        np.copyto(indices[(*a, slot)], idx[b], where=keep)
        np.copyto(data[(*a, slot)], sec, where=keep)
    indptr = np.arange(0, 8 * n + 1, 8, dtype=itype)
    return sp.csr_array((data.reshape(-1), indices.reshape(-1), indptr), shape=(n, n))


def _connectors(
    grid: Grid, speed: np.ndarray, road: RoutingGraph, no_exit: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell, node, seconds) joining each exit-able road node to its cell."""
    net = road.network
    exitable = road.usable.copy()
    if no_exit:
        open_seg = ~np.isin(net.highway, list(no_exit))
        has_open = np.zeros(net.n_nodes, bool)
        has_open[net.u[open_seg]] = True
        has_open[net.v[open_seg]] = True
        exitable &= has_open
    nodes = np.flatnonzero(exitable)
    cells = grid.cells(np.column_stack([net.lon[nodes], net.lat[nodes]]))
    inside = cells >= 0
    nodes, cells = nodes[inside], cells[inside]
    v = speed.ravel()[cells]
    open_ = v > 0
    nodes, cells, v = nodes[open_], cells[open_], v[open_]
    cx, cy = grid.centres(cells)
    nx_, ny_ = grid.to_grid(np.column_stack([net.lon[nodes], net.lat[nodes]]))
    return cells, nodes, np.hypot(nx_ - cx, ny_ - cy) / v


def fused_graph(grid: Grid, speed: np.ndarray, road: RoutingGraph | None, no_exit: tuple[str, ...] = ()) -> sp.csr_array:
    """Grid cells (first ``H*W`` nodes) and road nodes (after) in one forward graph of seconds."""
    g = grid_graph(speed, grid.cell_m)
    if road is None:
        return g
    n, m = g.shape[0], road.n_nodes
    cells, nodes, sec = _connectors(grid, speed, road, no_exit)
    sec = np.maximum(sec, 1e-9)
    fwd = road.forward.tocoo()
    grid_coo = g.tocoo()
    steps = np.isfinite(grid_coo.data)  # the grid's real steps (not its empty slots)
    rows = np.concatenate([grid_coo.row[steps], n + fwd.row, cells, n + nodes])
    cols = np.concatenate([grid_coo.col[steps], n + fwd.col, n + nodes, cells])
    data = np.concatenate([grid_coo.data[steps], fwd.data, sec, sec])
    return sp.csr_array((data, (rows.astype(np.int64), cols.astype(np.int64))), shape=(n + m, n + m))


def trip_legs(dist: np.ndarray, pred: np.ndarray, start: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """The off-road legs of each trip of a search towards the facilities: before the first road node, after the last.

    ``dist`` and ``pred`` come from one search on the reversed fused graph (``pred[x]`` is the
    next node of the trip from ``x``); ``start`` is each origin's node (-1: no trip).  A trip
    that never touches a road is all access (egress 0); no trip: ``inf`` for both.  The road
    leg is what is left of the trip's time.
    """
    n = len(start)
    access, egress = np.full(n, np.inf), np.full(n, np.inf)
    live = np.flatnonzero(start >= 0)
    cur = start[live].astype(np.int64)
    first_road = np.full(len(live), -1, np.int64)
    last_road = np.full(len(live), -1, np.int64)
    active = np.ones(len(live), bool)
    while active.any():
        on_road = active & (cur >= n_cells)
        first_road = np.where(on_road & (first_road < 0), cur, first_road)
        last_road = np.where(on_road, cur, last_road)
        nxt = np.where(active, pred[np.maximum(cur, 0)], -9999)
        active &= nxt >= 0
        cur = np.where(active, nxt, cur)
    total = dist[start[live]]
    road = first_road >= 0
    access[live] = np.where(road, total - dist[np.maximum(first_road, 0)], total)
    egress[live] = np.where(road, dist[np.maximum(last_road, 0)], 0.0)
    return access, egress


@dataclass(frozen=True, eq=False)
class TerrainTravel:
    """Travel across a friction surface and the roads (see the module doc); a :class:`~coverage.travel.TravelModel`."""

    profile: Profile
    grid: Grid
    speed: np.ndarray
    forward: sp.csr_array
    table: LandCoverTable
    counts: Mapping[str, int] = field(default_factory=dict)
    has_roads: bool = False
    kind: str = "terrain"
    no_cover: np.ndarray | None = None
    warned: set = field(default_factory=set, repr=False)

    @property
    def reverse(self) -> sp.csr_array:
        """Searches towards facilities run on the transpose (one-way roads)."""
        return self.forward.T.tocsr()

    def label(self, lang: str = "en") -> str:
        """E.g. ``terrain + roads (land cover: estimated ...)``."""
        from ..i18n import translate

        text = (
            translate("terrain + roads ({profile}; {cell:g} m cells; land cover: {source})", lang)
            if self.has_roads
            else translate("terrain, no road network ({profile}; {cell:g} m cells; land cover: {source})", lang)
        )
        source = self.table.source_zh if lang == "zh" and self.table.source_zh else self.table.source
        return text.format(profile=translate(self.profile.name, lang), cell=self.grid.cell_m, source=source)

    def _nodes(self, lonlat: np.ndarray) -> np.ndarray:
        """Grid node of each point (-1 outside the grid or on an impassable cell)."""
        cells = self.grid.cells(lonlat)
        ok = cells >= 0
        ok[ok] = self.speed.ravel()[cells[ok]] > 0
        return np.where(ok, cells, -1)

    def nearest(self, origins, facilities, *, cutoff_s=None) -> NearestResult:
        """Nearest facility of each origin in one multi-source search on the reversed graph."""
        origins = np.asarray(origins, float).reshape(-1, 2)
        facilities = np.asarray(facilities, float).reshape(-1, 2)
        n = len(origins)
        snap = np.zeros(n)
        seconds, fac = np.full(n, np.inf), np.full(n, -1, np.int64)
        o_nodes, f_nodes = self._nodes(origins), self._nodes(facilities) if len(facilities) else np.empty(0, np.int64)
        src = np.flatnonzero(f_nodes >= 0)
        access, egress = np.where(np.isfinite(seconds), seconds, np.inf), np.full(n, np.inf)
        if len(src) and n:
            limit = np.inf if cutoff_s is None else float(cutoff_s)
            unique_nodes, first = np.unique(f_nodes[src], return_index=True)
            dist, pred, sources = dijkstra(
                self.reverse, indices=unique_nodes, min_only=True, return_predecessors=True, limit=limit
            )
            ok = o_nodes >= 0
            seconds[ok] = dist[o_nodes[ok]]
            reach = np.isfinite(seconds)
            pos = np.searchsorted(unique_nodes, sources[o_nodes[reach]])
            fac[reach] = src[first[pos]]
            access, egress = trip_legs(dist, pred, np.where(reach, o_nodes, -1), self.grid.height * self.grid.width)
        reach = np.isfinite(seconds)
        via = np.where(reach, "terrain", "").astype("<U8")
        return NearestResult(seconds, fac, via, snap, access, egress, self.stranded(origins))

    def stranded(self, lonlat: np.ndarray) -> np.ndarray:
        """Why each point cannot set out (``no_landcover``, ``impassable``, ``""``); warns once of points without land cover."""
        cells = self.grid.cells(lonlat)
        out = np.full(len(cells), "", dtype="<U12")
        inside = cells >= 0
        no_cover = ~inside
        if self.no_cover is not None:
            no_cover[inside] = self.no_cover.ravel()[cells[inside]]
        out[inside & ~no_cover & (self.speed.ravel()[np.maximum(cells, 0)] <= 0)] = "impassable"
        out[no_cover] = "no_landcover"
        n = int(no_cover.sum())
        if n and (len(cells), n) not in self.warned:
            self.warned.add((len(cells), n))
            log.warning(
                "%s",
                Msg(
                    "{n} of {total} places ({share}) stand where the land cover ({source}) has no class "
                    "(outside the raster, or no-data): they cannot travel across country ({profile}).",
                    n=n,
                    total=len(cells),
                    share=f"{n / len(cells):.0%}",
                    source=self.table.source,
                    profile=Note(self.profile.name),
                ),
            )
        return out

    def matrix(self, origins, destinations, *, cutoff_s) -> TravelTimeMatrix:
        """Every origin x destination pair within ``cutoff_s``: one bounded search per batch of destinations."""
        o = self._nodes(np.asarray(origins, float).reshape(-1, 2))
        d = self._nodes(np.asarray(destinations, float).reshape(-1, 2))
        rows, cols, vals = [], [], []
        valid_o = np.flatnonzero(o >= 0)
        todo = np.flatnonzero(d >= 0)
        batch = max(1, int(2e8 // max(self.forward.shape[0], 1)))
        rev = self.reverse
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            dist = dijkstra(rev, indices=d[part], limit=float(cutoff_s))
            sub = dist[:, o[valid_o]]
            jj, ii = np.nonzero(np.isfinite(sub) & (sub <= cutoff_s))
            rows.append(valid_o[ii])
            cols.append(part[jj])
            vals.append(sub[jj, ii])
        return fastest_pairs(rows, cols, vals, (len(o), len(d)), cutoff_s)

    def surface(self, facilities, *, cutoff_s: float | None = None) -> np.ndarray:
        """Seconds from every cell to its nearest facility (``inf`` beyond reach), shape ``grid.shape``."""
        f = self._nodes(np.asarray(facilities, float).reshape(-1, 2))
        f = np.unique(f[f >= 0])
        n_cells = self.grid.height * self.grid.width
        if not len(f):
            return np.full(self.grid.shape, np.inf)
        limit = np.inf if cutoff_s is None else float(cutoff_s)
        dist = dijkstra(self.reverse, indices=f, min_only=True, limit=limit)
        return dist[:n_cells].reshape(self.grid.shape)

    def raster(self, facilities, *, cutoff_s: float | None = None) -> TravelSurface:
        """:meth:`surface` with the grid's CRS and transform (a :class:`~coverage.travel.SurfaceModel`)."""
        return TravelSurface(self.surface(facilities, cutoff_s=cutoff_s), self.grid.transform, self.grid.crs)

    def service_area(self, facilities, seconds) -> shapely.Geometry:
        """The cells within ``seconds`` of a facility, as WGS84 polygons."""
        from rasterio.features import shapes

        mask = np.isfinite(self.surface(facilities, cutoff_s=seconds))
        if not mask.any():
            return shapely.Polygon()
        polys = [shapely.geometry.shape(g) for g, _v in shapes(mask.astype("uint8"), mask=mask, transform=self.grid.transform)]
        tr = Transformer.from_crs(self.grid.crs, "EPSG:4326", always_xy=True)
        merged = shapely.union_all(polys)
        return shapely.ops.transform(tr.transform, merged)


def terrain_travel(grid: Grid, inputs: TerrainInputs, profile: Profile, road: RoutingGraph | None) -> TerrainTravel:
    """Build the terrain model of a profile: its speed surface, fused with the roads when there are any."""
    classes = landcover_classes(grid, inputs)
    speed, counts = speed_surface(grid, inputs, profile.name, classes)
    forward = fused_graph(grid, speed, road, inputs.table.no_exit)
    return TerrainTravel(
        profile, grid, speed, forward, inputs.table, counts, has_roads=road is not None, no_cover=np.isnan(classes)
    )
