"""Start and stop the real processes integration tests and benchmarks need
(Celery worker and beat, gunicorn). Each helper ends only the process it
started, by its id."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_tests() -> str:
    """The URL of the database the test run is using (pytest-django's test_… one)."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def child_env(**overrides) -> dict:
    env = os.environ.copy()
    env["DATABASE_URL"] = database_url_for_tests()
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def _end_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when the test run that
    started it dies (a run ended by the hang watchdog never reaches its teardown,
    and a server left behind would outlive it)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(cmd: list[str], log: Path, env: dict) -> subprocess.Popen:
    """Start `cmd` in the project folder, in a session of its own (so `stop` ends
    it with its children), its output appended to `log`; it ends with the process
    that started it."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_end_with_parent
        )


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process we started (and its children, in its own session), then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_for_log(path: Path, needle: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if needle in text:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {needle!r}:\n{text[-3000:]}")
        time.sleep(0.2)
    raise TimeoutError(f"{needle!r} not seen in {path} within {timeout}s:\n{path.read_text(errors='replace')[-3000:]}")


@dataclass
class Worker:
    proc: subprocess.Popen
    log: Path
    name: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_worker(log: Path, *, concurrency: int = 2, name: str | None = None, extra_env: dict | None = None) -> Worker:
    from django.conf import settings

    name = name or f"itest-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--loglevel", "INFO", "--concurrency", str(concurrency), "--pool", "prefork",
        "--queues", ",".join(q.name for q in settings.CELERY_TASK_QUEUES),  # every queue (config/queues.py)
        "--hostname", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    proc = spawn(cmd, log, child_env(**(extra_env or {})))
    wait_for_log(log, "ready.", proc)
    return Worker(proc, log, name)


@contextmanager
def gunicorn(log: Path, *, env: dict | None = None, workers: int = 2, threads: int = 4):
    port = free_port()
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--timeout", "60", "--access-logfile", "-",
    ]  # fmt: skip
    proc = spawn(cmd, log, env or child_env())
    try:
        wait_for_log(log, "Booting worker", proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@dataclass
class Beat:
    proc: subprocess.Popen
    log: Path


def start_beat(log: Path, *, env: dict) -> Beat:
    """`celery beat`: runs the sweeper schedule (SWEEPER_INTERVAL_SECONDS)."""
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
        "--schedule", str(log.with_suffix(".schedule")), "--pidfile", "",
    ]  # fmt: skip
    proc = spawn(cmd, log, env)
    wait_for_log(log, "beat: Starting", proc)
    return Beat(proc, log)


def stop_beat(beat: Beat) -> None:
    stop(beat.proc)


def private_broker_env(redis_url: str, **overrides) -> dict:
    """Environment for children that talk to a private Redis (this checkout's queue
    name, which `start_worker` listens on; no key prefix needed there)."""
    return child_env(CELERY_BROKER_URL=redis_url, CELERY_KEY_PREFIX="", **overrides)


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: Linux only)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def memory_mb(pid: int) -> dict[str, float]:
    """The process's resident set now (`rss`) and at its peak so far (`peak`,
    the kernel's VmHWM), in MiB; empty once it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {name: int(values[key].split()[0]) / 1024 for name, key in (("rss", "VmRSS"), ("peak", "VmHWM")) if key in values}


def gunicorn_workers(base: str) -> list[int]:
    """The worker processes of the gunicorn this process started on `base`'s port."""
    port = base.rsplit(":", 1)[1]
    for pid in child_pids(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gunicorn" in command and f"127.0.0.1:{port}".encode() in command:
            return child_pids(pid)
    raise LookupError(f"no gunicorn of this process listens on {base}")


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
