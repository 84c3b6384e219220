"""Load bench: sustain the API with concurrent clients against gunicorn +
PostgreSQL + Redis + a Celery worker, all started here on loopback (a private
PostgreSQL cluster and a private Redis on free ports), and stopped by PID at the
end. Reports requests/s, p50/p95/p99 latency, errors, and reports acknowledged
(201) against reports in the database once the queue has drained.

    .venv/bin/python bench/load.py --duration 60 --clients 16      # make bench-load
    .venv/bin/python bench/load.py --duration 10                   # a short run

Bounded: the client loop stops after --duration seconds, the drain after
--drain-timeout; traffic goes to 127.0.0.1 only.
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.traffic import percentile  # noqa: E402
from testkit.http import get, post_json  # noqa: E402
from testkit.private_services import PrivatePostgres, PrivateRedis  # noqa: E402
from testkit.processes import free_port, spawn, stop, wait_for_log  # noqa: E402

DATABASE = "elmon_bench"
CATEGORIES = ["carousel_voting", "ballot_stuffing", "intimidation", "video_camera_off"]


def main() -> int:
    args = _arguments()
    work = Path(tempfile.mkdtemp(prefix="elmon-bench-"))
    pg = PrivatePostgres().init().start()
    redis = PrivateRedis(work / "redis").start()
    procs: list[subprocess.Popen] = []
    try:
        env = _environment(pg, redis, work)
        seed = _seed(env, clients=args.clients)
        base = _serve(env, work, args, procs)
        traffic = _traffic(base, seed, args)
        figures = _figures(pg, args, traffic, drain=_drain(pg, args.drain_timeout))
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        ok = figures["errors"] == 0 and figures["reports_acknowledged"] == figures["reports_in_database"] == figures["reports_processed"]
        ok = ok and figures["acknowledged_missing_from_database"] == 0
        print("OK: every acknowledged report is in the database and processed" if ok else "MISMATCH or errors: see above")
        return 0 if ok else 1
    finally:
        for proc in reversed(procs):
            stop(proc)
        redis.stop()
        pg.destroy()
        shutil.rmtree(work, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--write-share", type=float, default=0.5, help="share of requests that file a report")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


def _environment(pg: PrivatePostgres, redis: PrivateRedis, work: Path) -> dict:
    """This process's environment pointed at the private services, on a migrated database."""
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_KEY_PREFIX", "CELERY_TASK_DEFAULT_QUEUE", "CACHE_URL")}
    env.update(
        DATABASE_URL=pg.create_database(DATABASE),
        CELERY_BROKER_URL=redis.url(0),
        CACHE_URL=redis.url(1),
        MEDIA_ROOT=str(work / "media"),
        API_THROTTLE_USER="1000000/min",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def _seed(env: dict, *, clients: int) -> dict:
    seeded = subprocess.run(
        [sys.executable, "-m", "testkit.seed", "--observers", str(clients), "--stations", "20"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(seeded.stdout.decode().strip().splitlines()[-1])


def _serve(env: dict, work: Path, args: argparse.Namespace, procs: list) -> str:
    """gunicorn and a Celery worker, both ready; the server's base URL."""
    port = free_port()
    web = spawn(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.web_workers), "--threads", str(args.web_threads), "--worker-class", "gthread"],
        work / "gunicorn.log",
        env,
    )  # fmt: skip
    procs.append(web)
    worker = spawn(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
         "--concurrency", str(args.worker_concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"],
        work / "worker.log",
        {**env, "LOG_LEVEL": "INFO"},
    )  # fmt: skip
    procs.append(worker)
    wait_for_log(work / "gunicorn.log", "Booting worker", web)
    wait_for_log(work / "worker.log", "ready.", worker)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while get(base, "/healthz").status != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn never became healthy")
        time.sleep(0.2)
    return base


@dataclass
class Traffic:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    acknowledged: list[str] = field(default_factory=list)  # ids of reports answered 201
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, elapsed: float, status: int) -> None:
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def _traffic(base: str, seed: dict, args: argparse.Namespace) -> Traffic:
    """`args.clients` threads for `args.duration` seconds, each filing a report
    (`args.write_share` of its requests) or reading its own list, a report, `me`
    or a station search."""
    traffic = Traffic()
    stop_at = time.monotonic() + args.duration

    def client(n: int):
        rng = random.Random(n)
        token = seed["tokens"][n % len(seed["tokens"])]
        mine: list[str] = []
        while time.monotonic() < stop_at:
            if rng.random() < args.write_share:
                payload = _report(rng, seed)
                started = time.perf_counter()
                answer = post_json(base, "/api/v1/reports/", payload, token=token)
                if answer.status == 201:
                    mine.append(answer.json()["id"])
            else:
                path = _read_path(rng, seed, mine)
                started = time.perf_counter()
                answer = get(base, path, token=token)
            traffic.record(time.perf_counter() - started, answer.status)
        with traffic.lock:
            traffic.acknowledged.extend(mine)

    wall = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    traffic.wall = time.monotonic() - wall
    return traffic


def _report(rng: random.Random, seed: dict) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "election": seed["election"],
        "station": rng.choice(seed["stations"]),
        "category": rng.choice(CATEGORIES),
        "occurred_at": dt.datetime(2021, 1, 10, 4, rng.randint(0, 59), tzinfo=dt.UTC).isoformat(),
        "description": "Load bench report.",
        "latitude": 43.2527 + rng.random() / 1000,
        "longitude": 76.9118,
        "accuracy_m": 15.0,
    }


