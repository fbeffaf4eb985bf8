"""Which source texts flag a value as estimated: one rule for every layer, road and map."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ESTIMATE_WORDS", "estimated_flags", "is_estimated"]

#: A ``*_source`` text (or a road's ``source`` tag) containing one of these marks an estimate.
ESTIMATE_WORDS = ("estimat", "schematic", "assum")


def is_estimated(text: object) -> bool:
    """True when one source text flags an estimate."""
    t = str(text).lower()
    return any(word in t for word in ESTIMATE_WORDS)


def estimated_flags(texts) -> np.ndarray:
    """:func:`is_estimated` of every text, computed once per distinct text (a province repeats a few)."""
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object).fillna("").astype(str).to_numpy(), sort=False)
    flags = np.array([is_estimated(u) for u in uniques] + [False], dtype=bool)
    return flags[codes]
