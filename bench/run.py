"""The benchmarks of docs/performance.md, each against a baseline measured in
the same run (the machine is shared; only ratios travel between runs).

    .venv/bin/python bench/run.py                 # make bench: full sizes
    .venv/bin/python bench/run.py --quick         # make bench-quick: smoke sizes
    .venv/bin/python bench/run.py --only export admin

- intake (bench/intake.py): the report API through gunicorn against a minimal
  view on the same server that inserts one row (bench/urls.py).
- sms (bench/sms.py): signed SMS gateway deliveries through the webhook against
  the same minimal view.
- pipeline (bench/pipeline.py): reports/s of one worker process against a
  no-op task on the same worker and broker.
- export and admin (bench/exports.py): the CSV export's rows/s against COPY of
  its own rows, and its peak RSS at both sizes; the triage changelist's server
  time at the large size against the small one.
- geotag (bench/geotag.py): µs per report among up to 100,000 stations against
  the raw k-d tree query alone.
- hotspot (bench/hotspot.py): ms per report of one worker draining a burst of
  one organization's reports in one district against the same burst spread out.
- coverage (bench/coverage.py): the coverage board's and API's server time at
  2,000 observers, 10,000 planned stations and 100,000 submissions against the
  same pages at a tenth of the size.
- quick_count (bench/quick_count.py): the quick count's results page with
  1,000 sampled stations reported against the estimator alone.
- roster (bench/roster.py): the roster import of 5,000 generated people with
  their plan against the same import of 500 (time per row).
- surge (bench/surge.py): the opening hour with a hot spot, compressed in
  time, through gunicorn and two worker processes: the lag from 201 to each
  report's final state and the queue's drain time (no baseline: goals in
  seconds).

Everything runs on loopback against a private PostgreSQL cluster and a private
Redis started here and stopped (by PID) at the end (bench/services.py); nothing
else is touched. Results go to bench/results/latest.json (quick.json for
--quick). No thresholds are asserted: the goals are printed next to the figures.
"""

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import coverage, exports, geotag, hotspot, intake, pipeline, quick_count, roster, sms, surge  # noqa: E402
from bench.services import Services, log  # noqa: E402