def _read_path(rng: random.Random, seed: dict, mine: list[str]) -> str:
    path = rng.choice(["/api/v1/reports/?limit=20", "/api/v1/me/", f"/api/v1/stations/?election={seed['election']}&q=02"])
    if mine and rng.random() < 0.3:
        path = f"/api/v1/reports/{rng.choice(mine)}/"
    return path


def _drain(pg: PrivatePostgres, timeout: float) -> float:
    """Seconds until no report is waiting for the pipeline (at most `timeout`)."""
    started = time.monotonic()
    pending_sql = "SELECT count(*) FROM reports_submission WHERE state IN ('received', 'processing')"
    while pg.query(DATABASE, pending_sql)[0][0] and time.monotonic() - started < timeout:
        time.sleep(1)
    return time.monotonic() - started


def _figures(pg: PrivatePostgres, args: argparse.Namespace, traffic: Traffic, *, drain: float) -> dict:
    stored, processed = pg.query(
        DATABASE, "SELECT count(*), count(*) FILTER (WHERE state IN ('accepted', 'rejected')) FROM reports_submission"
    )[0]
    ids = ",".join(f"'{i}'" for i in traffic.acknowledged or [str(uuid.uuid4())])  # ids the server itself returned
    missing_sql = f"SELECT count(*) FROM unnest(ARRAY[{ids}]::uuid[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM reports_submission r WHERE r.id = a.id)"
    missing = pg.query(DATABASE, missing_sql)[0][0]
    latencies = traffic.latencies
    return {
        "duration_s": round(traffic.wall, 1),
        "clients": args.clients,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / traffic.wall, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(traffic.statuses.items())},
        "errors": sum(count for status, count in traffic.statuses.items() if status not in (200, 201)),
        "reports_acknowledged": len(traffic.acknowledged),
        "reports_in_database": stored,
        "reports_processed": processed,
        "acknowledged_missing_from_database": missing if traffic.acknowledged else 0,
        "drain_s": round(drain, 1),
        "setup": f"gunicorn {args.web_workers}x{args.web_threads} gthread, celery worker x{args.worker_concurrency}, "
        f"private PostgreSQL {pg.bindir.split('/')[-2]} and Redis, {os.cpu_count()} CPUs shared with the client",
    }


if __name__ == "__main__":
    sys.exit(main())
