"""The five benchmarks of docs/performance.md, each against a baseline measured in
the same run (the machine is shared; only ratios travel between runs).

    .venv/bin/python bench/run.py                 # make bench: full sizes (~15 min)
    .venv/bin/python bench/run.py --quick         # make bench-quick: smoke sizes (~2 min)
    .venv/bin/python bench/run.py --only export admin

- intake:   POST /api/v1/reports/ through gunicorn (config/gunicorn.conf.py) +
            PostgreSQL + Redis at fixed concurrency, against a minimal Django view
            on the same server that inserts one row (bench/urls.py).
- pipeline: reports/s processed by one worker process (validate, geotag, flags,
            cross-report refresh) against a no-op task on the same worker and broker.
- export:   rows/s of the real CSV export (neutralization, hashes, manifest)
            against PostgreSQL COPY of the same rows to CSV; peak RSS of the
            exporting process at both sizes.
- admin:    server time of the triage changelist (default, and filtered by
            region + flag) at the large size against the small one.
- geotag:   µs per report to geotag among 100,000 stations against the raw
            k-d tree query alone.

Everything runs on loopback against a private PostgreSQL cluster and a private
Redis started here and stopped (by PID) at the end; nothing else is touched.
Results go to bench/results/latest.json (quick.json for --quick). No
thresholds are asserted: the goals are printed next to the figures.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.private_services import PrivatePostgres, PrivateRedis  # noqa: E402
from testkit.processes import free_port, stop, wait_for_log  # noqa: E402

SIZES = {
    "full": {
        "intake_clients": 32,
        "intake_seconds": 20,
        "pipeline_background": 20_000,
        "pipeline_reports": 1_500,
        "noop_tasks": 5_000,
        "pipeline_stations": 10_000,
        "export_rows": [100_000, 1_000_000],
        "admin_rows": [10_000, 1_000_000],
        "geotag_stations": [1_000, 10_000, 100_000],
        "geotag_reports": 20_000,
    },
    "quick": {
        "intake_clients": 32,
        "intake_seconds": 5,
        "pipeline_background": 2_000,
        "pipeline_reports": 200,
        "noop_tasks": 1_000,
        "pipeline_stations": 2_000,
        "export_rows": [5_000, 20_000],
        "admin_rows": [2_000, 20_000],
        "geotag_stations": [100_000],
        "geotag_reports": 2_000,
    },
}
GOALS = {
    "intake": "ratio >= 0.5 and p95 <= 150 ms at 32 clients",
    "pipeline": "ratio >= 0.25",
    "export": "ratio >= 0.5; peak RSS at the large size within 30 MB of the small one",
    "admin": "ratio <= 2 and <= 300 ms at the large size",
    "geotag": "<= 1 ms per report and ratio <= 3",
}
CHILD_TIMEOUT = 3600
PROFILE = False  # --profile: sample the servers with py-spy


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Services and child processes -----------------------------------------------------------------


class Services:
    """A private PostgreSQL and Redis, and the environment that points at them."""

    def __init__(self, work: Path):
        self.work = work
        self.pg = PrivatePostgres().init().start()
        self.redis = PrivateRedis(work / "redis").start()
        self.procs: list[subprocess.Popen] = []
        self._static = False

    def collectstatic(self, env: dict) -> None:
        """Production serves hashed static files (the admin pages need the manifest)."""
        if not self._static:
            subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
            self._static = True

    def env(self, database: str, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("CELERY_KEY_PREFIX", "CELERY_TASK_DEFAULT_QUEUE", "CACHE_URL")}
        env.update(
            DATABASE_URL=self.pg.url(database),
            CELERY_BROKER_URL=self.redis.url(0),
            CACHE_URL=self.redis.url(1),
            BENCH_REDIS_URL=self.redis.url(2),
            DJANGO_SETTINGS_MODULE="bench.settings",
            DEBUG="false",
            SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            ALLOWED_HOSTS="127.0.0.1,testserver",
            SECURE_SSL_REDIRECT="false",
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            MEDIA_ROOT=str(self.work / "media"),
            STATIC_ROOT=str(self.work / "static"),
            API_THROTTLE_USER="100000000/min",
            API_THROTTLE_ANON="100000000/min",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def database(self, name: str) -> dict:
        """A migrated database (created once per run)."""
        exists = self.pg.query("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if not exists:
            self.pg.create_database(name)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=self.env(name), check=True, capture_output=True
            )
        return self.env(name)

    def spawn(self, cmd: list[str], env: dict, log_name: str) -> tuple[subprocess.Popen, Path]:
        path = self.work / log_name
        out = open(path, "ab")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs.append(proc)
        return proc, path

    def end(self, proc: subprocess.Popen) -> None:
        stop(proc)
        if proc in self.procs:
            self.procs.remove(proc)

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        self.redis.stop()
        self.pg.destroy()


def profiler(services: Services, pid: int, name: str):
    """py-spy sampling `pid` and its children into bench/results/profile-<name>.txt
    (collapsed stacks) when --profile is given; None otherwise."""
    if not PROFILE:
        return None
    out = ROOT / "bench" / "results" / f"profile-{name}.txt"
    proc, _log = services.spawn(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
         "--rate", "200", "--idle", "--format", "raw", "--output", str(out)],
        dict(os.environ),
        f"py-spy-{name}.log",
    )  # fmt: skip
    time.sleep(1)
    return proc


def stop_profiler(services: Services, proc) -> None:
    if proc is not None:
        proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
        try:
            proc.wait(timeout=30)
        finally:
            services.end(proc)


def child(env: dict, task: str, **params) -> dict:
    """Run `task` (a function of bench.children) in a fresh Django process on
    `env`'s database; its JSON answer is the last line of its output."""
    command = [sys.executable, "-m", "bench.children", task, json.dumps(params)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    if result.returncode:
        raise RuntimeError(f"bench child {task} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def dataset(services: Services, rows: int, stations: int = 4_000) -> dict:
    """The environment of a database holding `rows` generated reports."""
    name = f"bench_{rows}"
    env = services.database(name)
    made = child(env, "dataset", election=f"bench-{rows}", rows=rows, stations=stations)
    if made.get("built"):
        log(f"built {rows:,} reports in {made['seconds']} s ({made['per_s']:,} reports/s)")
    return env


# --- intake ---------------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _load(base: str, path: str, payloads, headers: dict, clients: int, seconds: float) -> dict:
    """`clients` threads, each on one keep-alive connection, POSTing for `seconds`."""
    netloc = urlsplit(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int):
        conn = http.client.HTTPConnection(netloc.hostname, netloc.port, timeout=60)
        mine, codes = [], {}
        for body in payloads(n):
            if time.monotonic() >= stop_at:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers[n] if isinstance(headers, list) else headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(netloc.hostname, netloc.port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    wall = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - wall
    created = statuses.get(201, 0)
    return {
        "requests": len(latencies),
        "created": created,
        "per_s": round(created / wall, 1),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def bench_intake(services: Services, sizes: dict) -> dict:
    clients, seconds = sizes["intake_clients"], sizes["intake_seconds"]
    env = services.database("bench_intake")
    seed = child(env, "intake_seed", observers=clients)
    services.pg.query("bench_intake", "CREATE TABLE IF NOT EXISTS bench_baseline_report (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
    port = free_port()
    web, web_log = services.spawn(
        [sys.executable, "-m", "gunicorn", "bench.wsgi:application", "--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        env,
        "gunicorn.log",
    )
    try:
        wait_for_log(web_log, "Booting worker", web)
        time.sleep(2)
        base = f"http://127.0.0.1:{port}"

        def reports(n: int):
            rng = random.Random(n)
            while True:
                minute = rng.randint(0, 59)
                yield json.dumps(
                    {
                        "client_uuid": str(uuid.uuid4()),
                        "election": seed["election"],
                        "station": rng.choice(seed["stations"]),
                        "category": rng.choice(seed["categories"]),
                        "occurred_at": dt.datetime(2021, 1, 10, 4, minute, tzinfo=dt.UTC).isoformat(),
                        "description": "Carousel voting: the same group returned to vote a second time.",
                        "latitude": 43.2527 + rng.random() / 1000,
                        "longitude": 76.9118,
                        "accuracy_m": 15.0,
                    }
                ).encode()

        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        auth = [{**json_headers, "Authorization": f"Token {seed['tokens'][n % len(seed['tokens'])]}"} for n in range(clients)]
        # Warm both paths up (connections, imports, caches), then measure each.
        _load(base, "/bench/baseline/", reports, json_headers, clients, 2)
        _load(base, "/api/v1/reports/", reports, auth, clients, 2)
        baseline = _load(base, "/bench/baseline/", reports, json_headers, clients, seconds)
        spy = profiler(services, web.pid, "intake")
        ours = _load(base, "/api/v1/reports/", reports, auth, clients, seconds)
        stop_profiler(services, spy)
    finally:
        services.end(web)
    stored = services.pg.query("bench_intake", "SELECT count(*) FROM reports_incidentreport")[0][0]
    return {
        "clients": clients,
        "seconds": seconds,
        "per_s": ours["per_s"],
        "p50_ms": ours["p50_ms"],
        "p95_ms": ours["p95_ms"],
        "p99_ms": ours["p99_ms"],
        "statuses": ours["statuses"],
        "baseline_per_s": baseline["per_s"],
        "baseline_p50_ms": baseline["p50_ms"],
        "baseline_p95_ms": baseline["p95_ms"],
        "baseline_statuses": baseline["statuses"],
        "ratio": round(ours["per_s"] / baseline["per_s"], 3) if baseline["per_s"] else None,
        "reports_stored": stored,
        "server": "gunicorn with config/gunicorn.conf.py",
    }


# --- pipeline ----------------------------------------------------------------------------------------


def bench_pipeline(services: Services, sizes: dict) -> dict:
    env = services.database("bench_pipeline")
    queue = "bench-pipeline"
    env = {**env, "CELERY_TASK_DEFAULT_QUEUE": queue}
    prepared = child(
        env,
        "pipeline_prepare",
        background=sizes["pipeline_background"],
        reports=sizes["pipeline_reports"],
        noops=sizes["noop_tasks"],
        stations=sizes["pipeline_stations"],
    )
    worker, worker_log = services.spawn(
        [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "--concurrency", "1", "--pool", "prefork",
         "--queues", queue, "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
        "worker.log",
    )  # fmt: skip
    try:
        # Poll cheaply (no Django process) so the worker has the CPUs to itself.
        import redis

        spy = profiler(services, worker.pid, "pipeline")
        counter = redis.Redis.from_url(services.redis.url(2))
        pending_sql = "SELECT count(*) FROM reports_incidentreport WHERE state IN ('received', 'processing')"
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            noops = int(counter.get(f"{prepared['noop_key']}:count") or 0)
            if noops >= sizes["noop_tasks"] and services.pg.query("bench_pipeline", pending_sql)[0][0] == 0:
                break
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited:\n{worker_log.read_text()[-3000:]}")
            time.sleep(2)
        else:
            raise TimeoutError("the pipeline benchmark did not drain within 30 minutes")
        stop_profiler(services, spy)
    finally:
        services.end(worker)
    done = child(env, "pipeline_done", key=prepared["noop_key"], since=prepared["since"])
    return {
        "reports": prepared["reports"],
        "background_reports": sizes["pipeline_background"],
        "stations": sizes["pipeline_stations"],
        "per_s": done["per_s"],
        "ms_per_report": round(1000 / done["per_s"], 2) if done["per_s"] else None,
        "noop_tasks": done["noop_count"],
        "noop_tasks_per_s": done["noop_per_s"],
        "ratio": round(done["per_s"] / done["noop_per_s"], 4) if done["noop_per_s"] else None,
        "states": done["states"],
        "flags": done["flags"],
        "worker": "one process (celery worker --concurrency 1), prefetch 1, acks_late",
    }


# --- export ---------------------------------------------------------------------------------------------


def bench_export(services: Services, sizes: dict) -> dict:
    out = {"sizes": []}
    for rows in sizes["export_rows"]:
        env = dataset(services, rows)
        measured = child(env, "export", election=f"bench-{rows}", out_dir=str(services.work))
        log(f"export {rows:,}: {measured['rows_per_s']:,} rows/s, COPY {measured['copy_rows_per_s']:,} rows/s")
        out["sizes"].append(measured)
    small, large = out["sizes"][0], out["sizes"][-1]
    out.update(
        rows_per_s=large["rows_per_s"],
        copy_rows_per_s=large["copy_rows_per_s"],
        ratio=round(large["rows_per_s"] / large["copy_rows_per_s"], 3),
        peak_rss_mib_small=small["peak_rss_mib"],
        peak_rss_mib_large=large["peak_rss_mib"],
        peak_rss_growth_mib=round(large["peak_rss_mib"] - small["peak_rss_mib"], 1),
    )
    return out


# --- admin ---------------------------------------------------------------------------------------------


def bench_admin(services: Services, sizes: dict) -> dict:
    out = {"sizes": []}
    for rows in sizes["admin_rows"]:
        env = dataset(services, rows)
        services.collectstatic(env)
        measured = child(env, "admin", election=f"bench-{rows}")
        log(f"admin {rows:,}: default {measured['default_ms']} ms, filtered {measured['filtered_ms']} ms")
        out["sizes"].append(measured)
    small, large = out["sizes"][0], out["sizes"][-1]
    out.update(
        default_ms=large["default_ms"],
        filtered_ms=large["filtered_ms"],
        baseline_default_ms=small["default_ms"],
        baseline_filtered_ms=small["filtered_ms"],
        ratio=round(max(large["default_ms"] / small["default_ms"], large["filtered_ms"] / small["filtered_ms"]), 2),
    )
    return out


# --- geotag ---------------------------------------------------------------------------------------------


def bench_geotag(services: Services, sizes: dict) -> dict:
    from bench.geotag import measure

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


BENCHES = {"intake": bench_intake, "pipeline": bench_pipeline, "export": bench_export, "admin": bench_admin, "geotag": bench_geotag}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke sizes, a couple of minutes")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES))
    parser.add_argument("--clients", type=int, help="intake: concurrent clients (default 32)")
    parser.add_argument("--profile", action="store_true", help="sample gunicorn and the worker with py-spy (bench/results/profile-*.txt)")
    parser.add_argument("--output", type=Path, help="default: bench/results/latest.json (quick.json with --quick)")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    sizes = dict(SIZES["quick" if args.quick else "full"])
    if args.clients:
        sizes["intake_clients"] = args.clients
    output = args.output or ROOT / "bench" / "results" / ("quick.json" if args.quick else "latest.json")

    started = time.time()
    results: dict = {
        "meta": {
            "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mode": "quick" if args.quick else "full",
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "commit": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
            "goals": GOALS,
        }
    }
    with tempfile.TemporaryDirectory(prefix="elmon-bench-") as work:
        services = Services(Path(work))
        try:
            for name in args.only:
                log(f"{name} ...")
                began = time.monotonic()
                results[name] = BENCHES[name](services, sizes)
                results[name]["bench_seconds"] = round(time.monotonic() - began, 1)
                results[name]["commit"] = results["meta"]["commit"]  # partial runs mix commits in one file
                log(f"{name}: ratio {results[name].get('ratio')}  ({GOALS[name]})")
        finally:
            services.close()
    results["meta"]["seconds"] = round(time.time() - started, 1)
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists() and set(args.only) != set(BENCHES):
        previous = json.loads(output.read_text())  # a partial run updates only its own keys
        previous.update(results)
        results = previous
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(summary(results))
    log(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def summary(results: dict) -> str:
    lines = [f"{'benchmark':<10} {'ours':>22} {'baseline':>22} {'ratio':>8}   goal"]
    rows = {
        "intake": lambda r: (f"{r['per_s']}/s p95 {r['p95_ms']} ms", f"{r['baseline_per_s']}/s"),
        "pipeline": lambda r: (f"{r['per_s']} reports/s", f"{r['noop_tasks_per_s']} no-ops/s"),
        "export": lambda r: (f"{r['rows_per_s']:,} rows/s", f"{r['copy_rows_per_s']:,} rows/s"),
        "admin": lambda r: (f"{r['default_ms']}/{r['filtered_ms']} ms", f"{r['baseline_default_ms']}/{r['baseline_filtered_ms']} ms"),
        "geotag": lambda r: (f"{r['us_per_report']} µs", f"{r['raw_query_us']} µs"),
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
