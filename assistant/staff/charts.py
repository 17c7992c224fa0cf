"""Tiny server-side SVG charts (no JavaScript, no CDN): line charts per day and horizontal bar charts.

Every label is escaped; colours are SVG presentation attributes (the CSP forbids style attributes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ("#1a5fb4", "#e66100", "#26a269", "#c01c28")


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.0f}%" if percent else (f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}")


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], percent: bool = False,
               width: int = 640, height: int = 220, title: str = "") -> Markup:
    """Lines over days; `series` = (name, values aligned with x_labels)."""
    left, right, top, bottom = 44, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for _, values in series for v in values] + [0.0])
    top_value = 1.0 if percent else float(max(4, math.ceil(peak / 4) * 4))
    n = max(1, len(x_labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / n, top + plot_h * (1 - v / top_value)

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for k in range(5):
        v = top_value * k / 4
        _, y = xy(0, v)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e7ee" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#59636e">'
                     f"{escape(_fmt(v, percent))}</text>")
    step = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            x, _ = xy(i, 0)
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="11" fill="#59636e">{escape(label)}</text>')
    for s, (name, values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, float(v)) for i, v in enumerate(values)))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"><title>{escape(name)}</title></polyline>')
        for i, v in enumerate(values):
            x, y = xy(i, float(v))
            label = f"{x_labels[i]} {name}：{_fmt(float(v), percent)}"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{escape(label)}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(items: Sequence[tuple[str, float]], width: int = 640, bar_h: int = 22, title: str = "",
              percent: bool = False, colour: str = COLOURS[0]) -> Markup:
    """Horizontal bars, one per (label, value), longest first as given."""
    label_w, value_w = 230, 60
    height = max(1, len(items)) * (bar_h + 6) + 6
    peak = max([v for _, v in items] + [1e-9])
    plot_w = width - label_w - value_w
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(items):
        y = 6 + i * (bar_h + 6)
        w = plot_w * float(value) / peak
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" font-size="12" fill="#1f2328">'
                     f"{escape(short)}<title>{escape(label)}</title></text>")
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" rx="3" fill="{colour}">'
                     f"<title>{escape(label)}：{escape(_fmt(float(value), percent))}</title></rect>")
        parts.append(f'<text x="{label_w + max(w, 1) + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="12" fill="#59636e">'
                     f"{escape(_fmt(float(value), percent))}</text>")
    if not items:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" font-size="12" fill="#59636e">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
