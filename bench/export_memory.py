"""Export throughput and peak memory at 100,000 and 1,000,000 rows on PostgreSQL.

    .venv/bin/python bench/export_memory.py                       # 100k and 1M (generates the data once)
    .venv/bin/python bench/export_memory.py --rows 100000 --verify
    .venv/bin/python bench/export_memory.py --database-url postgres://postgres@127.0.0.1:5432/mybench

Uses its own database (default `elmon_bench_<checkout id>`, created and migrated
when missing) with one generated election per size (bench/territory.py and testkit/bulk.py: realistic
distributions, valid hashes), kept between runs. Each export runs in a fresh
process through the real service (reports.services.exports.reports_export, the
same code behind the URL, the admin action and the command), writing the file
to a temporary directory; the process reports rows/s and its peak resident
memory (VmHWM) against its own baseline just before the export. The baseline
ratio of the run is the peak at the largest size over the peak at the smallest:
~1.0 means memory does not grow with the number of rows. `--materialize` also
measures the naive alternative (all rows fetched into a list) at the smallest
size, for contrast. `--verify` checks each file with tools/verify_export.py.

Prints a table; `--json` prints the measurements as JSON. Nothing here is a test:
tests assert behaviour, never timings.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _vm(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _setup(database_url: str) -> None:
    """Production settings (DEBUG off: with DEBUG on, Django keeps the text of the
    last 9,000 queries in memory, which would be measured too)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    # Required by the production settings; the benchmark never sends a task.
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    import warnings

    warnings.filterwarnings("ignore", category=RuntimeWarning)
    import django

    django.setup()


def default_database_url() -> str:
    # The Makefile's checkout id (`pwd | md5sum`), so a checkout's databases share a suffix.
    checkout = hashlib.md5(f"{ROOT}\n".encode()).hexdigest()[:8]  # noqa: S324 - a name, not security
    return f"postgres://postgres@127.0.0.1:5432/elmon_bench_{checkout}"


