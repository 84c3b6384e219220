"""Fixtures for fault tests: private services that a test may stop, and a way to
hold the pipeline inside its transaction so a worker can be killed mid-task."""

import contextlib

import psycopg
import pytest
from django.db import connection

from testkit.private_services import PrivateRedis


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def _connect():
    s = connection.settings_dict
    return psycopg.connect(
        host=s.get("HOST") or "127.0.0.1", port=s.get("PORT") or 5432, user=s.get("USER") or "postgres", dbname=s["NAME"], autocommit=False
    )


@contextlib.contextmanager
def flag_table_locked():
    """Hold an ACCESS EXCLUSIVE lock on the flags table. The pipeline reconciles
    flags after it has claimed the report, locked its row and written its new
    state, all in one open transaction: a worker that reaches that point waits
    here, in the middle of processing, until the lock is released. No hook in
    the application is needed, and `blocked_on_flags()` tells exactly when a
    worker is stuck mid-transaction."""
    conn = _connect()
    try:
        conn.execute("LOCK TABLE reports_flag IN ACCESS EXCLUSIVE MODE")
        yield conn
    finally:
        conn.rollback()
        conn.close()


def blocked_on_flags() -> int:
    """How many sessions of this test database wait for the flags-table lock."""
    with _connect() as conn:
        return conn.execute(
            """
            SELECT count(*) FROM pg_locks l
            JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'reports_flag' AND NOT l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        ).fetchone()[0]
