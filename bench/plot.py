"""Draw docs/performance-cost.svg from bench/results/latest.json: what each
path costs as the data grows, next to its baseline (log-log panels).

    .venv/bin/python bench/plot.py bench/results/latest.json docs/performance-cost.svg
"""

import json
import math
import sys
from pathlib import Path

W, H, PAD = 300, 220, 46
COLOURS = {"ours": "#1b5e9e", "baseline": "#c0392b", "third": "#7f8c8d"}


def _panel(x0: int, title: str, xlabel: str, ylabel: str, series: list[tuple[str, str, list[tuple[float, float]]]]) -> str:
    points = [p for _n, _c, s in series for p in s if p[0] > 0 and p[1] > 0]
    if not points:
        return ""
    lx = [math.log10(p[0]) for p in points]
    ly = [math.log10(p[1]) for p in points]
    xmin, xmax = math.floor(min(lx)), math.ceil(max(lx))
    ymin, ymax = math.floor(min(ly)), math.ceil(max(ly))
    xmax, ymax = max(xmax, xmin + 1), max(ymax, ymin + 1)

    def sx(v):
        return x0 + PAD + (math.log10(v) - xmin) / (xmax - xmin) * (W - PAD - 10)

    def sy(v):
        return H - PAD + 10 - (math.log10(v) - ymin) / (ymax - ymin) * (H - PAD - 20)

    out = [f'<text x="{x0 + W / 2}" y="14" text-anchor="middle" font-weight="bold">{title}</text>']
    out.append(f'<rect x="{x0 + PAD}" y="20" width="{W - PAD - 10}" height="{H - PAD - 10}" fill="none" stroke="#999"/>')
    for e in range(xmin, xmax + 1):
        x = sx(10**e)
        out.append(f'<line x1="{x}" y1="20" x2="{x}" y2="{H - PAD + 10}" stroke="#eee"/>')
        out.append(f'<text x="{x}" y="{H - PAD + 24}" text-anchor="middle">10^{e}</text>')
    for e in range(ymin, ymax + 1):
        y = sy(10**e)
        out.append(f'<line x1="{x0 + PAD}" y1="{y}" x2="{x0 + W - 10}" y2="{y}" stroke="#eee"/>')
        out.append(f'<text x="{x0 + PAD - 4}" y="{y + 4}" text-anchor="end">10^{e}</text>')
    out.append(f'<text x="{x0 + W / 2 + 18}" y="{H - 6}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text x="{x0 + 10}" y="{H / 2}" transform="rotate(-90 {x0 + 10} {H / 2})" text-anchor="middle">{ylabel}</text>')
    for n, (name, colour, data) in enumerate(series):
        data = [p for p in data if p[0] > 0 and p[1] > 0]
        if not data:
            continue
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in data)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in data)
        out.append(f'<text x="{x0 + PAD + 6}" y="{34 + 13 * n}" fill="{colour}">{name}</text>')
    return "\n".join(out)


def draw(results: dict) -> str:
    panels = []
    if "export" in results:
        sizes = results["export"]["sizes"]
        panels.append(
            (
                "export: cost per row",
                "rows",
                "µs per row",
                [
                    ("our CSV export", COLOURS["ours"], [(s["rows"], 1e6 / s["rows_per_s"]) for s in sizes]),
                    ("PostgreSQL COPY", COLOURS["baseline"], [(s["rows"], 1e6 / s["copy_rows_per_s"]) for s in sizes]),
                ],
            )
        )
    if "admin" in results:
        sizes = results["admin"]["sizes"]
        panels.append(
            (
                "triage changelist",
                "reports",
                "ms per page",
                [
                    ("default order", COLOURS["ours"], [(s["rows"], s["default_ms"]) for s in sizes]),
                    ("region + flag", COLOURS["baseline"], [(s["rows"], s["filtered_ms"]) for s in sizes]),
                ],
            )
        )
    if "geotag" in results:
        sizes = results["geotag"].get("sizes") or [results["geotag"]]
        panels.append(
            (
                "geotag: cost per report",
                "stations",
                "µs per report",
                [
                    ("geotag()", COLOURS["ours"], [(s["stations"], s["us_per_report"]) for s in sizes]),
                    ("raw k-d tree query", COLOURS["baseline"], [(s["stations"], s["raw_query_us"]) for s in sizes]),
                    ("brute-force scan", COLOURS["third"], [(s["stations"], s["brute_force_scan_us"]) for s in sizes]),
                ],
            )
        )
    body = "\n".join(_panel(i * W, *panel) for i, panel in enumerate(panels))
    width = W * max(1, len(panels))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" viewBox="0 0 {width} {H}" '
        f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
    )


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.write_text(draw(json.loads(source.read_text())))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
