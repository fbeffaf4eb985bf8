"""Charts as SVG text (no plotting library needed)."""

from __future__ import annotations

import html

from ..text import words

__all__ = ["budget_curve_svg"]


def budget_curve_svg(curve, *, title: str, lang: str = "en") -> str:
    """A small SVG line chart of the budget curve (no plotting library needed)."""
    _ = words(lang)
    w, h, pad = 520, 320, 50
    ks = curve["k"].to_numpy()
    kmax = max(int(ks.max()), 1)

    def pt(k, share):
        return pad + (w - 2 * pad) * k / kmax, h - pad - (h - 2 * pad) * share

    lines = []
    for col, colour in (("optimal_share", "#0072B2"), ("build_order_share", "#D55E00")):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (pt(k, s) for k, s in zip(ks, curve[col], strict=True)))
        lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{pts}'/>")
    ticks = "".join(f"<text x='{pt(k, 0)[0]:.1f}' y='{h - pad + 16}' font-size='11' text-anchor='middle'>{k}</text>" for k in ks)
    yt = "".join(
        f"<text x='{pad - 6}' y='{pt(0, s)[1] + 4:.1f}' font-size='11' text-anchor='end'>{s:.0%}</text>"
        for s in (0, 0.25, 0.5, 0.75, 1.0)
    )
    esc = html.escape
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}'>"
        f"<rect width='100%' height='100%' fill='white'/><text x='{w / 2}' y='20' text-anchor='middle' font-size='13'>"
        f"{esc(title)}: {esc(_('share of demand meeting the standard'))}</text>"
        f"<line x1='{pad}' y1='{h - pad}' x2='{w - pad}' y2='{h - pad}' stroke='black'/>"
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{h - pad}' stroke='black'/>{ticks}{yt}{''.join(lines)}"
        f"<text x='{w - pad}' y='{pad}' font-size='11' text-anchor='end' fill='#0072B2'>{esc(_('optimal for each k'))}</text>"
        f"<text x='{w - pad}' y='{pad + 14}' font-size='11' text-anchor='end' fill='#D55E00'>{esc(_('build order'))}</text>"
        f"<text x='{w / 2}' y='{h - 10}' font-size='11' text-anchor='middle'>{esc(_('new facilities'))}</text></svg>\n"
    )
