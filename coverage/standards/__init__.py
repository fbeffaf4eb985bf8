"""Standards as data and their assessment: catalogues, the kinds of standard (a registry), verdicts."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "AccessStandard": ".kinds.access",
    "Assessment": ".assessment",
    "BASES": "._base",
    "BUILTIN_CATALOGUES": ".catalogue",
    "Catalogue": ".catalogue",
    "Kind": ".kinds",
    "MET": "._base",
    "NOT_MET": "._base",
    "NOT_TESTED": "._base",
    "NotTestable": "._base",
    "PresenceStandard": ".kinds.presence",
    "Quantity": ".kinds.ratio",
    "RatioStandard": ".kinds.ratio",
    "Requirement": ".kinds.presence",
    "Standard": ".catalogue",
    "StandardBase": "._base",
    "StandardResult": "._base",
    "Terms": ".catalogue",
    "assess": ".assessment",
    "compare": ".compare",
    "group_summary": ".assessment",
    "kind_of": ".kinds",
    "kinds": ".kinds",
    "load_catalogue": ".catalogue",
    "memberships": "._units",
    "nearest_minutes": ".assessment",
    "verdict_word": "._base",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
