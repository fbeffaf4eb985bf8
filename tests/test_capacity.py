"""Capacity and fairness against independent implementations: pysal ``access`` (2SFCA, E2SFCA, 3SFCA), pysal
``inequality`` (Gini, Theil), hand-worked cases and a brute force for capacity-limited coverage."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from coverage.capacity import Decay, capacity_limited, concentration_index, floating_catchment, gini, lorenz, palma, theil


def _random_case(seed: int, n: int = 40, m: int = 8):
    rng = np.random.default_rng(seed)
    o, d = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    minutes = rng.uniform(1, 90, size=(n, m))
    keep = minutes <= 60  # what travel_pairs gives: the pairs within the cutoff
    return (
        o[keep],
        d[keep],
        minutes[keep],
        rng.integers(50, 5000, n).astype(float),
        rng.integers(1, 40, m).astype(float),
    )


def _pysal(o, d, minutes, demand, supply, method: str, weight_fn=None):
    from access import Access

    A = Access(
        demand_df=pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(len(supply)), "beds": supply}),
        supply_index="geoid",
        supply_value="beds",
        cost_df=pd.DataFrame({"origin": o, "dest": d, "cost": minutes}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    if method == "2sfca":
        out = A.two_stage_fca(name="x", max_cost=45)
    elif method == "e2sfca":
        out = A.enhanced_two_stage_fca(name="x", max_cost=45, weight_fn=weight_fn)
    else:
        out = A.three_stage_fca(name="x", max_cost=45, weight_fn=weight_fn)
    return out["x_beds"].reindex(np.arange(len(demand))).fillna(0.0).to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_2sfca_equals_pysal_access(seed):
    o, d, t, demand, supply = _random_case(seed)
    got, _ratio = floating_catchment(o, d, t, demand, supply, limit=45)
    np.testing.assert_allclose(got, _pysal(o, d, t, demand, supply, "2sfca"), rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_e2sfca_stepped_and_gaussian_equal_pysal_access(seed):
    from access import weights

    o, d, t, demand, supply = _random_case(seed)
    steps = ((15.0, 1.0), (30.0, 0.68), (45.0, 0.22))
    got = floating_catchment(o, d, t, demand, supply, limit=45, method="e2sfca", decay=Decay("step", steps))[0]
    want = _pysal(o, d, t, demand, supply, "e2sfca", weights.step_fn(dict(steps)))
    np.testing.assert_allclose(got, want, rtol=1e-9)
    got = floating_catchment(o, d, t, demand, supply, limit=45, method="e2sfca", decay=Decay("gaussian", sigma=20.0))[0]
    np.testing.assert_allclose(got, _pysal(o, d, t, demand, supply, "e2sfca", weights.gaussian(20.0)), rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_3sfca_equals_pysal_access(seed):
    from access import weights

    o, d, t, demand, supply = _random_case(seed)
    inside = t <= 45  # pysal's selection weights sum over every pair it is given: give it the catchment's
    o, d, t = o[inside], d[inside], t[inside]
    got = floating_catchment(o, d, t, demand, supply, limit=45, method="3sfca", decay=Decay("gaussian", sigma=20.0))[0]
    np.testing.assert_allclose(got, _pysal(o, d, t, demand, supply, "3sfca", weights.gaussian(20.0)), rtol=1e-9)


@pytest.mark.parametrize("method", ["2sfca", "3sfca"])
def test_the_supply_is_shared_out_never_made(method):
    o, d, t, demand, supply = _random_case(5)
    access, ratio = floating_catchment(o, d, t, demand, supply, limit=45, method=method, decay=Decay("gaussian", sigma=15.0))
    reached = np.isfinite(ratio)
    assert (demand * access).sum() == pytest.approx(supply[reached].sum(), rel=1e-12)


def test_2sfca_by_hand():
    # Two villages (100 and 300 people), two clinics (2 and 6 doctors); village 0 reaches both, village 1 only clinic 1.
    o, d, t = np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([10.0, 20.0, 5.0])
    access, ratio = floating_catchment(o, d, t, np.array([100.0, 300.0]), np.array([2.0, 6.0]), limit=30)
    np.testing.assert_allclose(ratio, [2 / 100, 6 / 400])
    np.testing.assert_allclose(access, [2 / 100 + 6 / 400, 6 / 400])


def _brute_capacity(o, d, t, demand, capacity, limit, order):
    """The rule, spelled out with dictionaries: each facility in turn takes its nearest remaining people."""
    left = dict(enumerate(demand))
    reach = {}
    for i, j, tt in zip(o, d, t, strict=True):
        if tt <= limit:
            reach.setdefault(j, []).append((tt, i))
    for j in order:
        room = capacity[j]
        for _tt, i in sorted(reach.get(j, [])):
            take = min(left[i], room)
            left[i] -= take
            room -= take
    reached = {i for pairs in reach.values() for _tt, i in pairs}
    return left, reached


@pytest.mark.parametrize("seed", range(6))
def test_capacity_limited_coverage_follows_its_rule_and_adds_up(seed):
    o, d, t, demand, supply = _random_case(seed, n=25, m=5)
    capacity = supply * 150.0
    got = capacity_limited(o, d, t, demand, capacity, limit=40)
    left, reached = _brute_capacity(o, d, t, demand, capacity, 40, got.order)
    np.testing.assert_allclose(got.served, demand - np.array([left[i] for i in range(len(demand))]))
    np.testing.assert_allclose(got.served + got.over_capacity + got.not_reached, demand)
    assert set(np.flatnonzero(got.not_reached > 0)) <= set(range(len(demand))) - reached
    assert (got.taken <= capacity + 1e-9).all() and got.taken.sum() == pytest.approx(got.served.sum())
    assert list(got.order) == sorted(range(len(capacity)), key=lambda j: (-capacity[j], j))


def test_capacity_limited_by_hand():
    # One clinic of 250 places; villages at 5, 10 and 50 minutes (limit 30) of 100, 200 and 70 people.
    got = capacity_limited(np.array([0, 1, 2]), np.zeros(3, int), np.array([5.0, 10.0, 50.0]), [100, 200, 70], [250], limit=30)
    np.testing.assert_allclose(got.served, [100, 150, 0])
    np.testing.assert_allclose(got.over_capacity, [0, 50, 0])
    np.testing.assert_allclose(got.not_reached, [0, 0, 70])


@pytest.mark.parametrize("seed", range(4))
def test_gini_and_theil_equal_pysal_inequality(seed):
    from inequality.gini import Gini
    from inequality.theil import Theil

    x = np.random.default_rng(seed).gamma(2.0, 10.0, 60)
    assert gini(x) == pytest.approx(Gini(x).g, rel=1e-12)
    assert theil(x) == pytest.approx(Theil(x).T, rel=1e-12)


def test_weights_count_people_as_repeated_observations():
    from inequality.gini import Gini
    from inequality.theil import Theil

    rng = np.random.default_rng(7)
    x, w = rng.gamma(2.0, 10.0, 20), rng.integers(1, 9, 20)
    repeated = np.repeat(x, w)
    assert gini(x, w) == pytest.approx(Gini(repeated).g, rel=1e-12)
    assert theil(x, w) == pytest.approx(Theil(repeated).T, rel=1e-12)
    p, q = lorenz(x, w)
    pr, qr = lorenz(repeated)
    # the weighted curve's points lie on the repeated one's
    np.testing.assert_allclose(np.interp(p, pr, qr), q, atol=1e-12)


def test_palma_and_lorenz_by_hand():
    # Ten people: nine with 1, one with 11 -> the top 10 % hold 11/20, the bottom 40 % hold 4/20.
    x = np.array([1.0] * 9 + [11.0])
    assert palma(x) == pytest.approx((11 / 20) / (4 / 20))
    p, q = lorenz(x)
    assert p[0] == q[0] == 0 and p[-1] == q[-1] == 1
    assert gini(np.full(5, 3.0)) == 0 and theil(np.full(5, 3.0)) == 0


def test_concentration_index_by_hand_and_brute_force():
    # By hand: two equal groups; the lower-ranked half has 1, the upper 3: CI = 2 cov(x, r) / mean.
    x, rank_by = np.array([1.0, 1.0, 3.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])
    r = (np.arange(4) + 0.5) / 4
    assert concentration_index(x, rank_by) == pytest.approx(2 * np.cov(x, r, bias=True)[0, 1] / x.mean())
    # Weights are repeated people (with distinct ranks).
    rng = np.random.default_rng(3)
    x, by, w = rng.gamma(2, 5, 12), rng.permutation(12).astype(float), rng.integers(1, 5, 12)
    xr, byr = np.repeat(x, w), np.repeat(by, w)
    rr = np.empty(len(xr))
    order = np.argsort(byr, kind="stable")
    rr[order] = (np.arange(len(xr)) + 0.5) / len(xr)
    for value in np.unique(byr):
        rr[byr == value] = rr[byr == value].mean()
    brute = 2 * np.cov(xr, rr, bias=True)[0, 1] / xr.mean()
    assert concentration_index(x, by, w) == pytest.approx(brute, rel=1e-12)


def test_bad_values_are_refused():
    for bad in ([1.0, np.nan], [1.0, -1.0], [1.0, np.inf]):
        with pytest.raises(ValueError):
            gini(bad)
    with pytest.raises(ValueError):
        floating_catchment(np.array([0]), np.array([0]), np.array([1.0]), [1.0], [1.0], limit=5, method="4sfca")
    assert list(itertools.islice(iter(lorenz([2.0, 2.0])[1]), 3)) == [0.0, 0.5, 1.0]


# --- the catchment-ratio kind on the bundled zone -------------------------------------------------------------------

CATCHMENT = """[[standard]]
id = "beds-near"
kind = "catchment"
title_zh = "附近床位"
title_en = "Beds near"
wording = "w"
section = "s"
facility_types = ["elderly_home", "elderly_daycare"]
supply = "beds"
demand = "elderly_population"
applies_to = ["town", "pastoral"]
profile = "drive"
max_minutes = 60.0
per = 1000.0
min_value = 60.0
unit_zh = "张/千名老年人"
unit_en = "beds per 1,000 elderly"
basis = { min_value = "plan", max_minutes = "plan", required_share = "plan" }
"""


def test_the_plans_beds_within_reach_equal_pysal_on_the_travel_pairs(tengger):
    from coverage.standards.assessment import assess
    from coverage.standards.catalogue import load_catalogue
    from coverage.travel import eligible_facilities, model_for, travel_pairs

    a = assess(tengger, load_catalogue("plan", region=tengger).select(["elderly-beds-within-reach", "doctors-within-reach"]))
    r = a.result("elderly-beds-within-reach")
    s = tengger.settlements
    eligible = eligible_facilities(tengger.facilities, ("elderly_home", "elderly_daycare"), count_outside_region=True)
    pairs = travel_pairs(model_for(tengger, "drive"), s, eligible, cutoff_min=60.0)
    o, d = s.index.get_indexer(pairs["origin"]), eligible.index.get_indexer(pairs["destination"])
    from access import Access

    acc = Access(
        demand_df=pd.DataFrame({"geoid": np.arange(len(s)), "pop": s["elderly_population"].to_numpy(float)}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(len(eligible)), "beds": eligible["beds"].fillna(0).to_numpy()}),
        supply_index="geoid",
        supply_value="beds",
        cost_df=pd.DataFrame({"origin": o, "dest": d, "cost": pairs["minutes"].to_numpy()}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    want = acc.two_stage_fca(name="x", max_cost=60)["x_beds"].reindex(np.arange(len(s))).fillna(0.0).to_numpy() * 1000
    got = r.detail["value"].reindex(s.index).to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)
    d = r.detail
    np.testing.assert_allclose(d["served"] + d["over_capacity"] + d["not_reached"], d["demand"])
    assert r.summary["demand_meeting"] == pytest.approx(d.loc[d["value"] >= 60, "demand"].sum())
    assert a.result("doctors-within-reach").verdict in ("met", "not met")


def test_a_catchment_standard_through_the_cli_writes_its_table_and_fairness(tmp_path):
    import subprocess
    import sys

    cat = tmp_path / "cat.toml"
    cat.write_text(CATCHMENT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "check", "--no-cache", "--standards", str(cat), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "o" / "settlements_catchment.csv")
    assert set(table["standard"]) == {"beds-near"} and {"value", "served", "over_capacity", "not_reached"} <= set(table)
    fair = pd.read_csv(tmp_path / "o" / "fairness.csv")
    row = fair[(fair["standard"] == "beds-near") & (fair["group"] == "all")].iloc[0]
    ok = table["value"].notna()
    # Independently: pysal's Gini over every elderly person (the values repeated by the demand, whole people).
    from inequality.gini import Gini

    people = np.repeat(table.loc[ok, "value"].to_numpy(), table.loc[ok, "demand"].to_numpy().astype(int))
    assert row["gini"] == pytest.approx(Gini(people).g, abs=1e-4)
    assert "Fairness:" in proc.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("", 'method = "4sfca"\n'), "method must be one of 2sfca, e2sfca, 3sfca, got '4sfca'."),
        (('supply = "beds"', 'supply = "bedz"'), "supply must be one of"),
        (
            ("max_minutes = 60.0", 'max_minutes = 60.0\ndecay = { kind = "cubic" }'),
            "decay.kind must be one of none, step, gaussian",
        ),
        (
            ("max_minutes = 60.0", 'max_minutes = 60.0\ndecay = { kind = "step", steps = [[30, 1.0], [20, 0.5]] }'),
            "decay.steps must ascend",
        ),
        (
            ("max_minutes = 60.0", 'max_minutes = 60.0\ndecay = { kind = "gaussian", sigma = 0 }'),
            "sigma must be a finite number > 0",
        ),
        (("min_value = 60.0", "min_value = 0"), "min_value must be a finite number > 0"),
    ],
)
def test_bad_catchment_standards_are_refused_by_name(tmp_path, change, message):
    from coverage.errors import CatalogueError
    from coverage.standards.catalogue import Terms, load_catalogue

    from .helpers import ZONE_VOCABULARY

    old, new = change
    text = CATCHMENT.replace(old, new) if old else CATCHMENT + new
    path = tmp_path / "standards.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path, region=Terms(vocabulary=ZONE_VOCABULARY))
    assert message in str(err.value) and "beds-near" in str(err.value)
