"""Tables for people: a scenario against the baseline, recommended sites, the budget curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import N_, translate
from ..inputs.region import Region
from ..siting.planning import SitingPlan

__all__ = ["comparison_tables", "curve_table", "sites_table", "siting_summary"]

#: The location models and solution methods, in words.
MODEL_WORDS = {
    "mclp": N_("maximal covering model"),
    "lscp": N_("set covering model"),
    "pmedian": N_("p-median model"),
    "pcenter": N_("p-center model"),
}
METHOD_WORDS = {"milp": N_("integer programme (HiGHS)"), "greedy": N_("greedy, with its bound"), "trivial": N_("no solve needed")}


def _sides(lang: str, scenario: bool) -> dict[str, str]:
    """The words of the two sides: current against scenario (a what-if), or before against after building (siting)."""
    from ..text import words

    _ = words(lang)
    if scenario:
        return {
            "before": _("current"),
            "after": _("scenario"),
            "people before": _("people meeting, current"),
            "people after": _("people meeting, scenario"),
            "minutes before": _("minutes, current"),
            "minutes after": _("minutes, scenario"),
        }
    return {
        "before": _("before"),
        "after": _("after building"),
        "people before": _("people meeting before"),
        "people after": _("people meeting after building"),
        "minutes before": _("minutes before"),
        "minutes after": _("minutes after building"),
    }


def comparison_tables(
    per_settlement: pd.DataFrame,
    per_standard: pd.DataFrame,
    *,
    lang: str = "en",
    scenario: bool = True,
    labels: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparison for people: verdicts in words, whole people, only the settlements that change.

    ``scenario``: a what-if against the current state (its columns say so); else siting's before and after building.
    ``labels``: how to name each standard (its title in Chinese; the id by default).
    """
    from ..standards._base import verdict_word
    from ..text import display_name, fmt_count, words

    _ = words(lang)
    side = _sides(lang, scenario)
    std = pd.DataFrame(
        {
            _("standard"): per_standard["standard"].map(lambda i: (labels or {}).get(i, i)),
            side["before"]: per_standard["verdict_before"].map(lambda v: verdict_word(v, lang)),
            side["after"]: per_standard["verdict_after"].map(lambda v: verdict_word(v, lang)),
            side["people before"]: per_standard["demand_meeting_before"].map(lambda x: fmt_count(x) if pd.notna(x) else "-"),
            side["people after"]: per_standard["demand_meeting_after"].map(lambda x: fmt_count(x) if pd.notna(x) else "-"),
            _("change"): per_standard["change"].map(lambda x: f"{x:+,.0f}" if pd.notna(x) else "-"),
        }
    )
    if not len(per_settlement):
        return std, pd.DataFrame()
    changed = per_settlement[
        (per_settlement["meets_before"] != per_settlement["meets_after"]) | (per_settlement["change_min"].abs() > 0.05)
    ]
    settlements = pd.DataFrame(
        {
            _("Id"): changed.index,
            _("standard"): changed["standard"].map(lambda i: (labels or {}).get(i, i)).to_numpy(),
            _("name"): [display_name(row, lang, sid) for sid, row in changed.iterrows()],
            side["minutes before"]: changed["minutes_before"].map(lambda m: f"{m:.1f}" if np.isfinite(m) else "∞").to_numpy(),
            side["minutes after"]: changed["minutes_after"].map(lambda m: f"{m:.1f}" if np.isfinite(m) else "∞").to_numpy(),
            side["before"]: changed["verdict_before"].map(lambda v: verdict_word(v, lang)).to_numpy(),
            side["after"]: changed["verdict_after"].map(lambda v: verdict_word(v, lang)).to_numpy(),
        }
    )
    return std, settlements


