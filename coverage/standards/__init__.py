"""Standards as data and their assessment: catalogues, the kinds of standard, verdicts."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "AccessStandard": ".catalogue",
    "Assessment": ".assessment",
    "BASES": "._base",
    "BUILTIN_CATALOGUES": ".catalogue",
    "Catalogue": ".catalogue",
    "MET": "._base",
    "NOT_MET": "._base",
    "NOT_TESTED": "._base",
    "NotTestable": "._base",
    "PresenceStandard": ".catalogue",
    "Quantity": ".catalogue",
    "RatioStandard": ".catalogue",
    "Requirement": ".catalogue",
    "Standard": ".catalogue",
    "StandardResult": "._base",
    "access_reason_codes": ".assessment",
    "access_travel": ".assessment",
    "assess": ".assessment",
    "assess_access": ".assessment",
    "assess_presence": ".assessment",
    "assess_ratio": ".assessment",
    "compare": ".compare",
    "field_label": "._base",
    "group_summary": ".assessment",
    "load_catalogue": ".catalogue",
    "mark": "._base",
    "memberships": "._units",
    "nearest_minutes": ".assessment",
    "unit_membership": "._units",
    "units_at": "._units",
    "verdict_word": "._base",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
