"""hotspot: ms per report of one worker process draining a burst of reports of
one organization in one district within the hot-spot window ("hot spot"),
against the same number of reports spread over the whole election ("sparse"),
on a day of background reports (docs/performance.md, "Hot spots").

Each burst is filed through the intake service while no worker runs, then one
worker process (`--concurrency 1`) drains it: the time from the burst's first
claim to the moment nothing of it is pending (no report received or
processing, no cluster waiting for its flag refresh), divided by its size."""

import sys
import time

from bench.services import Services, child, log
from config.queues import queue_names

QUEUE = "bench-hotspot"
DATABASE = "bench_hotspot"
# What of a burst is still pending: its reports not yet processed or waiting
# for their cluster's flags, and clusters waiting for their refresh.
PENDING = (
    "SELECT (SELECT count(*) FROM reports_submission WHERE id = ANY('{{{ids}}}'::uuid[])"
    " AND (state IN ('received', 'processing') OR cluster_flags_pending)) + (SELECT count(*) FROM reports_clusterrefresh)"
)


def run(services: Services, sizes: dict) -> dict:
    env = {**services.database(DATABASE), "CELERY_TASK_DEFAULT_QUEUE": QUEUE}
    child(env, "hotspot_territory", stations=sizes["hotspot_stations"], background=sizes["hotspot_background"])
    runs = {}
    for n, size in enumerate(sizes["hotspot_sizes"]):
        for shape in ("hotspot", "sparse"):
            filed = child(env, "hotspot_file", shape=shape, size=size, slot=n)
            drained_at = _drain(services, env, f"{shape}-{size}", filed["batch"])
            done = child(env, "hotspot_done", batch=filed["batch"], drained_at=drained_at)
            runs[f"{shape}_{size}"] = {**done, "district_stations": filed.get("district_stations")}
            log(f"hotspot: {shape} {size}: {done['ms_per_report']} ms/report")
    largest = max(sizes["hotspot_sizes"])
    hot, sparse = runs[f"hotspot_{largest}"]["ms_per_report"], runs[f"sparse_{largest}"]["ms_per_report"]
    return {
        "runs": runs,
        "cluster_size": largest,
        "hotspot_ms_per_report": hot,
        "sparse_ms_per_report": sparse,
        "ratio": round(hot / sparse, 2) if hot and sparse else None,
        "background_reports": sizes["hotspot_background"],
        "stations": sizes["hotspot_stations"],
        "worker": "one process (celery worker --concurrency 1), prefetch 1, acks_late; CLUSTER_REFRESH_DEBOUNCE_SECONDS 1",
    }


def _drain(services: Services, env: dict, name: str, batch: list[str], timeout: float = 1800) -> float:
    """Start a worker, wait until the burst is drained (polling cheaply, no
    Django process), stop the worker; the epoch time of the drain."""
    worker, worker_log = services.spawn(
        [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "--concurrency", "1", "--pool", "prefork",
         "--queues", ",".join(queue_names(QUEUE)), "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
        f"worker-hotspot-{name}.log",
    )  # fmt: skip
    pending = PENDING.format(ids=",".join(batch))
    try:
        deadline = time.monotonic() + timeout
        time.sleep(1)
        while time.monotonic() < deadline:
            if services.pg.query(DATABASE, pending)[0][0] == 0:
                return time.time()
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited:\n{worker_log.read_text()[-3000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"the {name} burst did not drain within {timeout:.0f} s")
    finally:
        services.end(worker)
