"""gunicorn settings for production (`gunicorn -c config/gunicorn.conf.py
config.wsgi:application`); every value can be overridden on the command line or
with GUNICORN_* environment variables. docs/deployment.md explains the sizing;
bench/run.py (intake) measures it.

Threads, not more processes: a request spends most of its time waiting on
PostgreSQL and Redis, and a thread costs a few MiB where a process costs ~80.
Each thread holds one persistent database connection (CONN_MAX_AGE), so
workers × threads per machine must fit PostgreSQL's max_connections (or a
pgbouncer in front of it)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# A phone on a weak network may take long to upload photos; the limit still
# frees a thread held by a stalled client.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (a slow leak never takes a whole day down),
# staggered so they never restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
# Access logs carry paths, never bodies or tokens.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", None)
errorlog = "-"
