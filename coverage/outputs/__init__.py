"""What people and machines get: the scorecard, reports, exports, tables, charts and maps."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "access_table": ".exports",
    "basis_legend": ".report",
    "budget_curve_svg": ".charts",
    "comparison_tables": ".tables",
    "curve_table": ".tables",
    "cut": ".terminal",
    "esc": ".html_report",
    "estimated_note": ".report",
    "headline": ".report",
    "indicator_table": ".summary",
    "level_name": ".report",
    "not_joined_line": ".report",
    "profile_name": ".report",
    "progress": ".terminal",
    "region_summary_text": ".summary",
    "region_title": ".report",
    "report_html": ".html_report",
    "requirement_text": ".report",
    "scorecard_frame": ".report",
    "scorecard_markdown": ".report",
    "scorecard_text": ".terminal",
    "sites_table": ".tables",
    "siting_summary": ".tables",
    "sources_line": ".report",
    "table_text": ".terminal",
    "target_text": ".report",
    "terminal_width": ".terminal",
    "travel_line": ".report",
    "unit_table": ".exports",
    "worst_text": ".report",
    "write_check_outputs": ".exports",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
