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
    kmax = max(int(ks.max()), 1)  # k = 0 is today: the curve starts at the baseline

    def pt(k, share):
        return pad + (w - 2 * pad) * k / kmax, h - pad - (h - 2 * pad) * share

    lines = []
    # Two styles a reader can tell apart where the lines coincide (and in black and white):
    # the optimum solid with circles, the build order dashed with squares, drawn on top.
    for col, colour, dash, mark in (("optimal_share", "#0072B2", "", "circle"), ("build_order_share", "#D55E00", "6 4", "rect")):
        xy = [pt(k, s) for k, s in zip(ks, curve[col], strict=True)]
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        dashed = f" stroke-dasharray='{dash}'" if dash else ""
        lines.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2'{dashed} points='{pts}'/>")
        for x, y in xy:
            if mark == "circle":
                lines.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='4' fill='{colour}'/>")
            else:
                lines.append(f"<rect x='{x - 3:.1f}' y='{y - 3:.1f}' width='6' height='6' fill='none' stroke='{colour}'/>")
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
