"""Draw docs/performance-surge.svg from the `surge` key of a results file:
per second, the submissions answered 201, the broker's queue length and the
submissions pending in the database, over the played hour and its drain.

    .venv/bin/python bench/plot_surge.py bench/results/latest.json docs/performance-surge.svg
"""

import json
import sys
from pathlib import Path

W, H, PAD = 640, 260, 50
SERIES = (("queue", "#1b5e9e", "broker queue (tasks)"), ("pending", "#7f8c8d", "pending in the database"))


def _polyline(points: list[tuple[float, float]], sx, sy, colour: str) -> str:
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>'


def draw(surge: dict) -> str:
    samples = surge["per_second"]["samples"]
    submissions = surge["per_second"]["submissions"]
    tmax = max([s["t"] for s in samples] + [len(submissions)]) or 1
    ymax = max([s["queue"] for s in samples] + [s["pending"] for s in samples] + [1])
    smax = max(submissions + [1])

    def sx(t):
        return PAD + t / tmax * (W - 2 * PAD)

    def sy(v, top=ymax):
        return H - PAD - v / top * (H - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>',
        f'<line x1="{W - PAD}" y1="{PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#c0392b"/>',
        f'<text x="{W / 2}" y="{H - 12}" text-anchor="middle">seconds since the hour began (played {surge["hour_played_in_s"]} s)</text>',
        f'<text x="{PAD - 4}" y="{PAD - 6}" text-anchor="end">{ymax}</text>',
        f'<text x="{W - PAD + 4}" y="{PAD - 6}" fill="#c0392b">{smax}/s</text>',
        f'<text x="{W - PAD}" y="{H - PAD + 14}" text-anchor="end">{tmax:.0f}</text>',
        f'<text x="{PAD}" y="{H - PAD + 14}">0</text>',
    ]
    bar = (W - 2 * PAD) / tmax
    for t, n in enumerate(submissions):
        if n:
            parts.append(
                f'<rect x="{sx(t):.1f}" y="{sy(n, smax):.1f}" width="{max(bar, 0.5):.1f}" height="{H - PAD - sy(n, smax):.1f}" fill="#c0392b" opacity="0.35"/>'
            )
    for key, colour, _label in SERIES:
        parts.append(_polyline([(s["t"], s[key]) for s in samples], sx, sy, colour))
    labels = [*SERIES, (None, "#c0392b", "201s per second (right axis)")]
    for i, (_key, colour, label) in enumerate(labels):
        parts.append(f'<text x="{PAD + 10}" y="{PAD + 14 * (i + 1)}" fill="{colour}">{label}</text>')
    parts.append(
        f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="13">Surge: lag p95 {surge["lag_p95_s"]} s, drain {surge["drain_s"]} s</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    surge = json.loads(source.read_text()).get("surge")
    if surge is None:
        print(f"{source}: no surge key, nothing drawn")
        return
    target.write_text(draw(surge))


if __name__ == "__main__":
    main()
