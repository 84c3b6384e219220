"""How long does geotagging one report take against a national registry?

    .venv/bin/python bench/geotag.py                 # 100,000 stations, 20,000 reports
    .venv/bin/python bench/geotag.py --quick         # a smoke run

Builds a synthetic registry of N stations spread around Kazakhstan's real
settlements (GeoNames, weighted by population, like a real registry: dense in
cities, one per village), then geotags reports whose fixes fall near random
stations. Measured in the same run, so the ratios mean something on any machine:

- `geotag()`: the pipeline's pure stage per report (nearest station through the
  k-d tree, distance to the claimed station, nearest settlement from the
  gazetteer), one report at a time as a worker does it;
- the raw `cKDTree.query` of one prepared point, the floor for any index lookup;
- a brute-force scan (vectorised haversine over every station), what the index
  saves us from.

No database is involved: the index and gazetteer are in-process (the pipeline
builds the index once per registry revision).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitoring.gazetteer import gazetteer_for  # noqa: E402
from monitoring.geo import EARTH_RADIUS_M  # noqa: E402
from monitoring.spatial import StationIndex, unit_vectors  # noqa: E402
from reports.geotag import Point, geotag  # noqa: E402


def synthetic_registry(n: int, rng: np.random.Generator, settlements) -> tuple[np.ndarray, np.ndarray]:
    lats = np.array([s.latitude for s in settlements])
    lons = np.array([s.longitude for s in settlements])
    weight = np.sqrt(np.array([max(s.population, 500) for s in settlements], dtype=float))
    where = rng.choice(len(settlements), size=n, p=weight / weight.sum())
    spread_m = np.sqrt(weight[where]) * 25  # cities spread over kilometres, villages over metres
    north, east = rng.normal(0, 1, n) * spread_m, rng.normal(0, 1, n) * spread_m
    station_lats = lats[where] + north / 111_320
    station_lons = lons[where] + east / (111_320 * np.cos(np.radians(lats[where])))
    return station_lats, station_lons


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(*, stations: int, reports: int, repeats: int = 5) -> dict:
    """The figures of one run (times in µs per report)."""
    rng = np.random.default_rng(2021)
    gazetteer = gazetteer_for(("KZ",))
    lats, lons = synthetic_registry(stations, rng, gazetteer.settlements)

    start = time.perf_counter()
    index = StationIndex(np.arange(stations), [f"{i:06d}" for i in range(stations)], lats, lons, np.zeros(stations))
    build_s = time.perf_counter() - start

    # Each report claims a random station and was filed 0–300 m from it.
    claimed = rng.integers(0, stations, reports)
    offsets = rng.uniform(0, 300, reports) / 111_320
    bearing = rng.uniform(0, 2 * np.pi, reports)
    fix_lats = lats[claimed] + offsets * np.cos(bearing)
    fix_lons = lons[claimed] + offsets * np.sin(bearing) / np.cos(np.radians(lats[claimed]))
    points = [
        (Point(float(a), float(b)), Point(float(lats[c]), float(lons[c]))) for a, b, c in zip(fix_lats, fix_lons, claimed, strict=True)
    ]
    vectors = unit_vectors(fix_lats, fix_lons)

    def ours():
        for device, station in points:
            geotag(device=device, photo=None, station=station, station_index=index, gazetteer=gazetteer)

    def raw_query():
        for v in vectors:
            index.tree.query(v)

    def batch_query():
        index.tree.query(vectors)

    phi, lmb = np.radians(lats), np.radians(lons)
    scan_n = min(reports, 500)

    def scan_nearest_m(lat: float, lon: float) -> float:
        a, b = np.radians(lat), np.radians(lon)
        h = np.sin((phi - a) / 2) ** 2 + np.cos(a) * np.cos(phi) * np.sin((lmb - b) / 2) ** 2
        return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h.min())))

    def scan():
        for a, b in zip(fix_lats[:scan_n], fix_lons[:scan_n], strict=True):
            scan_nearest_m(a, b)

    ours()  # warm-up: caches, lazy imports
    # Interleaved, best of `repeats`: both sides see the same machine load.
    best = {"ours": [], "raw": [], "batch": [], "scan": []}
    for _ in range(repeats):
        best["ours"].append(best_of(1, ours) / reports)
        best["raw"].append(best_of(1, raw_query) / reports)
        best["batch"].append(best_of(1, batch_query) / reports)
        best["scan"].append(best_of(1, scan) / scan_n)

    # The index agrees with the scan on the nearest distance.
    pairs = list(zip(fix_lats[:200], fix_lons[:200], strict=True))
    check = [index.nearest(float(a), float(b))[0].distance_m for a, b in pairs]
    exact = [scan_nearest_m(a, b) for a, b in pairs]
    return {
        "stations": stations,
        "reports": reports,
        "settlements": len(gazetteer.settlements),
        "index_build_ms": round(build_s * 1000, 1),
        "geotag_us": round(min(best["ours"]) * 1e6, 1),
        "raw_query_us": round(min(best["raw"]) * 1e6, 1),
        "batched_query_us": round(min(best["batch"]) * 1e6, 2),
        "scan_us": round(min(best["scan"]) * 1e6, 1),
        "max_index_vs_scan_m": round(max(abs(x - y) for x, y in zip(check, exact, strict=True)), 6),
        "median_nearest_m": round(statistics.median(check)),
    }


def run(services, sizes: dict) -> dict:
    """bench/run.py's `geotag`: µs per report at each registry size against the raw
    k-d tree query alone (no database: `services` is not used)."""
    out = {"sizes": []}
    for stations in sizes["geotag_stations"]:
        figures = measure(stations=stations, reports=sizes["geotag_reports"], repeats=3)
        out["sizes"].append(
            {
                "stations": figures["stations"],
                "reports": figures["reports"],
                "us_per_report": figures["geotag_us"],
                "raw_query_us": figures["raw_query_us"],
                "brute_force_scan_us": figures["scan_us"],
                "ratio": round(figures["geotag_us"] / figures["raw_query_us"], 2),
                "index_build_ms": figures["index_build_ms"],
            }
        )
    out.update({k: v for k, v in out["sizes"][-1].items() if k != "reports"})  # the largest registry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="10,000 stations, 2,000 reports")
    args = parser.parse_args()
    if args.quick:
        args.stations, args.reports = 10_000, 2_000
    r = measure(stations=args.stations, reports=args.reports, repeats=3 if args.quick else 5)
    print(f"registry: {r['stations']:,} stations around {r['settlements']} settlements; {r['reports']:,} reports")
    print(f"index build: {r['index_build_ms']:.0f} ms (once per registry revision)")
    print(f"{'':32} {'µs/report':>10} {'× raw query':>12}")
    base = r["raw_query_us"]
    for name, key in [
        ("geotag() per report", "geotag_us"),
        ("raw cKDTree.query, one point", "raw_query_us"),
        ("raw cKDTree.query, batched", "batched_query_us"),
        ("brute-force scan per report", "scan_us"),
    ]:
        print(f"{name:32} {r[key]:>10.1f} {r[key] / base:>12.2f}")
    print(f"index vs scan, nearest distance: max difference {r['max_index_vs_scan_m']:.6f} m over 200 reports")
    print(f"median fix-to-nearest-station distance: {r['median_nearest_m']} m")


if __name__ == "__main__":
    main()
