"""Settings for the benchmark servers: the production settings, plus the
baseline view's URL (bench.urls). Never used outside bench/."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Where the no-op task of bench.celery_app records its timings.
BENCH_REDIS_URL = env.str("BENCH_REDIS_URL", default="redis://127.0.0.1:6379/15")  # noqa: F405
