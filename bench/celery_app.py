"""The project's Celery app plus a no-op task: the pipeline benchmark's
baseline (what one worker can do per second on this broker with nothing to do).

The no-op records when it ran in Redis (one pipelined round trip), which is how
the benchmark times the batch; that round trip is part of the baseline."""

import time

import redis
from django.conf import settings

from config.celery import app

_redis = None


@app.task(name="bench.noop", acks_late=True, ignore_result=True)
def noop(key: str) -> None:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.BENCH_REDIS_URL)
    now = time.time()
    pipe = _redis.pipeline(transaction=False)
    pipe.set(f"{key}:first", now, nx=True)
    pipe.set(f"{key}:last", now)
    pipe.incr(f"{key}:count")
    pipe.execute()


__all__ = ["app", "noop"]
