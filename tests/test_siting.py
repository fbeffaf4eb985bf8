"""Siting models against brute force and PySAL spopt; hand cases; the site command; scenarios."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from coverage.cli._main import main
from coverage.errors import CatalogueError
from coverage.inputs.scenario import apply_scenario, load_scenario
from coverage.siting._covering import solve_lscp, solve_mclp
from coverage.siting._median import best_times, pmedian_value, solve_pcenter, solve_pmedian
from coverage.siting._reduce import covered_weight, dominated_candidates, greedy_mclp, merge_identical_rows
from coverage.siting.planning import SitingRequest, site_for_standards
from coverage.standards.catalogue import load_catalogue
from coverage.standards.compare import compare


def random_instance(seed, n=40, m=14, density=0.15):
    rng = np.random.default_rng(seed)
    cover = sp.csr_array(rng.random((n, m)) < density)
    w = rng.integers(1, 100, n).astype(float)
    times = sp.coo_array(np.where(rng.random((n, m)) < 0.3, rng.uniform(1, 100, (n, m)), 0))
    current = np.where(rng.random(n) < 0.5, rng.uniform(20, 200, n), np.inf)
    return cover, w, times, current


@pytest.mark.parametrize("seed", range(8))
def test_models_equal_brute_force(seed):
    cover, w, times, current = random_instance(seed)
    n, m = cover.shape
    for k in (1, 3):
        best = max(covered_weight(cover, w, c) for c in itertools.combinations(range(m), k))
        res = solve_mclp(cover, w, k)
        assert res.proven_optimal and res.objective == pytest.approx(best)
        assert covered_weight(cover, w, res.sites) == pytest.approx(res.objective)
    # LSCP: the fewest sites covering every coverable row.
    coverable = np.diff(cover.indptr) > 0
    csc = sp.csc_array(cover)
    fewest = next(
        kk
        for kk in range(m + 1)
        for c in itertools.combinations(range(m), kk)
        if (np.asarray(csc[:, list(c)].sum(axis=1)).ravel() > 0 if c else np.zeros(n, bool))[coverable].all()
    )
    res = solve_lscp(cover, w)
    assert res.objective == fewest and set(res.uncoverable) == set(np.flatnonzero(~coverable))
    pm = solve_pmedian(times, w, 2, current=current, penalty=300.0)
    assert pm.objective == pytest.approx(
        min(pmedian_value(times, w, c, current=current, penalty=300.0) for c in itertools.combinations(range(m), 2))
    )
    pc = solve_pcenter(times, 2, current=current, penalty=300.0)
    assert pc.objective == pytest.approx(
        min(best_times(times, c, current, 300.0).max() for c in itertools.combinations(range(m), 2))
    )


def test_partial_set_cover_meets_the_share():
    cover, w, _, _ = random_instance(3)
    res = solve_lscp(cover, w, required_share=0.5)
    assert covered_weight(cover, w, res.sites) >= 0.5 * w.sum() - 1e-9
    # One site fewer cannot reach the share (brute force).
    m = cover.shape[1]
    k = len(res.sites)
    assert all(covered_weight(cover, w, c) < 0.5 * w.sum() for c in itertools.combinations(range(m), k - 1))
    impossible = solve_lscp(cover, w, required_share=1.0 - 1e-12 if not res.uncoverable else 1.0)
    assert impossible.objective >= k


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_same_objective_as_spopt(seed):
    pulp = pytest.importorskip("pulp")  # installed with spopt (the dev extra)
    from spopt.locate import LSCP, MCLP, PCenter, PMedian

    rng = np.random.default_rng(100 + seed)
    n, m = 80, 20
    cost = rng.uniform(1, 100, (n, m))
    w = rng.integers(1, 50, n)
    solver = pulp.PULP_CBC_CMD(msg=False)
    cover = sp.csr_array(cost <= 30)
    mc = MCLP.from_cost_matrix(cost, w, service_radius=30, p_facilities=3).solve(solver)
    assert solve_mclp(cover, w.astype(float), 3).objective == pytest.approx(pulp.value(mc.problem.objective))
    ls = LSCP.from_cost_matrix(cost, service_radius=45).solve(solver)
    assert solve_lscp(sp.csr_array(cost <= 45)).objective == pytest.approx(pulp.value(ls.problem.objective))
    times = sp.coo_array(cost)
    pm = PMedian.from_cost_matrix(cost, w, p_facilities=3).solve(solver)
    assert solve_pmedian(times, w.astype(float), 3, penalty=1e6).objective == pytest.approx(
        pulp.value(pm.problem.objective), rel=1e-6
    )
    # spopt's p-center MILP is slow in CBC: compare on a smaller slice.
    small = cost[:30, :10]
    pc = PCenter.from_cost_matrix(small, p_facilities=3).solve(solver)
    assert solve_pcenter(sp.coo_array(small), 3, penalty=1e6).objective == pytest.approx(
        pulp.value(pc.problem.objective), rel=1e-6
    )


def test_reductions():
    cover = sp.csr_array(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 1, 1]], bool))
    merged, w, group = merge_identical_rows(cover, np.array([1.0, 2.0, 5.0, 4.0]))
    assert merged.shape == (2, 3) and w.tolist() == [3.0, 4.0] and group.tolist() == [0, 0, -1, 1]
    # Column 0 covers {0, 1} within column 1's {0, 1, 3}; column 2's {3} too.
    assert dominated_candidates(cover).tolist() == [True, False, True]


def test_hand_cases_unreachable_ties_and_k_too_large():
    # Row 2 no candidate reaches; candidates 0 and 1 are identical (a tie); only 2 distinct sets exist.
    cover = sp.csr_array(np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], bool))
    w = np.array([10.0, 5.0, 7.0])
    res = solve_mclp(cover, w, 5)
    assert res.objective == 15.0 and res.proven_optimal and res.uncoverable == (2,)
    assert len(res.sites) == 2 and 2 in res.sites and len({0, 1} & set(res.sites)) == 1
    assert any("buys nothing" in n.text() for n in res.notes)
    lscp = solve_lscp(cover, w)
    assert lscp.objective == 2 and lscp.uncoverable == (2,) and "cannot be reached" in lscp.notes[0].text()


def test_heuristic_reports_its_gap_to_the_lp_bound():
    rng = np.random.default_rng(11)
    cover = sp.csr_array(rng.random((400, 120)) < 0.04)
    w = rng.integers(1, 100, 400).astype(float)
    heur = solve_mclp(cover, w, 6, exact=False)
    exact = solve_mclp(cover, w, 6, exact=True)
    assert exact.proven_optimal and heur.objective <= exact.objective + 1e-9
    assert heur.bound >= exact.objective - 1e-6  # the LP bound is a real upper bound
    assert heur.gap == pytest.approx(max(0.0, (heur.bound - heur.objective) / heur.bound))
    sites, value = greedy_mclp(cover, w, 6)
    assert value == pytest.approx(covered_weight(cover, w, sites))


# --- on the bundled zone ----------------------------------------------------------------------------


def covered_with(region, std, site_lonlat, ftype="village_clinic") -> float:
    """Independent check of one new site: add it as a facility, re-run the nearest-facility search, sum the demand
    newly within the standard (a different code path from the siting matrix)."""
    from shapely.geometry import Point

    from coverage.standards.kinds.access import assess as assess_access

    before = assess_access(region, std)
    f = region.facilities
    new = f.iloc[[0]].copy()
    new.index = pd.Index(["NEW"], name="id")
    new["facility_type"], new["in_region"] = ftype, True
    new = new.set_geometry([Point(site_lonlat)], crs="EPSG:4326")
    after = assess_access(region.with_layers(facilities=pd.concat([f, new])), std)
    d_before, d_after = before.detail, after.detail
    newly = (d_after["verdict"] == "met") & (d_before["verdict"] != "met")
    return float(d_before.loc[newly, "demand"].sum())


def plan_catalogue(region):
    return load_catalogue(region=region)


def test_site_pastoral_2h_on_the_bundled_zone(tengger):
    cat = plan_catalogue(tengger)
    std = cat.get("medical-pastoral-2h")
    plan = site_for_standards(tengger, cat, SitingRequest(("medical-pastoral-2h",), k=1, budget_k=2))
    assert plan.result.proven_optimal and plan.result.status.text().startswith("optimal")
    # Brute force over every settlement candidate, each re-assessed by the scorecard's own nearest-facility search.
    best = max(covered_with(tengger, std, (g.x, g.y)) for g in tengger.settlements.geometry)
    assert plan.result.objective == pytest.approx(best) and best > 0
    assert plan.sites["newly_covered"].iloc[0] == pytest.approx(best)
    row = plan.sites.iloc[0]
    assert covered_with(tengger, std, (row.lon, row.lat)) == pytest.approx(best)
    # The recommendation and the budget curve agree at k = 1.
    assert plan.curve.loc[plan.curve["k"] == 1, "optimal_sites"].iloc[0] == row.candidate
    # A new health centre does not count for the elderly standard: siting for both is refused, with the reason.
    with pytest.raises(CatalogueError, match="does not count"):
        site_for_standards(
            tengger, cat, SitingRequest(("medical-pastoral-2h", "elderly-coverage-pastoral"), facility_type="health_centre")
        )


def test_site_for_several_standards_and_road_candidates(tengger):
    cat = plan_catalogue(tengger)
    ids = ["medical-town-30min", "medical-pastoral-2h"]
    plan = site_for_standards(tengger, cat, SitingRequest(tuple(ids), k=1, candidates="roads", spacing_km=8))
    assert set(plan.demand["standard"]) == set(ids)
    assert plan.sites["source"].iloc[0] == "road node"
    # The objective is the best any single road candidate does for both standards together (brute force).
    best = max(sum(covered_with(tengger, cat.get(i), (g.x, g.y)) for i in ids) for g in plan.candidates.geometry)
    assert plan.result.objective == pytest.approx(best) and best > 0


def test_site_cli_writes_map_and_curve(tmp_path, capsys):
    out = tmp_path / "site"
    argv = ["site", "--standard", "medical-pastoral-2h", "--add", "2", "--budget-curve", "3", "--out", str(out), "--no-cache"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert first.startswith("Asked for 2 new township health centre for medical-pastoral-2h;")
    assert "proven optimal" in text and "Before / after" in text and "Budget curve" in text
    for name in (
        "sites-medical-pastoral-2h.csv",
        "site-medical-pastoral-2h.html",
        "budget-curve-medical-pastoral-2h.svg",
        "sites-medical-pastoral-2h.gpkg",
    ):
        assert (out / name).exists(), name
    sites = gpd.read_file(out / "sites-medical-pastoral-2h.gpkg", layer="sites")
    curve = pd.read_csv(out / "budget-curve-medical-pastoral-2h.csv", encoding="utf-8-sig")
    # The recommendation for k = 2 is the curve's optimum at k = 2, site for site.
    assert ", ".join(sites["candidate"]) == curve.loc[curve["k"] == 2, "optimal_sites"].iloc[0]
    assert "sites add coverage" not in first or f"{len(sites)} add coverage" in first
    html = (out / "site-medical-pastoral-2h.html").read_text(encoding="utf-8")
    assert "proposed sites" in html and "settlements as they are" in html and "settlements after building" in html


@pytest.mark.parametrize("model", ["lscp", "pmedian", "pcenter"])
def test_site_cli_other_models(model, tmp_path, tengger):
    """Each model through the CLI: its sites, and what they do for the settlements, checked against the before/after table."""
    out = tmp_path / "o"
    argv = ["site", "--standard", "medical-pastoral-2h", "--model", model, "--add", "1", "--out", str(out), "--no-cache"]
    assert main(argv) == 0
    sites = pd.read_csv(out / "sites-medical-pastoral-2h.csv", encoding="utf-8-sig")
    change = pd.read_csv(out / "site-medical-pastoral-2h-before-after.csv", encoding="utf-8-sig")
    assert len(sites) >= 1 and (change["minutes_after"] <= change["minutes_before"] + 1e-9).all()
    if model == "lscp":
        # The fewest sites bringing every settlement that any candidate can reach within 2 hours.
        assert (change["verdict_after"] == "met").all()
    if model == "pcenter":
        # The worst travel time falls, to what the best single candidate can achieve.
        assert change["minutes_after"].max() < change["minutes_before"].max()
    if model == "pmedian":
        weighted = (change["demand"] * change["minutes_after"]).sum()
        assert weighted < (change["demand"] * change["minutes_before"]).sum()


# --- scenarios -------------------------------------------------------------------------------------------


def test_scenario_close_road_and_add_clinic(tengger, tmp_path):
    from coverage.standards.assessment import assess

    cat = plan_catalogue(tengger).select(["medical-pastoral-2h"])
    before = assess(tengger, cat)
    failing = before.result("medical-pastoral-2h").detail
    # A clinic at the worst-off gacha, and the track to Tabentaolegai closed.
    worst = failing["minutes"].idxmax()
    text = f"""name = "track closed, clinic built"