def siting_summary(plan: SitingPlan, region: Region, *, ftype: str, source: str, lang: str = "en") -> str:
    """What ``coverage-plan site`` prints first: what was asked, how many sites add coverage and why, how sure it is."""
    from ..text import display_name, words

    _ = words(lang)
    r = plan.result
    from .report import label_list

    ids = label_list(plan.standards, lang)
    kind = region.facility_types[ftype].name(lang)
    lines = []
    if not r.solved:
        lines.append(
            _("Asked for {k} new {type} for {ids}: no answer ({status}).").format(
                k=plan.asked, type=kind, ids=ids, status=r.status.text(lang)
            )
        )
    else:
        n = len(plan.sites)
        if r.model in ("mclp", "pmedian", "pcenter") and n < plan.asked:
            why = _("more sites add no coverage: every settlement a candidate can bring within the standard is reached")
            if r.model == "pcenter":
                why = _("more sites do not lower the worst travel time")
            lines.append(
                _("Asked for {k} new {type} for {ids}; {n} add coverage ({why}).").format(
                    k=plan.asked, type=kind, ids=ids, n=n, why=why
                )
            )
        else:
            lines.append(_("Asked for {k} new {type} for {ids}; {n} recommended.").format(k=plan.asked, type=kind, ids=ids, n=n))
        status = (
            _("proven optimal")
            if r.proven_optimal
            else _("not proven optimal: gap {gap} to the bound {bound}").format(gap=f"{r.gap:.1%}", bound=f"{r.bound:,.1f}")
        )
        lines.append(
            _("  model {model} on {n} candidates from {source}; objective {objective} ({status}; {method}, {seconds} s)").format(
                model=translate(MODEL_WORDS.get(r.model, r.model), lang),
                n=len(plan.candidates),
                source=_(source) if source in ("settlements", "roads") else source,
                objective=f"{r.objective:,.1f}",
                status=status,
                method=translate(METHOD_WORDS.get(r.method, r.method), lang),
                seconds=f"{r.seconds:.2f}",
            )
        )
    lines.append(_("  solver: {status}").format(status=r.status.text(lang)))
    for note in r.notes:
        lines.append(_("  note: {note}").format(note=note.text(lang)))
    if r.uncoverable:
        rows = plan.demand.iloc[list(r.uncoverable)]
        names = ", ".join(
            f"{display_name(region.settlements.loc[s], lang, s)}" + ("" if lang == "zh" else f" ({s}, {t})")
            for s, t in zip(rows["settlement_id"], rows["standard"], strict=True)
        )
        lines.append(_("  cannot be reached within the standard from any candidate: {names}").format(names=names))
    return "\n".join(lines)


def sites_table(plan: SitingPlan, *, lang: str = "en") -> pd.DataFrame:
    """The recommended sites for people: rank, place, nearest settlement, who is newly covered."""
    from ..text import fmt_count, words

    _ = words(lang)
    s = plan.sites
    zh = lang == "zh"
    names = [
        _("road node {id}").format(id=n.removeprefix("road node ")) if str(n).startswith("road node ") else n for n in s["name"]
    ]
    return pd.DataFrame(
        {
            _("rank"): s["rank"],
            **({} if zh else {_("candidate"): s["candidate"]}),  # an id: Chinese reads the name
            _("name"): names,
            _("lon, lat"): [f"{x:.5f}, {y:.5f}" for x, y in zip(s["lon"], s["lat"], strict=True)],
            _("nearest settlement"): [
                f"{n} ({d:g} km)" for n, d in zip(s["nearest_settlement_name"], s["distance_km"], strict=True)
            ],
            _("newly covered"): s["newly_covered"].map(fmt_count),
            _("settlements"): s["settlement_names_zh"] if zh else s["settlements"],
        }
    )


def curve_table(curve: pd.DataFrame, *, lang: str = "en", names: dict[str, str] | None = None) -> pd.DataFrame:
    """The budget curve for people: for each number of new sites, the optimum and the build order.

    ``names``: candidate ids to the names shown in Chinese (ids are shown in English, to be found in the files).
    """
    from ..text import words

    _ = words(lang)
    if lang == "zh" and names:
        curve = curve.assign(
            optimal_sites=curve["optimal_sites"].map(lambda v: "、".join(names.get(x, x) for x in str(v).split(", ") if x)),
            build_order_site=curve["build_order_site"].map(lambda v: names.get(v, v)),
        )
    return pd.DataFrame(
        {
            _("new sites"): curve["k"],
            _("share met, optimal"): curve["optimal_share"].map(lambda x: f"{x:.1%}"),
            _("sites, optimal"): curve["optimal_sites"],
            _("proven optimal"): curve["proven_optimal"].map(lambda b: _("yes") if b else _("no")),
            _("share met, build order"): curve["build_order_share"].map(lambda x: f"{x:.1%}"),
            _("site added"): curve["build_order_site"],
        }
    )
