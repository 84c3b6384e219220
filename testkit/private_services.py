"""Private Redis and PostgreSQL instances for fault tests and the load bench.

The machine's PostgreSQL (5432) and Redis (6379) are shared: nothing here ever
stops, restarts or flushes them. A test that needs to stop a service starts its
own instance on a free loopback port, in a temporary folder, and ends it by the
process id it got when starting it.

PostgreSQL refuses to run as root, so the private cluster runs as the
`postgres` system user (Popen's user=/group=), with its data folder owned by
that user. The postmaster is our direct child, so its PID is the one we stop.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from testkit.processes import free_port


def _wait_port(port: int, proc: subprocess.Popen, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on {port} within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def _end(proc: subprocess.Popen | None, sig: int, timeout: float = 30) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


class PrivateRedis:
    """A `redis-server` that keeps nothing on disk (a restart starts empty)."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log = self.workdir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "PrivateRedis":
        cmd = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(self.workdir),
        ]  # fmt: skip
        out = open(self.log, "ab")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        _wait_port(self.port, self.proc, 20, "redis-server", self.log)
        return self

    def stop(self) -> None:
        _end(self.proc, signal.SIGTERM)
        self.proc = None


def postgres_bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return os.path.dirname(found[-1])


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (trust auth, loopback only) in a temp folder."""

    USER = "postgres"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.bindir = postgres_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="elmon-pg-"))
        self.datadir = self.root / "data"
        self.log = self.root / "postgres.log"
        self.proc: subprocess.Popen | None = None
        account = pwd.getpwnam(self.USER)
        self._uid, self._gid = account.pw_uid, account.pw_gid
        os.chown(self.root, self._uid, self._gid)
        self.root.chmod(0o755)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run_as_postgres(self, *args, **kwargs):
        kwargs.setdefault("cwd", self.root)
        return subprocess.run(list(args), user=self._uid, group=self._gid, check=True, capture_output=True, **kwargs)

    def init(self) -> "PrivatePostgres":
        self._run_as_postgres(
            f"{self.bindir}/initdb", "-D", str(self.datadir), "-A", "trust", "-U", self.USER, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"
        )
        return self

    def start(self) -> "PrivatePostgres":
        cmd = [
            f"{self.bindir}/postgres", "-D", str(self.datadir), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}",
            "-c", "max_connections=60", "-c", "shared_buffers=64MB",
            # A process crash keeps what the OS already has; only an OS crash would lose
            # data, which these tests do not provoke. Commits stay synchronous.
            "-c", "fsync=off", "-c", "full_page_writes=off",
        ]  # fmt: skip
        out = open(self.log, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, user=self._uid, group=self._gid, cwd=self.root, start_new_session=True
        )
        out.close()
        _wait_port(self.port, self.proc, 60, "postgres", self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # listening is not accepting: wait out crash recovery
            if self.query("postgres", "SELECT 1", check=False) is not None:
                return self
            time.sleep(0.2)
        raise TimeoutError(f"postgres on {self.port} never accepted queries:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self, mode: str = "fast") -> None:
        """fast: SIGINT (disconnect clients, checkpoint); immediate: SIGQUIT (crash-like)."""
        _end(self.proc, {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode], timeout=60)
        self.proc = None

    def restart(self, mode: str = "fast", down_for: float = 0.0) -> None:
        self.stop(mode)
        time.sleep(down_for)
        self.start()

    def query(self, dbname: str, sql: str, check: bool = True):
        import psycopg

        try:
            with psycopg.connect(
                host="127.0.0.1", port=self.port, user=self.USER, dbname=dbname, connect_timeout=3, autocommit=True
            ) as conn:
                cur = conn.execute(sql)
                return cur.fetchall() if cur.description else []
        except psycopg.Error:
            if check:
                raise
            return None

    def create_database(self, dbname: str) -> str:
        self.query("postgres", f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