description = "test"
[[road]]
action = "close"
name = "track to Tabentaolegai"

[[add]]
id = "N1"
facility_type = "village_clinic"
lon = {tengger.settlements.loc[worst].geometry.x}
lat = {tengger.settlements.loc[worst].geometry.y}
"""
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    scen = load_scenario(path, region=tengger)
    after_region = apply_scenario(tengger, scen)
    after = assess(after_region, cat)
    per_settlement, _per_standard = compare(before, after)
    row = per_settlement.loc[worst]
    assert not row["meets_before"] and row["meets_after"] and row["minutes_after"] == pytest.approx(0.0)
    tab = per_settlement.loc["152921115201"]  # Tabentaolegai: its track is closed, so it is no nearer
    assert tab["minutes_after"] >= tab["minutes_before"] - 1e-9
    closed = np.char.find(tengger.network.name.astype(str), "track to Tabentaolegai") >= 0
    assert closed.sum() > 0 and after_region.network.n_edges == tengger.network.n_edges - closed.sum()
    assert tengger.network.n_edges > after_region.network.n_edges  # the input region is untouched


def test_scenario_errors(tengger, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[remove]]\nid = "C99"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match="id 'C99' is not a facility; closest ids:"):
        load_scenario(path, region=tengger)
    path.write_text('[[speeds]]\nprofile = "drive"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match="unknown key 'speeds' \\(did you mean 'speed'\\?\\)"):
        load_scenario(path, region=tengger)
    path.write_text('[[road]]\naction = "close"\nname = "track to Temowla"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match="road names like it: '特莫乌拉嘎查便道 / track to Temowula Gacha'"):
        load_scenario(path, region=tengger)


def test_check_with_scenario_cli(tmp_path, capsys):
    path = tmp_path / "winter.toml"
    path.write_text(
        'name = "slow tracks"\ndescription = "snow"\n[[speed]]\nprofile = "drive"\nhighway = "track"\nkmh = 8.0\n',
        encoding="utf-8",
    )
    assert (
        main(["check", "--scenario", str(path), "--only", "medical-pastoral-2h", "--out", str(tmp_path / "o"), "--no-cache"]) == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Scenario 'slow tracks': snow"
    assert "Scenario 'slow tracks' versus the current state:" in out
    comp = pd.read_csv(tmp_path / "o" / "scenario_settlements.csv", encoding="utf-8-sig")
    assert (comp["change_min"] >= -1e-9).all() and (comp["change_min"] > 0).any()


def test_lagrangian_bound_is_valid_and_close_to_the_lp():
    from coverage.siting._reduce import lagrangian_bound

    rng = np.random.default_rng(5)
    cover = sp.csr_array(rng.random((600, 150)) < 0.03)
    w = rng.integers(1, 100, 600).astype(float)
    exact = solve_mclp(cover, w, 8, exact=True)
    lp = solve_mclp(cover, w, 8, exact=False)  # small: its bound is the LP relaxation
    lag = lagrangian_bound(cover, w, 8, lower=lp.objective)
    assert lag >= lp.bound - 1e-6 >= exact.objective - 1e-6  # LP <= every Lagrangian bound; both bound the optimum
    assert lag <= lp.bound * 1.02  # and subgradient gets within 2 % of the LP bound
    big = solve_mclp(cover, w, 8, exact=False, lp_max_nonzeros=0)
    assert "Lagrangian" in big.notes[-1].text() and big.bound >= exact.objective - 1e-6


def test_relocating_existing_facilities(tengger):
    """With relocation, the in-zone medical facilities may move: as many sites can do no worse than today."""
    from coverage.standards.assessment import assess

    cat = plan_catalogue(tengger)
    f = tengger.facilities
    movable = f[f["facility_type"].isin(["health_centre", "village_clinic", "hospital"]) & f["in_region"]]
    plan = site_for_standards(
        tengger, cat, SitingRequest(("medical-pastoral-2h",), facility_type="health_centre", k=len(movable), allow_relocate=True)
    )
    assert (plan.candidates["source"] == "existing facility").sum() == len(movable)
    # Today's covered population, from the scorecard of the region as it is.
    today = assess(tengger, cat.select(["medical-pastoral-2h"])).result("medical-pastoral-2h").summary["demand_meeting"]
    covered = plan.demand.loc[plan.demand["covered_before"], "weight"].sum() + plan.result.objective
    assert plan.result.proven_optimal and covered >= today > 0


def test_exclusion_areas_remove_candidates(tengger):
    from shapely.geometry import box

    from coverage.siting.planning import candidate_sites

    all_c = candidate_sites(tengger, "settlements")
    west = gpd.GeoDataFrame(geometry=[box(104.0, 37.0, 105.0, 39.0)], crs="EPSG:4326")
    kept = candidate_sites(tengger, "settlements", exclude=west)
    assert 0 < len(kept) < len(all_c) and (kept.geometry.x > 105.0).all()


def test_equivalent_sites_move_to_the_nearest():
    from coverage.siting.planning import nearest_equivalent_sites

    # Rows 0-1 are covered by candidates 0, 1 and 2; candidate 2 is nearest to them; row 2 only by candidate 3.
    times = sp.csr_array(np.array([[50.0, 30.0, 5.0, 0], [60.0, 40.0, 5.0, 0], [0, 0, 0, 10.0]]))
    w = np.array([10.0, 10.0, 1.0])
    assert nearest_equivalent_sites((0, 3), times, w) == (2, 3)
    assert nearest_equivalent_sites((2, 3), times, w) == (2, 3)
    # Rows already covered by the other site do not tie a site down.
    assert nearest_equivalent_sites((3,), times, np.array([0.0, 0.0, 1.0])) == (3,)
