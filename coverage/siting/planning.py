"""Siting on a region: candidate sites, the coverage matrices of access standards, and the answer.

A thin adapter between GeoDataFrames and the models of :mod:`coverage.siting`:
it builds each standard's demand rows (applicable settlements not yet meeting
it) and their sparse travel-time matrix to the candidates, with the same engine
and settings the scorecard uses, solves, and reports the sites with the
settlements each one newly brings within the standard.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import Transformer

from ..errors import CatalogueError, CoverageError
from ..geodesy import PointIndex
from ..i18n import N_, Msg, Note
from ..inputs.region import Region
from ..standards._base import NOT_TESTED
from ..standards.assessment import Assessment, assess
from ..standards.catalogue import Catalogue
from ..standards.kinds import kind_of
from ..standards.kinds.access import AccessStandard
from ..travel import eligible_facilities, lonlat, model_for, road_points
from ._covering import budget_curve, solve_lscp, solve_mclp
from ._median import solve_pcenter, solve_pmedian
from ._result import SitingResult

__all__ = [
    "SitingPlan",
    "access_standards",
    "candidate_sites",
    "nearest_equivalent_sites",
    "proposed_facilities",
    "site_for_standards",
]


def candidate_sites(
    region: Region,
    source: str | gpd.GeoDataFrame = "settlements",
    *,
    spacing_km: float = 5.0,
    exclude: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites as points (WGS84) with an ``id`` index and a ``source`` column.

    Parameters
    ----------
    region
        The region.
    source
        ``"settlements"`` (every settlement point), ``"roads"`` (road nodes inside the
        region thinned to one per ``spacing_km`` square), or a point GeoDataFrame
        (e.g. read from the user's candidate file).
    spacing_km
        Thinning grid for road nodes.
    exclude
        Polygons where no facility may go (protected areas, dunes): candidates inside are dropped.
    """
    if isinstance(source, gpd.GeoDataFrame):
        cands = _user_candidates(source)
    elif source == "settlements":
        s = region.settlements
        cands = gpd.GeoDataFrame(
            {"name": s["name_zh"].to_numpy(), "source": "settlement"},
            geometry=s.geometry.to_numpy(),
            crs="EPSG:4326",
            index=pd.Index([f"at-{i}" for i in s.index], name="id"),
        )
    elif source == "roads":
        nodes = _thinned(road_points(region), region.crs, spacing_km)
        cands = gpd.GeoDataFrame({"name": nodes["name"], "source": "road node"}, geometry=nodes.geometry, crs="EPSG:4326")
    else:
        raise CoverageError(Msg("unknown candidate source '{value}': use settlements, roads or a point file.", value=source))
    if exclude is not None and len(cands):
        zone = shapely.union_all(exclude.to_crs("EPSG:4326").geometry.to_numpy())
        cands = cands[~cands.geometry.within(zone)]
    if len(cands) == 0:
        raise CoverageError(Msg("no candidate site left (after exclusions); give another --candidates source."))
    return cands


