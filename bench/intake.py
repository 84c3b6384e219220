"""intake: POST /api/v1/reports/ through gunicorn (config/gunicorn.conf.py) +
PostgreSQL + Redis at fixed concurrency, against a minimal Django view on the
same server that inserts one row (bench/urls.py)."""

import datetime as dt
import json
import random
import time
import uuid

from bench.services import Services, child
from bench.traffic import post_load
from testkit.processes import wait_for_log

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def run(services: Services, sizes: dict) -> dict:
    clients, seconds = sizes["intake_clients"], sizes["intake_seconds"]
    env = services.database("bench_intake")
    seed = child(env, "intake_seed", observers=clients)
    services.baseline_table("bench_intake")
    web, web_log, port = services.web(env, "gunicorn.log")
    try:
        wait_for_log(web_log, "Booting worker", web)
        time.sleep(2)
        base = f"http://127.0.0.1:{port}"
        reports = _reports(seed)
        auth = [{**JSON, "Authorization": f"Token {seed['tokens'][n % len(seed['tokens'])]}"} for n in range(clients)]
        # Warm both paths up (connections, imports, caches), then measure each.
        post_load(base, "/bench/baseline/", reports, JSON, clients, 2)
        post_load(base, "/api/v1/reports/", reports, auth, clients, 2)
        baseline = post_load(base, "/bench/baseline/", reports, JSON, clients, seconds)
        spy = services.profiler(web.pid, "intake")
        ours = post_load(base, "/api/v1/reports/", reports, auth, clients, seconds)
        services.stop_profiler(spy)
    finally:
        services.end(web)
    stored = services.pg.query("bench_intake", "SELECT count(*) FROM reports_submission")[0][0]
    return {
        "clients": clients,
        "seconds": seconds,
        **{key: ours[key] for key in ("per_s", "p50_ms", "p95_ms", "p99_ms", "statuses")},
        **{f"baseline_{key}": baseline[key] for key in ("per_s", "p50_ms", "p95_ms", "statuses")},
        "ratio": round(ours["per_s"] / baseline["per_s"], 3) if baseline["per_s"] else None,
        "reports_stored": stored,
        "server": "gunicorn with config/gunicorn.conf.py",
    }


def _reports(seed: dict):
    """Client n's endless stream of valid reports (JSON bodies)."""

    def bodies(n: int):
        rng = random.Random(n)
        while True:
            yield json.dumps(
                {
                    "client_uuid": str(uuid.uuid4()),
                    "election": seed["election"],
                    "station": rng.choice(seed["stations"]),
                    "category": rng.choice(seed["categories"]),
                    "occurred_at": dt.datetime(2021, 1, 10, 4, rng.randint(0, 59), tzinfo=dt.UTC).isoformat(),
                    "description": "Carousel voting: the same group returned to vote a second time.",
                    "latitude": 43.2527 + rng.random() / 1000,
                    "longitude": 76.9118,
                    "accuracy_m": 15.0,
                }
            ).encode()

    return bodies
