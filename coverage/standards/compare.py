"""Two assessments side by side (a scenario against the baseline)."""

from __future__ import annotations

import pandas as pd

from ._base import MET
from .assessment import Assessment
from .kinds import kind_of

__all__ = ["compare"]


def compare(before: Assessment, after: Assessment) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two runs side by side.

    Returns
    -------
    per_settlement : DataFrame
        For each access standard and settlement: minutes and verdict before and after.
    per_standard : DataFrame
        For each standard: verdict and demand meeting it before and after, and the change.
    """
    rows = []
    for rb in before.results:
        measure = kind_of(rb.standard).settlement_measure
        if not measure:
            continue
        ra = after.result(rb.standard.id)
        both = rb.detail[["name_zh", "name_en", "demand", measure, "verdict"]].merge(
            ra.detail[[measure, "verdict"]], left_index=True, right_index=True, how="left", suffixes=("", "_after")
        )
        both = both.rename(columns={measure: "minutes_before", f"{measure}_after": "minutes_after", "verdict": "verdict_before"})
        both.insert(0, "standard", rb.standard.id)
        both["change_min"] = both["minutes_after"] - both["minutes_before"]
        both["meets_before"] = both["verdict_before"] == MET
        both["meets_after"] = both["verdict_after"] == MET
        rows.append(both)
    per_settlement = pd.concat(rows) if rows else pd.DataFrame()
    summary = []
    for rb in before.results:
        ra = after.result(rb.standard.id)
        b, a = rb.summary.get("demand_meeting"), ra.summary.get("demand_meeting")
        summary.append(
            {
                "standard": rb.standard.id,
                "verdict_before": rb.verdict,
                "verdict_after": ra.verdict,
                "meeting_before": rb.summary.get("n_meeting"),
                "meeting_after": ra.summary.get("n_meeting"),
                "demand_meeting_before": b,
                "demand_meeting_after": a,
                "change": (a or 0) - (b or 0) if b is not None or a is not None else None,
            }
        )
    return per_settlement, pd.DataFrame(summary)
