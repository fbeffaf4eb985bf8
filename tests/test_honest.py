"""Honest answers: three verdicts, numbers that agree with their verdicts, solver statuses on every path."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import OptimizeResult

from coverage import siting
from coverage.cli._main import main
from coverage.outputs.report import headline, scorecard_frame, worst_text
from coverage.outputs.terminal import scorecard_text
from coverage.siting import _covering, _median
from coverage.standards._base import MET, NOT_MET, NOT_TESTED
from coverage.standards.assessment import assess
from coverage.standards.catalogue import load_catalogue
from coverage.text import fmt_against, fmt_share


def catalogue(region):
    return load_catalogue(region=region)


# --- three verdicts ------------------------------------------------------------------------


def test_without_units_the_unit_standards_are_not_tested_and_not_counted_as_met(tengger):
    no_units = dataclasses.replace(tengger, units=tengger.units.iloc[0:0])
    a = assess(no_units, catalogue(tengger))
    town = a.result("health-centre-per-town")
    assert town.verdict == NOT_TESTED and "no town (sumu) units: give a units layer with level = town" in town.why.text()
    # The zone-level standards still run: the zone is the region itself.
    assert a.result("sports-zone").verdict in (MET, NOT_MET)
    c = a.counts()
    assert sum(c.values()) == len(a.results)
    assert headline(a) == f"{c[MET]} met, {c[NOT_MET]} not met, {c[NOT_TESTED]} not tested (of {len(a.results)} standards)."
    untested_units = [r for r in a.results if r.standard.kind == "presence" and r.standard.level != "zone"]
    assert untested_units and all(r.verdict == NOT_TESTED for r in untested_units)
    assert c[MET] == len([r for r in a.results if r.verdict == MET])  # never counted as met


def test_missing_elderly_column_is_not_tested_not_zero(tengger):
    s = tengger.settlements.copy()
    s["elderly_population"] = np.nan  # what a file without the column gives
    a = assess(
        dataclasses.replace(tengger, settlements=s), catalogue(tengger).select(["elderly-coverage-pastoral", "elderly-beds"])
    )
    for sid in ("elderly-coverage-pastoral", "elderly-beds"):
        r = a.result(sid)
        assert r.verdict == NOT_TESTED, sid
    assert "'elderly_population' is missing for 16 of the 16 settlements" in a.result("elderly-coverage-pastoral").why.text()
    text = scorecard_text(a, width=120)
    assert "0/0" not in text and "nan" not in text.lower().replace("nanjing", "")


def test_a_population_of_zeros_tests_no_share(tengger):
    """All-zero demand (populations not known, filled with 0) gives no share to weigh: not tested, not met by default."""
    s = tengger.settlements.copy()
    s["population"] = 0.0
    s["elderly_population"] = 0.0
    access = [st.id for st in catalogue(tengger).standards if st.kind == "access"]
    a = assess(dataclasses.replace(tengger, settlements=s), catalogue(tengger).select(access))
    for sid in access:
        r = a.result(sid)
        assert r.verdict == NOT_TESTED, sid
        assert f"'{r.standard.demand}' is 0 in all {len(r.detail)} settlements it applies to" in r.why.text()
    assert a.counts()[MET] == 0
    # One settlement with people is enough to weigh the share again.
    s.loc[s.index[0], "population"] = 10.0
    again = assess(dataclasses.replace(tengger, settlements=s), catalogue(tengger).select(["medical-town-30min"]))
    assert again.result("medical-town-30min").verdict in (MET, NOT_MET)


def test_not_tested_reasons_reach_every_export(tengger, tmp_path):
    out = tmp_path / "out"
    assert main(["check", "--no-cache", "--out", str(out)]) == 0
    import pandas as pd

    card = pd.read_csv(out / "scorecard.csv", encoding="utf-8-sig")
    assert set(card["verdict"]) == {MET, NOT_MET, NOT_TESTED}  # codes, whatever the language
    presence = pd.read_csv(out / "units_presence.csv", encoding="utf-8-sig")
    culture = presence[presence["standard"] == "culture-zone"]
    assert (culture["verdict"] == NOT_TESTED).all() and culture["reason"].str.contains("culture centre").all()
    import geopandas as gpd

    layer = gpd.read_file(out / "results.gpkg", layer="presence")
    assert set(layer["verdict"]) >= {MET, NOT_MET, NOT_TESTED}


# --- numbers agree with verdicts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "limit", "meets", "upper", "shown"),
    [
        (120.014, 120.0, False, True, "120.01"),  # not "120.0 ... NOT MET"
        (119.96, 120.0, True, True, "120.0"),  # rounding up to the limit is consistent with meeting it
        (120.00004, 120.0, False, True, "120.00004"),
        (59.9996, 60.0, False, False, "59.9996"),  # a floor: not "60.00 ... NOT MET"
        (60.004, 60.0, True, False, "60.0"),
        (math.inf, 120.0, False, True, "∞"),
    ],
)
def test_shown_values_never_contradict_the_verdict(value, limit, meets, upper, shown):
    text = fmt_against(value, limit, meets, upper=upper)
    assert text == shown
    if math.isfinite(value):
        number = float(text.replace(",", ""))
        assert (number <= limit if upper else number >= limit) == meets


def test_share_shown_agrees_with_the_required_share():
    assert fmt_share(8996, 10000, 0.9, meets=False) == "89.96%"
    assert fmt_share(9000, 10000, 0.9, meets=True) == "90%"


def test_people_are_whole_and_shortfalls_whole_beds_and_doctors(tengger):
    a = assess(tengger, catalogue(tengger))
    card = scorecard_frame(a)
    assert not card.apply(lambda col: col.astype(str).str.contains(r"\d\.0 (?:people|residents)", regex=True)).any().any()
    gp = a.result("gp-density")
    # 2 GPs per 10,000 of 9,168 residents needs 1.83 GPs; there is 1: the shortfall is 1 whole GP, not 0.8.
    assert gp.detail.loc["zone", "shortfall"] == 1.0
    assert "1 GPs short" in worst_text(gp, tengger)
    nursing = worst_text(a.result("nursing-bed-share"), tengger)
    assert "nursing beds short" in nursing and "nursing_beds" not in nursing


# --- solver statuses ---------------------------------------------------------------------------------


def fake_milp(status: int, message: str):
    def run(*args, **kwargs):
        return OptimizeResult(x=None, status=status, message=message, success=False, mip_dual_bound=None)

    return run


def patch_milp(monkeypatch, fake):
    """Replace HiGHS in every model module."""
    for module in (_covering, _median):
        monkeypatch.setattr(module, "milp", fake)


def instance(seed=3, n=60, m=20):
    rng = np.random.default_rng(seed)
    cover = sp.csr_array(rng.random((n, m)) < 0.15)
    return cover, rng.integers(1, 100, n).astype(float)


def test_lscp_without_a_solution_answers_greedily_and_says_so(monkeypatch):
    cover, w = instance()
    patch_milp(monkeypatch, fake_milp(1, "Time limit reached"))
    res = siting.solve_lscp(cover, w, time_limit_s=0.001)
    assert res.solved and len(res.sites) > 0 and not res.proven_optimal
    assert res.method == "greedy-set-cover" and res.solver_message == "Time limit reached"
    assert "no solution within the time limit" in res.status.text() and 0 <= res.bound <= res.objective
    covered = np.asarray(sp.csc_array(cover)[:, list(res.sites)].sum(axis=1)).ravel() > 0
    assert covered[np.diff(cover.indptr) > 0].all()  # the greedy answer is a real cover


def test_lscp_infeasible_is_no_answer_not_zero_sites(monkeypatch):
    cover, w = instance()
    patch_milp(monkeypatch, fake_milp(2, "Infeasible"))
    res = siting.solve_lscp(cover, w)
    assert not res.solved and res.sites == () and math.isnan(res.objective) and not res.proven_optimal
    assert res.status.text() == "infeasible (HiGHS)"
    share = siting.solve_lscp(sp.csr_array(np.zeros((3, 2), bool)), np.ones(3), required_share=0.5)
    assert not share.solved and "infeasible" in share.status.text()


def test_pmedian_without_a_solution_answers_greedily(monkeypatch):
    rng = np.random.default_rng(1)
    times = sp.coo_array(np.where(rng.random((30, 8)) < 0.5, rng.uniform(1, 100, (30, 8)), 0))
    w = rng.integers(1, 50, 30).astype(float)
    patch_milp(monkeypatch, fake_milp(1, "Time limit reached"))
    res = siting.solve_pmedian(times, w, 2, penalty=300.0)
    assert res.solved and len(res.sites) == 2 and not res.proven_optimal and res.bound <= res.objective + 1e-9


def test_pcenter_is_not_proven_when_a_set_cover_inside_is_not(monkeypatch):
    rng = np.random.default_rng(2)
    times = sp.coo_array(np.where(rng.random((25, 8)) < 0.5, rng.uniform(1, 100, (25, 8)), 0))
    exact = siting.solve_pcenter(times, 2, penalty=300.0)
    assert exact.proven_optimal and exact.status.text().startswith("optimal: bisection")
    real = siting.solve_lscp

    def unproven(cover, *args, **kwargs):
        res = real(cover, *args, **kwargs)
        return dataclasses.replace(res, proven_optimal=False, objective=res.objective + 99)  # "stopped at its limit"

    monkeypatch.setattr(_median, "solve_lscp", unproven)
    res = siting.solve_pcenter(times, 2, penalty=300.0)
    assert not res.proven_optimal and "not proven" in res.status.text()
    assert any("smaller worst case may exist" in n.text() for n in res.notes)


def test_mclp_at_a_tiny_time_limit_reports_the_gap():
    rng = np.random.default_rng(4)
    cover = sp.csr_array(rng.random((2000, 300)) < 0.02)
    w = rng.integers(1, 100, 2000).astype(float)
    res = siting.solve_mclp(cover, w, 15, exact=True, time_limit_s=0.01)
    assert res.solved and res.objective > 0
    if res.proven_optimal:
        assert res.gap == 0 and res.status.text().startswith("optimal")
    else:
        assert res.gap > 0 and res.bound >= res.objective and "limit" in res.status.text()


def test_site_cli_says_when_there_is_no_answer(monkeypatch, capsys, tmp_path):
    patch_milp(monkeypatch, fake_milp(2, "Infeasible"))
    rc = main(["site", "--standard", "medical-pastoral-2h", "--model", "lscp", "--no-cache", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert rc == 0 and "no answer (infeasible (HiGHS))" in out.splitlines()[0]
    assert not (tmp_path / "o").exists()  # nothing presented as a solution, nothing written


@pytest.mark.parametrize("value", [0.0, np.nan])
def test_siting_refuses_a_standard_with_no_people_to_weigh(tengger, value):
    """With populations all zero (or unknown) every candidate 'adds nothing': a refusal, not '0 sites add coverage'."""
    from coverage.errors import CoverageError
    from coverage.siting.planning import SitingRequest, site_for_standards

    s = tengger.settlements.copy()
    s["population"] = value
    region = dataclasses.replace(tengger, settlements=s)
    with pytest.raises(CoverageError) as err:
        site_for_standards(region, catalogue(tengger), SitingRequest(("medical-pastoral-2h",), k=1))
    assert err.value.text().startswith("medical-pastoral-2h: nothing to site for: 'population' is ")


def test_a_facility_of_quantity_zero_is_no_facility_for_access_either(tengger):
    """Presence sums quantities; access must agree: a row with quantity 0 (closed, planned) reaches nobody."""
    from coverage.travel._seam import eligible_facilities

    f = tengger.facilities.copy()
    types = ["health_centre", "village_clinic", "hospital"]
    before = eligible_facilities(f, types, count_outside_region=True)
    closed = before.index[0]
    f.loc[closed, "quantity"] = 0.0
    after = eligible_facilities(f, types, count_outside_region=True)
    assert closed not in after.index and len(after) == len(before) - 1
