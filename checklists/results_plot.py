"""The results page's plot (pure): each estimate as a dot with its 95 % error
bar, and the official figure as a diamond, red where it lies outside the
margin. Inline SVG, so the page needs no script."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .estimator import FigureResult

WIDTH = 720
LABEL = 220  # the left column of labels
ROW = 28
TOP = 24


def _x(value: float, top: float) -> float:
    return LABEL + (WIDTH - LABEL - 20) * max(0.0, min(value, top)) / top


def results_svg(rows: Sequence[tuple[str, FigureResult]], *, title: str) -> str:
    """`rows`: (label, figure) pairs, fractions 0..1, in order."""
    top = max([1e-9] + [v for _, f in rows for v in (f.interval.high, f.official) if v is not None])
    top = min(1.0, max(0.1, round(top + 0.05, 1)))
    height = TOP + ROW * len(rows) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="quick-count-plot" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    ticks = 5
    for i in range(ticks + 1):
        value = top * i / ticks
        x = _x(value, top)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">{100 * value:.0f} %</text>')
    for n, (label, figure) in enumerate(rows):
        y = TOP + ROW * n + ROW / 2
        parts.append(f'<text x="{LABEL - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end">{escape(label)}</text>')
        interval = figure.interval
        if interval.estimate is not None:
            if interval.moe is not None:
                low, high = _x(interval.low, top), _x(interval.high, top)
                parts.append(f'<line x1="{low:.1f}" y1="{y:.1f}" x2="{high:.1f}" y2="{y:.1f}" stroke="#205493" stroke-width="2"/>')
                for end in (low, high):
                    parts.append(
                        f'<line x1="{end:.1f}" y1="{y - 5:.1f}" x2="{end:.1f}" y2="{y + 5:.1f}" stroke="#205493" stroke-width="2"/>'
                    )
            parts.append(f'<circle cx="{_x(interval.estimate, top):.1f}" cy="{y:.1f}" r="4" fill="#205493"/>')
        if figure.official is not None:
            x = _x(figure.official, top)
            colour = "#c00" if figure.outside_moe else "#444"
            parts.append(
                f'<path d="M{x:.1f} {y - 7:.1f} L{x + 6:.1f} {y:.1f} L{x:.1f} {y + 7:.1f} L{x - 6:.1f} {y:.1f} Z" '
                f'fill="none" stroke="{colour}" stroke-width="2" class="official{" outside" if figure.outside_moe else ""}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
