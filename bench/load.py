"""Load bench: sustain the API with concurrent clients against gunicorn +
PostgreSQL + Redis + a Celery worker, all started here on loopback (a private
PostgreSQL cluster and a private Redis on free ports), and stopped by PID at the
end. Reports requests/s, p50/p95/p99 latency, errors, and reports acknowledged
(201) against reports in the database once the queue has drained.

    .venv/bin/python bench/load.py --duration 60 --clients 16      # make bench
    .venv/bin/python bench/load.py --duration 10                   # make bench-quick

Bounded: the client loop stops after --duration seconds, the drain after
--drain-timeout; traffic goes to 127.0.0.1 only.
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.http import get, post_json  # noqa: E402
from testkit.private_services import PrivatePostgres, PrivateRedis  # noqa: E402
from testkit.processes import free_port, stop, wait_for_log  # noqa: E402


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--write-share", type=float, default=0.5, help="share of requests that file a report")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="elmon-bench-"))
    pg = PrivatePostgres().init().start()
    redis = PrivateRedis(work / "redis").start()
    procs = []
    try:
        database_url = pg.create_database("elmon_bench")
        env = dict(os.environ)
        for name in ("CELERY_KEY_PREFIX", "CELERY_TASK_DEFAULT_QUEUE", "CACHE_URL"):
            env.pop(name, None)
        env.update(
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=redis.url(0),
            CACHE_URL=redis.url(1),
            MEDIA_ROOT=str(work / "media"),
            API_THROTTLE_USER="1000000/min",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="WARNING",
        )
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
        seeded = subprocess.run(
            [sys.executable, "-m", "testkit.seed", "--observers", str(args.clients), "--stations", "20"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        seed = json.loads(seeded.stdout.decode().strip().splitlines()[-1])

        port = free_port()
        web_log, worker_log = open(work / "gunicorn.log", "ab"), open(work / "worker.log", "ab")  # noqa: SIM115
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.web_workers), "--threads", str(args.web_threads), "--worker-class", "gthread"],
            cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        procs.append(web)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
             "--concurrency", str(args.worker_concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**env, "LOG_LEVEL": "INFO"}, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True,
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

        latencies: list[float] = []
        statuses: dict[int, int] = {}
        acknowledged: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.duration

        def client(n: int):
            rng = random.Random(n)
            token = seed["tokens"][n % len(seed["tokens"])]
            mine: list[str] = []
            while time.monotonic() < stop_at:
                if rng.random() < args.write_share:
                    payload = {
                        "client_uuid": str(uuid.uuid4()),
                        "election": seed["election"],
                        "station": rng.choice(seed["stations"]),
                        "category": rng.choice(["carousel_voting", "ballot_stuffing", "intimidation", "video_camera_off"]),
                        "occurred_at": dt.datetime(2021, 1, 10, 4, rng.randint(0, 59), tzinfo=dt.UTC).isoformat(),
                        "description": "Load bench report.",
                        "latitude": 43.2527 + rng.random() / 1000,
                        "longitude": 76.9118,
                        "accuracy_m": 15.0,
                    }
                    started = time.perf_counter()
                    answer = post_json(base, "/api/v1/reports/", payload, token=token)
                    if answer.status == 201:
                        mine.append(answer.json()["id"])
                else:
                    path = rng.choice(["/api/v1/reports/?limit=20", "/api/v1/me/", f"/api/v1/stations/?election={seed['election']}&q=02"])
                    if mine and rng.random() < 0.3:
                        path = f"/api/v1/reports/{rng.choice(mine)}/"
                    started = time.perf_counter()
                    answer = get(base, path, token=token)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1
            with lock:
                acknowledged.extend(mine)

        wall = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - wall

        drain_started = time.monotonic()
        pending_sql = "SELECT count(*) FROM reports_incidentreport WHERE state IN ('received', 'processing')"
        while pg.query("elmon_bench", pending_sql)[0][0] and time.monotonic() - drain_started < args.drain_timeout:
            time.sleep(1)
        drain = time.monotonic() - drain_started
        stored = pg.query(
            "elmon_bench", "SELECT count(*), count(*) FILTER (WHERE state IN ('accepted', 'rejected')) FROM reports_incidentreport"
        )[0]
        ids = ",".join(f"'{i}'" for i in acknowledged or [str(uuid.uuid4())])  # ids the server itself returned
        missing_sql = f"SELECT count(*) FROM unnest(ARRAY[{ids}]::uuid[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM reports_incidentreport r WHERE r.id = a.id)"
        missing = pg.query("elmon_bench", missing_sql)[0][0]
        errors = sum(count for status, count in statuses.items() if status not in (200, 201))
        figures = {
            "duration_s": round(wall, 1),
            "clients": args.clients,
            "requests": len(latencies),
            "requests_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "errors": errors,
            "reports_acknowledged": len(acknowledged) if acknowledged else 0,
            "reports_in_database": stored[0],
            "reports_processed": stored[1],
            "acknowledged_missing_from_database": missing if acknowledged else 0,
            "drain_s": round(drain, 1),
            "setup": f"gunicorn {args.web_workers}x{args.web_threads} gthread, celery worker x{args.worker_concurrency}, "
            f"private PostgreSQL {pg.bindir.split('/')[-2]} and Redis, {os.cpu_count()} CPUs shared with the client",
        }
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        ok = (
            errors == 0 and figures["reports_acknowledged"] == stored[0] == stored[1] and figures["acknowledged_missing_from_database"] == 0
        )
        print("OK: every acknowledged report is in the database and processed" if ok else "MISMATCH or errors: see above")
        return 0 if ok else 1
    finally:
        for proc in reversed(procs):
            stop(proc)
        redis.stop()
        pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
