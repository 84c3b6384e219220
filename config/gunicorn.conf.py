"""gunicorn settings for production (`gunicorn -c config/gunicorn.conf.py
config.wsgi:application`); every value can be overridden on the command line or
with GUNICORN_* environment variables. docs/deployment.md explains the sizing.

Threads, not more processes: a request spends most of its time waiting on
PostgreSQL and Redis, and a thread costs a small fraction of a process's memory.
Each thread holds one persistent database connection (CONN_MAX_AGE), so
workers × threads per machine must fit PostgreSQL's max_connections (or a
pgbouncer in front of it)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The CPUs this process may use (a container's share, not the host's count).
workers = int(os.environ.get("GUNICORN_WORKERS", len(os.sched_getaffinity(0))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# With threads this is the worker's heartbeat, not a per-request limit: a slow
# phone upload is bounded by the reverse proxy's timeouts and body buffering
# (see docs/deployment.md), not here.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# A recycled or restarted worker finishes its requests first, long export
# downloads included.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 180))
keepalive = 5
# Recycle workers now and then (a slow leak never takes a whole day down),
# staggered so they never restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = 2000
# Access logs carry paths, never bodies or tokens.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", None)
errorlog = "-"
