"""pipeline: reports/s processed by one worker process (validate, geotag,
flags, cross-report refresh) against a no-op task on the same worker and
broker (bench/celery_app.py)."""

import sys
import time

import redis

from bench.services import Services, child
from config.queues import queue_names

QUEUE = "bench-pipeline"
PENDING = "SELECT count(*) FROM reports_submission WHERE state IN ('received', 'processing')"


def run(services: Services, sizes: dict) -> dict:
    env = {**services.database("bench_pipeline"), "CELERY_TASK_DEFAULT_QUEUE": QUEUE}
    prepared = child(
        env,
        "pipeline_prepare",
        background=sizes["pipeline_background"],
        reports=sizes["pipeline_reports"],
        noops=sizes["noop_tasks"],
        stations=sizes["pipeline_stations"],
        checkins=sizes["pipeline_checkins"],
    )
    worker, worker_log = services.spawn(
        [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "--concurrency", "1", "--pool", "prefork",
         "--queues", ",".join(queue_names(QUEUE)), "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
        "worker.log",
    )  # fmt: skip
    try:
        spy = services.profiler(worker.pid, "pipeline")
        _drain(services, worker, worker_log, f"{prepared['noop_key']}:count", sizes["noop_tasks"])
        services.stop_profiler(spy)
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
        "checkins": done["checkins"],
        "checkin_per_s": done["checkin_per_s"],
        "checkin_ms": round(1000 / done["checkin_per_s"], 2) if done["checkin_per_s"] else None,
        "checkin_states": done["checkin_states"],
        "flags": done["flags"],
        "worker": "one process (celery worker --concurrency 1), prefetch 1, acks_late",
    }


def _drain(services: Services, worker, worker_log, noop_counter: str, noops: int, timeout: float = 1800) -> None:
    """Wait until the worker has run every no-op and no report is pending,
    polling cheaply (no Django process) so the worker has the CPUs to itself."""
    counter = redis.Redis.from_url(services.redis.url(2))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(counter.get(noop_counter) or 0) >= noops and services.pg.query("bench_pipeline", PENDING)[0][0] == 0:
            return
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited:\n{worker_log.read_text()[-3000:]}")
        time.sleep(2)
    raise TimeoutError(f"the pipeline benchmark did not drain within {timeout:.0f} s")