def ensure_database(database_url: str) -> None:
    import psycopg
    from django.conf import settings  # noqa: F401 - settings parse the URL below

    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_dataset(rows: int) -> str:
    """An election with exactly `rows` reports (generated once, then reused)."""
    from tqdm import tqdm

    from bench.territory import build_territory
    from reports.models import IncidentReport
    from testkit.bulk import bulk_reports

    code = f"bench-{rows}"
    have = IncidentReport.objects.filter(election__code=code).count()
    if have == rows:
        return code
    if have:
        raise SystemExit(f"election {code} has {have} reports, not {rows}: drop the bench database to regenerate")
    started = time.perf_counter()
    territory = build_territory(election_code=code, stations=max(400, min(rows // 250, 10_000)), observers=max(200, min(rows // 500, 4000)))
    with tqdm(total=rows, unit=" reports", unit_scale=True, file=sys.stderr, desc=f"generating {code}") as bar:
        bulk_reports(territory, count=rows, seed=rows, progress=bar.update)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated {rows} reports in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return code


def measure_export(election: str, out_dir: str, chunk_size: int) -> dict:
    """Runs in a fresh process: one export of the election to a file."""
    from reports.filters import ReportFilters
    from reports.models import ExportRecord, IncidentReport
    from reports.services.exports import reports_export

    IncidentReport.objects.filter(election__code=election).exists()  # connect, load the ORM
    baseline = _vm("VmHWM")
    path = Path(out_dir) / f"{election}.csv"
    started = time.perf_counter()
    written = 0
    stream = reports_export(user=None, filters=ReportFilters(election=election), source=ExportRecord.Source.COMMAND, chunk_size=chunk_size)
    with open(path, "wb") as handle:
        for chunk in stream:
            handle.write(chunk)
            written += len(chunk)
    seconds = time.perf_counter() - started
    rows = stream.record.row_count
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "mib_per_s": round(written / seconds / 2**20, 1),
        "file_mib": round(written / 2**20, 1),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(_vm("VmHWM") / 1024, 1),
        "growth_mib": round((_vm("VmHWM") - baseline) / 1024, 1),
        "file": str(path),
    }


def measure_materialize(election: str) -> dict:
    """The naive alternative, for contrast: every row in a list at once."""
    from reports.export_columns import ORM_PATHS
    from reports.models import IncidentReport

    IncidentReport.objects.filter(election__code=election).exists()
    baseline = _vm("VmHWM")
    started = time.perf_counter()
    rows = list(IncidentReport.objects.filter(election__code=election).values_list(*ORM_PATHS))
    seconds = time.perf_counter() - started
    return {
        "rows": len(rows),
        "seconds": round(seconds, 2),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(_vm("VmHWM") / 1024, 1),
        "growth_mib": round((_vm("VmHWM") - baseline) / 1024, 1),
    }


def _child(args: list[str]) -> dict:
    command = [sys.executable, __file__, *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _verify(path: str) -> dict:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", VERIFY_SNIPPET, path], capture_output=True, text=True, cwd=ROOT / "tools", timeout=3600)
    seconds = time.perf_counter() - started
    ok, peak = result.stdout.strip().splitlines()[-1].split()
    return {"verify_ok": ok == "True", "verify_seconds": round(seconds, 1), "verify_peak_rss_mib": round(int(peak) / 1024, 1)}


VERIFY_SNIPPET = """
import sys, verify_export
result = verify_export.verify(sys.argv[1])
peak = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]
print(result.ok, peak)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-url", default=default_database_url())
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--materialize", action="store_true", help="also measure fetching every row into a list (smallest size)")
    parser.add_argument("--verify", action="store_true", help="verify each exported file with tools/verify_export.py")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # child mode: election code
    parser.add_argument("--measure-materialize", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    _setup(args.database_url)
    if args.measure:
        print(json.dumps(measure_export(args.measure, args.out_dir, args.chunk_size)))
        return
    if args.measure_materialize:
        print(json.dumps(measure_materialize(args.measure_materialize)))
        return

    ensure_database(args.database_url)
    sizes = sorted(args.rows)
    elections = {rows: ensure_dataset(rows) for rows in sizes}
    results = []
    with tempfile.TemporaryDirectory(prefix="export-bench-") as out_dir:
        for rows in sizes:
            child = ["--database-url", args.database_url, "--chunk-size", str(args.chunk_size)]
            measured = _child([*child, "--measure", elections[rows], "--out-dir", out_dir])
            if args.verify:
                measured.update(_verify(measured["file"]))
            os.unlink(measured.pop("file"))
            results.append({"kind": "streaming export", **measured})
            print(f"measured {rows} rows", file=sys.stderr)
        if args.materialize:
            measured = _child(["--database-url", args.database_url, "--measure-materialize", elections[sizes[0]]])
            results.append({"kind": "materialized list (contrast)", **measured})

    streaming = [r for r in results if r["kind"] == "streaming export"]
    ratio = round(streaming[-1]["peak_rss_mib"] / streaming[0]["peak_rss_mib"], 2) if len(streaming) > 1 else None
    if args.json:
        print(json.dumps({"results": results, "peak_rss_ratio_largest_to_smallest": ratio}, indent=2))
        return
    print(f"\nPostgreSQL export benchmark ({os.cpu_count()} CPUs, chunk {args.chunk_size})")
    print(f"{'kind':<30} {'rows':>10} {'s':>8} {'rows/s':>9} {'MiB/s':>7} {'file MiB':>9} {'baseline':>9} {'peak RSS':>9} {'growth':>8}")
    for r in results:
        print(
            f"{r['kind']:<30} {r['rows']:>10} {r['seconds']:>8} {r.get('rows_per_s', ''):>9} {r.get('mib_per_s', ''):>7} "
            f"{r.get('file_mib', ''):>9} {r['baseline_rss_mib']:>9} {r['peak_rss_mib']:>9} {r['growth_mib']:>8}"
        )
        if "verify_ok" in r:
            print(
                f"{'  verify_export.py':<30} {'OK' if r['verify_ok'] else 'FAILED':>10} {r['verify_seconds']:>8}   peak RSS {r['verify_peak_rss_mib']} MiB"
            )
    if ratio is not None:
        print(f"peak RSS ratio, {streaming[-1]['rows']} rows / {streaming[0]['rows']} rows: {ratio} (1.0 = flat)")


if __name__ == "__main__":
    main()