SIZES = {
    "full": {
        "intake_clients": 32,
        "intake_seconds": 20,
        "sms_clients": 16,
        "sms_seconds": 20,
        "pipeline_background": 20_000,
        "pipeline_reports": 1_500,
        "pipeline_checkins": 500,
        "noop_tasks": 5_000,
        "pipeline_stations": 10_000,
        "export_rows": [100_000, 1_000_000],
        "admin_rows": [10_000, 1_000_000],
        "geotag_stations": [1_000, 10_000, 100_000],
        "geotag_reports": 20_000,
        "hotspot_stations": 2_000,
        "hotspot_background": 5_000,
        "hotspot_sizes": [100, 500, 1_000],
        "coverage_observers": [200, 2_000],
        "roster_rows": [500, 5_000],
        "quick_count_stations": 10_000,
        "quick_count_sample": 1_000,
        "surge_observers": 2_000,
        "surge_stations": 10_000,
        "surge_reports": 1_000,
        "surge_hotspot": 1_000,
        "surge_seconds": 300,
        "surge_drain_timeout": 900,
    },
    "quick": {
        "intake_clients": 32,
        "intake_seconds": 5,
        "sms_clients": 16,
        "sms_seconds": 5,
        "pipeline_background": 2_000,
        "pipeline_reports": 200,
        "pipeline_checkins": 100,
        "noop_tasks": 1_000,
        "pipeline_stations": 2_000,
        "export_rows": [5_000, 20_000],
        "admin_rows": [2_000, 20_000],
        "geotag_stations": [100_000],
        "geotag_reports": 2_000,
        "hotspot_stations": 500,
        "hotspot_background": 1_000,
        "hotspot_sizes": [100],
        "coverage_observers": [20, 200],
        "roster_rows": [50, 500],
        "quick_count_stations": 2_000,
        "quick_count_sample": 200,
        "surge_observers": 60,
        "surge_stations": 400,
        "surge_reports": 30,
        "surge_hotspot": 30,
        "surge_seconds": 8,
        "surge_drain_timeout": 120,
    },
}
GOALS = {
    "intake": "ratio >= 0.3 and p95 <= 250 ms at 32 clients (#17; the first goal was 0.5 and 150 ms)",
    "pipeline": "ratio >= 0.25",
    "sms": "ratio at least half of intake's in the same run (a message is a submission plus its log row and reply)",
    "export": "ratio >= 0.5; peak RSS at the large size within 30 MB of the small one",
    "admin": "ratio <= 2 and <= 300 ms at the large size",
    "geotag": "<= 1 ms per report and ratio <= 3",
    "hotspot": "ratio <= 1.5 (hot spot vs. sparse ms/report at the largest cluster)",
    "coverage": "board and API <= 500 ms at 2,000 observers, 10,000 stations, 100,000 submissions",
    "quick_count": "results page with the whole sample reported (1,000 of 10,000 stations) well under a second",
    "roster": "first import of 5,000 rows < 30 s; ratio (time per row, large vs tenth) near 1",
    "surge": "lag_p95_s <= 5 and drain_s <= 30 (the opening hour with a hot spot, 16 clients, 2 worker processes)",
}
BENCHES = {
    "intake": intake.run,
    "sms": sms.run,
    "pipeline": pipeline.run,
    "export": exports.run_export,
    "admin": exports.run_admin,
    "geotag": geotag.run,
    "hotspot": hotspot.run,
    "coverage": coverage.run,
    "quick_count": quick_count.run,
    "roster": roster.run,
    "surge": surge.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke sizes, a couple of minutes")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES))
    parser.add_argument("--clients", type=int, help="intake: concurrent clients (default 32)")
    parser.add_argument("--profile", action="store_true", help="sample gunicorn and the worker with py-spy (bench/results/profile-*.txt)")
    parser.add_argument("--output", type=Path, help="default: bench/results/latest.json (quick.json with --quick)")
    args = parser.parse_args()
    sizes = dict(SIZES["quick" if args.quick else "full"])
    if args.clients:
        sizes["intake_clients"] = args.clients
    output = args.output or ROOT / "bench" / "results" / ("quick.json" if args.quick else "latest.json")

    started = time.time()
    results: dict = {"meta": _meta(quick=args.quick)}
    with tempfile.TemporaryDirectory(prefix="elmon-bench-") as work:
        services = Services(Path(work), profile=args.profile)
        try:
            for name in args.only:
                results[name] = _run(name, services, sizes, commit=results["meta"]["commit"])
        finally:
            services.close()
    results["meta"]["seconds"] = round(time.time() - started, 1)
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = _write(output, results, partial=set(args.only) != set(BENCHES))
    print(summary(results))
    log(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def _meta(*, quick: bool) -> dict:
    return {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "quick" if quick else "full",
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "commit": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
        "goals": GOALS,
    }


def _run(name: str, services: Services, sizes: dict, *, commit: str) -> dict:
    log(f"{name} ...")
    began = time.monotonic()
    result = BENCHES[name](services, sizes)
    result["bench_seconds"] = round(time.monotonic() - began, 1)
    result["commit"] = commit  # partial runs mix commits in one file
    log(f"{name}: ratio {result.get('ratio')}  ({GOALS[name]})")
    return result


def _write(output: Path, results: dict, *, partial: bool) -> dict:
    """Write the results (a partial run updates only its own keys of an
    existing file) and return what was written."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists() and partial:
        previous = json.loads(output.read_text())
        previous.update(results)
        results = previous
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results


def summary(results: dict) -> str:
    lines = [f"{'benchmark':<10} {'ours':>22} {'baseline':>22} {'ratio':>8}   goal"]
    rows = {
        "intake": lambda r: (f"{r['per_s']}/s p95 {r['p95_ms']} ms", f"{r['baseline_per_s']}/s"),
        "pipeline": lambda r: (f"{r['per_s']} reports/s", f"{r['noop_tasks_per_s']} no-ops/s"),
        "sms": lambda r: (f"{r['per_s']} msgs/s p95 {r['p95_ms']} ms", f"{r['baseline_per_s']}/s"),
        "export": lambda r: (f"{r['rows_per_s']:,} rows/s", f"{r['copy_rows_per_s']:,} rows/s"),
        "admin": lambda r: (f"{r['default_ms']}/{r['filtered_ms']} ms", f"{r['baseline_default_ms']}/{r['baseline_filtered_ms']} ms"),
        "geotag": lambda r: (f"{r['us_per_report']} µs", f"{r['raw_query_us']} µs"),
        "hotspot": lambda r: (f"{r['hotspot_ms_per_report']} ms/report", f"{r['sparse_ms_per_report']} ms/report"),
        "coverage": lambda r: (f"{r['board_ms']}/{r['api_ms']} ms", f"{r['baseline_board_ms']}/{r['baseline_api_ms']} ms"),
        "quick_count": lambda r: (f"page {r['page_ms']} ms", f"estimator {r['estimator_ms']} ms"),
        "roster": lambda r: (f"{r['rows']:,} rows in {r['first_import_s']} s", f"{r['baseline_rows']:,} in {r['baseline_first_import_s']} s"),
        "surge": lambda r: (f"lag p95 {r['lag_p95_s']} s", f"drain {r['drain_s']} s"),
    }
    for name, fmt in rows.items():
        if name in results:
            ours, base = fmt(results[name])
            lines.append(f"{name:<10} {ours:>22} {base:>22} {results[name]['ratio']!s:>8}   {GOALS[name]}")
    if "export" in results:
        r = results["export"]
        lines.append(f"export peak RSS: {r['peak_rss_mib_small']} MiB → {r['peak_rss_mib_large']} MiB (+{r['peak_rss_growth_mib']} MiB)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
