"""Fairness of every standard that measures people one by one: inequality of travel times and of supply within reach.

For each access standard (minutes to the nearest facility) and each catchment standard
(supply within reach per 1,000), over its settlements and by settlement class: Gini,
Theil, the Palma ratio and the concentration index ranked by settlement size (people per
settlement: the town-to-pastoral gradient; negative = concentrated among the small
settlements), all weighted by the standard's demand (:mod:`coverage.capacity`).  An
unreachable settlement has no time to rank: it is left out and counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..capacity import concentration_index, gini, lorenz, palma, theil
from ..standards._base import NOT_TESTED
from ..standards.assessment import Assessment
from ..standards.kinds import kind_of

__all__ = ["MEASURED", "fairness_table", "lorenz_points"]

#: Per kind, the per-settlement column whose inequality is measured.
MEASURED = {"access": "minutes", "catchment": "value"}


def _groups(detail: pd.DataFrame):
    yield "all", detail
    for klass, rows in detail.groupby("class", sort=True):
        yield str(klass), rows


def _row(std_id: str, measure: str, group: str, rows: pd.DataFrame) -> dict:
    x = rows[measure].to_numpy(float)
    w = rows["demand"].fillna(0.0).to_numpy(float)
    size = rows["population"].fillna(0.0).to_numpy(float)
    finite = np.isfinite(x)
    x, w, size = x[finite], w[finite], size[finite]
    out = {"standard": std_id, "measure": measure, "group": group, "settlements": int(finite.sum())}
    out["left_out_unreachable"] = int((~finite).sum())
    out["people"] = float(w.sum())
    enough = len(x) >= 2 and w.sum() > 0 and (w * x).sum() > 0
    out["mean"] = float((w * x).sum() / w.sum()) if w.sum() > 0 else np.nan
    out["gini"] = gini(x, w) if enough else np.nan
    out["theil"] = theil(x, w) if enough else np.nan
    out["palma"] = palma(x, w) if enough else np.nan
    out["concentration_by_size"] = concentration_index(x, size, w) if enough else np.nan
    return out


def fairness_table(assessment: Assessment) -> pd.DataFrame:
    """One row per standard and group (``all``, then each class): the inequality measures, rounded to 4 decimals."""
    rows = []
    for r in assessment.results:
        measure = MEASURED.get(kind_of(r.standard).name)
        if measure is None or r.verdict == NOT_TESTED or r.detail.empty:
            continue
        for group, detail in _groups(r.detail):
            rows.append(_row(r.standard.id, measure, group, detail))
    columns = ["standard", "measure", "group", "settlements", "left_out_unreachable", "people", "mean", "gini", "theil"]
    frame = pd.DataFrame(rows, columns=[*columns, "palma", "concentration_by_size"])
    for col in ("mean", "gini", "theil", "palma", "concentration_by_size"):
        frame[col] = frame[col].astype(float).round(4) + 0.0
    return frame


def lorenz_points(assessment: Assessment, std_id: str) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of a standard's measure over its reachable settlements, weighted by its demand."""
    r = assessment.result(std_id)
    measure = MEASURED[kind_of(r.standard).name]
    x = r.detail[measure].to_numpy(float)
    w = r.detail["demand"].fillna(0.0).to_numpy(float)
    finite = np.isfinite(x)
    return lorenz(x[finite], w[finite])
