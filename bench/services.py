"""What every benchmark runs against: a private PostgreSQL cluster and Redis on
loopback, the production environment pointing at them, migrated databases,
child processes (gunicorn, workers, py-spy) stopped by PID, and the Django side
of each step in a fresh process (bench/children.py)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from testkit.private_services import PrivatePostgres, PrivateRedis
from testkit.processes import ROOT, free_port, spawn, stop
from testkit.signing_key import evidence_key_file

CHILD_TIMEOUT = 3600


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Services:
    """A private PostgreSQL and Redis, and the environment that points at them.
    With `profile`, `profiler()` samples a server with py-spy."""

    def __init__(self, work: Path, *, profile: bool = False):
        self.work = work
        self.profile = profile
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
            EVIDENCE_SIGNING_KEY_FILE=evidence_key_file(self.work),
            API_THROTTLE_USER="100000000/min",
            API_THROTTLE_ANON="100000000/min",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def database(self, name: str) -> dict:
        """The environment of a migrated database (created once per run)."""
        exists = self.pg.query("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if not exists:
            self.pg.create_database(name)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=self.env(name), check=True, capture_output=True
            )
        return self.env(name)

    def spawn(self, cmd: list[str], env: dict, log_name: str) -> tuple[subprocess.Popen, Path]:
        path = self.work / log_name
        proc = spawn(cmd, path, env)
        self.procs.append(proc)
        return proc, path

    def web(self, env: dict, log_name: str) -> tuple[subprocess.Popen, Path, int]:
        """gunicorn with config/gunicorn.conf.py on the bench's settings (the
        app and the baseline view, bench.urls) on a free loopback port:
        (process, its log, the port)."""
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "bench.wsgi:application", "--config", "config/gunicorn.conf.py"]
        proc, path = self.spawn([*command, "--bind", f"127.0.0.1:{port}"], env, log_name)
        return proc, path, port

    def baseline_table(self, database: str) -> None:
        """The table of the baseline view (bench.urls): one insert per request."""
        self.pg.query(database, "CREATE TABLE IF NOT EXISTS bench_baseline_report (id bigserial PRIMARY KEY, body jsonb NOT NULL)")

    def end(self, proc: subprocess.Popen) -> None:
        stop(proc)
        if proc in self.procs:
            self.procs.remove(proc)

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        self.redis.stop()
        self.pg.destroy()

    def profiler(self, pid: int, name: str) -> subprocess.Popen | None:
        """py-spy sampling `pid` and its children into bench/results/profile-<name>.txt
        (collapsed stacks) when profiling; None otherwise."""
        if not self.profile:
            return None
        out = ROOT / "bench" / "results" / f"profile-{name}.txt"
        proc, _log = self.spawn(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
             "--rate", "200", "--idle", "--format", "raw", "--output", str(out)],
            dict(os.environ),
            f"py-spy-{name}.log",
        )  # fmt: skip
        time.sleep(1)
        return proc

    def stop_profiler(self, proc: subprocess.Popen | None) -> None:
        if proc is not None:
            proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
            try:
                proc.wait(timeout=30)
            finally:
                self.end(proc)


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