def _user_candidates(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A user's candidate file: its ``id`` (or ``cand-N``) and ``name`` columns."""
    cands = points.to_crs("EPSG:4326")
    ids = cands["id"].astype(str) if "id" in cands else pd.Series([f"cand-{i + 1}" for i in range(len(cands))])
    return gpd.GeoDataFrame(
        {"name": cands.get("name", ids).astype(str).to_numpy(), "source": "user file"},
        geometry=cands.geometry.to_numpy(),
        crs="EPSG:4326",
        index=pd.Index(ids.to_numpy(), name="id"),
    )


def _thinned(points: gpd.GeoDataFrame, crs: str, spacing_km: float) -> gpd.GeoDataFrame:
    """One point per ``spacing_km`` square of a grid in ``crs``: the one nearest the square's centre (ties by id)."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    )
    cell = np.floor(np.column_stack([x, y]) / (spacing_km * 1000)).astype(np.int64)
    centre = (cell + 0.5) * spacing_km * 1000
    dist = np.hypot(x - centre[:, 0], y - centre[:, 1])
    order = np.lexsort((points["osm_id"].to_numpy(), dist, cell[:, 1], cell[:, 0]))
    cell_sorted = cell[order]
    first = np.ones(len(order), bool)
    first[1:] = np.any(cell_sorted[1:] != cell_sorted[:-1], axis=1)
    return points.iloc[order[first]]


KIND_WORDS = {"access": N_("access"), "presence": N_("presence"), "ratio": N_("ratio")}  # standard kinds, in words


@dataclass(frozen=True)
class SitingPlan:
    """A siting answer on a region.

    Attributes
    ----------
    result
        The model's answer (objective, optimality, gap).
    sites
        The chosen candidates in build order, with ``rank``, ``newly_covered`` (demand
        brought within the standards by this site, given the ones before),
        ``settlements`` (their ids) and the nearest settlement.
    standards
        The standards sited for.
    candidates
        All candidates considered.
    demand
        The demand rows: ``standard``, ``settlement_id``, ``weight``, ``covered_before``.
    curve
        Budget curve rows (if asked).
    asked
        How many sites were asked for (``len(sites)`` may be fewer: more add no coverage).
    """

    result: SitingResult
    sites: gpd.GeoDataFrame
    standards: tuple[AccessStandard, ...]
    candidates: gpd.GeoDataFrame
    demand: pd.DataFrame
    curve: pd.DataFrame | None = None
    asked: int = 1


def _demand_and_cover(region: Region, assessment: Assessment, standards, cands_xy):
    """Demand rows (each standard's applicable settlements) and their travel times to the candidates within the limit.

    Returns
    -------
    demand : DataFrame
        One row per standard x applicable settlement.
    times : csr_array
        Seconds for every (demand row, candidate) pair within the standard's limit
        (a pair at 0 s is stored as a tiny positive time, so that it is kept: see
        :meth:`~coverage.travel.TravelTimeMatrix.to_sparse`);
        its pattern is the cover matrix.
    """
    rows, mats = [], []
    for std in standards:
        det = assessment.result(std.id).detail
        model = model_for(region, std.profile)
        mat = model.matrix(lonlat(region.settlements.loc[det.index]), cands_xy, cutoff_s=std.max_minutes * 60.0)
        times = mat.to_sparse()
        before = (det["verdict"] == "met").to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "standard": std.id,
                    "settlement_id": det.index,
                    "weight": det["demand"].to_numpy(),
                    "covered_before": before,
                    "minutes_before": det["minutes"].to_numpy(),
                }
            )
        )
        mats.append(times)
    return pd.concat(rows, ignore_index=True), sp.csr_array(sp.vstack(mats, format="csr"))


def nearest_equivalent_sites(sites, times: sp.csr_array, weights: np.ndarray) -> tuple[int, ...]:
    """Move each site to the candidate that serves the same demand in the fewest weighted minutes.

    A covering model is indifferent between candidates that cover the same
    settlements (one 60 km away or one in the village itself).  For each chosen
    site, the demand only it covers must stay covered; among the candidates that
    cover all of it, the one with the least weight x time to it is kept (the
    original on ties).  Coverage never decreases, so an optimal answer stays optimal.
    """
    chosen = [int(j) for j in sites]
    csc = sp.csc_array(times)
    cover = sp.csr_array(times.astype(bool))
    for pos, j in enumerate(chosen):
        others = [c for c in chosen if c != j]
        rows_j = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        by_others = np.asarray(cover[:, others].sum(axis=1)).ravel() > 0 if others else np.zeros(times.shape[0], bool)
        own = rows_j[(weights[rows_j] > 0) & ~by_others[rows_j]]
        if len(own) == 0:
            continue
        sub_cover = cover[own]
        full = np.flatnonzero(np.asarray(sub_cover.sum(axis=0)).ravel() == len(own))
        full = full[~np.isin(full, others)]
        cost = np.asarray(sp.csr_array(times[own][:, full]).T @ weights[own]).ravel()
        best = full[np.argmin(cost)]
        if cost[np.argmin(cost)] < cost[np.flatnonzero(full == j)[0]] - 1e-9:
            chosen[pos] = int(best)
    return tuple(chosen)


def access_standards(catalogue: Catalogue, standard_ids: list[str], facility_type: str | None) -> tuple[list, str]:
    """The access standards to site for, and the new facility's type (eligible for every one of them)."""
    stds = []
    for sid in standard_ids:
        std = catalogue.get(sid)
        if not kind_of(std).sited:
            raise CatalogueError(
                Msg(
                    "'{id}' is a {kind} standard; siting works on access standards ({ids}).",
                    id=sid,
                    kind=Note(KIND_WORDS.get(std.kind, std.kind)),
                    ids=", ".join(s.id for s in catalogue.standards if kind_of(s).sited),
                )
            )
        stds.append(std)
    ftype = facility_type or stds[0].facility_types[0]
    for std in stds:
        if ftype not in std.facility_types:
            raise CatalogueError(
                Msg(
                    "a new '{type}' does not count for '{id}' (it counts {types}); choose --type accordingly.",
                    type=ftype,
                    id=std.id,
                    types=", ".join(std.facility_types),
                )
            )
    return stds, ftype


def _with_relocation(region: Region, cands: gpd.GeoDataFrame, std: AccessStandard) -> tuple[Region, gpd.GeoDataFrame]:
    """Existing eligible facilities become candidates and leave the region (they may move)."""
    f = region.facilities
    existing = eligible_facilities(f, std.facility_types, count_outside_region=False)
    movable = gpd.GeoDataFrame(
        {"name": existing["name_zh"].to_numpy(), "source": "existing facility"},
        geometry=existing.geometry.to_numpy(),
        crs="EPSG:4326",
        index=pd.Index([f"existing-{i}" for i in existing.index], name="id"),
    )
    return region.with_layers(facilities=f.drop(index=existing.index)), pd.concat([cands, movable])


@dataclass(frozen=True, eq=False)
class SitingRequest:
    """What to site: for which access standards, how many facilities of which type, by which model, where.

    Attributes
    ----------
    standards
        Access standard ids to serve at once (a new health centre counts for several).
    facility_type
        Type of the new facility (eligible for every standard); default: the first
        type of the first standard.
    k
        New facilities (MCLP, p-median, p-center); at least 1.
    model
        ``"mclp"``, ``"lscp"``, ``"pmedian"`` or ``"pcenter"`` (the last two take one standard).
    candidates, spacing_km, exclude
        See :func:`candidate_sites`.
    allow_relocate
        Let existing eligible facilities move: they join the candidates and nobody
        counts as covered beforehand; ``k`` is then the total number of sites.
    budget_k
        Also compute the budget curve for 1..budget_k (MCLP), with the same solver and
        polishing as the recommendation (the two agree at the same k).
    time_limit_s
        Time limit of each solver call; an unfinished solve reports its gap.
    """

    standards: tuple[str, ...]
    facility_type: str | None = None
    k: int = 1
    model: str = "mclp"
    candidates: str | gpd.GeoDataFrame = "settlements"
    spacing_km: float = 5.0
    exclude: gpd.GeoDataFrame | None = None
    allow_relocate: bool = False
    budget_k: int | None = None
    time_limit_s: float = 60.0

    def check(self) -> None:
        """Refuse numbers out of range and unknown models."""
        if (
            self.k < 1
            or (self.budget_k is not None and self.budget_k < 1)
            or not np.isfinite(self.time_limit_s)
            or self.time_limit_s <= 0
        ):
            raise CoverageError(Msg("siting needs k >= 1, a budget curve of >= 1 sites and a positive time limit."))
        if self.model not in SITING_MODELS:
            raise CoverageError(Msg("unknown model '{model}': use mclp, lscp, pmedian or pcenter.", model=self.model))


@dataclass(frozen=True)
class _Problem:
    """A siting problem on a region: the demand rows, their times to the candidates within each standard's limit."""

    region: Region
    request: SitingRequest
    standards: list
    candidates: gpd.GeoDataFrame
    demand: pd.DataFrame
    times: sp.csr_array

    @property
    def cover(self) -> sp.csr_array:
        return sp.csr_array(self.times.astype(bool))

    @property
    def todo(self) -> np.ndarray:
        return ~self.demand["covered_before"].to_numpy()

    @property
    def weights(self) -> np.ndarray:
        return np.where(self.todo, self.demand["weight"].to_numpy(dtype=float), 0.0)


def site_for_standards(
    region: Region, catalogue: Catalogue, request: SitingRequest, *, assessment: Assessment | None = None
) -> SitingPlan:
    """Recommend sites for new facilities against one or more access standards.

    Parameters
    ----------
    region, catalogue
        The region and the catalogue holding the standards.
    request
        What to site (:class:`SitingRequest`).
    assessment
        The current assessment (recomputed if not given).

    Returns
    -------
    SitingPlan
    """
    request.check()
    stds, _ftype = access_standards(catalogue, list(request.standards), request.facility_type)
    if request.model in ("pmedian", "pcenter") and len(stds) > 1:
        raise CoverageError(Msg("{model} sites for one standard at a time; give a single --standard.", model=request.model))
    cands = candidate_sites(region, request.candidates, spacing_km=request.spacing_km, exclude=request.exclude)
    if request.allow_relocate:
        region, cands = _with_relocation(region, cands, stds[0])
        assessment = None
    assessment = assessment or assess(region, catalogue.select([s.id for s in stds]))
    _refuse_without_demand(assessment, stds)
    # With relocation the assessment is of the region without the movable facilities, so
    # "covered before" counts only what the fixed ones (e.g. referral hospitals) provide.
    demand, times = _demand_and_cover(region, assessment, stds, lonlat(cands))
    problem = _Problem(region, request, stds, cands, demand, times)
    result, curve = SITING_MODELS[request.model](problem)
    sites = _describe_sites(region, cands, result, problem.cover, demand, problem.todo)
    return SitingPlan(
        result=result, sites=sites, standards=tuple(stds), candidates=cands, demand=demand, curve=curve, asked=request.k
    )


def _site_mclp(p: _Problem) -> tuple[SitingResult, pd.DataFrame | None]:
    """Maximal covering for k sites (and the budget curve when asked)."""
    cover, weights, req = p.cover, p.weights, p.request

    def solve(kk: int) -> SitingResult:
        return _polished(solve_mclp(cover, weights, kk, time_limit_s=req.time_limit_s), p.times, weights)

    result = solve(req.k)
    curve = None
    if req.budget_k:
        curve = _curve(
            cover, weights, p.demand, p.todo, p.candidates, req.budget_k, lambda kk: result if kk == req.k else solve(kk)
        )
    return result, curve


def _site_lscp(p: _Problem) -> tuple[SitingResult, None]:
    return _lscp(p.cover, p.times, p.weights, p.demand, p.todo, p.standards, p.request.time_limit_s), None


def _site_median_or_center(p: _Problem) -> tuple[SitingResult, None]:
    req = p.request
    return _median_or_center(p.region, p.standards[0], req.model, req.k, p.demand, p.candidates, req.time_limit_s), None


#: The siting models by name: each answers a :class:`_Problem` with a result (and a budget curve or None).
SITING_MODELS = {"mclp": _site_mclp, "lscp": _site_lscp, "pmedian": _site_median_or_center, "pcenter": _site_median_or_center}


def _refuse_without_demand(assessment: Assessment, stds) -> None:
    """Siting weighs people: a standard whose demand is missing or all zero has nothing to weigh."""
    for std in stds:
        r = assessment.result(std.id)
        demand = r.detail["demand"].to_numpy(float) if "demand" in r.detail else np.empty(0)
        if r.verdict == NOT_TESTED and len(demand) and (np.isnan(demand).any() or demand.sum() <= 0):
            raise CoverageError(Msg("{id}: nothing to site for: {why}.", id=std.id, why=r.why))


def _curve(cover, weights, demand, todo, cands, budget_k: int, solve) -> pd.DataFrame:
    base = float(demand.loc[~todo, "weight"].sum())
    curve = pd.DataFrame(
        budget_curve(cover, weights, budget_k, base_weight=base, total_weight=float(demand["weight"].sum()), solve=solve)
    )
    curve["optimal_sites"] = [", ".join(cands.index[list(s)]) for s in curve["optimal_sites"]]
    curve["build_order_site"] = [cands.index[int(j)] if j >= 0 else "" for j in curve["build_order_site"]]
    return curve


def _lscp(cover, times, weights, demand, todo, stds, time_limit_s: float) -> SitingResult:
    """The fewest sites reaching the standard's required share (of all demand; what is met already counts)."""
    share = stds[0].required_share if len(stds) == 1 else 1.0
    rows = np.flatnonzero(todo)
    w_sub = demand["weight"].to_numpy(dtype=float)[todo]
    met = float(demand.loc[~todo, "weight"].sum())
    total = float(demand["weight"].sum())
    needed = max(0.0, (share * total - met) / w_sub.sum()) if w_sub.sum() > 0 else 0.0
    result = solve_lscp(sp.csr_array(cover[rows]), w_sub, required_share=min(1.0, needed), time_limit_s=time_limit_s)
    result = _polished(result, times, weights)
    return dataclasses.replace(result, uncoverable=tuple(int(rows[i]) for i in result.uncoverable))


def _median_or_center(
    region: Region, std: AccessStandard, model: str, k: int, demand, cands, time_limit_s: float
) -> SitingResult:
    """p-median or p-center on travel times up to 4x the standard's limit (at least an hour)."""
    cutoff = max(std.max_minutes * 60.0 * 4, 3600.0)
    mat = model_for(region, std.profile).matrix(
        lonlat(region.settlements.loc[demand["settlement_id"]]), lonlat(cands), cutoff_s=cutoff
    )
    times = mat.to_sparse().tocoo()
    current = demand["minutes_before"].to_numpy() * 60.0
    w = demand["weight"].to_numpy(dtype=float)
    if model == "pmedian":
        return solve_pmedian(times, w, k, current=current, penalty=cutoff, time_limit_s=time_limit_s)
    return solve_pcenter(times, k, current=current, penalty=cutoff, weights=w, time_limit_s=time_limit_s)


def _polished(result: SitingResult, times: sp.csr_array, weights: np.ndarray) -> SitingResult:
    moved = nearest_equivalent_sites(result.sites, times, weights)
    if moved == tuple(result.sites):
        return result
    note = Note("sites moved to the equivalent candidate nearest the settlements they serve (coverage unchanged)")
    return dataclasses.replace(result, sites=moved, notes=(*result.notes, note))


def _describe_sites(
    region: Region, cands: gpd.GeoDataFrame, result: SitingResult, cover: sp.csr_array, demand: pd.DataFrame, todo: np.ndarray
) -> gpd.GeoDataFrame:
    csc = sp.csc_array(cover)
    covered = ~todo.copy()
    rows = []
    index = PointIndex(*lonlat(region.settlements).T)
    for rank, j in enumerate(result.sites, start=1):
        hit = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        new = hit[~covered[hit]]
        covered[hit] = True
        newly = demand.iloc[new]
        i, d = index.nearest(*lonlat(cands.iloc[[j]]).T)
        near = region.settlements.index[i[0]]
        pt = cands.geometry.iloc[j]
        rows.append(
            {
                "rank": rank,
                "candidate": cands.index[j],
                "name": cands["name"].iloc[j],
                "source": cands["source"].iloc[j],
                "lon": round(pt.x, 6),
                "lat": round(pt.y, 6),
                "nearest_settlement": near,
                "nearest_settlement_name": region.settlements.loc[near, "name_zh"],
                "distance_km": round(float(d[0]) / 1000, 2),
                "newly_covered": float(newly["weight"].sum()),
                "settlements": ", ".join(f"{r.settlement_id} ({r.standard})" for r in newly.itertuples()),
                "settlement_names_zh": "、".join(_name(region, r.settlement_id, "zh") for r in newly.itertuples()),
                "settlement_names_en": ", ".join(_name(region, r.settlement_id, "en") for r in newly.itertuples()),
            }
        )
    return gpd.GeoDataFrame(
        pd.DataFrame(
            rows,
            columns=[
                "rank",
                "candidate",
                "name",
                "source",
                "lon",
                "lat",
                "nearest_settlement",
                "nearest_settlement_name",
                "distance_km",
                "newly_covered",
                "settlements",
                "settlement_names_zh",
                "settlement_names_en",
            ],
        ),
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs="EPSG:4326",
    )


def proposed_facilities(region: Region, plan: SitingPlan, facility_type: str) -> gpd.GeoDataFrame:
    """The region's facilities plus the plan's sites (marked as proposed)."""
    f = region.facilities
    new = gpd.GeoDataFrame(
        {
            "facility_type": facility_type,
            "name_zh": [f"拟建{region.facility_types[facility_type].zh} #{r}" for r in plan.sites["rank"]],
            "name_en": [f"proposed {region.facility_types[facility_type].en} #{r}" for r in plan.sites["rank"]],
            "unit_code": "",
            "quantity": 1.0,
            "beds": np.nan,
            "nursing_beds": np.nan,
            "gps": np.nan,
            "doctors": np.nan,
            "in_region": True,
            "coord_source": "proposed site (siting model)",
            "attr_source": "proposed site (siting model)",
        },
        geometry=plan.sites.geometry.to_numpy(),
        crs="EPSG:4326",
        index=pd.Index([f"NEW-{r}" for r in plan.sites["rank"]], name="id"),
    )
    return pd.concat([f, new])


def _name(region: Region, settlement_id: str, lang: str) -> str:
    """A settlement's name in a language (the other's, or its id, where it has none)."""
    row = region.settlements.loc[settlement_id]
    first, second = (row["name_zh"], row["name_en"]) if lang == "zh" else (row["name_en"], row["name_zh"])
    return str(first or second or settlement_id)
