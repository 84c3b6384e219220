"""Draw docs/performance-surge.svg from the `surge` key of a results file:
per second, the submissions answered 201, the broker's queue lengths (all
together, and the check-ins' and the reports' queues apart) and the
submissions pending in the database, over the played hour and its drain; and
below, each submission's lag from its 201 to its final state.

    .venv/bin/python bench/plot_surge.py bench/results/latest.json docs/performance-surge.svg
"""

import json
import sys
from pathlib import Path

W, H, PAD = 640, 260, 50
SERIES = (("queue", "#1b5e9e", "broker queues (tasks)"), ("pending", "#7f8c8d", "pending in the database"))
# Results since the queues were split (config/queues.py) also hold each queue's length.
QUEUE_SERIES = (("checkins", "#e67e22", "of which check-ins' queue"), ("reports", "#27ae60", "of which reports' queue"))


def _polyline(points: list[tuple[float, float]], sx, sy, colour: str) -> str:
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>'


def draw(surge: dict) -> str:
    samples = surge["per_second"]["samples"]
    submissions = surge["per_second"]["submissions"]
    tmax = max([s["t"] for s in samples] + [len(submissions)]) or 1
    ymax = max([s["queue"] for s in samples] + [s["pending"] for s in samples] + [1])
    smax = max(submissions + [1])
    height = 2 * H if surge.get("lags") else H

    def sx(t):
        return PAD + t / tmax * (W - 2 * PAD)

    def sy(v, top=ymax):
        return H - PAD - v / top * (H - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{W}" height="{height}" fill="white"/>',
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
    series = list(SERIES)
    for key, colour, _label in SERIES:
        parts.append(_polyline([(s["t"], s[key]) for s in samples], sx, sy, colour))
    if samples and "queues" in samples[0]:
        series += QUEUE_SERIES
        for key, colour, _label in QUEUE_SERIES:
            parts.append(_polyline([(s["t"], s["queues"].get(key, 0)) for s in samples], sx, sy, colour))
    labels = [*series, (None, "#c0392b", "201s per second (right axis)")]
    for i, (_key, colour, label) in enumerate(labels):
        parts.append(f'<text x="{PAD + 10}" y="{PAD + 14 * (i + 1)}" fill="{colour}">{label}</text>')
    parts.append(
        f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="13">Surge: lag p95 {surge["lag_p95_s"]} s, drain {surge["drain_s"]} s</text>'
    )
    parts.extend(_lag_panel(surge.get("lags") or [], sx))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


LAG_COLOURS = {"hotspot": "#c0392b", "report": "#1b5e9e", "checkin": "#bbbbbb"}


def _lag_panel(lags: list, sx) -> list[str]:
    """Below the first panel: each submission's lag (201 → final) against the time of its 201."""
    if not lags:
        return []
    top = max(lag for _t, lag, _kind in lags) or 1

    def sy(v):
        return 2 * H - PAD - v / top * (H - 2 * PAD)

    parts = [
        f'<line x1="{PAD}" y1="{2 * H - PAD}" x2="{W - PAD}" y2="{2 * H - PAD}" stroke="black"/>',
        f'<line x1="{PAD}" y1="{H + PAD}" x2="{PAD}" y2="{2 * H - PAD}" stroke="black"/>',
        f'<text x="{PAD - 4}" y="{H + PAD - 6}" text-anchor="end">{top:.0f} s</text>',
        f'<text x="{W / 2}" y="{2 * H - 12}" text-anchor="middle">lag from the 201 to the final state, by the time of the 201</text>',
    ]
    for kind in ("checkin", "report", "hotspot"):  # the reports drawn over the check-ins
        parts += [f'<circle cx="{sx(t):.1f}" cy="{sy(lag):.1f}" r="1.2" fill="{LAG_COLOURS[kind]}"/>' for t, lag, k in lags if k == kind]
    for i, (kind, label) in enumerate((("hotspot", "hot-spot reports"), ("report", "other reports"), ("checkin", "check-ins"))):
        parts.append(f'<text x="{PAD + 10}" y="{H + PAD + 14 * (i + 1)}" fill="{LAG_COLOURS[kind]}">{label}</text>')
    return parts


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    surge = json.loads(source.read_text()).get("surge")
    if surge is None:
        print(f"{source}: no surge key, nothing drawn")
        return
    target.write_text(draw(surge))


if __name__ == "__main__":
    main()
