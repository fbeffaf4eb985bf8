"""Gap maps (folium): self-contained, offline, escaped, in the chosen language."""

from __future__ import annotations

from ..._lazy import lazy_exports

_EXPORTS = {
    "JsonLayer": "._leaflet",
    "MapScript": "._leaflet",
    "access_map": ".access",
    "base_map": "._layers",
    "batch_overview_map": ".overview",
    "blank_map": "._leaflet",
    "esc": "._leaflet",
    "failures_per_settlement": ".overview",
    "js_json": "._leaflet",
    "map_file_names": "._index",
    "overview_map": ".overview",
    "read_leaflet_assets": "._leaflet",
    "render_html": "._leaflet",
    "save_map": "._leaflet",
    "siting_map": ".siting",
    "unit_map": ".units",
    "write_report_and_maps": "._index",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
